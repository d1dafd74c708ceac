"""Labels a study can trust: answers frozen once evaluated, nothing an annotator can probe,
doubt always routed to an expert, the re-entry conflict policy, change requests and
logged reopening."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from wavetag.annotations.adjudication import adjudication_queue
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import adjudicate, reopen, save_annotation
from wavetag.errors import InvalidInput, NotAllowed, StateConflict
from wavetag.projects.builtin import BEAT_CORRECTION
from wavetag.projects.models import Task
from wavetag.projects.services import create_project, update_settings

from .factories import bearer, call, icu_team, make_member, make_project

pytestmark = pytest.mark.django_db


def both_claim(w: Any) -> Task:
    (task,) = claim_batch(w.project, w.ann1)
    assert claim_batch(w.project, w.ann2) == [task]
    return task


def outcome_words(body: Any) -> list[str]:
    """Every value in an answer that could tell an annotator the consensus."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif node in ("agreed", "conflict", "adjudicated", "majority", "unsure"):
            found.append(node)

    walk(body)
    return found


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    w = icu_team()
    w.task = both_claim(w)
    return w


class TestNothingToProbe:
    def test_the_probing_sequence_fails_at_the_first_resubmission(
        self, world: Any, client: Client
    ) -> None:
        put = f"/api/v1/tasks/{world.task.pk}/annotation"
        get = f"/api/v1/tasks/{world.task.pk}"
        assert call(client, "put", put, world.h["ann1"], {"decision": "True"})[0] == 200
        assert call(client, "put", put, world.h["ann2"], {"decision": "False"})[0] == 200
        for decision in ("Reject", "Uncertain", "False"):
            status, body = call(client, "put", put, world.h["ann1"], {"decision": decision})
            assert status == 409 and "frozen" in body["detail"], decision
            status, body = call(client, "get", get, world.h["ann1"])
            assert body["status"] is None and body["final_label"] is None
            assert body["annotation"]["answer"]["decision"] == "True"
            assert body["annotation"]["frozen"] is True
        world.task.refresh_from_db()
        assert world.task.status == "conflict" and world.task.reason == "conflict"
        assert list(adjudication_queue(world.project, world.judge)) == [world.task]

    def test_an_annotators_json_carries_no_outcome(self, world: Any, client: Client) -> None:
        save_annotation(world.task, world.ann1, {"decision": "True"})
        save_annotation(world.task, world.ann2, {"decision": "True"})
        world.task.refresh_from_db()
        assert world.task.status == "agreed"
        p, t = world.project.pk, world.task.pk
        urls = [
            f"/api/v1/tasks/{t}",
            f"/api/v1/tasks/{t}/history",
            f"/api/v1/projects/{p}/tasks?mine=1",
            f"/api/v1/projects/{p}/tasks",
            f"/api/v1/projects/{p}/progress",
        ]
        for url in urls:
            status, body = call(client, "get", url, world.h["ann1"])
            assert status == 200 and outcome_words(body) == [], (url, body)
        for status_filter in ("open", "agreed", "conflict"):
            url = f"/api/v1/projects/{p}/tasks?mine=1&status={status_filter}"
            status, body = call(client, "get", url, world.h["ann1"])
            assert body["items"] == [], status_filter
        (row,) = call(client, "get", f"/api/v1/projects/{p}/tasks?mine=1", world.h["ann1"])[1][
            "items"
        ]
        assert row["status"] is None and row["final_label"] is None and row["mine"]
        assert row["mine"]["status"] == "submitted"
        # The same task, seen by the adjudicator, is agreed.
        status, body = call(client, "get", f"/api/v1/tasks/{t}", world.h["judge"])
        assert body["status"] == "agreed" and body["decided_by"] == "agreed"

    def test_reveal_outcome_shows_a_final_label_never_the_other_answer(
        self, world: Any, client: Client
    ) -> None:
        save_annotation(world.task, world.ann1, {"decision": "True", "comment": "MINE"})
        save_annotation(world.task, world.ann2, {"decision": "False", "comment": "THEIRS"})
        url = f"/api/v1/tasks/{world.task.pk}"
        status, body = call(
            client,
            "patch",
            f"/api/v1/projects/{world.project.pk}",
            world.h["lead"],
            {"reveal_outcome": True},
        )
        assert status == 200 and body["reveal_outcome"] is True
        # Not final yet: nothing shows.
        assert call(client, "get", url, world.h["ann1"])[1]["status"] is None
        adjudicate(world.task, world.judge, {"decision": "False", "comment": "ADJ-NOTE"})
        status, body = call(client, "get", url, world.h["ann1"])
        assert body["status"] == "adjudicated" and body["final_label"] == {"decision": "False"}
        assert body["decided_by"] == "adjudicated"
        for other in (f"{url}/history", f"{url}/annotations"):
            text = json.dumps(call(client, "get", other, world.h["ann1"])[1])
            assert "THEIRS" not in text and "ADJ-NOTE" not in text, other
        page = Client()
        page.force_login(world.ann1)
        html = page.get(f"/tasks/{world.task.pk}/").content.decode()
        assert 'data-testid="outcome"' in html and "False: artefact" in html
        assert "THEIRS" not in html


