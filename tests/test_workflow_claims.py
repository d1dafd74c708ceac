"""Batch claims: how many, which tasks, when a new batch may be claimed, resume, release."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch, next_task, release, unfinished
from wavetag.annotations.models import Annotation
from wavetag.annotations.services import save_annotation
from wavetag.errors import StateConflict
from wavetag.projects.models import Assignment, Task

from .factories import call, icu_team, make_member, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    return icu_team()


@pytest.fixture
def segments(holter_100: Any) -> Any:
    """A wearable project of 60 thirty-second segments (mitdb 100), k=2, batches of 7."""
    project = make_project("rhythm", "holter", "wearable-rhythm", batch_size=7)
    users = [make_member(project, f"a{i}") for i in range(4)]
    return project, users


def submit(task: Task, user: Any, decision: str = "True", **extra: Any) -> Annotation:
    return save_annotation(task, user, {"decision": decision, "status": "submitted", **extra})


class TestClaim:
    def test_batch_size_distinct_tasks_the_user_does_not_have(self, segments: Any) -> None:
        project, (a0, *_) = segments
        first = claim_batch(project, a0)
        assert len(first) == 7 and len({t.pk for t in first}) == 7
        for task in first:
            save_annotation(
                task, a0, {"quality": "A", "rhythm": "sinus", "subcategory": "sinus-normal"}
            )
        second = claim_batch(project, a0)
        assert len(second) == 7
        assert not {t.pk for t in first} & {t.pk for t in second}
        assert set(Assignment.objects.filter(user=a0).values_list("batch", flat=True)) == {1, 2}

    def test_new_batch_only_when_the_current_one_is_done(self, world: Any) -> None:
        (task,) = claim_batch(world.project, world.ann1)
        with pytest.raises(StateConflict, match="finish your current batch"):
            claim_batch(world.project, world.ann1)
        save_annotation(task, world.ann1, {"decision": "True", "status": "draft"})
        with pytest.raises(StateConflict):
            claim_batch(world.project, world.ann1)
        save_annotation(task, world.ann1, {"decision": "True", "status": "later"})
        with pytest.raises(StateConflict, match="saved-for-later"):
            claim_batch(world.project, world.ann1)
        submit(task, world.ann1)
        (other,) = claim_batch(world.project, world.ann1)
        assert other.pk != task.pk

    def test_never_more_than_k_annotators(self, world: Any) -> None:
        third = make_member(world.project, "ann3")
        fourth = make_member(world.project, "ann4")
        claimed: list[Task] = []
        for user in (world.ann1, world.ann2, third, fourth):
            claimed += claim_batch(world.project, user)
        # Two tasks, two slots each: four claims fill them, and a fifth finds nothing.
        assert len(claimed) == 4
        for task in Task.objects.filter(project=world.project):
            assert task.assignments.count() == 2
        fifth = make_member(world.project, "ann5")
        assert claim_batch(world.project, fifth) == []

    def test_partly_annotated_tasks_come_first(self, segments: Any) -> None:
        project, (a0, a1, *_) = segments
        first = {t.pk for t in claim_batch(project, a0)}
        assert {t.pk for t in claim_batch(project, a1)} == first

    def test_claim_through_the_api(self, world: Any, client: Client) -> None:
        url = f"/api/v1/projects/{world.project.pk}/batches"
        status, body = call(client, "post", url, world.h["ann1"])
        assert status == 200 and len(body["tasks"]) == 1
        status, body = call(client, "post", url, world.h["ann1"])
        assert status == 409 and "finish your current batch" in body["detail"]


class TestResume:
    def test_next_unfinished_task_skips_saved_for_later(self, segments: Any) -> None:
        project, (a0, *_) = segments
        batch = claim_batch(project, a0)
        assert next_task(project, a0) == batch[0]
        save_annotation(batch[0], a0, {"quality": "B", "status": "later"})
        assert next_task(project, a0) == batch[1]
        save_annotation(batch[1], a0, {"quality": "C", "status": "submitted"})
        assert next_task(project, a0) == batch[2]
        for task in batch[2:]:
            save_annotation(task, a0, {"quality": "C"})
        # Only the saved-for-later one is left: resume there.
        assert next_task(project, a0) == batch[0]
        save_annotation(batch[0], a0, {"quality": "C"})
        assert next_task(project, a0) is None

    def test_draft_survives_a_reload(self, world: Any, client: Client) -> None:
        (task,) = claim_batch(world.project, world.ann1)
        body = {"decision": "False", "comment": "half way", "status": "draft"}
        status, _ = call(
            client, "put", f"/api/v1/tasks/{task.pk}/annotation", world.h["ann1"], body
        )
        assert status == 200
        status, detail = call(client, "get", f"/api/v1/tasks/{task.pk}", world.h["ann1"])
        assert detail["annotation"]["status"] == "draft"
        assert detail["annotation"]["answer"] == {"decision": "False"}
        assert detail["annotation"]["comment"] == "half way"
        status, nxt = call(
            client, "get", f"/api/v1/projects/{world.project.pk}/next", world.h["ann1"]
        )
        assert nxt == {"task": task.pk}


class TestRelease:
    def test_release_frees_unfinished_assignments_and_keeps_submitted(self, world: Any) -> None:
        (t1,) = claim_batch(world.project, world.ann1)
        (t2,) = claim_batch(world.project, world.ann2)
        assert t2 == t1
        submit(t1, world.ann1)
        save_annotation(t2, world.ann2, {"decision": "False", "status": "draft"})
        assert release(world.project) == 1
        assert unfinished(world.project, world.ann2) == []
        assert not Annotation.objects.filter(user=world.ann2).exists()
        assert Annotation.objects.filter(user=world.ann1, status="submitted").count() == 1
        # The released task can be claimed again, by the same annotator too.
        assert claim_batch(world.project, world.ann2)

    def test_release_one_user_through_the_api(self, world: Any, client: Client) -> None:
        claim_batch(world.project, world.ann1)
        claim_batch(world.project, world.ann2)
        url = f"/api/v1/projects/{world.project.pk}/release"
        status, body = call(client, "post", url, world.h["lead"], {"username": "ann1"})
        assert (status, body) == (200, {"released": 1})
        assert unfinished(world.project, world.ann2)
        status, body = call(client, "post", url, world.h["lead"], {"username": "nobody"})
        assert status == 400 and "nobody" in body["detail"]
        status, body = call(client, "post", url, world.h["lead"], {"task": "x"})
        assert status == 400 and body["detail"].startswith("task:")
        status, body = call(client, "post", url, world.h["lead"])
        assert (status, body) == (200, {"released": 1})
        status, _ = call(client, "post", url, world.h["ann1"])
        assert status == 403


class TestExpertsStayBlind:
    def test_an_adjudicator_claims_only_tasks_nobody_answered(self, segments: Any) -> None:
        # An adjudicator may read any task's answers: claiming a slot of a task they could
        # read would make their answer anything but independent.
        project, (a0, *_) = segments
        judge = make_member(project, "judge", "adjudicator")
        answered = claim_batch(project, a0)
        save_annotation(answered[0], a0, {"quality": "C", "status": "draft"})
        for task in answered[1:]:
            save_annotation(task, a0, {"quality": "C"})
        mine = {t.pk for t in claim_batch(project, judge)}
        assert len(mine) == 7
        assert not mine & {t.pk for t in answered}
        # An annotator, who cannot read them, still takes half-done tasks first, the
        # answered ones among them.
        other = make_member(project, "plain")
        theirs = {t.pk for t in claim_batch(project, other)}
        assert len(theirs) == 7 and theirs <= mine | {t.pk for t in answered}
