"""Several annotation sets on one record in a real Chromium: MIT-BIH 100 with its
reference beats, an automatic set and two annotators' corrected sets of a beat task. Each
shown set gets a named lane under the traces, the legend names them all, and its toggle
(reached by the keyboard) hides and shows a set's lane and marks; the adjudication page
names the annotators' lanes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from django.db import transaction

from wavetag.annotations import beats, services
from wavetag.annotations.batches import claim_batch
from wavetag.projects.builtin import BEAT_CORRECTION
from wavetag.projects.services import create_project
from wavetag.records.models import Annotation, Record
from wavetag.records.sets import replace_automatic_set
from wavetag.signal.vocabulary import BEAT_CODES

from ..factories import import_ok, make_member, make_user
from .chinese import assert_chinese

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"
VIEWER = "document.getElementById('viewer').wtViewer"

# Pixels drawn on the traces canvas inside a rectangle of the plot (CSS px), below the
# hairline that tops each lane.
INK_IN = """([x0, y0, x1, y1]) => {
  const c = document.querySelectorAll('[data-testid=waveform] canvas')[1];
  const k = c.width / c.clientWidth;
  // Read a copy: repeated reads of the live canvas make Chrome warn.
  const copy = document.createElement('canvas');
  copy.width = c.width;
  copy.height = c.height;
  const ctx = copy.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(c, 0, 0);
  const d = ctx.getImageData(
    Math.round(x0 * k), Math.round(y0 * k), Math.round((x1 - x0) * k), Math.round((y1 - y0) * k)
  ).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}"""


@pytest.fixture
def world(mitdb_100: Any) -> SimpleNamespace:
    (record,) = mitdb_100
    schema = {**BEAT_CORRECTION, "start_set": "atr"}
    project = create_project("correct", "mitdb", schema=schema, batch_size=1)
    w = SimpleNamespace(project=project, record=record)
    w.ann1 = make_member(project, "ann1")
    w.ann2 = make_member(project, "ann2")
    w.judge = make_member(project, "judge", "adjudicator")
    w.reader = make_user("reader", staff=True, password=None)
    (w.task,) = claim_batch(project, w.ann1)
    claim_batch(project, w.ann2)
    w.set1 = beats.working_set(w.task, w.ann1)
    w.set2 = beats.working_set(w.task, w.ann2)
    # The automatic set: the reference's beats 20 ms later, all normal.
    ref = Annotation.objects.filter(annotation_set__name="atr", annotation_set__record=record)
    samples = np.array(
        ref.filter(symbol__in=BEAT_CODES).order_by("sample").values_list("sample", flat=True)
    )
    with transaction.atomic():
        replace_automatic_set(
            record,
            channel=0,
            fs=360.0,
            samples=samples + 7,
            symbols=["N"] * len(samples),
            aux_notes=[""] * len(samples),
            source="test",
        )
    return w


def open_task_window(page: Any, w: SimpleNamespace, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(READY)
    start = w.task.window_start
    page.evaluate(f"() => {VIEWER}.goTo({start}, {start + 8})")
    page.wait_for_function(
        f"() => {{ const v = {VIEWER}.view(); return Math.abs(v.start - {start}) < 0.01; }}"
    )
    page.wait_for_selector(READY)


def lanes(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(f"() => {VIEWER}.lanes()")


def wait_lanes(page: Any, n: int) -> list[dict[str, Any]]:
    page.wait_for_function(f"() => {VIEWER}.lanes().length === {n}")
    page.wait_for_selector(READY)
    return lanes(page)


def wait_ink(page: Any, lane: dict[str, Any]) -> None:
    """Wait until the lane holds its labels (fetched after the first view)."""
    width = page.evaluate("() => document.querySelector('[data-testid=waveform]').clientWidth")
    # Right of the lane's name, which covers its start.
    box = [200, lane["y0"] + 2, width, lane["y1"]]
    page.wait_for_function(f"(box) => ({INK_IN})(box) > 80", arg=box)


class TestSetLanes:
    def test_a_named_lane_per_set_and_toggles(self, make_page: Any, world: SimpleNamespace) -> None:
        w = world
        names = ["atr", "auto", w.set1.name, w.set2.name]
        page, errors = make_page(w.reader)
        open_task_window(page, w, f"/records/{w.record.pk}/")
        shown = wait_lanes(page, 4)
        assert [lane["name"] for lane in shown] == names
        # The lanes lie under the traces, one under the other: no set's labels over
        # another's, nor over the QRS.
        plot = page.locator("[data-testid=waveform]").bounding_box()
        for a, b in zip(shown, shown[1:], strict=False):
            assert a["y1"] <= b["y0"]
        assert shown[-1]["y1"] == pytest.approx(plot["height"], abs=1)
        assert shown[0]["y0"] >= 2 * 56  # two leads' rows above them
        for lane in shown:
            wait_ink(page, lane)
            name = page.get_by_test_id(f"set-lane-{lane['name']}")
            assert name.inner_text() == lane["name"]
            top = name.bounding_box()["y"] - plot["y"]
            assert lane["y0"] <= top < lane["y1"]
        legend = page.get_by_test_id("set-legend")
        assert all(n in legend.inner_text() for n in names)
        colours = {lane["color"] for lane in shown}
        assert len(colours) == 4

        toggle = page.get_by_test_id("set-toggle-auto")
        assert toggle.get_attribute("aria-pressed") == "true"
        toggle.click()
        left = wait_lanes(page, 3)
        assert [lane["name"] for lane in left] == ["atr", w.set1.name, w.set2.name]
        assert toggle.get_attribute("aria-pressed") == "false"
        assert page.get_by_test_id("set-lane-auto").count() == 0
        # Its marks went with its lane: the plot is one lane shorter, the others still drawn
        # in theirs, each keeping its colour.
        assert page.locator("[data-testid=waveform]").bounding_box()["height"] == pytest.approx(
            plot["height"] - (shown[0]["y1"] - shown[0]["y0"]), abs=1
        )
        for lane in left:
            wait_ink(page, lane)
        before = {lane["name"]: lane["color"] for lane in shown}
        assert all(before[lane["name"]] == lane["color"] for lane in left)
        # The choice holds while moving through the record.
        page.keyboard.press("ArrowRight")
        page.wait_for_selector(READY)
        assert [lane["name"] for lane in lanes(page)] == ["atr", w.set1.name, w.set2.name]
        toggle.click()
        assert [lane["name"] for lane in wait_lanes(page, 4)] == names
        assert toggle.get_attribute("aria-pressed") == "true"
        errors.check()

    def test_the_keyboard_reaches_the_toggles(self, make_page: Any, world: SimpleNamespace) -> None:
        w = world
        page, errors = make_page(w.reader)
        open_task_window(page, w, f"/records/{w.record.pk}/")
        wait_lanes(page, 4)
        page.locator("[data-testid=waveform]").focus()
        for _ in range(80):
            page.keyboard.press("Tab")
            focused = page.evaluate("() => document.activeElement.dataset.testid || ''")
            if focused.startswith("set-toggle-"):
                break
        assert focused == "set-toggle-atr"
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none")
        page.keyboard.press("Space")
        wait_lanes(page, 3)
        toggle = page.get_by_test_id("set-toggle-atr")
        assert toggle.get_attribute("aria-pressed") == "false"
        # The focus stays on the toggle, so the next key brings the set back.
        page.keyboard.press("Enter")
        wait_lanes(page, 4)
        assert toggle.get_attribute("aria-pressed") == "true"
        errors.check()

    def test_lanes_on_a_phone(self, make_page: Any, world: SimpleNamespace) -> None:
        w = world
        page, errors = make_page(w.reader, viewport=(390, 800), touch=True)
        open_task_window(page, w, f"/records/{w.record.pk}/")
        shown = wait_lanes(page, 4)
        for lane in shown:
            name = page.get_by_test_id(f"set-lane-{lane['name']}")
            # A colour key and a few letters: most of the lane stays clear.
            assert name.bounding_box()["width"] <= 90
            assert name.locator(".wt-swatch").is_visible()
        page.get_by_test_id("set-toggle-atr").tap()
        wait_lanes(page, 3)
        errors.check()

    def test_legend_in_chinese(self, make_page: Any, world: SimpleNamespace) -> None:
        w = world
        page, errors = make_page(w.reader, locale="zh-CN")
        open_task_window(page, w, f"/records/{w.record.pk}/")
        wait_lanes(page, 4)
        legend = page.get_by_test_id("set-legend")
        assert legend.get_attribute("aria-label") == "标注集"
        assert "参考" in legend.inner_text()
        # The sets' names are data (translate="no"); the rest is Chinese.
        assert_chinese(page, "the set legend", within="[data-testid=set-legend]")
        assert_chinese(page, "the lane names", within=".wt-lane-names")
        errors.check()


class TestAdjudicationLanes:
    def test_rows_named_by_annotator(self, make_page: Any, world: SimpleNamespace) -> None:
        w = world
        # ann1 calls a beat of the window ventricular; ann2 leaves the beats as they were.
        beat = (
            Annotation.objects.filter(annotation_set=w.set1, symbol="N").order_by("time")[3:4].get()
        )
        Annotation.objects.filter(pk=beat.pk).update(symbol="V")
        services.save_annotation(w.task, w.ann1, {"quality": "B"})
        services.save_annotation(w.task, w.ann2, {"quality": "B"})
        w.task.refresh_from_db()
        assert w.task.status == "conflict"

        # Before adjudication an annotator's page names their own set only.
        page, errors = make_page(w.ann1)
        page.goto(f"/tasks/{w.task.pk}/")
        page.wait_for_selector(READY)
        legend = page.get_by_test_id("set-legend").inner_text()
        assert "ann2" not in legend
        errors.check()

        page, errors = make_page(w.judge)
        page.goto(f"/tasks/{w.task.pk}/adjudicate/")
        page.wait_for_selector(READY)
        named = {lane["name"]: lane["label"] for lane in lanes(page)}
        assert named[w.set1.name] == "ann1" and named[w.set2.name] == "ann2"
        assert page.get_by_test_id(f"set-lane-{w.set1.name}").inner_text() == "ann1"
        assert page.get_by_test_id(f"set-lane-{w.set2.name}").inner_text() == "ann2"
        legend = page.get_by_test_id("set-legend").inner_text()
        assert "ann1" in legend and "ann2" in legend
        page.get_by_test_id(f"set-toggle-{w.set2.name}").click()
        assert [lane["label"] for lane in wait_lanes(page, len(named) - 1)].count("ann2") == 0
        errors.check()


@pytest.fixture
def twelve_leads(data_dir: Path, settings: Any, tmp_path: Path) -> Any:
    """PTB-XL 00001_lr: ten seconds of the twelve standard leads."""
    settings.STORE_DIR = tmp_path / "store"
    import_ok(data_dir / "ptbxl/00001_lr", dataset="ptbxl")
    return Record.objects.get(name="00001_lr", dataset__name="ptbxl")


class TestTwelveLeadLanes:
    def test_lanes_under_the_rhythm_strip(self, make_page: Any, twelve_leads: Any) -> None:
        record = twelve_leads
        fs = record.channels.first().fs
        times = np.arange(0.5, 9.6, 0.8)
        with transaction.atomic():
            replace_automatic_set(
                record,
                channel=1,
                fs=fs,
                samples=np.round(times * fs).astype(np.int64),
                symbols=["N"] * len(times),
                aux_notes=[""] * len(times),
                source="test",
            )
        page, errors = make_page(make_user("reader", staff=True, password=None))
        page.goto(f"/records/{record.pk}/")
        page.wait_for_selector(READY)
        (lane,) = wait_lanes(page, 1)
        page.get_by_test_id("layout12").click()
        page.get_by_test_id("rhythm-1").wait_for()
        page.wait_for_selector(READY)
        (lane,) = lanes(page)
        plot = page.locator("[data-testid=waveform]").bounding_box()
        rhythm = page.get_by_test_id("rhythm-1").bounding_box()
        assert lane["name"] == "auto"
        assert lane["y0"] > rhythm["y"] - plot["y"]  # under the rhythm strip
        assert lane["y1"] == pytest.approx(plot["height"], abs=1)
        wait_ink(page, lane)
        errors.check()