class TestFrozen:
    def test_an_agreed_label_cannot_be_undone_by_an_annotator(
        self, world: Any, client: Client
    ) -> None:
        save_annotation(world.task, world.ann1, {"decision": "True"})
        save_annotation(world.task, world.ann2, {"decision": "True"})
        export = f"/api/v1/projects/{world.project.pk}/export"
        before = call(client, "get", export, world.h["lead"])[1]
        put = f"/api/v1/tasks/{world.task.pk}/annotation"
        status, body = call(client, "put", put, world.h["ann1"], {"status": "later"})
        assert status == 409 and "change-request" in body["detail"]
        status, body = call(client, "get", f"/api/v1/tasks/{world.task.pk}", world.h["lead"])
        assert body["status"] == "agreed" and body["final_label"] == {"decision": "True"}
        assert call(client, "get", export, world.h["lead"])[1] == before

    def test_answers_before_evaluation_stay_free(self, world: Any) -> None:
        save_annotation(world.task, world.ann1, {"decision": "True"})
        save_annotation(world.task, world.ann1, {"decision": "False", "status": "later"})
        save_annotation(world.task, world.ann1, {"decision": "False"})
        annotation = world.task.annotations.get(user=world.ann1)
        assert annotation.frozen_at is None and annotation.revisions.count() == 3

    def test_a_change_request_reaches_the_queue_and_is_answered(
        self, world: Any, client: Client
    ) -> None:
        save_annotation(world.task, world.ann1, {"decision": "True"})
        url = f"/api/v1/tasks/{world.task.pk}/change-request"
        # Not frozen yet: they change it themselves.
        status, body = call(client, "post", url, world.h["ann1"], {"text": "oops"})
        assert status == 409 and "not frozen" in body["detail"]
        save_annotation(world.task, world.ann2, {"decision": "True"})
        assert call(client, "post", url, world.h["ann1"], {"text": " "})[0] == 400
        status, body = call(client, "post", url, world.h["ann1"], {"text": "it was pacing"})
        assert status == 201 and body["resolved"] is False
        status, queue = call(
            client, "get", f"/api/v1/projects/{world.project.pk}/adjudication", world.h["judge"]
        )
        assert [(t["id"], t["reason"]) for t in queue["items"]] == [(world.task.pk, "request")]
        # One request at a time: a second one waits for the first to be answered.
        status, body = call(client, "post", url, world.h["ann1"], {"text": "and also"})
        assert status == 409 and "waiting" in body["detail"]
        adjudicate(world.task, world.judge, {"decision": "False", "comment": "pacing artefact"})
        _, body = call(client, "get", f"/api/v1/tasks/{world.task.pk}", world.h["ann1"])
        assert body["change_requests"][0]["resolved"] is True
        assert body["status"] is None  # still nothing of the outcome
        assert list(adjudication_queue(world.project, world.judge)) == []
        actions = list(world.task.events.values_list("action", flat=True))
        assert actions == ["evaluated", "change-requested", "adjudicated"]

    def test_only_a_project_admin_reopens_and_it_is_logged(self, world: Any) -> None:
        with pytest.raises(StateConflict, match="open already"):
            reopen(world.task, world.lead, "nothing to reopen")
        save_annotation(world.task, world.ann1, {"decision": "True"})
        save_annotation(world.task, world.ann2, {"decision": "True"})
        for user in (world.judge, world.ann1):
            with pytest.raises(NotAllowed):
                reopen(world.task, user, "why not")
        with pytest.raises(InvalidInput, match="reason:"):
            reopen(world.task, world.lead, "")
        task = reopen(world.task, world.lead, "ann2 pressed the wrong key")
        assert task.status == "open" and task.final_label is None and task.decided_by == ""
        event = task.events.get(action="reopened")
        assert event.user == world.lead and event.detail["before"]["status"] == "agreed"
        # The annotators may revise; the task is evaluated again when both are in.
        save_annotation(task, world.ann2, {"decision": "False"})
        task.refresh_from_db()
        assert task.status == "conflict" and task.reason == "conflict"
        # Re-submitting unchanged after a reopen evaluates the task too.
        task = reopen(task, world.lead, "again")
        save_annotation(task, world.ann1, {"decision": "True"})
        task.refresh_from_db()
        assert task.status == "conflict"


