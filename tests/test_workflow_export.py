"""Export (JSON and CSV) and progress per project and per annotator."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import adjudicate, flag_annotation, save_annotation

from .factories import bearer, call, icu_team, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """k=2, batches of 1: ann1 and ann2 disagree on task T, an adjudicator decides it;
    ann3 and ann4 agree on the other task U; ann5 has a draft nowhere (nothing left)."""
    w = icu_team()
    (w.t,) = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    w.ann3 = make_member(w.project, "ann3")
    w.ann4 = make_member(w.project, "ann4")
    w.h["ann4"] = bearer(w.ann4)
    (w.u,) = claim_batch(w.project, w.ann3)
    claim_batch(w.project, w.ann4)
    save_annotation(w.t, w.ann1, {"decision": "True", "comment": "=HYPERLINK(evil)"})
    save_annotation(w.t, w.ann2, {"decision": "False", "labels": ["artefact", "lead-off"]})
    adjudicate(w.t, w.judge, {"decision": "False", "comment": "electrode motion"})
    save_annotation(w.u, w.ann3, {"decision": "Reject"})
    save_annotation(w.u, w.ann4, {"decision": "Reject", "status": "later"})
    return w


class TestExport:
    def test_json_has_every_task_with_annotations_status_and_final_label(
        self, world: Any, client: Client
    ) -> None:
        url = f"/api/v1/projects/{world.project.pk}/export?format=json"
        status, body = call(client, "get", url, world.h["lead"])
        assert status == 200
        items = {item["id"]: item for item in body["items"]}
        assert set(items) == {world.t.pk, world.u.pk}
        t = items[world.t.pk]
        assert {"id", "record", "event", "status", "final_label", "annotations"} <= set(t)
        assert t["status"] == "adjudicated" and t["final_label"] == {"decision": "False"}
        assert t["event"] == 300.0 and t["record"] in {"v102s", "v221l"}
        assert {a["annotator"]: a["answer"]["decision"] for a in t["annotations"]} == {
            "ann1": "True",
            "ann2": "False",
        }
        assert t["adjudication"]["comment"] == "electrode motion"
        u = items[world.u.pk]
        assert u["status"] == "open" and u["final_label"] is None
        assert {a["status"] for a in u["annotations"]} == {"submitted", "later"}

    def test_csv_rows_one_per_annotation(self, world: Any, client: Client) -> None:
        flag_annotation(world.u.annotations.get(user=world.ann3).pk, world.judge, "check V1")
        url = f"/api/v1/projects/{world.project.pk}/export?format=csv"
        response = client.get(url, **world.h["judge"])
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert len(rows) == 4
        by_annotator = {r["annotator"]: r for r in rows}
        assert by_annotator["ann1"]["status"] == "adjudicated"
        assert by_annotator["ann1"]["final_decision"] == "False"
        assert by_annotator["ann2"]["labels"] == "artefact;lead-off"
        assert by_annotator["ann3"]["flags"] == "check V1"
        assert by_annotator["ann1"]["adjudication_comment"] == "electrode motion"
        # A comment that a spreadsheet would run as a formula is defused.
        assert by_annotator["ann1"]["comment"] == "'=HYPERLINK(evil)"

    def test_unknown_format_is_a_clear_error(self, world: Any, client: Client) -> None:
        url = f"/api/v1/projects/{world.project.pk}/export?format=xml"
        status, body = call(client, "get", url, world.h["lead"])
        assert status == 422 and "format" in body["detail"]


class TestProgress:
    def test_admin_sees_every_annotator(self, world: Any, client: Client) -> None:
        status, body = call(
            client, "get", f"/api/v1/projects/{world.project.pk}/progress", world.h["lead"]
        )
        assert status == 200
        assert body["totals"] == {
            "tasks": 2,
            "needing_annotators": 0,
            "open": 1,
            "conflict": 0,
            "agreed": 0,
            "adjudicated": 1,
            "beat_agreement": None,  # beat-correction projects only
        }
        rows = {r["username"]: r for r in body["annotators"]}
        assert rows["ann1"] | {"role": None} == {
            "username": "ann1",
            "role": None,
            "claimed": 1,
            "done": 1,
            "in_progress": 0,
            "later": 0,
            "conflicts": 0,
            "agreed": 0,
            "adjudicated": 1,
            "adjudications": 0,
        }
        assert (rows["ann4"]["done"], rows["ann4"]["in_progress"], rows["ann4"]["later"]) == (
            0,
            1,
            1,
        )
        assert rows["judge"]["adjudications"] == 1

    def test_annotator_sees_only_their_own_counts(self, world: Any, client: Client) -> None:
        status, body = call(
            client, "get", f"/api/v1/projects/{world.project.pk}/progress", world.h["ann4"]
        )
        assert body["totals"]["tasks"] == 2 and body["totals"]["conflict"] is None
        (row,) = body["annotators"]
        assert row["username"] == "ann4" and row["conflicts"] is None
        assert (row["claimed"], row["done"], row["later"]) == (1, 0, 1)
