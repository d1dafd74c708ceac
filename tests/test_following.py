"""The task a save opens, asked beforehand: GET /api/v1/tasks/{id}/following names the
same task as the save's answer (submitted or saved for later), only ever one of the
caller's own batch, and null at the end of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation
from wavetag.projects.models import Assignment

from .factories import bearer, call, make_member, make_project

pytestmark = pytest.mark.django_db

ANSWER = {"quality": "A", "rhythm": "sinus", "subcategory": "sinus-normal"}


@pytest.fixture
def batch(holter_100: Any) -> Any:
    # One annotator a task: a second annotator's batch is other tasks.
    project = make_project(
        "wear", "holter", "wearable-rhythm", batch_size=4, annotators_per_task=1, max_annotators=1
    )
    user = make_member(project, "doc")
    other = make_member(project, "other")
    return project, user, other, claim_batch(project, user)


def following(client: Client, user: Any, task: Any) -> Any:
    status, body = call(client, "get", f"/api/v1/tasks/{task.pk}/following", bearer(user))
    assert status == 200, body
    return body["url"]


def save(client: Client, user: Any, task: Any, status: str) -> str:
    client.force_login(user)
    response = client.post(
        f"/tasks/{task.pk}/", {**ANSWER, "status": status}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200, response.content
    return str(response.json()["next"])


class TestFollowing:
    def test_the_same_task_as_the_save_opens(self, batch: Any, client: Client) -> None:
        project, user, _, (first, second, third, fourth) = batch
        assert following(client, user, first) == f"/tasks/{second.pk}/"
        assert save(client, user, first, "submitted") == f"/tasks/{second.pk}/"
        # Saved for later: on to the next one not saved for later.
        assert following(client, user, second) == f"/tasks/{third.pk}/"
        assert save(client, user, second, "later") == f"/tasks/{third.pk}/"
        assert following(client, user, third) == f"/tasks/{fourth.pk}/"
        assert save(client, user, third, "submitted") == f"/tasks/{fourth.pk}/"
        # Only the one saved for later is left after the last.
        assert following(client, user, fourth) == f"/tasks/{second.pk}/"
        assert save(client, user, fourth, "submitted") == f"/tasks/{second.pk}/"
        # Nothing but itself: the end of the batch.
        assert following(client, user, second) is None
        assert save(client, user, second, "submitted") == f"/projects/{project.pk}/"

    def test_a_task_taken_back_is_not_named(self, batch: Any, client: Client) -> None:
        _, user, other, (first, second, third, _) = batch
        Assignment.objects.filter(task=second, user=user).update(user=other)
        assert following(client, user, first) == f"/tasks/{third.pk}/"

    def test_only_the_callers_own_tasks(self, batch: Any, client: Client) -> None:
        project, user, other, (first, *_) = batch
        theirs = claim_batch(project, other)
        save_annotation(theirs[0], other, ANSWER)
        for task in theirs:
            assert not Assignment.objects.filter(task=task, user=user).exists()
        # Not on their task (out of an annotator's reach: 404, as for its page) ...
        status, _ = call(client, "get", f"/api/v1/tasks/{theirs[0].pk}/following", bearer(user))
        assert status == 404
        page = Client()
        page.force_login(user)
        assert page.get(f"/tasks/{theirs[0].pk}/").status_code == 404
        # ... and their batch is never what comes after one's own.
        url = following(client, user, first)
        assert all(url != f"/tasks/{t.pk}/" for t in theirs)