class TestDoubtGoesToAnExpert:
    def test_an_unsure_diagnosis_is_not_lost(self, ecg_record: Any) -> None:
        project = make_project("12-lead", "ecg", "resting-12lead")
        judge = make_member(project, "cardio", "adjudicator")
        d1, d2 = make_member(project, "d1"), make_member(project, "d2")
        (task,) = claim_batch(project, d1)
        claim_batch(project, d2)
        save_annotation(
            task,
            d1,
            {
                "diagnoses": [
                    {"value": "st-elevation", "grade": "Confirmed"},
                    {"value": "other", "grade": "Unsure"},
                ]
            },
        )
        save_annotation(
            task,
            d2,
            {
                "diagnoses": [
                    {"value": "lbbb", "grade": "Unsure"},
                    {"value": "st-elevation", "grade": "Confirmed"},
                ]
            },
        )
        task.refresh_from_db()
        assert task.status == "conflict" and task.reason == "unsure"
        assert task.final_label is None and task.discussion_open
        assert list(adjudication_queue(project, judge)) == [task]

    def test_reject_goes_to_an_expert_even_when_both_reject(self, world: Any) -> None:
        save_annotation(world.task, world.ann1, {"decision": "Reject"})
        save_annotation(world.task, world.ann2, {"decision": "Reject"})
        world.task.refresh_from_db()
        assert world.task.status == "conflict" and world.task.reason == "reject"

    def test_a_custom_schema_marks_its_own_reject_choice(self) -> None:
        from wavetag.projects.schemas import SchemaError, validate_schema

        schema = json.loads(json.dumps(BEAT_CORRECTION))
        schema["fields"][0]["choices"][0]["reject"] = True
        schema["fields"][0]["choices"][0]["unsure"] = True
        with pytest.raises(SchemaError, match="unsure or reject, not both"):
            validate_schema(schema)


@pytest.fixture
def reentry(icu_alarms: Any, ecg_record: Any) -> Any:
    w = icu_team(conflict_policy="reenter", max_annotators=3)
    w.ann3 = make_member(w.project, "ann3")
    w.h["ann3"] = bearer(w.ann3)
    w.task = both_claim(w)
    return w


