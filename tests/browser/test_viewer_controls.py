"""Viewer controls found wanting in use: the filters menu, the event line of alarm tasks,
the caliper's label, the edit-beats button on a phone, the lane gain of crowded records.

Every test ends with ``errors.check()`` (no console errors, no HTTP status >= 400).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import icu_team, import_ok, make_user
from wavetag.annotations.batches import claim_batch
from wavetag.projects.models import Task
from wavetag.records.models import Record

from .test_viewer import NEXT_FRAME, READY, RECORDS, RED_IN_COLUMNS, open_viewer, plot_width

pytestmark = pytest.mark.django_db(transaction=True)

VIEWER = "document.getElementById('viewer').wtViewer"
TRACES = "() => document.querySelectorAll('[data-testid=waveform] canvas')[1].toDataURL()"


@pytest.fixture
def load(data_dir: Path, settings: Any, tmp_path: Path) -> Any:
    """``load("s0010_re")`` imports a shared record (see test_viewer.RECORDS)."""
    settings.STORE_DIR = tmp_path / "store"

    def load(short: str) -> Record:
        path, dataset = RECORDS[short]
        import_ok(data_dir / path, dataset=dataset)
        return Record.objects.get(name=Path(path).name, dataset__name=dataset)

    return load


@pytest.fixture
def reader() -> Any:
    return make_user("reader", staff=True, password=None)


def filters_state(page: Any) -> dict[str, Any]:
    return dict(page.evaluate(f"() => {VIEWER}.store.get().filters"))


class TestFiltersMenu:
    def test_ticking_a_filter_applies_it_and_the_switch_follows(
        self, make_page: Any, load: Any, reader: Any
    ) -> None:
        page, errors = make_page(reader)
        open_viewer(page, load("mitdb/100"))
        before = page.evaluate(TRACES)
        page.get_by_role("button", name="Filters").click()
        baseline = page.get_by_label("Baseline wander (0.5 Hz high-pass)")
        master = page.get_by_test_id("filters-on")
        # Filters are off: no box may look ticked while nothing is applied.
        assert not master.is_checked()
        assert not baseline.is_checked()
        assert not page.get_by_label("Low-pass 40 Hz").is_checked()
        baseline.check()
        page.wait_for_function(f"() => ({TRACES})() !== {json.dumps(before)}")
        assert filters_state(page)["on"] is True
        assert master.is_checked()
        assert not page.get_by_label("Low-pass 40 Hz").is_checked()
        filtered = page.evaluate(TRACES)
        # Unticking the only filter applied turns the filters off, switch included.
        baseline.uncheck()
        page.wait_for_function(f"() => ({TRACES})() !== {json.dumps(filtered)}")
        assert filters_state(page)["on"] is False
        assert not master.is_checked()
        # The switch brings back the last choice.
        master.check()
        page.wait_for_function(f"() => ({TRACES})() === {json.dumps(filtered)}")
        assert baseline.is_checked()
        assert not page.get_by_label("Low-pass 40 Hz").is_checked()
        errors.check()


class TestAlarmEventLine:
    @pytest.fixture
    def world(self, icu_alarms: Any, ecg_record: Any) -> Any:
        w = icu_team(batch_size=2)
        claim_batch(w.project, w.ann1)  # both alarms
        return w

    def open_task(self, make_page: Any, world: Any, record: str) -> tuple[Any, Any, Any]:
        task = Task.objects.get(project=world.project, record__name=record)
        page, errors = make_page(world.ann1)
        page.goto(f"/tasks/{task.pk}/")
        page.wait_for_selector(READY)
        return page, errors, page.get_by_test_id("waveform")

    def test_seconds_after_the_alarm_are_shown_where_the_record_has_them(
        self, make_page: Any, world: Any
    ) -> None:
        # v221l runs 30 s past its alarm at 300 s; the task's window stops at the alarm.
        page, errors, waveform = self.open_task(make_page, world, "v221l")
        start, end = (float(waveform.get_attribute(k)) for k in ("data-start", "data-end"))
        assert start <= 290.5
        assert end >= 303
        x = (300 - start) / (end - start) * plot_width(page)
        assert page.evaluate(RED_IN_COLUMNS, [x - 3, x + 3]) > 100
        errors.check()

    def test_an_alarm_at_the_end_of_its_record_is_drawn_inside_the_plot(
        self, make_page: Any, world: Any
    ) -> None:
        # v102s ends at its alarm (300 s): nothing after it to show.
        page, errors, waveform = self.open_task(make_page, world, "v102s")
        assert float(waveform.get_attribute("data-end")) == pytest.approx(300, abs=0.01)
        width = plot_width(page)
        # The line (1.5 px) lies inside the plot, off its last pixel column: drawn on the
        # border, as it was, it showed as a sliver under the frame.
        assert page.evaluate(RED_IN_COLUMNS, [width - 6, width - 1]) > 300
        errors.check()


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


class TestCaliperLabel:
    def test_the_cursor_read_out_never_covers_a_caliper_label(
        self, make_page: Any, load: Any, reader: Any
    ) -> None:
        # Fifteen lanes: low panels, where the label sits at the top, as the read-out does.
        page, errors = make_page(reader)
        waveform = open_viewer(page, load("s0010_re"))
        page.evaluate(f"() => {VIEWER}.actions.addCaliper()")
        page.wait_for_function(f"() => {VIEWER}.labelBoxes().calipers.length === 1")
        (label,) = page.evaluate(f"() => {VIEWER}.labelBoxes().calipers")
        plot = waveform.bounding_box()
        checked = 0
        for dx in (-20, 0, label["w"] / 2, label["w"] + 5):
            for dy in (2, label["h"] / 2, label["h"] + 6):
                x, y = plot["x"] + label["x"] + dx, plot["y"] + label["y"] + dy
                page.mouse.move(x, y)
                page.evaluate(NEXT_FRAME)
                boxes = page.evaluate(f"() => {VIEWER}.labelBoxes()")
                assert boxes["cursor"], (dx, dy)
                for tag in boxes["cursor"]:
                    for cal in boxes["calipers"]:
                        assert not overlap(tag, cal), (dx, dy, tag, cal)
                checked += 1
        assert checked == 12
        errors.check()


class TestCrowdedLanes:
    def test_fit_to_lane_and_the_clipped_marks(
        self, make_page: Any, load: Any, reader: Any
    ) -> None:
        # PTB s0010_re: twelve leads and Frank vx, vy, vz in fifteen low lanes.
        page, errors = make_page(reader)
        open_viewer(page, load("s0010_re"))
        shown = (
            "() => [...document.querySelectorAll('[data-testid^=clipped-]')]"
            ".filter(e => e.checkVisibility()).map(e => e.dataset.testid)"
        )
        clipped = page.evaluate(shown)
        assert len(clipped) >= 2, clipped  # the tall QRS of the chest leads, at 10 mm/mV
        scales = page.locator("[data-testid^=channel-] .wt-chan-scale")
        assert set(scales.all_text_contents()) == {"10 mm/mV"}
        page.get_by_test_id("fit-lanes").click()
        page.wait_for_function(f"() => ({shown})().length === 0")
        after = scales.all_text_contents()
        lowered = [float(t.split()[0]) for t in after if t != "10 mm/mV"]
        assert len(lowered) >= len(clipped) and all(g < 10 for g in lowered), after
        # Only the leads that left their lanes changed.
        assert after.count("10 mm/mV") == len(after) - len(lowered) > 0
        errors.check()
