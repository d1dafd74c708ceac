"""A beat-correction task in a real Chromium, on MIT-BIH record 100 starting from its
reference beats: an annotator deletes and relabels beats on the task page and submits;
an adjudicator goes to a disagreement and resolves it, then the rest in bulk."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from wavetag.annotations import beats, services
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Annotation as Answer
from wavetag.annotations.models import BeatDisagreement
from wavetag.projects.builtin import BEAT_CORRECTION
from wavetag.projects.services import create_project
from wavetag.records.models import Annotation, AnnotationSet
from wavetag.signal.vocabulary import BEAT_CODES

from ..factories import make_member

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"
SAVED = "[data-testid=edit-status][data-state=saved]"
VIEWER = "document.getElementById('viewer').wtViewer"


@pytest.fixture
def world(mitdb_100: Any) -> SimpleNamespace:
    schema = {**BEAT_CORRECTION, "start_set": "atr"}
    project = create_project("correct", "mitdb", schema=schema, batch_size=1)
    w = SimpleNamespace(project=project)
    w.ann1 = make_member(project, "ann1")
    w.ann2 = make_member(project, "ann2")
    w.judge = make_member(project, "judge", "adjudicator")
    (w.task,) = claim_batch(project, w.ann1)
    claim_batch(project, w.ann2)
    return w


def beats_in_view(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(f"() => {VIEWER}.beats().filter(b => b.kind === 'beat' && b.x !== null)")


def settle(page: Any) -> None:
    page.wait_for_selector(SAVED)
    page.wait_for_selector(READY)


class TestBeatCorrection:
    def test_annotator_corrects_and_adjudicator_resolves(
        self, make_page: Any, world: SimpleNamespace
    ) -> None:
        w = world
        page, errors = make_page(w.ann1)
        page.goto(f"/tasks/{w.task.pk}/")
        page.wait_for_selector(READY)
        page.get_by_test_id("beats-editing").wait_for()
        # The editor is on, on the annotator's own set, without a click.
        page.wait_for_function(f"() => {VIEWER}.beats().length > 0")
        box = page.locator("[data-testid=waveform]").bounding_box()
        seen = beats_in_view(page)
        assert len(seen) >= 4
        mine = AnnotationSet.objects.get(name=f"task{w.task.pk}-ann1")
        assert {b["id"] for b in seen} <= set(
            Annotation.objects.filter(annotation_set=mine).values_list("id", flat=True)
        )

        page.mouse.click(box["x"] + seen[1]["x"], box["y"] + 70)
        page.keyboard.press("Delete")
        settle(page)
        assert not Annotation.objects.filter(pk=seen[1]["id"]).exists()
        page.mouse.click(box["x"] + seen[3]["x"], box["y"] + 70)
        page.keyboard.press("Shift+V")
        settle(page)
        assert Annotation.objects.get(pk=seen[3]["id"]).symbol == "V"

        page.get_by_test_id("submit").click()
        page.wait_for_url(f"**/projects/{w.project.pk}/")
        answer = Answer.objects.get(task=w.task, user=w.ann1)
        assert answer.status == "submitted" and answer.answer["beats"]["set"] == mine.name
        mine.refresh_from_db()
        assert mine.frozen
        errors.check()

        # The second annotator leaves the beats as they are.
        beats.working_set(w.task, w.ann2)
        services.save_annotation(w.task, w.ann2, {"quality": "B"})
        w.task.refresh_from_db()
        assert w.task.status == "conflict"
        missing = BeatDisagreement.objects.get(task=w.task, kind="missing")
        label = BeatDisagreement.objects.get(task=w.task, kind="label")
        assert missing.time == pytest.approx(seen[1]["time"], abs=0.01)
        assert label.time == pytest.approx(seen[3]["time"], abs=0.01)

        page, errors = make_page(w.judge)
        page.goto(f"/tasks/{w.task.pk}/adjudicate/")
        page.wait_for_selector(READY)
        assert page.get_by_test_id("unresolved").inner_text() == "2"
        page.get_by_test_id(f"go-{label.pk}").click()
        page.wait_for_function(
            f"() => {{ const v = {VIEWER}.view(); return v.start < {label.time} && "
            f"v.end > {label.time} && v.end - v.start < 6; }}"
        )
        page.get_by_test_id(f"take-{label.pk}-ann1").click()
        page.wait_for_selector(f"[data-testid=disagreement-{label.pk}][data-resolved]")
        assert page.get_by_test_id(f"resolution-{label.pk}").inner_text() == "take ann1"
        assert page.get_by_test_id("unresolved").inner_text() == "1"

        page.get_by_test_id("bulk-action").select_option("take:ann2")
        page.get_by_test_id("bulk-submit").click()
        page.wait_for_selector("[data-testid=task-status][data-status=adjudicated]")
        assert page.get_by_test_id("final-set").inner_text() == "correct-final"
        errors.check()

        final = AnnotationSet.objects.get(name="correct-final")
        rows = Annotation.objects.filter(annotation_set=final, symbol__in=BEAT_CODES)

        def at(t: float) -> list[str]:
            return [a.symbol for a in rows if abs(a.time - t) < 0.005]

        assert at(seen[3]["time"]) == ["V"]
        assert at(seen[1]["time"]) == ["N"]  # ann2 kept the beat ann1 deleted