class TestReentry:
    def test_a_third_annotator_and_the_majority_decide(self, reentry: Any, client: Client) -> None:
        w = reentry
        save_annotation(w.task, w.ann1, {"decision": "True"})
        save_annotation(w.task, w.ann2, {"decision": "False"})
        w.task.refresh_from_db()
        # Not in conflict: open to one more annotator; the two answers are frozen.
        assert (w.task.status, w.task.extra_annotators) == ("open", 1)
        assert list(adjudication_queue(w.project, w.judge)) == []
        with pytest.raises(StateConflict, match="frozen"):
            save_annotation(w.task, w.ann1, {"decision": "False"})
        # Adjudicators and admins may have read the answers: the new slot is not theirs.
        assert w.task not in claim_batch(w.project, w.judge)
        assert claim_batch(w.project, w.ann3) == [w.task]
        assert sorted(w.task.assignments.values_list("slot", flat=True)) == [0, 1, 2]
        save_annotation(w.task, w.ann3, {"decision": "True"})
        w.task.refresh_from_db()
        assert w.task.status == "agreed" and w.task.decided_by == "majority"
        assert w.task.final_label == {"decision": "True"}
        actions = list(w.task.events.values_list("action", flat=True))
        assert actions == ["reentry", "evaluated"]
        status, body = call(client, "get", f"/api/v1/projects/{w.project.pk}/export", w.h["lead"])
        (item,) = [i for i in body["items"] if i["id"] == w.task.pk]
        assert item["decided_by"] == "majority" and len(item["annotations"]) == 3
        text = call(
            client, "get", f"/api/v1/projects/{w.project.pk}/export?format=csv", w.h["lead"]
        )
        assert text[0] == 200

    def test_no_majority_at_the_maximum_goes_to_adjudication(self, holter_106: Any) -> None:
        project = make_project(
            "wear",
            "holter",
            "wearable-rhythm",
            segment_seconds=10,
            batch_size=1,
            conflict_policy="reenter",
            max_annotators=3,
        )
        judge = make_member(project, "judge", "adjudicator")
        users = [make_member(project, f"w{i}") for i in range(3)]
        (task,) = claim_batch(project, users[0])
        assert claim_batch(project, users[1]) == [task]
        sinus = {"rhythm": "sinus", "subcategory": "sinus-normal"}
        save_annotation(task, users[0], {"quality": "A", **sinus})
        save_annotation(task, users[1], {"quality": "B", **sinus})
        assert claim_batch(project, users[2]) == [task]
        save_annotation(task, users[2], {"quality": "C"})
        task.refresh_from_db()
        assert (task.status, task.reason, task.extra_annotators) == ("conflict", "no-majority", 1)
        assert list(adjudication_queue(project, judge))[:1] == [task]
        adjudicate(task, judge, {"quality": "B", **sinus, "comment": "noisy but readable"})
        task.refresh_from_db()
        assert task.decided_by == "adjudicated"

    def test_counts_do_not_tell_an_annotator_their_task_reentered(
        self, reentry: Any, client: Client
    ) -> None:
        w = reentry
        url = f"/api/v1/projects/{w.project.pk}/progress"
        save_annotation(w.task, w.ann1, {"decision": "True"})
        before = call(client, "get", url, w.h["ann1"])[1]["totals"]
        save_annotation(w.task, w.ann2, {"decision": "False"})
        after = call(client, "get", url, w.h["ann1"])[1]["totals"]
        assert before == after and after["needing_annotators"] == 1  # the other task
        # ann3 may claim both; the experts' counts leave out nothing they do not annotate.
        assert call(client, "get", url, w.h["ann3"])[1]["totals"]["needing_annotators"] == 2
        judge = call(client, "get", url, w.h["judge"])[1]["totals"]
        assert (judge["needing_annotators"], judge["open"]) == (2, 2)

    def test_doubt_is_not_outvoted(self, reentry: Any) -> None:
        w = reentry
        save_annotation(w.task, w.ann1, {"decision": "True"})
        save_annotation(w.task, w.ann2, {"decision": "Uncertain"})
        w.task.refresh_from_db()
        assert (w.task.status, w.task.reason, w.task.extra_annotators) == ("conflict", "unsure", 0)

    def test_an_agreement_needs_nobody_else(self, reentry: Any) -> None:
        save_annotation(reentry.task, reentry.ann1, {"decision": "False"})
        save_annotation(reentry.task, reentry.ann2, {"decision": "False"})
        reentry.task.refresh_from_db()
        assert reentry.task.status == "agreed" and reentry.task.decided_by == "agreed"


