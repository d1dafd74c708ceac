"""Agreement statistics of a beat-correction project: annotator pairs pooled over the
compared tasks, each annotator against the final beats, tasks agreed without an
adjudicator; and no label aggregation (fixtures in ``conftest``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from .conftest import api, submit, working_set

pytestmark = pytest.mark.django_db


def agreement(client: Client, w: SimpleNamespace, who: str = "judge") -> dict[str, Any]:
    status, body = api(client, w, who, "GET", f"/projects/{w.project.pk}/agreement")
    assert status == 200, body
    return body


class TestBeatAgreement:
    def test_a_conflict_between_two_annotators(
        self, client: Client, conflict: SimpleNamespace
    ) -> None:
        w = conflict
        n = len(w.atr_beats)
        body = agreement(client, w)
        assert (body["kind"], body["tasks"], body["answers"], body["fields"]) == ("beats", 1, 2, {})
        assert body["agreed_without_adjudication"] == {"tasks": 1, "agreed": 0, "share": 0.0}
        beats = body["beats"]
        assert beats["compared"] == 1
        (pair,) = beats["pairs"]
        stored = w.task.beat_comparison.stats["pairs"][0]
        # ann1 deleted a beat, ann2 relabelled one: b (ann2) against a (ann1).
        assert pair == {
            "a": "ann1",
            "b": "ann2",
            "tasks": 1,
            "beats_a": n - 1,
            "beats_b": n,
            "matched": n - 1,
            "missed": 0,
            "extra": 1,
            "label_disagreements": 1,
            "sensitivity": 1.0,
            "ppv": pytest.approx((n - 1) / n),
            "label_agreement": pytest.approx((n - 2) / (n - 1)),
            "kappa_mean": pytest.approx(stored["kappa"]),
            "kappa_tasks": 1,
        }
        # Not final yet: nothing to compare with the final set.
        assert beats["versus_final"] == {"tasks": 0, "codes": [], "annotators": {}}

    def test_against_the_final_beats_once_adjudicated(
        self, client: Client, conflict: SimpleNamespace
    ) -> None:
        w = conflict
        n = len(w.atr_beats)
        url = f"/tasks/{w.task.pk}/beat-disagreements/resolve-all"
        status, out = api(client, w, "judge", "POST", url, {"action": "take", "annotator": "ann2"})
        assert status == 200 and out["status"] == "adjudicated"
        final = agreement(client, w, "lead")["beats"]["versus_final"]
        assert final["tasks"] == 1
        ann1, ann2 = final["annotators"]["ann1"], final["annotators"]["ann2"]
        assert (ann2["sensitivity"], ann2["ppv"], ann2["labels"]["agreement"]) == (1.0, 1.0, 1.0)
        assert (ann1["final_beats"], ann1["beats"], ann1["matched"]) == (n, n - 1, n - 1)
        assert ann1["sensitivity"] == pytest.approx((n - 1) / n) and ann1["ppv"] == 1.0
        # ann1 kept as N the beat the final set has as V.
        assert ann1["labels"]["agreement"] == pytest.approx((n - 2) / (n - 1))
        v = sum(code == "V" for _, code in w.atr_beats) + 1
        assert ann1["labels"]["classes"]["V"] == {
            "support": v,
            "sensitivity": pytest.approx((v - 1) / v),
            "precision": 1.0,
        }

    def test_same_corrections_agree(self, client: Client, world: SimpleNamespace) -> None:
        for who in ("ann1", "ann2"):
            working_set(client, world, who)
            assert submit(client, world, who)[0] == 200
        body = agreement(client, world)
        assert body["agreed_without_adjudication"] == {"tasks": 1, "agreed": 1, "share": 1.0}
        (pair,) = body["beats"]["pairs"]
        assert (pair["sensitivity"], pair["ppv"], pair["label_agreement"]) == (1.0, 1.0, 1.0)
        final = body["beats"]["versus_final"]["annotators"]
        assert {name: row["sensitivity"] for name, row in final.items()} == {
            "ann1": 1.0,
            "ann2": 1.0,
        }

    def test_nothing_compared_yet(self, client: Client, world: SimpleNamespace) -> None:
        beats = agreement(client, world)["beats"]
        assert beats == {
            "compared": 0,
            "pairs": [],
            "versus_final": {"tasks": 0, "codes": [], "annotators": {}},
        }

    def test_annotators_are_refused(self, client: Client, conflict: SimpleNamespace) -> None:
        url = f"/projects/{conflict.project.pk}/agreement"
        assert api(client, conflict, "ann1", "GET", url)[0] == 403
        assert api(client, conflict, "outsider", "GET", url)[0] == 404

    def test_beats_are_not_aggregated(self, client: Client, conflict: SimpleNamespace) -> None:
        url = f"/projects/{conflict.project.pk}/export?aggregate=dawid-skene"
        status, body = api(client, conflict, "lead", "GET", url)
        assert status == 400 and body["detail"].startswith("aggregate:")

    def test_the_page_shows_the_pairs(self, client: Client, conflict: SimpleNamespace) -> None:
        client.force_login(conflict.judge)
        response = client.get(f"/projects/{conflict.project.pk}/agreement/")
        assert response.status_code == 200
        assert b'data-testid="beat-pairs"' in response.content
