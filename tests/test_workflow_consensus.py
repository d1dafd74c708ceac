"""Consensus per template, conflicts, adjudication, flags, revisions and discussion."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.adjudication import adjudication_queue, skip_adjudication
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Revision
from wavetag.annotations.services import adjudicate, flag_annotation, save_annotation
from wavetag.errors import InvalidInput, NotAllowed, StateConflict
from wavetag.projects.models import Task

from .factories import call, icu_team, make_member, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """Both annotators claim the same task (v102s or v221l, whichever comes first)."""
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    (second,) = claim_batch(w.project, w.ann2)
    assert second == w.task  # a partly claimed task comes first
    return w


def answer(w: Any, user: Any, decision: str, comment: str = "", **extra: Any) -> Task:
    save_annotation(w.task, user, {"decision": decision, "comment": comment, **extra})
    w.task.refresh_from_db()
    return w.task


class TestIcuAlarm:
    def test_same_decision_agrees(self, world: Any) -> None:
        assert answer(world, world.ann1, "True").status == "open"
        task = answer(world, world.ann2, "True", labels=["pacing"])
        assert task.status == "agreed"
        assert task.final_label == {"decision": "True"}

    def test_different_decisions_conflict_and_wait_for_adjudication(self, world: Any) -> None:
        answer(world, world.ann1, "True")
        task = answer(world, world.ann2, "False")
        assert task.status == "conflict" and task.final_label is None
        assert list(adjudication_queue(world.project, world.judge)) == [task]

    def test_uncertain_never_agrees_and_opens_the_discussion(self, world: Any) -> None:
        answer(world, world.ann1, "Uncertain")
        task = answer(world, world.ann2, "Uncertain")
        assert task.status == "conflict" and task.discussion_open

    def test_drafts_do_not_count(self, world: Any) -> None:
        answer(world, world.ann1, "True")
        task = answer(world, world.ann2, "True", status="draft")
        assert task.status == "open"
        task = answer(world, world.ann2, "True", status="later")
        assert task.status == "open"


class TestRevisionAfterConsensus:
    def test_revisions_are_free_until_every_answer_is_in_then_frozen(self, world: Any) -> None:
        answer(world, world.ann1, "True")
        assert answer(world, world.ann1, "False").status == "open"
        assert answer(world, world.ann1, "True", status="later").status == "open"
        answer(world, world.ann1, "True")
        assert answer(world, world.ann2, "True").status == "agreed"
        # Evaluated: neither annotator can change, withdraw or re-submit their answer.
        for user, body in [
            (world.ann2, {"decision": "False"}),
            (world.ann1, {"decision": "True", "status": "later"}),
            (world.ann1, {"decision": "True"}),
        ]:
            with pytest.raises(StateConflict, match="frozen") as err:
                save_annotation(world.task, user, body)
            assert err.value.status == 409 and "change-request" in str(err.value)
        world.task.refresh_from_db()
        assert world.task.status == "agreed" and world.task.final_label == {"decision": "True"}
        assert world.task.decided_by == "agreed"

    def test_adjudicated_task_keeps_the_adjudicators_label(self, world: Any) -> None:
        answer(world, world.ann1, "True")
        answer(world, world.ann2, "False")
        adjudicate(world.task, world.judge, {"decision": "False", "comment": "artefact"})
        with pytest.raises(StateConflict, match="frozen"):
            answer(world, world.ann1, "False")
        world.task.refresh_from_db()
        assert world.task.status == "adjudicated" and world.task.final_label == {
            "decision": "False"
        }
        assert world.task.decided_by == "adjudicated"

    def test_every_revision_is_kept_with_what_changed(self, world: Any) -> None:
        answer(world, world.ann1, "True", status="draft")
        answer(world, world.ann1, "True", status="draft")  # nothing changed: no revision
        answer(world, world.ann1, "False", "looks like noise", status="later")
        answer(world, world.ann1, "False", "looks like noise")
        revisions = list(Revision.objects.filter(annotation__user=world.ann1).order_by("id"))
        assert [r.status for r in revisions] == ["draft", "later", "submitted"]
        assert revisions[0].changes == {
            "answer.decision": [None, "True"],
            "status": ["", "draft"],
        }
        assert revisions[1].changes == {
            "answer.decision": ["True", "False"],
            "comment": ["", "looks like noise"],
            "status": ["draft", "later"],
        }
        assert revisions[2].changes == {"status": ["later", "submitted"]}
        assert all(r.user == world.ann1 for r in revisions)

    def test_history_api_own_revisions_and_everyone_for_the_adjudicator(
        self, world: Any, client: Client
    ) -> None:
        answer(world, world.ann1, "True", "mine")
        answer(world, world.ann2, "False", "theirs")
        url = f"/api/v1/tasks/{world.task.pk}/history"
        status, body = call(client, "get", url, world.h["ann1"])
        assert status == 200 and body["count"] == 1
        assert body["items"][0]["annotator"] == "ann1"
        adjudicate(world.task, world.judge, {"decision": "True", "comment": "VT visible"})
        status, body = call(client, "get", url, world.h["judge"])
        assert [(i["kind"], i["annotator"] or i["by"]) for i in body["items"]] == [
            ("annotation", "ann1"),
            ("annotation", "ann2"),
            ("event", "ann2"),  # the last answer made the task evaluated: conflict
            ("adjudication", "judge"),
            ("event", "judge"),
        ]
        assert body["items"][2]["status"] == "evaluated"
        assert body["items"][2]["answer"]["status"] == "conflict"
        assert body["items"][2]["answer"]["reason"] == "conflict"
        # After adjudication the annotator still gets only their own revisions.
        status, body = call(client, "get", url, world.h["ann1"])
        assert {i["annotator"] for i in body["items"]} == {"ann1"}


class TestAdjudication:
    def test_adjudicator_decides_with_a_comment(self, world: Any, client: Client) -> None:
        answer(world, world.ann1, "True")
        answer(world, world.ann2, "False")
        url = f"/api/v1/tasks/{world.task.pk}/adjudication"
        body = {"decision": "Maybe", "comment": "?"}
        status, out = call(client, "post", url, world.h["judge"], body)
        assert status == 400 and out["detail"].startswith("decision:")
        body = {"decision": "True", "comment": "sustained VT on both leads"}
        status, out = call(client, "post", url, world.h["judge"], body)
        assert status == 200, out
        assert out["final_label"] == {"decision": "True"} and out["status"] == "adjudicated"
        world.task.refresh_from_db()
        assert world.task.status == "adjudicated"
        assert list(adjudication_queue(world.project, world.judge)) == []

    def test_open_and_agreed_tasks_are_not_adjudicated(self, world: Any) -> None:
        answer(world, world.ann1, "True")
        with pytest.raises(StateConflict, match="waiting"):
            adjudicate(world.task, world.judge, {"decision": "True"})
        answer(world, world.ann2, "True")
        with pytest.raises(StateConflict, match="agreed"):
            adjudicate(world.task, world.judge, {"decision": "False"})

    def test_an_adjudicator_who_annotated_the_task_skips_it(self, world: Any) -> None:
        expert = make_member(world.project, "expert", "adjudicator")
        # The expert annotates the other task; the judge's queue is unaffected.
        (other,) = claim_batch(world.project, expert)
        (also,) = claim_batch(world.project, world.judge)
        assert other == also != world.task
        save_annotation(other, expert, {"decision": "True"})
        save_annotation(other, world.judge, {"decision": "False"})
        answer(world, world.ann1, "True")
        answer(world, world.ann2, "False")
        other.refresh_from_db()
        assert other.status == "conflict"
        assert list(adjudication_queue(world.project, world.judge)) == [world.task]
        assert list(adjudication_queue(world.project, expert)) == [world.task]
        with pytest.raises(NotAllowed, match="skip it"):
            adjudicate(other, world.judge, {"decision": "True"})
        skip_adjudication(world.task, expert)
        assert list(adjudication_queue(world.project, expert)) == []
        assert set(adjudication_queue(world.project, world.lead)) == {world.task, other}
        adjudicate(other, world.lead, {"decision": "True", "comment": "project admin"})

    def test_a_flag_lets_an_agreed_task_be_adjudicated(self, world: Any, client: Client) -> None:
        answer(world, world.ann1, "True")
        answer(world, world.ann2, "True")
        annotation = world.task.annotations.get(user=world.ann2)
        url = f"/api/v1/annotations/{annotation.pk}/flag"
        status, body = call(client, "post", url, world.h["judge"], {"reason": " "})
        assert status == 400 and body["detail"].startswith("reason:")
        status, body = call(client, "post", url, world.h["judge"], {"reason": "that is pacing"})
        assert status == 201 and not body["resolved"]
        assert list(adjudication_queue(world.project, world.judge)) == [world.task]
        status, body = call(
            client, "get", f"/api/v1/tasks/{world.task.pk}/annotations", world.h["lead"]
        )
        flags = {a["annotator"]: a["flags"] for a in body["items"]}
        assert flags["ann1"] == [] and flags["ann2"][0]["reason"] == "that is pacing"
        adjudicate(world.task, world.judge, {"decision": "False", "comment": "pacing artefact"})
        world.task.refresh_from_db()
        assert world.task.final_label == {"decision": "False"}
        assert list(adjudication_queue(world.project, world.judge)) == []

    def test_annotators_cannot_flag_or_adjudicate(self, world: Any) -> None:
        answer(world, world.ann1, "True")
        answer(world, world.ann2, "False")
        theirs = world.task.annotations.get(user=world.ann2)
        from django.http import Http404

        with pytest.raises(Http404):
            flag_annotation(theirs.pk, world.ann1, "wrong")
        with pytest.raises(NotAllowed):
            adjudicate(world.task, world.ann1, {"decision": "True"})


class TestDiscussion:
    def test_thread_opens_to_the_project_once_every_answer_is_in(
        self, world: Any, client: Client
    ) -> None:
        other = make_member(world.project, "ann3")
        from .factories import bearer

        h3 = bearer(other)
        url = f"/api/v1/tasks/{world.task.pk}/discussion"
        answer(world, world.ann1, "Uncertain", "cannot tell")
        # Only one answer: the thread is not yet open to the project.
        assert call(client, "get", url, h3)[0] == 404
        status, _ = call(client, "post", url, world.h["ann1"], {"text": "lead II is noisy"})
        assert status == 201
        answer(world, world.ann2, "False")
        status, body = call(client, "get", url, h3)
        assert status == 200 and [p["text"] for p in body["items"]] == ["lead II is noisy"]
        status, _ = call(client, "post", url, h3, {"text": "look at the PLETH"})
        assert status == 201
        # While the task is in conflict, its annotators see only their own posts.
        status, body = call(client, "post", url, world.h["ann2"], {"text": "I said False"})
        status, body = call(client, "get", url, world.h["ann2"])
        assert [p["text"] for p in body["items"]] == ["I said False"]
        status, body = call(client, "get", url, world.h["judge"])
        assert len(body["items"]) == 3
        # Listed project-wide for those not annotating it.
        status, body = call(
            client, "get", f"/api/v1/projects/{world.project.pk}/tasks?discussion=1", h3
        )
        assert [t["id"] for t in body["items"]] == [world.task.pk]
        status, body = call(
            client,
            "get",
            f"/api/v1/projects/{world.project.pk}/tasks?discussion=1",
            world.h["ann1"],
        )
        assert body["items"] == []
        adjudicate(world.task, world.judge, {"decision": "False", "comment": "PLETH is fine"})
        # A blind project never shows its annotators the others' posts ...
        status, body = call(client, "get", url, world.h["ann2"])
        assert [p["text"] for p in body["items"]] == ["I said False"]
        # ... unless it reveals the outcome of final tasks, for learning.
        world.project.reveal_outcome = True
        world.project.save()
        status, body = call(client, "get", url, world.h["ann2"])
        assert len(body["items"]) == 3

    def test_confident_answers_open_no_discussion(self, world: Any, client: Client) -> None:
        answer(world, world.ann1, "True")
        answer(world, world.ann2, "False")
        other = make_member(world.project, "ann3")
        from .factories import bearer

        url = f"/api/v1/tasks/{world.task.pk}/discussion"
        assert call(client, "get", url, bearer(other))[0] == 404
        assert call(client, "get", url, world.h["judge"])[0] == 404


@pytest.fixture
def twelve_lead(ecg_record: Any) -> Any:
    project = make_project("12-lead", "ecg", "resting-12lead")
    users = [make_member(project, n) for n in ("c1", "c2")]
    (task,) = claim_batch(project, users[0])
    claim_batch(project, users[1])
    return task, users


class TestResting12Lead:
    def submit(self, task: Task, user: Any, items: list[Any], text: str = "") -> Task:
        save_annotation(task, user, {"diagnoses": items, "text": text})
        task.refresh_from_db()
        return task

    def test_one_task_per_record(self, twelve_lead: Any) -> None:
        task, _ = twelve_lead
        assert (task.window_start, task.window_end, task.event_time) == (0.0, 10.0, None)

    def test_same_confirmed_set_with_an_unsure_item_goes_to_an_expert(
        self, twelve_lead: Any
    ) -> None:
        task, (c1, c2) = twelve_lead
        self.submit(
            task,
            c1,
            [{"value": "pvc", "grade": "Confirmed"}, {"value": "normal", "grade": "Confirmed"}],
        )
        task = self.submit(
            task,
            c2,
            [
                {"value": "normal", "grade": "Confirmed"},
                {"value": "pvc", "grade": "Confirmed"},
                {"value": "t-wave-change", "grade": "Unsure"},
            ],
            "flat T in V5?",
        )
        # The confirmed sets agree, but one doctor doubts a T-wave change: never agreed
        # automatically, an expert decides.
        assert task.status == "conflict" and task.reason == "unsure"
        assert task.final_label is None
        assert task.discussion_open  # an Unsure item opens the discussion

    def test_different_sets_conflict(self, twelve_lead: Any) -> None:
        task, (c1, c2) = twelve_lead
        self.submit(task, c1, ["normal"])  # a bare value is Confirmed
        task = self.submit(task, c2, ["normal", "lbbb"])
        assert task.status == "conflict"

    def test_nothing_confirmed_does_not_agree(self, twelve_lead: Any) -> None:
        task, (c1, c2) = twelve_lead
        self.submit(task, c1, [{"value": "lbbb", "grade": "Unsure"}])
        task = self.submit(task, c2, [{"value": "lbbb", "grade": "Unsure"}])
        assert task.status == "conflict"

    def test_bad_values_name_the_field(self, twelve_lead: Any) -> None:
        task, (c1, _) = twelve_lead
        for body, message in [
            ({"diagnoses": ["stemi"]}, "diagnoses: 'stemi' is not one of the allowed values"),
            ({"diagnoses": [{"value": "pvc", "grade": "Sure"}]}, "diagnoses: grade 'Sure'"),
            ({"diagnoses": "pvc"}, "diagnoses: must be a list"),
            ({"diagnoses": ["pvc", "pvc"]}, "diagnoses: 'pvc' is given twice"),
            ({"diagnoses": []}, "diagnoses: required"),
            ({"diagnoses": ["pvc"], "text": 5}, "text: must be a text"),
            ({"diagnosis": ["pvc"]}, "diagnosis: not a field of this schema"),
        ]:
            with pytest.raises(InvalidInput) as err:
                save_annotation(task, c1, body)
            assert str(err.value).startswith(message), (body, str(err.value))


@pytest.fixture
def wearable(holter_106: Any) -> Any:
    project = make_project(
        "wear", "holter", "wearable-rhythm", segment_seconds=10, annotators_per_task=3
    )
    users = [make_member(project, n) for n in ("w1", "w2", "w3")]
    batches = [claim_batch(project, u) for u in users]
    assert set(batches[0]) == set(batches[1]) == set(batches[2])
    return batches[0][0], users


class TestWearableRhythm:
    def test_segments_of_fixed_length(self, wearable: Any) -> None:
        task, _ = wearable
        tasks = Task.objects.filter(project=task.project).order_by("window_start")
        # 1805.6 s cut into 10-s segments; the last 5.6 s are not a task.
        assert tasks.count() == 180
        assert {round(t.window_end - t.window_start, 6) for t in tasks} == {10.0}

    def test_same_quality_rhythm_and_subcategory_agree(self, wearable: Any) -> None:
        task, users = wearable
        for u in users:
            save_annotation(
                task, u, {"quality": "B", "rhythm": "ventricular", "subcategory": "nsvt"}
            )
        task.refresh_from_db()
        assert task.status == "agreed"
        assert task.final_label == {
            "quality": "B",
            "rhythm": "ventricular",
            "subcategory": "nsvt",
        }

    def test_any_difference_conflicts(self, wearable: Any) -> None:
        task, users = wearable
        answers = [
            {"quality": "A", "rhythm": "ventricular", "subcategory": "ventricular-bigeminy"},
            {"quality": "A", "rhythm": "ventricular", "subcategory": "ventricular-bigeminy"},
            {"quality": "B", "rhythm": "ventricular", "subcategory": "ventricular-bigeminy"},
        ]
        for u, a in zip(users, answers, strict=True):
            save_annotation(task, u, a)
        task.refresh_from_db()
        assert task.status == "conflict"

    def test_poor_quality_needs_no_rhythm(self, wearable: Any) -> None:
        task, (w1, *_) = wearable
        save_annotation(task, w1, {"quality": "C"})
        with pytest.raises(InvalidInput, match="rhythm: required"):
            save_annotation(task, w1, {"quality": "A"})

    def test_subcategory_must_belong_to_the_rhythm(self, wearable: Any) -> None:
        task, (w1, *_) = wearable
        with pytest.raises(InvalidInput, match="subcategory: 'single-pvc' is not a kind of"):
            save_annotation(
                task, w1, {"quality": "A", "rhythm": "atrial", "subcategory": "single-pvc"}
            )
        with pytest.raises(InvalidInput, match="subcategory: choose rhythm first"):
            save_annotation(task, w1, {"quality": "A", "subcategory": "single-pvc"})


class TestLabelsAreKept:
    def test_records_and_users_with_answers_cannot_be_deleted(self, world: Any) -> None:
        from django.db.models import ProtectedError

        answer(world, world.ann1, "True")
        with pytest.raises(ProtectedError):
            world.task.record.delete()
        with pytest.raises(ProtectedError):
            world.ann1.delete()
