"""The tutorial in a real browser, for a user of no project: the index and its links, and
the wearable-rhythm walkthrough from start to end with the keyboard only, each step of
the guide moving on once its control was used; Submit shows the practice check and saves
nothing. No console error, no failed request."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_user
from wavetag.annotations.models import Annotation
from wavetag.projects.models import Project

pytestmark = pytest.mark.django_db(transaction=True)

GUIDE = '[data-testid="tutorial-guide"]'
VIEWER = "document.getElementById('viewer').wtViewer"


def tid(name: str) -> str:
    return f'[data-testid="{name}"]'


def state(page: Any, expression: str) -> Any:
    return page.evaluate(f"{VIEWER}.store.get().{expression}")


def at(page: Any, step: str) -> None:
    page.wait_for_selector(f'{GUIDE}[data-step="{step}"]')


def press(page: Any, key: str, then: str) -> None:
    """Press a key on the current step, and wait for the guide to move on to ``then``."""
    before = page.locator(GUIDE).get_attribute("data-step")
    page.keyboard.press(key)
    at(page, then)
    assert "done" in (page.locator(tid(f"step-{before}")).get_attribute("class") or "")


class TestTutorial:
    def test_index_leads_to_each_walkthrough(self, make_page: Any) -> None:
        page, errors = make_page(make_user("someone", password=None))
        page.goto("/")
        page.click(tid("help-link"))
        page.wait_for_url("**/tutorial/")
        links = page.locator(f"{tid('tutorial-list')} a")
        assert links.count() == 4
        page.click(tid("walkthrough-icu-alarm"))
        page.wait_for_url("**/tutorial/icu-alarm/")
        at(page, "intro")
        page.wait_for_function("document.querySelector('.wt-viewer canvas') !== null")
        assert page.locator(tid("guide-count")).inner_text() == "Step 1 of 10"
        page.wait_for_load_state("networkidle")
        errors.check()

    def test_walkthrough_with_the_keyboard(self, make_page: Any) -> None:
        page, errors = make_page(make_user("someone", password=None))
        page.goto("/tutorial/wearable-rhythm/")
        page.wait_for_function(f"{VIEWER} && document.querySelector('.wt-viewer canvas')")
        page.wait_for_load_state("networkidle")
        at(page, "intro")
        page.keyboard.press("Shift+ArrowRight")
        at(page, "zoom")
        # The step's control is highlighted, and only while its step is on.
        assert "tutorial-target" in page.locator(tid("zoom-in")).get_attribute("class")
        span = page.evaluate(f"(({VIEWER}).view().end - ({VIEWER}).view().start)")
        press(page, "+", "pan")
        assert "tutorial-target" not in page.locator(tid("zoom-in")).get_attribute("class")
        zoomed = page.evaluate(f"(({VIEWER}).view().end - ({VIEWER}).view().start)")
        assert zoomed == pytest.approx(span / 2, rel=0.01)
        start = page.evaluate(f"({VIEWER}).view().start")
        press(page, "ArrowRight", "channel")
        assert page.evaluate(f"({VIEWER}).view().start") > start
        # No rhythm chosen yet: the digits are the viewer's (channel 2 is V1).
        press(page, "2", "filter")
        assert state(page, "channels.map((c) => c.shown)") == [True, False]
        press(page, "f", "caliper")
        assert state(page, "filters.on") is True
        press(page, "Shift+C", "answer")
        assert state(page, "calipers.length") == 1
        # The answer keys; the rhythm opens its group, whose digits now answer.
        page.keyboard.press("a")
        page.keyboard.press("v")
        press(page, "2", "later")
        assert page.locator(tid("choice-subcategory-ventricular-bigeminy")).is_checked()
        assert state(page, "channels.map((c) => c.shown)") == [True, False]
        press(page, "Shift+L", "submit")
        result = page.locator(tid("tutorial-result"))
        assert result.get_attribute("data-status") == "later"
        press(page, "Enter", "done")
        assert result.get_attribute("data-status") == "submitted"
        assert "nothing was saved" in result.inner_text()
        for name in ("quality", "rhythm", "subcategory"):
            assert page.locator(tid(f"practice-{name}")).get_attribute("class") == "match"
        # Back goes to the previous step, as Shift+← goes to the previous task on a task.
        page.keyboard.press("Shift+ArrowLeft")
        at(page, "submit")
        assert not Annotation.objects.exists() and not Project.objects.exists()
        errors.check()

    def test_beat_corrections_are_checked(self, make_page: Any) -> None:
        page, errors = make_page(make_user("someone", password=None))
        page.goto("/tutorial/beat-correction/")
        page.wait_for_function(f"{VIEWER} && {VIEWER}.beats().length > 0")
        page.wait_for_load_state("networkidle")
        for _ in range(6):
            page.keyboard.press("Shift+ArrowRight")
        at(page, "relabel")
        # The practice beats call the last PVC normal, and miss a beat near the middle.
        beats = page.evaluate(f"{VIEWER}.beats()")
        wrong = next(b for b in beats if abs(b["time"] - 8.16) < 0.1)
        assert wrong["symbol"] == "N"
        plot = page.locator(tid("waveform")).bounding_box()
        y = plot["y"] + plot["height"] * 0.25
        page.mouse.click(plot["x"] + wrong["x"], y)
        page.keyboard.press("V")
        at(page, "add")
        before = next(b for b in beats if abs(b["time"] - 5.17) < 0.1)
        after = next(b for b in beats if abs(b["time"] - 6.79) < 0.1)
        page.mouse.click(plot["x"] + (before["x"] + after["x"]) / 2, y)
        at(page, "answer")
        page.keyboard.press("1")
        at(page, "later")
        # Shift+L is the beat code L on a beat task: its button saves for later.
        page.click(tid("save-later"))
        at(page, "submit")
        page.click(tid("submit"))
        at(page, "done")
        assert page.locator(tid("practice-beats")).get_attribute("class") == "match"
        errors.check()
