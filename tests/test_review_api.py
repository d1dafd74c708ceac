"""GET /api/v1/projects/{id}/annotations: the review page's list, for scripts. Same
service, same filters, same refusals (who may call it is in tests/test_permissions.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.review import ReviewFilter, review_annotations
from wavetag.annotations.services import flag_annotation, save_annotation

from .factories import call, icu_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """ann1 (True) and ann2 (Uncertain) disagree on task T."""
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    save_annotation(w.task, w.ann1, {"decision": "True", "labels": ["pacing"]})
    save_annotation(w.task, w.ann2, {"decision": "Uncertain", "comment": "noisy"})
    w.url = f"/api/v1/projects/{w.project.pk}/annotations"
    return w


def rows(client: Client, world: Any, query: str = "", who: str = "judge") -> Any:
    status, body = call(client, "get", world.url + query, world.h[who])
    assert status == 200, body
    return body


class TestReviewApi:
    def test_every_annotation_as_on_the_page(self, world: Any, client: Client) -> None:
        body = rows(client, world)
        assert body["count"] == 2
        assert {r["annotator"] for r in body["items"]} == {"ann1", "ann2"}
        service, _ = review_annotations(world.project, world.judge, ReviewFilter())
        assert [r["id"] for r in body["items"]] == [r["id"] for r in service]
        theirs = next(r for r in body["items"] if r["annotator"] == "ann2")
        assert theirs["answer"]["decision"] == "Uncertain" and theirs["comment"] == "noisy"
        assert theirs["task"] == {
            "id": world.task.pk,
            "record": world.task.record.name,
            "event_time": 300.0,
            "status": "conflict",
        }

    @pytest.mark.parametrize(
        ("query", "annotators"),
        [
            ("?annotator=ann2", {"ann2"}),
            ("?annotator=nobody", set()),
            ("?status=submitted", {"ann1", "ann2"}),
            ("?status=draft", set()),
            ("?task_status=conflict", {"ann1", "ann2"}),
            ("?task_status=agreed", set()),
            ("?label=decision:True", {"ann1"}),
            ("?label=labels:pacing", {"ann1"}),
            ("?annotator=ann1&label=decision:Uncertain", set()),
        ],
    )
    def test_filters(self, world: Any, client: Client, query: str, annotators: set[str]) -> None:
        body = rows(client, world, query)
        assert {r["annotator"] for r in body["items"]} == annotators
        assert body["count"] == len(annotators)

    def test_flagged_and_pages(self, world: Any, client: Client) -> None:
        theirs = world.task.annotations.get(user=world.ann2)
        flag_annotation(theirs.pk, world.lead, "check the pulse channel")
        body = rows(client, world, "?flagged=true", who="lead")
        (row,) = body["items"]
        assert row["id"] == theirs.pk
        assert row["flags"][0]["reason"] == "check the pulse channel"
        assert row["flags"][0]["by"] == "lead" and row["flags"][0]["resolved"] is False
        first = rows(client, world, "?limit=1")
        second = rows(client, world, "?limit=1&offset=1")
        assert first["count"] == second["count"] == 2
        assert first["items"][0]["id"] != second["items"][0]["id"]

    @pytest.mark.parametrize(
        ("query", "status", "message"),
        [
            ("?label=decision:Maybe", 400, "label: 'decision:Maybe' is not a choice"),
            ("?label=nonsense", 400, "label: 'nonsense' is not a choice"),
            ("?annotator=a%00b", 400, "annotator: must not contain NUL"),
            ("?status=done", 422, "status"),
            ("?task_status=closed", 422, "task_status"),
            ("?limit=0", 422, "limit"),
            ("?limit=100000", 422, "limit"),
        ],
    )
    def test_bad_filters_are_named(
        self, world: Any, client: Client, query: str, status: int, message: str
    ) -> None:
        got, body = call(client, "get", world.url + query, world.h["judge"])
        assert got == status and message in body["detail"], body

    def test_in_the_openapi_schema(self, client: Client) -> None:
        schema = client.get("/api/v1/openapi.json").json()
        operation = schema["paths"]["/api/v1/projects/{project_id}/annotations"]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"annotator", "status", "task_status", "label", "flagged"} <= names
