"""Agreement statistics of a form project (``GET /api/v1/projects/{id}/agreement``): who
may read them, the figures against reference implementations, each annotator against the
final labels, and the tasks an annotating expert is blind to left out."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import krippendorff
import numpy as np
import pytest
from django.test import Client
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

from wavetag.annotations.agreement import project_agreement
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import adjudicate, save_annotation
from wavetag.projects.builtin import WEARABLE_RHYTHM
from wavetag.projects.models import Assignment

from .factories import call, rhythm_team

pytestmark = pytest.mark.django_db

QUALITY = [c["value"] for c in WEARABLE_RHYTHM["fields"][0]["choices"]]
RHYTHMS = {"sinus": "sinus-normal", "atrial": "atrial-fibrillation", "ventricular": "nsvt"}


def answer(quality: str, rhythm: str | None = "sinus") -> dict[str, Any]:
    if rhythm is None:
        return {"quality": quality}
    return {"quality": quality, "rhythm": rhythm, "subcategory": RHYTHMS[rhythm]}


def agreement(client: Client, w: SimpleNamespace, who: str) -> tuple[int, Any]:
    return call(client, "get", f"/api/v1/projects/{w.project.pk}/agreement", w.h[who])


@pytest.fixture
def empty(holter_106: Any) -> SimpleNamespace:
    return rhythm_team()


class TestAccess:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("anonymous", 401),
            ("ann1", 403),
            ("outsider", 404),
            ("judge", 200),
            ("lead", 200),
            ("root", 200),
        ],
    )
    def test_roles(self, client: Client, empty: SimpleNamespace, who: str, expected: int) -> None:
        status, body = agreement(client, empty, who)
        assert status == expected, body

    def test_no_answers_gives_zeros_and_nulls(self, client: Client, empty: SimpleNamespace) -> None:
        status, body = agreement(client, empty, "judge")
        assert status == 200
        assert (body["kind"], body["tasks"], body["answers"], body["excluded_blind"]) == (
            "labels",
            0,
            0,
            0,
        )
        assert body["agreed_without_adjudication"] == {"tasks": 0, "agreed": 0, "share": None}
        quality = body["fields"]["quality"]
        assert quality["percent_agreement"] is None and quality["value"] is None
        assert quality["pairs"] == [] and quality["annotators"] == {}
        assert quality["dawid_skene"] is None and quality["categories"] == QUALITY

    def test_unknown_project_is_404(self, client: Client, empty: SimpleNamespace) -> None:
        for pk in (0, 999999, 2**70):
            status, _ = call(client, "get", f"/api/v1/projects/{pk}/agreement", empty.h["root"])
            assert status in (404, 422)


def simulate(w: SimpleNamespace, who: dict[str, int], tasks: int, seed: int = 7) -> dict[str, Any]:
    """``who``: annotator -> how many of the batch's tasks they answer. Each answers the
    truth of quality and rhythm with probability 0.7, else any choice. Returns the
    answers: annotator -> task id -> answer."""
    rng = random.Random(seed)
    batch = {name: claim_batch(w.project, getattr(w, name)) for name in who}
    first = batch[next(iter(who))]
    assert len(first) == tasks and all(set(b) == set(first) for b in batch.values())
    order = sorted(first, key=lambda t: t.pk)
    truth = {t.pk: (rng.choice(QUALITY), rng.choice(list(RHYTHMS))) for t in order}
    given: dict[str, dict[int, dict[str, Any]]] = {}
    for name, n in who.items():
        for task in order[:n]:
            q, r = truth[task.pk]
            q = q if rng.random() < 0.7 else rng.choice(QUALITY)
            r = r if rng.random() < 0.7 else rng.choice(list(RHYTHMS))
            given.setdefault(name, {})[task.pk] = answer(q, r)
            save_annotation(task, getattr(w, name), answer(q, r))
    return given


class TestAgainstReferenceImplementations:
    def test_cohen_and_fleiss(self, client: Client, holter_106: Any) -> None:
        w = rhythm_team(batch_size=40)
        given = simulate(w, {"ann1": 40, "ann2": 40}, 40)
        status, body = agreement(client, w, "judge")
        assert status == 200 and body["tasks"] == 40 and body["answers"] == 80
        for name in ("quality", "rhythm", "subcategory"):
            field = body["fields"][name]
            categories = field["categories"]
            tasks = sorted(given["ann1"])
            a = [given["ann1"][t][name] for t in tasks]
            b = [given["ann2"][t][name] for t in tasks]
            (pair,) = field["pairs"]
            assert (pair["a"], pair["b"], pair["shared"]) == ("ann1", "ann2", 40)
            assert pair["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
            table = np.zeros((len(tasks), len(categories)))
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                table[i, categories.index(x)] += 1
                table[i, categories.index(y)] += 1
            assert field["coefficient"] == "fleiss_kappa"
            assert field["value"] == pytest.approx(fleiss_kappa(table), abs=1e-12)
            same = sum(x == y for x, y in zip(a, b, strict=True)) / len(tasks)
            assert field["percent_agreement"] == pytest.approx(same)

    def test_krippendorff_when_tasks_have_different_numbers_of_answers(
        self, client: Client, holter_106: Any
    ) -> None:
        w = rhythm_team(k=3, batch_size=30)
        given = simulate(w, {"ann1": 30, "ann2": 30, "ann3": 12}, 30)
        status, body = agreement(client, w, "lead")
        field = body["fields"]["quality"]
        assert field["coefficient"] == "krippendorff_alpha" and field["fleiss_kappa"] is None
        tasks = sorted(given["ann1"])
        data = [
            [QUALITY.index(given[r][t]["quality"]) if t in given[r] else np.nan for t in tasks]
            for r in ("ann1", "ann2", "ann3")
        ]
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert field["value"] == pytest.approx(expected, abs=1e-12)
        # Pairs sharing fewer than 10 tasks are left out; ann3 shares 12.
        pairs = {(p["a"], p["b"]): p for p in field["pairs"]}
        assert set(pairs) == {("ann1", "ann2"), ("ann1", "ann3"), ("ann2", "ann3")}
        shared = sorted(given["ann3"])
        a = [given["ann1"][t]["quality"] for t in shared]
        c = [given["ann3"][t]["quality"] for t in shared]
        assert pairs[("ann1", "ann3")]["shared"] == 12
        assert pairs[("ann1", "ann3")]["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, c))
        assert {r: x["tasks"] for r, x in field["annotators"].items()} == {
            "ann1": 30,
            "ann2": 30,
            "ann3": 12,
        }


# (ann1, ann2, adjudicated as) quality per task, claimed one by one.
CASES = [("A", "A", None), ("A", "B", "B"), ("C", "C", None), ("B", "A", None), ("B", "B", None)]


@pytest.fixture
def small(holter_106: Any) -> SimpleNamespace:
    """Five tasks answered by ann1 and ann2 as CASES (segments of quality C without a
    rhythm); the second adjudicated, the fourth left in conflict."""
    w = rhythm_team()
    w.tasks = []
    for first, second, decided in CASES:
        (task,) = claim_batch(w.project, w.ann1)
        assert claim_batch(w.project, w.ann2) == [task]
        for user, quality in ((w.ann1, first), (w.ann2, second)):
            save_annotation(task, user, answer(quality, None if quality == "C" else "sinus"))
        if decided:
            adjudicate(task, w.judge, answer(decided))
        task.refresh_from_db()
        w.tasks.append(task)
    assert [t.status for t in w.tasks] == ["agreed", "adjudicated", "agreed", "conflict", "agreed"]
    return w


class TestAgainstFinalLabels:
    def test_hand_checked(self, client: Client, small: SimpleNamespace) -> None:
        status, body = agreement(client, small, "judge")
        assert status == 200 and body["tasks"] == 5 and body["answers"] == 10
        assert body["agreed_without_adjudication"] == {"tasks": 5, "agreed": 3, "share": 0.6}
        quality = body["fields"]["quality"]
        assert quality["percent_agreement"] == pytest.approx(0.6)
        ann1, ann2 = quality["annotators"]["ann1"], quality["annotators"]["ann2"]
        assert ann1["tasks"] == ann2["tasks"] == 5
        # Final: A, B, C, B (the conflict has none); ann1 said A, A, C, B.
        versus = ann1["versus_final"]
        assert versus["n"] == 4 and versus["agreement"] == 0.75
        assert versus["classes"] == {
            "A": {"support": 1, "sensitivity": 1.0, "precision": 0.5},
            "B": {"support": 2, "sensitivity": 0.5, "precision": 1.0},
            "C": {"support": 1, "sensitivity": 1.0, "precision": 1.0},
        }
        # Rows: final label; columns: ann1's answer.
        assert versus["confusion"] == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
        assert ann2["versus_final"]["agreement"] == 1.0
        # Quality C leaves the rhythm out: no rating there.
        rhythm = body["fields"]["rhythm"]
        assert rhythm["items"] == 4 and rhythm["annotators"]["ann1"]["tasks"] == 4
        assert rhythm["percent_agreement"] == 1.0
        ds = quality["dawid_skene"]
        assert set(ds["annotators"]) == {"ann1", "ann2"} and set(ds["priors"]) == set(QUALITY)
        assert all(0 <= x["accuracy"] <= 1 for x in ds["annotators"].values())

    def test_the_service_checks_the_role(self, small: SimpleNamespace) -> None:
        from wavetag.errors import NotAllowed

        with pytest.raises(NotAllowed):
            project_agreement(small.project, small.ann1)


class TestBlind:
    def test_an_annotating_experts_tasks_are_left_out(
        self, client: Client, small: SimpleNamespace
    ) -> None:
        w = small
        (task,) = claim_batch(w.project, w.ann3)
        assert claim_batch(w.project, w.judge) == [task]
        save_annotation(task, w.ann3, answer("A"))
        save_annotation(task, w.judge, answer("A"))
        status, body = agreement(client, w, "judge")
        assert (body["tasks"], body["answers"], body["excluded_blind"]) == (5, 10, 1)
        quality = body["fields"]["quality"]
        assert set(quality["annotators"]) == {"ann1", "ann2"}
        assert body["agreed_without_adjudication"]["tasks"] == 5
        status, body = agreement(client, w, "lead")
        assert (body["tasks"], body["answers"], body["excluded_blind"]) == (6, 12, 0)
        assert set(body["fields"]["quality"]["annotators"]) == {"ann1", "ann2", "ann3", "judge"}

    def test_only_current_assignees_count(self, client: Client, small: SimpleNamespace) -> None:
        w = small
        (task,) = claim_batch(w.project, w.ann3)
        save_annotation(task, w.ann3, answer("B"))
        assert agreement(client, w, "judge")[1]["answers"] == 11
        Assignment.objects.filter(task=task, user=w.ann3).delete()
        assert agreement(client, w, "judge")[1]["answers"] == 10