class TestSettings:
    def test_policy_checks(self, icu_alarms: Any, mitdb_100: Any) -> None:
        with pytest.raises(InvalidInput, match="conflict_policy: must be one of"):
            make_project("a", "icu", conflict_policy="vote")
        with pytest.raises(InvalidInput, match="max_annotators: reenter needs room"):
            make_project("a", "icu", conflict_policy="reenter", max_annotators=2)
        with pytest.raises(InvalidInput, match="max_annotators: must be a whole number"):
            make_project("a", "icu", conflict_policy="reenter", max_annotators=6)
        project = make_project("a", "icu", conflict_policy="reenter")
        assert (project.conflict_policy, project.max_annotators) == ("reenter", 3)
        assert make_project("b", "icu").max_annotators == 2
        with pytest.raises(InvalidInput, match="beat-correction tasks are adjudicated"):
            create_project("beats", "mitdb", schema=BEAT_CORRECTION, conflict_policy="reenter")
        with pytest.raises(InvalidInput, match="unknown setting"):
            update_settings(project, {"colour": "red"})
        with pytest.raises(InvalidInput, match="reveal_outcome: must be true or false"):
            update_settings(project, {"reveal_outcome": "yes"})
        project = update_settings(project, {"conflict_policy": "adjudicate"})
        assert (project.conflict_policy, project.max_annotators) == ("adjudicate", 2)

    def test_api_settings_and_errors(self, world: Any, client: Client) -> None:
        url = f"/api/v1/projects/{world.project.pk}"
        status, body = call(
            client,
            "patch",
            url,
            world.h["lead"],
            {"conflict_policy": "reenter", "max_annotators": 4},
        )
        assert status == 200, body
        assert (body["conflict_policy"], body["max_annotators"]) == ("reenter", 4)
        for bad, field in (
            ({"max_annotators": "many"}, "max_annotators"),
            ({"conflict_policy": 3}, "conflict_policy"),
            ([], "body"),
        ):
            status, body = call(client, "patch", url, world.h["lead"], bad)
            assert status == 400 and body["detail"].startswith(field), body

    def test_command_line(self, icu_alarms: Any, capsys: Any) -> None:
        call_command(
            "project",
            "create",
            "cli",
            "--dataset",
            "icu",
            "--template",
            "icu-alarm",
            "--conflict-policy",
            "reenter",
            "--max-annotators",
            "4",
            "--reveal-outcome",
            "yes",
        )
        out = capsys.readouterr().out
        assert "conflict policy reenter, at most 4 annotators per task, outcome shown" in out
        call_command("project", "settings", "cli", "--conflict-policy", "adjudicate")
        out = capsys.readouterr().out
        assert "conflict policy adjudicate, at most 2 annotators" in out


class TestExportSaysHow:
    def test_decided_by_in_json_and_csv(self, world: Any, client: Client) -> None:
        save_annotation(world.task, world.ann1, {"decision": "True"})
        save_annotation(world.task, world.ann2, {"decision": "False"})
        adjudicate(world.task, world.judge, {"decision": "True"})
        url = f"/api/v1/projects/{world.project.pk}/export"
        _, body = call(client, "get", url, world.h["lead"])
        (item,) = [i for i in body["items"] if i["id"] == world.task.pk]
        assert item["decided_by"] == "adjudicated" and item["status"] == "adjudicated"
        response = client.get(url + "?format=csv", **world.h["lead"])
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert {r["decided_by"] for r in rows if r["task_id"] == str(world.task.pk)} == {
            "adjudicated"
        }
