"""The task page's layout on the screens it is used on: a 12-lead task at 1440 px, whose
form must not hide under its action bar, and a phone, whose form must be within reach."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import icu_team
from wavetag.analysis.jobs import execute_run
from wavetag.analysis.services import request_analysis
from wavetag.annotations.batches import claim_batch

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"

# Whether the element's box (inset by 2 px) is what the viewport shows at its corners
# and centre: nothing of another element (the sticky action bar) is drawn over it.
UNCOVERED = """(el) => {
  const r = el.getBoundingClientRect();
  const xs = [r.left + 2, (r.left + r.right) / 2, r.right - 2];
  const ys = [r.top + 2, (r.top + r.bottom) / 2, r.bottom - 2];
  for (const x of xs) for (const y of ys) {
    const hit = document.elementFromPoint(x, y);
    if (!hit || !(el === hit || el.contains(hit)))
      return `${x},${y}: ${hit ? hit.className || hit.tagName : 'nothing'}`;
  }
  return 'ok';
}"""


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    w = icu_team()
    (w.ecg_task,) = claim_batch(w.other, w.outsider)  # the 12-lead record
    return w


def open_task(make_page: Any, user: Any, task: Any, viewport: tuple[int, int]) -> Any:
    page, errors = make_page(user, viewport=viewport)
    page.goto(f"/tasks/{task.pk}/")
    page.wait_for_selector(READY)
    return page, errors


class TestActionBar:
    def test_nothing_of_the_form_hides_under_the_bar_at_1440_px(
        self, make_page: Any, world: Any
    ) -> None:
        page, errors = open_task(make_page, world.outsider, world.ecg_task, (1440, 900))
        for testid in ("text-text", "comment"):
            page.evaluate("() => window.scrollTo(0, 0)")
            box = page.get_by_test_id(testid)
            # As the keyboard (Tab) reaches it: focused and scrolled into view.
            box.focus()
            assert box.evaluate(UNCOVERED) == "ok", testid
        # The comment's label too, scrolled to from below as from above.
        label = page.locator("label.comment")
        page.evaluate("() => window.scrollTo(0, 0)")
        label.evaluate("el => el.scrollIntoView({block: 'nearest'})")
        assert label.evaluate(UNCOVERED) == "ok"
        errors.check()


class TestWideScreen:
    def test_the_key_findings_show_without_scrolling_at_1440_by_900(
        self, make_page: Any, world: Any
    ) -> None:
        task = world.ecg_task
        run = execute_run(request_analysis(task.record, world.lead, enqueue=False).pk)
        assert run.status == "done", run.error
        page, errors = open_task(make_page, world.outsider, task, (1440, 900))
        page.evaluate("() => window.scrollTo(0, 0)")
        for testid in ("parameters", "findings"):
            box = page.get_by_test_id(testid)
            rows = box.locator("dd")
            assert rows.count() > 0, testid
            top = box.bounding_box()
            first = rows.first.bounding_box()
            assert top["y"] >= 0 and first["y"] + first["height"] <= 900, (testid, first)
        # The viewer's traces begin in view too, and the answer form stays beside them.
        assert page.get_by_test_id("waveform").bounding_box()["y"] < 900 / 2
        assert page.get_by_test_id("answer-form").bounding_box()["y"] < 900
        errors.check()


class TestPhone:
    def test_the_form_comes_right_under_the_trace(self, make_page: Any, world: Any) -> None:
        (task,) = claim_batch(world.project, world.ann1)  # an alarm
        run = execute_run(request_analysis(task.record, world.lead, enqueue=False).pk)
        assert run.status == "done", run.error
        page, errors = make_page(world.ann1, viewport=(393, 851), touch=True)
        page.goto(f"/tasks/{task.pk}/")
        page.wait_for_selector(READY)
        page.evaluate("() => window.scrollTo(0, 0)")
        plot = page.get_by_test_id("waveform").bounding_box()
        form = page.get_by_test_id("answer-form").bounding_box()
        first = page.locator("form.answer fieldset.field").first.bounding_box()
        # Directly under the trace, and its first question on the first screen.
        assert form["y"] - (plot["y"] + plot["height"]) < 40, (plot, form)
        assert first["y"] + 40 < 851, first
        # The automatic findings are still on the page, after the form.
        assert page.get_by_test_id("findings").bounding_box()["y"] > form["y"]
        errors.check()
