"""Labels aggregated from the answers (``export?aggregate=dawid-skene``): a simulated crowd
inside a project, multi-label fields, blind tasks, and the export unchanged without it."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.agreement import aggregate_labels
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation
from wavetag.projects.services import create_project

from .factories import bearer, call, make_member, rhythm_team

pytestmark = pytest.mark.django_db

RHYTHMS = {"sinus": "sinus-normal", "atrial": "atrial-fibrillation", "ventricular": "nsvt"}
PRIOR = {"sinus": 0.5, "atrial": 0.3, "ventricular": 0.2}


def rhythm(r: str, quality: str = "A") -> dict[str, Any]:
    return {"quality": quality, "rhythm": r, "subcategory": RHYTHMS[r]}


def export(client: Client, w: SimpleNamespace, who: str, query: str) -> Any:
    return call(client, "get", f"/api/v1/projects/{w.project.pk}/export?{query}", w.h[who])


@pytest.fixture
def crowd(holter_106: Any) -> SimpleNamespace:
    """All 180 tasks answered by three annotators: ann1 and ann2 give the true rhythm 3
    times in 4 (else another one), ann3 always answers sinus."""
    w = rhythm_team(k=3, batch_size=180)
    rng = random.Random(11)
    tasks = sorted(claim_batch(w.project, w.ann1), key=lambda t: t.pk)
    assert len(tasks) == 180
    claim_batch(w.project, w.ann2)
    claim_batch(w.project, w.ann3)
    w.truth = {t.pk: rng.choices(list(PRIOR), list(PRIOR.values()))[0] for t in tasks}
    w.given = {}
    for task in tasks:
        true = w.truth[task.pk]
        others = [r for r in RHYTHMS if r != true]
        said = [true if rng.random() < 0.75 else rng.choice(others) for _ in range(2)]
        said.append("sinus")
        w.given[task.pk] = said
        for user, r in zip((w.ann1, w.ann2, w.ann3), said, strict=True):
            save_annotation(task, user, rhythm(r))
    return w


class TestCrowd:
    def test_recovers_the_truth_at_least_as_well_as_the_majority(
        self, client: Client, crowd: SimpleNamespace
    ) -> None:
        status, body = export(client, crowd, "judge", "aggregate=dawid-skene")
        assert status == 200
        aggregated = {item["id"]: item["aggregate"]["rhythm"] for item in body["items"]}
        # The majority vote; a three-way tie goes to the first answer.
        majority = {t: Counter(said).most_common(1)[0][0] for t, said in crowd.given.items()}
        ds_right = sum(aggregated[t]["label"] == true for t, true in crowd.truth.items())
        mv_right = sum(majority[t] == true for t, true in crowd.truth.items())
        assert ds_right >= mv_right and ds_right > 0.8 * len(crowd.truth)
        assert all(0.0 < a["p"] <= 1.0 for a in aggregated.values())
        # The CSV says the same, in its ds_ columns.
        url = f"/api/v1/projects/{crowd.project.pk}/export?format=csv&aggregate=dawid-skene"
        response = client.get(url, **crowd.h["judge"])
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert len(rows) == 3 * 180
        for name in ("quality", "rhythm", "subcategory"):
            assert f"ds_{name}" in rows[0] and f"ds_{name}_p" in rows[0]
        for row in rows:
            found = aggregated[int(row["task_id"])]
            assert row["ds_rhythm"] == found["label"]
            assert float(row["ds_rhythm_p"]) == pytest.approx(found["p"], abs=1e-4)

    def test_the_careless_annotator_is_the_least_accurate(
        self, client: Client, crowd: SimpleNamespace
    ) -> None:
        status, body = call(
            client, "get", f"/api/v1/projects/{crowd.project.pk}/agreement", crowd.h["lead"]
        )
        accuracy = {
            name: x["accuracy"]
            for name, x in body["fields"]["rhythm"]["dawid_skene"]["annotators"].items()
        }
        assert min(accuracy, key=accuracy.__getitem__) == "ann3"
        assert accuracy["ann3"] < accuracy["ann1"] - 0.1


class TestRequests:
    def test_other_values_are_refused_with_the_parameters_name(
        self, client: Client, holter_106: Any
    ) -> None:
        w = rhythm_team()
        for query in ("aggregate=majority", "aggregate=", "format=csv&aggregate=ds"):
            status, body = export(client, w, "lead", query)
            assert status in (400, 422) and "aggregate" in body["detail"], body

    def test_without_it_the_export_is_unchanged(self, client: Client, holter_106: Any) -> None:
        w = rhythm_team()
        (task,) = claim_batch(w.project, w.ann1)
        save_annotation(task, w.ann1, rhythm("sinus"))
        _, body = export(client, w, "lead", "format=json")
        assert all("aggregate" not in item for item in body["items"])
        response = client.get(f"/api/v1/projects/{w.project.pk}/export?format=csv", **w.h["lead"])
        assert "ds_" not in response.content.decode().splitlines()[0]
        _, body = export(client, w, "lead", "aggregate=dawid-skene")
        items = {item["id"]: item["aggregate"] for item in body["items"]}
        assert items[task.pk]["rhythm"]["label"] == "sinus"
        # A task without answers has nothing to aggregate.
        assert sum(a is None for a in items.values()) == 179

    def test_blind_tasks_get_none_and_lend_nothing(self, client: Client, holter_106: Any) -> None:
        w = rhythm_team()
        (mine,) = claim_batch(w.project, w.ann3)
        assert claim_batch(w.project, w.judge) == [mine]
        save_annotation(mine, w.ann3, rhythm("ventricular"))
        save_annotation(mine, w.judge, rhythm("ventricular"))
        (other,) = claim_batch(w.project, w.ann1)
        claim_batch(w.project, w.ann2)
        save_annotation(other, w.ann1, rhythm("atrial"))
        save_annotation(other, w.ann2, rhythm("atrial"))
        _, body = export(client, w, "judge", "aggregate=dawid-skene")
        items = {item["id"]: item for item in body["items"]}
        assert items[mine.pk]["aggregate"] is None
        assert items[other.pk]["aggregate"]["rhythm"]["label"] == "atrial"
        assert set(aggregate_labels(w.project, w.judge)) == {other.pk}
        # Without the blind task, no rater ever answered ventricular.
        _, body = call(client, "get", f"/api/v1/projects/{w.project.pk}/agreement", w.h["judge"])
        assert "ventricular" not in str(body["fields"]["rhythm"]["coincidence"])
        assert set(aggregate_labels(w.project, w.lead)) == {mine.pk, other.pk}


MULTI = {
    "name": "findings",
    "tasks": "segments",
    "fields": [
        {
            "name": "findings",
            "type": "multi",
            "choices": ["pvc", "pac", "noise"],
            "grades": [
                {"value": "sure", "key": "s"},
                {"value": "unsure", "key": "u", "unsure": True},
            ],
        }
    ],
    "agreement": ["findings"],
}


class TestMultiLabel:
    @pytest.fixture
    def world(self, holter_106: Any) -> SimpleNamespace:
        """24 tasks: both name a PVC on even tasks and a PAC on every third; ann2 also
        names noise on every fourth; ann1 is unsure of noise on every fifth (which counts as
        not naming it)."""
        project = create_project("multi", "holter", schema=MULTI, segment_seconds=10, batch_size=24)
        w = SimpleNamespace(project=project)
        w.ann1, w.ann2 = make_member(project, "ann1"), make_member(project, "ann2")
        w.lead = make_member(project, "lead", "admin")
        w.h = {"lead": bearer(w.lead)}
        w.tasks = sorted(claim_batch(project, w.ann1), key=lambda t: t.pk)
        claim_batch(project, w.ann2)
        for i, task in enumerate(w.tasks):
            both = [c for c, on in (("pvc", i % 2 == 0), ("pac", i % 3 == 0)) if on]
            one = [{"value": c, "grade": "sure"} for c in both]
            if i % 5 == 0:
                one.append({"value": "noise", "grade": "unsure"})
            two = [{"value": c, "grade": "sure"} for c in both]
            if i % 4 == 0:
                two.append({"value": "noise", "grade": "sure"})
            save_annotation(task, w.ann1, {"findings": one})
            save_annotation(task, w.ann2, {"findings": two})
        return w

    def test_agreement_per_set_and_per_choice(self, client: Client, world: SimpleNamespace) -> None:
        url = f"/api/v1/projects/{world.project.pk}/agreement"
        status, body = call(client, "get", url, world.h["lead"])
        assert status == 200
        field = body["fields"]["findings"]
        assert {"(none)", "pvc", "pac", "pac+pvc", "noise+pac+pvc"} <= set(field["categories"])
        assert set(field["per_choice"]) == {"pvc", "pac", "noise"}
        assert field["per_choice"]["pvc"]["percent_agreement"] == 1.0
        # ann2 alone names noise on 6 of the 24 tasks.
        assert field["per_choice"]["noise"]["percent_agreement"] == pytest.approx(18 / 24)

    def test_aggregate_is_the_choices_likely_present(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        _, body = call(
            client,
            "get",
            f"/api/v1/projects/{world.project.pk}/export?aggregate=dawid-skene",
            world.h["lead"],
        )
        answered = {t.pk for t in world.tasks}
        for item in body["items"]:
            if item["id"] not in answered:
                assert item["aggregate"] is None
                continue
            found = item["aggregate"]["findings"]
            assert set(found["p"]) == {"pvc", "pac", "noise"}
            assert found["label"] == sorted(c for c, p in found["p"].items() if p >= 0.5)
        by_id = {item["id"]: item["aggregate"] for item in body["items"]}
        for i, task in enumerate(world.tasks):
            label = by_id[task.pk]["findings"]["label"]
            assert ("pvc" in label) == (i % 2 == 0) and ("pac" in label) == (i % 3 == 0)
