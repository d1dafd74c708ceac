"""The waveform viewer in a real browser: rendering, navigation, tools, settings, phones.

Records come from the shared test data; every test ends with ``errors.check()`` (no
console errors or warnings, no HTTP status >= 400).
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import import_ok, make_user
from wavetag.accounts.models import ViewerSettings
from wavetag.records.models import Record

pytestmark = pytest.mark.django_db(transaction=True)

NOMINAL_PX_PER_MM = 96 / 25.4
READY = "[data-testid=waveform][data-state=ready]"
RECORDS = {
    "mitdb/100": ("mitdb/100", "mitdb"),
    "v102s": ("challenge2015/v102s", "challenge2015"),
    "00001_lr": ("ptbxl/00001_lr", "ptbxl"),
    "s0010_re": ("ptbdb/s0010_re", "ptbdb"),
}

# Dark pixels of the traces canvas per panel row: proof that something was drawn there.
INK_PER_ROW = """(rows) => {
  const source = document.querySelectorAll('[data-testid=waveform] canvas')[1];
  const dpr = source.width / source.getBoundingClientRect().width;
  // Read a copy once: repeated reads of the live canvas make Chrome warn.
  const copy = document.createElement('canvas');
  copy.width = source.width;
  copy.height = source.height;
  const ctx = copy.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0);
  const data = ctx.getImageData(0, 0, copy.width, copy.height).data;
  return rows.map(([top, height]) => {
    let ink = 0;
    const y0 = Math.round(top * dpr), y1 = Math.round((top + height) * dpr);
    for (let i = y0 * copy.width * 4 + 3; i < y1 * copy.width * 4; i += 4) if (data[i] > 128) ink++;
    return ink;
  });
}"""


# Strongly red pixels of the traces canvas between two x positions (CSS px).
RED_IN_COLUMNS = """([x0, x1]) => {
  const source = document.querySelectorAll('[data-testid=waveform] canvas')[1];
  const dpr = source.width / source.getBoundingClientRect().width;
  const copy = document.createElement('canvas');
  copy.width = source.width;
  copy.height = source.height;
  const ctx = copy.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0);
  const left = Math.round(x0 * dpr), width = Math.max(1, Math.round((x1 - x0) * dpr));
  const data = ctx.getImageData(left, 0, width, copy.height).data;
  let red = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 128 && data[i] > 150 && data[i + 1] < 90 && data[i + 2] < 90) red++;
  }
  return red;
}"""


STATS = "document.querySelector('.wt-viewer').wtViewer.stats()"
NEXT_FRAME = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
# After the next frame: the shown traces' inked pixels (a string, one char a pixel) and
# their count; during a drag they are on the sliding canvas, moved by a CSS transform.
SNAPSHOT_AFTER_FRAME = """() => new Promise((resolve) => requestAnimationFrame(() => {
  const [, traces, slide] = document.querySelectorAll('[data-testid=waveform] canvas');
  const copy = document.createElement('canvas');
  copy.width = traces.width;
  copy.height = traces.height;
  const ctx = copy.getContext('2d', { willReadFrequently: true });
  if (slide.hidden) ctx.drawImage(traces, 0, 0);
  else {
    const dpr = slide.width / parseFloat(slide.style.width);
    const moved = parseFloat(slide.style.transform.match(/-?[0-9.]+/)[0]);
    const x = (-parseFloat(slide.style.left) - moved) * dpr;
    ctx.drawImage(slide, x, 0, copy.width, copy.height, 0, 0, copy.width, copy.height);
  }
  const data = ctx.getImageData(0, 0, copy.width, copy.height).data;
  let ink = 0;
  const bits = new Uint8Array(copy.width * copy.height);
  for (let i = 0; i < bits.length; i++) if (data[4 * i + 3] > 128) { bits[i] = 1; ink++; }
  resolve({ ink, pixels: Array.from(bits).join('') });
}))"""
# Inked pixels of one snapshot with no inked pixel within one device px in the other.
COMPARE = """([a, b]) => {
  const w = document.querySelectorAll('[data-testid=waveform] canvas')[1].width;
  const near = (s, i) => {
    for (const d of [0, -1, 1, -w, w]) if (s[i + d] === '1') return true;
    return false;
  };
  let off = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '1' && !near(b, i)) off++;
    if (b[i] === '1' && !near(a, i)) off++;
  }
  return off;
}"""


@pytest.fixture
def records(data_dir: Path, settings: Any, tmp_path: Path) -> Any:
    """``records("v102s")`` imports a shared record (once) and returns it."""
    settings.STORE_DIR = tmp_path / "store"

    def load(short: str) -> Record:
        path, dataset = RECORDS[short]
        name = Path(path).name
        found = Record.objects.filter(name=name, dataset__name=dataset).first()
        if found is None:
            import_ok(data_dir / path, dataset=dataset)
            found = Record.objects.get(name=name, dataset__name=dataset)
        return found

    load.data_dir = data_dir  # type: ignore[attr-defined]
    return load


@pytest.fixture
def reader() -> Any:
    return make_user("reader", staff=True, password=None)


def open_viewer(page: Any, record: Record, query: str = "") -> Any:
    page.goto(f"/records/{record.pk}/{query}")
    page.wait_for_selector(READY)
    return page.locator("[data-testid=waveform]")


def window_of(waveform: Any) -> tuple[float, float]:
    return float(waveform.get_attribute("data-start")), float(waveform.get_attribute("data-end"))


def hold_and_drag(
    page: Any, x: float, y: float, steps: int, dx: float, each_frame: bool = False
) -> None:
    """Press the mouse at (x, y) and move it ``steps`` times by ``dx``, still held; with
    ``each_frame``, waiting for the viewer's next frame after each move."""
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, steps + 1):
        page.mouse.move(x + dx * step, y)
        if each_frame:
            page.evaluate(NEXT_FRAME)


def wait_window(page: Any, predicate: str) -> None:
    """Wait until the drawn window satisfies a JS predicate over (start, end)."""
    page.wait_for_function(
        f"""() => {{
          const w = document.querySelector('[data-testid=waveform]');
          const start = Number(w.dataset.start), end = Number(w.dataset.end);
          return w.dataset.state === 'ready' && ({predicate});
        }}"""
    )


def window_requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "/window?" in r.url else None)
    return seen


def plot_width(page: Any) -> float:
    return page.evaluate("() => document.querySelector('[data-testid=waveform]').clientWidth")


def channel_labels(page: Any) -> list[str]:
    return page.locator("[data-testid^=channel-]").evaluate_all(
        "els => els.map(e => e.querySelector('.wt-chan-name').textContent)"
    )


def scale_of(page: Any, index: int) -> Any:
    return page.get_by_test_id(f"channel-{index}").locator(".wt-chan-scale")


def row_boxes(page: Any) -> list[tuple[float, float]]:
    """(top, height) in plot pixels of every shown channel's row, from its label."""
    return page.evaluate(
        """() => {
          const plot = document.querySelector('[data-testid=waveform]').getBoundingClientRect();
          const labels = [...document.querySelectorAll('[data-testid^=channel-]')];
          const tops = labels.map(l => l.getBoundingClientRect().top - plot.top - 3)
            .sort((a, b) => a - b);
          return tops.map((t, i) => [t, (i + 1 < tops.length ? tops[i + 1] : plot.height) - t]);
        }"""
    )


class TestRendering:
    def test_mitdb_shows_both_channels_at_25_mm_per_s(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        assert channel_labels(page) == ["MLII", "V5"]
        expect(page.get_by_test_id("channel-0").locator(".wt-chan-units")).to_have_text("mV")
        start, end = window_of(waveform)
        assert start == 0
        expected = plot_width(page) / (25 * NOMINAL_PX_PER_MM)
        assert end == pytest.approx(expected, abs=0.01)
        assert all(ink > 500 for ink in page.evaluate(INK_PER_ROW, row_boxes(page)))
        expect(scale_of(page, 0)).to_have_text("10 mm/mV")
        errors.check()

    def test_icu_record_shows_pleth_and_resp_in_their_units(self, make_page, records, reader):
        record = records("v102s")
        page, errors = make_page(reader)
        open_viewer(page, record)
        assert channel_labels(page) == ["II", "V", "PLETH", "RESP"]
        pleth = page.get_by_test_id("channel-2")
        expect(pleth.locator(".wt-chan-units")).to_have_text("NU")
        expect(pleth.locator(".wt-chan-scale")).to_contain_text(" – ")  # auto-scaled range
        assert all(ink > 300 for ink in page.evaluate(INK_PER_ROW, row_boxes(page)))
        errors.check()

    def test_event_opens_on_the_event_window(self, make_page, records, reader) -> None:
        record = records("v102s")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record, "?t=300")
        assert window_of(waveform) == (290, 305)
        # The event line: red pixels in the column of t = 300 s, none a few mm before it.
        x = plot_width(page) * (300 - 290) / 15
        red = page.evaluate(RED_IN_COLUMNS, [x - 2, x + 2])
        assert red > 50
        assert page.evaluate(RED_IN_COLUMNS, [x - 40, x - 30]) == 0
        # "e" jumps back to the event window after moving away.
        page.keyboard.press("Home")
        wait_window(page, "start === 0")
        page.keyboard.press("e")
        wait_window(page, "start === 290 && end === 305")
        errors.check()

    def test_twelve_leads_and_the_3x4_layout(self, make_page, records, reader) -> None:
        record = records("00001_lr")
        page, errors = make_page(reader)
        open_viewer(page, record)
        names = channel_labels(page)
        assert len(names) == 12 and names[:3] == ["I", "II", "III"]
        page.get_by_test_id("layout12").click()
        page.get_by_test_id("rhythm-1").wait_for()
        page.wait_for_selector(READY)
        boxes = page.locator("[data-testid^=channel-]").evaluate_all(
            "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top]; })"
        )
        assert len(boxes) == 12
        assert len({round(x) for x, _ in boxes}) == 4  # four columns
        assert len({round(y) for _, y in boxes}) == 3  # three rows, rhythm strip below
        rows = page.evaluate(
            """() => [...document.querySelectorAll(
                   '[data-testid^=channel-], [data-testid^=rhythm-]'
                 )].map(e => e.getBoundingClientRect().top)"""
        )
        assert len({round(y) for y in rows}) == 4
        # A 10-s record at 25 mm/s is the printed 250 mm page: columns 62.5 mm apart.
        xs = sorted({round(x) for x, _ in boxes})
        assert xs[1] - xs[0] == pytest.approx(62.5 * NOMINAL_PX_PER_MM, abs=2)
        page.keyboard.press("l")
        page.get_by_test_id("rhythm-1").wait_for(state="detached")
        errors.check()

    def test_ptb_fifteen_channels_in_the_3x4_layout(self, make_page, records, reader) -> None:
        record = records("s0010_re")
        page, errors = make_page(reader)
        open_viewer(page, record)
        assert len(channel_labels(page)) == 15
        page.keyboard.press("l")
        page.get_by_test_id("rhythm-1").wait_for()
        assert len(channel_labels(page)) == 12  # vx, vy, vz are not on a 12-lead page
        errors.check()


class TestNavigation:
    def test_zoom_buttons_change_the_window_and_fetch(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        requests = window_requests(page)
        waveform = open_viewer(page, record)
        start, end = window_of(waveform)
        before = len(requests)
        assert before > 0
        page.get_by_test_id("zoom-in").click()
        wait_window(page, f"Math.abs((end - start) - {(end - start) / 2}) < 1e-3")
        assert len(requests) > before  # the finer level was not prefetched
        page.get_by_test_id("zoom-out").click()
        page.get_by_test_id("zoom-out").click()
        wait_window(page, f"Math.abs((end - start) - {(end - start) * 2}) < 1e-3")
        page.get_by_test_id("zoom-reset").click()
        wait_window(page, f"Math.abs((end - start) - {end - start}) < 1e-3")
        errors.check()

    def test_wheel_zooms_about_the_pointer(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        page.keyboard.press("Shift+ArrowRight")
        wait_window(page, "start > 10")
        start, end = window_of(waveform)
        box = waveform.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 60)
        page.mouse.wheel(0, -300)
        wait_window(page, f"end - start < {(end - start) * 0.8}")
        new_start, new_end = window_of(waveform)
        assert (new_start + new_end) / 2 == pytest.approx((start + end) / 2, abs=0.05)
        errors.check()

    def test_keys_pan_and_new_data_is_fetched(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        requests = window_requests(page)
        waveform = open_viewer(page, record)
        start, end = window_of(waveform)
        span = end - start
        before = len(requests)
        page.keyboard.press("ArrowRight")
        wait_window(page, f"Math.abs(start - {span / 2}) < 1e-3")
        page.keyboard.press("Shift+ArrowRight")
        wait_window(page, f"Math.abs(start - {1.5 * span}) < 1e-3")
        page.wait_for_function(
            f"() => performance.getEntriesByType('resource')"
            f".filter(e => e.name.includes('/window?')).length > {before}"
        )
        assert len(requests) > before  # the pages beyond were fetched ahead
        page.keyboard.press("End")
        wait_window(page, f"Math.abs(end - {record.duration}) < 1e-3")
        page.keyboard.press("Home")
        wait_window(page, "start === 0")
        errors.check()

    def test_drag_pans(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        page.keyboard.press("Shift+ArrowRight")
        wait_window(page, "start > 10")
        start, end = window_of(waveform)
        box = waveform.bounding_box()
        y = box["y"] + 80
        hold_and_drag(page, box["x"] + 600, y, steps=10, dx=-20)
        page.mouse.up()
        seconds = 200 / (25 * NOMINAL_PX_PER_MM)
        wait_window(page, f"Math.abs(start - {start + seconds}) < 0.02")
        errors.check()

    def test_a_drag_slides_a_drawn_canvas_that_matches_a_full_redraw(
        self, make_page, records, reader
    ) -> None:
        # While dragging, frames move a wider canvas drawn once instead of drawing; what it
        # shows must be what a full redraw of the same view shows.
        record = records("v102s")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record, "?t=150")
        page.wait_for_function(f"() => {STATS}.inFlight === 0")
        before = page.evaluate(f"() => {STATS}.slidFrames")
        box = waveform.bounding_box()
        y = box["y"] + 60
        hold_and_drag(page, box["x"] + 700, y, steps=12, dx=-9, each_frame=True)
        shifted = page.evaluate(SNAPSHOT_AFTER_FRAME)  # while the paper is held
        page.mouse.up()
        # Twelve moves of 9 px: the first draws the wide canvas, the others only move it.
        assert page.evaluate(f"() => {STATS}.slidFrames") - before >= 10
        page.wait_for_timeout(400)  # the settle redraw, in full
        page.wait_for_selector(READY)
        full = page.evaluate(SNAPSHOT_AFTER_FRAME)
        assert full["ink"] > 5000  # the traces are there
        assert shifted["ink"] == pytest.approx(full["ink"], rel=0.02)
        mismatched = page.evaluate(COMPARE, [shifted["pixels"], full["pixels"]])
        assert mismatched < 0.01 * full["ink"], (mismatched, full["ink"])
        errors.check()

    def test_overview_click_and_drag_jump(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        start, end = window_of(waveform)
        span = end - start
        overview = page.get_by_test_id("overview").bounding_box()
        y = overview["y"] + overview["height"] / 2
        page.mouse.click(overview["x"] + overview["width"] * 0.5, y)
        middle = record.duration * 0.5
        wait_window(page, f"Math.abs((start + end) / 2 - {middle}) < {span * 0.05 + 2}")
        page.mouse.move(overview["x"] + overview["width"] * 0.5, y)
        page.mouse.down()
        page.mouse.move(overview["x"] + overview["width"] * 0.6, y, steps=5)
        page.mouse.move(overview["x"] + overview["width"] * 0.75, y, steps=5)
        page.mouse.up()
        three_quarters = record.duration * 0.75
        wait_window(page, f"Math.abs((start + end) / 2 - {three_quarters}) < {span * 0.05 + 2}")
        assert window_of(waveform)[1] - window_of(waveform)[0] == pytest.approx(span, abs=1e-3)
        errors.check()


class TestData:
    def test_binary_windows_decode_to_the_json_values(self, make_page, records, reader) -> None:
        page, errors = make_page(reader)
        for short in ("mitdb/100", "v102s"):
            record = records(short)
            open_viewer(page, record)
            for params in ("start=10&end=12&max_points=5000", "start=0&end=300&max_points=600"):
                worst = page.evaluate(
                    """async ([id, params]) => {
                      const { fetchWindow } = await import('/static/web/viewer/api.js');
                      const q = Object.fromEntries(new URLSearchParams(params));
                      const bin = await fetchWindow('/api/v1', id, q);
                      const json = await (await fetch(
                        `/api/v1/records/${id}/window?${params}`)).json();
                      let worst = 0;
                      json.channels.forEach((c, i) => {
                        const b = bin.channels[i];
                        if (b.kind !== c.kind || b.t0 !== c.t0 || b.step !== c.step) worst = 1e9;
                        const pairs = c.kind === 'raw' ? [[b.values, c.values]]
                          : [[b.min, c.min], [b.max, c.max]];
                        for (const [x, y] of pairs) {
                          if (x.length !== y.length) worst = 1e9;
                          y.forEach((v, j) => {
                            const d = v === null ? (Number.isNaN(x[j]) ? 0 : 1e9)
                              : Math.abs(x[j] - v) / Math.max(1, Math.abs(v));
                            worst = Math.max(worst, d);
                          });
                        }
                      });
                      return worst;
                    }""",
                    [record.pk, params],
                )
                assert worst < 1e-6, (short, params, worst)
        errors.check()

    def test_an_obsolete_request_is_aborted(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        aborted: list[str] = []
        page.on("requestfailed", lambda r: aborted.append(r.url) if "/window?" in r.url else None)
        waveform = open_viewer(page, record)
        page.evaluate(
            """() => {
              const viewer = document.querySelector('.wt-viewer').wtViewer;
              viewer.goTo(600, 610);
              viewer.goTo(1500, 1510);
            }"""
        )
        wait_window(page, "start === 1500")
        assert any("start=" in url for url in aborted)
        assert window_of(waveform) == (1500, 1510)
        errors.check()


class TestCalipers:
    def test_caliper_measures_a_known_span(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        px_per_s = 25 * NOMINAL_PX_PER_MM  # the opening view is calibrated
        box = waveform.bounding_box()
        x0 = box["x"] + 150
        y0 = box["y"] + 60
        page.get_by_test_id("caliper").click()
        assert page.get_by_test_id("caliper").get_attribute("aria-pressed") == "true"
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x0 + 0.8 * px_per_s, y0 + 37.8, steps=6)  # 800 ms, 1 mV at 10 mm/mV
        page.mouse.up()
        readout = page.get_by_test_id("caliper-readout")
        readout.wait_for()
        one_pixel_ms = 1000 / px_per_s
        assert float(readout.get_attribute("data-ms")) == pytest.approx(800, abs=one_pixel_ms)
        assert float(readout.get_attribute("data-dv")) == pytest.approx(1.0, abs=0.03)
        assert "bpm" in readout.inner_text() and "on MLII" in readout.inner_text()
        # A second one, then remove the first with its button, then clear with Esc.
        page.mouse.move(x0 + 300, y0)
        page.mouse.down()
        page.mouse.move(x0 + 300 + px_per_s, y0, steps=4)
        page.mouse.up()
        assert page.get_by_test_id("caliper-readout").count() == 2
        second = float(page.get_by_test_id("caliper-readout").nth(1).get_attribute("data-ms"))
        assert second == pytest.approx(1000, abs=one_pixel_ms)
        page.get_by_role("button", name="Remove caliper 1").click()
        assert page.get_by_test_id("caliper-readout").count() == 1
        page.locator("[data-testid=waveform]").focus()
        page.keyboard.press("Escape")
        assert page.get_by_test_id("caliper-readout").count() == 0
        errors.check()

    def test_caliper_ends_can_be_moved(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        page.keyboard.press("Shift+C")  # a caliper over the middle eighth of the view
        readout = page.get_by_test_id("caliper-readout")
        readout.wait_for()
        start, end = window_of(waveform)
        assert float(readout.get_attribute("data-ms")) == pytest.approx(
            (end - start) / 8 * 1000, rel=1e-3
        )
        box = waveform.bounding_box()
        right_end = box["x"] + box["width"] * (0.5 + 1 / 16)
        y = box["y"] + 100
        page.mouse.move(right_end, y)
        page.mouse.down()
        page.mouse.move(right_end + 50, y, steps=3)
        page.mouse.up()
        px_per_s = box["width"] / (end - start)
        expected = ((end - start) / 8 + 50 / px_per_s) * 1000
        measured = float(readout.get_attribute("data-ms"))
        assert measured == pytest.approx(expected, abs=1500 / px_per_s)
        errors.check()


class TestChannels:
    def test_hide_and_show_a_lead(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        open_viewer(page, record)
        page.get_by_test_id("channel-1").hover()
        page.get_by_role("button", name="Hide V5").click()
        page.get_by_test_id("channel-1").wait_for(state="detached")
        assert channel_labels(page) == ["MLII"]
        page.wait_for_selector(READY)
        page.get_by_role("button", name="Channels").click()
        assert not page.get_by_test_id("toggle-channel-1").is_checked()
        page.get_by_test_id("toggle-channel-1").check()
        page.get_by_test_id("channel-1").wait_for()
        page.locator("[data-testid=waveform]").focus()
        page.keyboard.press("1")  # key n toggles the n-th channel
        page.get_by_test_id("channel-0").wait_for(state="detached")
        assert channel_labels(page) == ["V5"]
        errors.check()

    def test_gain_and_order_per_channel(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        open_viewer(page, record)
        page.get_by_test_id("channel-0").hover()
        page.get_by_role("button", name="Gain up MLII").click()
        expect(scale_of(page, 0)).to_have_text("20 mm/mV")
        page.get_by_role("button", name="Move MLII down").click()
        page.wait_for_function(
            """() => {
              const top = id =>
                document.querySelector(`[data-testid=${id}]`).getBoundingClientRect().top;
              return top('channel-0') > top('channel-1');
            }"""
        )
        # Dragging the name upwards raises the gain further.
        name = page.get_by_test_id("channel-0").locator(".wt-chan-name").bounding_box()
        page.mouse.move(name["x"] + 5, name["y"] + 5)
        page.mouse.down()
        page.mouse.move(name["x"] + 5, name["y"] - 55, steps=5)
        page.mouse.up()
        expect(scale_of(page, 0)).to_have_text("40 mm/mV")
        errors.check()


class TestScreenshot:
    def test_png_of_the_current_view(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        start, end = window_of(waveform)
        with page.expect_download() as info:
            page.get_by_test_id("screenshot").click()
        download = info.value
        assert re.fullmatch(r"100_0-14\.\d+s\.png", download.suggested_filename)
        data = Path(download.path()).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width == round(plot_width(page))
        assert height > 200 and len(data) > 20_000
        errors.check()


class TestSettings:
    def test_paper_speed_persists_across_reloads(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        assert any(c["name"] == "csrftoken" for c in page.context.cookies())
        page.get_by_test_id("settings").click()
        speed = page.get_by_test_id("setting-paper_speed")
        assert speed.input_value() == "25"
        with page.expect_response(lambda r: "/me/viewer-settings" in r.url) as answer:
            speed.fill("50")
            speed.dispatch_event("change")
        assert answer.value.status == 200 and answer.value.request.method == "PATCH"
        assert ViewerSettings.for_user(reader)["paper_speed"] == 50
        page.keyboard.press("Escape")
        page.reload()
        page.wait_for_selector(READY)
        start, end = window_of(waveform)
        assert end - start == pytest.approx(plot_width(page) / (50 * NOMINAL_PX_PER_MM), abs=0.01)
        assert page.get_by_role("combobox", name="Paper speed").input_value() == "50"
        api = page.request.get("/api/v1/me/viewer-settings")
        assert json.loads(api.body())["paper_speed"] == 50
        page.get_by_test_id("settings").click()
        assert page.get_by_test_id("setting-paper_speed").input_value() == "50"
        errors.check()

    def test_grid_applies_at_once_and_defaults_return(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        open_viewer(page, record)
        page.get_by_test_id("settings").click()
        with page.expect_response(lambda r: "/me/viewer-settings" in r.url):
            page.get_by_test_id("setting-grid").uncheck()
        assert page.get_by_test_id("grid").get_attribute("aria-pressed") == "false"
        assert ViewerSettings.for_user(reader)["grid"] is False
        with page.expect_response(lambda r: r.request.method == "DELETE"):
            page.get_by_test_id("settings-reset").click()
        expect(page.get_by_test_id("setting-grid")).to_be_checked()
        assert page.get_by_test_id("grid").get_attribute("aria-pressed") == "true"
        assert ViewerSettings.for_user(reader)["grid"] is True
        errors.check()


class TestPhone:
    def test_renders_and_swipe_pans(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader, viewport=(390, 844), touch=True)
        waveform = open_viewer(page, record)
        assert channel_labels(page) == ["MLII", "V5"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        start, end = window_of(waveform)
        box = waveform.bounding_box()
        y = box["y"] + 80
        cdp = page.context.new_cdp_session(page)

        def touch(kind: str, x: float) -> None:
            points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch("touchStart", 320)
        for step in range(1, 13):
            touch("touchMove", 320 - 20 * step)
        touch("touchEnd", 80)
        wait_window(page, f"start > {start + 1}")
        new_start, new_end = window_of(waveform)
        assert new_end - new_start == pytest.approx(end - start, abs=1e-3)
        errors.check()

    def test_pinch_zooms(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader, viewport=(390, 844), touch=True)
        waveform = open_viewer(page, record)
        start, end = window_of(waveform)
        box = waveform.bounding_box()
        y = box["y"] + 80
        cdp = page.context.new_cdp_session(page)

        def touches(kind: str, spread: float) -> None:
            mid = box["x"] + box["width"] / 2
            points = [
                {"x": mid - spread, "y": y, "id": 1},
                {"x": mid + spread, "y": y, "id": 2},
            ]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touches("touchStart", 40)
        for step in range(1, 9):
            touches("touchMove", 40 + 10 * step)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        wait_window(page, f"end - start < {(end - start) * 0.6}")
        errors.check()


class TouchScreen:
    """Fingers on the plot through CDP's Input.dispatchTouchEvent (several at once)."""

    def __init__(self, page: Any) -> None:
        self.cdp = page.context.new_cdp_session(page)

    def send(self, kind: str, *points: tuple[float, float]) -> None:
        touch_points = [{"x": x, "y": y, "id": i + 1} for i, (x, y) in enumerate(points)]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    def drag(self, x: float, y: float, dx: float, steps: int = 10) -> None:
        self.send("touchStart", (x, y))
        for step in range(1, steps + 1):
            self.send("touchMove", (x + dx * step / steps, y))
        self.send("touchEnd")

    def pinch(self, mid: float, y: float, spread0: float, spread1: float, steps: int = 8) -> None:
        def fingers(spread: float) -> tuple[tuple[float, float], tuple[float, float]]:
            return (mid - spread, y), (mid + spread, y)

        self.send("touchStart", *fingers(spread0))
        for step in range(1, steps + 1):
            self.send("touchMove", *fingers(spread0 + (spread1 - spread0) * step / steps))
        self.send("touchEnd")


class TestTouch:
    """Pan, pinch and calipers with fingers on a tablet (emulated touch, mobile)."""

    TABLET = (1024, 768)

    def open(self, make_page: Any, records: Any, reader: Any) -> tuple[Any, Any, Any, Any]:
        page, errors = make_page(reader, viewport=self.TABLET, touch=True)
        waveform = open_viewer(page, records("mitdb/100"))
        assert page.evaluate("() => navigator.maxTouchPoints") > 0
        return page, errors, waveform, waveform.bounding_box()

    def test_one_finger_pans_both_ways_by_the_distance_dragged(
        self, make_page, records, reader
    ) -> None:
        page, errors, waveform, box = self.open(make_page, records, reader)
        start, end = window_of(waveform)
        per_px = (end - start) / plot_width(page)
        fingers = TouchScreen(page)
        y = box["y"] + 80
        fingers.drag(box["x"] + 700, y, -400)  # to the left: later in the record
        wait_window(page, f"Math.abs(start - {start + 400 * per_px}) < {2 * per_px}")
        later, later_end = window_of(waveform)
        assert later_end - later == pytest.approx(end - start, abs=1e-3)
        fingers.drag(box["x"] + 200, y, 300)  # to the right: back in time
        wait_window(page, f"Math.abs(start - {later - 300 * per_px}) < {2 * per_px}")
        errors.check()

    def test_pinch_out_zooms_in_about_the_fingers_and_pinch_in_zooms_out(
        self, make_page, records, reader
    ) -> None:
        page, errors, waveform, box = self.open(make_page, records, reader)
        fingers = TouchScreen(page)
        y = box["y"] + 80
        # Away from the record's start, so that a zoom out is not clamped.
        fingers.drag(box["x"] + 900, y, -800)
        fingers.drag(box["x"] + 900, y, -800)
        page.wait_for_function(NEXT_FRAME)
        start, end = window_of(waveform)
        assert start > 0
        mid_px = 400.0
        at_mid = start + mid_px / plot_width(page) * (end - start)
        fingers.pinch(box["x"] + mid_px, y, 50, 150)  # apart: three times closer
        wait_window(page, f"Math.abs((end - start) - {(end - start) / 3}) < 0.05")
        zoomed, zoomed_end = window_of(waveform)
        still = zoomed + mid_px / plot_width(page) * (zoomed_end - zoomed)
        assert still == pytest.approx(at_mid, abs=0.05)
        fingers.pinch(box["x"] + mid_px, y, 150, 75)  # together: twice as far
        wait_window(page, f"Math.abs((end - start) - {2 * (zoomed_end - zoomed)}) < 0.05")
        errors.check()

    def test_caliper_mode_then_a_finger_draws_a_caliper(self, make_page, records, reader) -> None:
        page, errors, waveform, box = self.open(make_page, records, reader)
        px_per_s = 25 * NOMINAL_PX_PER_MM  # the opening view is calibrated
        page.get_by_test_id("caliper").tap()
        assert page.get_by_test_id("caliper").get_attribute("aria-pressed") == "true"
        start = window_of(waveform)
        TouchScreen(page).drag(box["x"] + 150, box["y"] + 60, 0.6 * px_per_s)
        readout = page.get_by_test_id("caliper-readout")
        readout.wait_for()
        assert float(readout.get_attribute("data-ms")) == pytest.approx(600, abs=1000 / px_per_s)
        assert "bpm" in readout.inner_text()
        assert window_of(waveform) == start  # the finger measured; it did not pan
        errors.check()


class TestKeyboard:
    def test_shortcuts_and_help(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        start, end = window_of(waveform)
        page.keyboard.press("ArrowRight")
        wait_window(page, f"Math.abs(start - {(end - start) / 2}) < 1e-3")
        page.keyboard.press("+")
        wait_window(page, f"Math.abs((end - start) - {(end - start) / 2}) < 1e-3")
        page.keyboard.press("0")
        wait_window(page, f"Math.abs((end - start) - {end - start}) < 1e-3")
        page.keyboard.press("g")
        assert page.get_by_test_id("grid").get_attribute("aria-pressed") == "false"
        page.keyboard.press("?")
        help_dialog = page.get_by_test_id("help")
        help_dialog.wait_for()
        assert "Pan half a page" in help_dialog.inner_text()
        page.keyboard.press("Escape")
        help_dialog.wait_for(state="hidden")
        page.get_by_test_id("help-button").click()
        help_dialog.wait_for()
        page.get_by_role("button", name="Close help").click()
        help_dialog.wait_for(state="hidden")
        errors.check()

    def test_brackets_jump_between_events(self, make_page, records, reader) -> None:
        # mitdb 100: the reference's first marks other than normal beats, from the file.
        import wfdb

        from wavetag.records.models import Annotation

        record = records("mitdb/100")
        ann = wfdb.rdann(str(records.data_dir / "mitdb" / "100"), "atr")
        events = [s / ann.fs for s, c in zip(ann.sample, ann.symbol, strict=True) if c != "N"]
        events = sorted({round(t, 6) for t in events if t > 1})  # past the (N at 0.05 s
        assert Annotation.objects.filter(annotation_set__record=record).exists()
        page, errors = make_page(reader)
        waveform = open_viewer(page, record)
        start, end = window_of(waveform)
        span = end - start
        shown = []
        for _ in range(2):
            page.keyboard.press("]")
            wait_window(page, f"Math.abs(start + {span} / 3 - {events[len(shown)]}) < 0.01")
            shown.append(window_of(waveform)[0] + span / 3)
        assert shown == pytest.approx(events[:2], abs=0.01)
        page.keyboard.press("[")
        wait_window(page, f"Math.abs(start + {span} / 3 - {events[0]}) < 0.01")
        errors.check()


class TestFiltersAndAnnotations:
    def test_display_filters_change_the_trace(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        open_viewer(page, record)
        rows = row_boxes(page)
        snapshot = "() => document.querySelectorAll('[data-testid=waveform] canvas')[1].toDataURL()"
        before = page.evaluate(snapshot)
        page.keyboard.press("f")
        page.wait_for_function(f"() => ({snapshot})() !== {json.dumps(before)}")
        assert all(ink > 500 for ink in page.evaluate(INK_PER_ROW, rows))
        page.get_by_role("button", name="Filters").click()
        assert page.get_by_test_id("filters-on").is_checked()
        errors.check()

    def test_reference_beats_are_fetched_for_the_view(self, make_page, records, reader) -> None:
        record = records("mitdb/100")
        page, errors = make_page(reader)
        seen: list[str] = []
        page.on("request", lambda r: seen.append(r.url) if "/annotations?" in r.url else None)
        open_viewer(page, record)
        page.wait_for_function(
            "() => performance.getEntriesByType('resource')"
            ".filter(e => e.name.includes('aux_only=true')).length > 0"
        )
        assert any("set=atr" in u and "start=" in u for u in seen)
        page.get_by_role("button", name="Annotations").click()
        toggle = page.get_by_test_id("toggle-set-atr")
        assert toggle.is_checked()  # reference sets start shown
        toggle.uncheck()
        errors.check()

    def test_aux_only_returns_rhythm_changes(self, client, records, reader) -> None:
        record = records("mitdb/100")
        client.force_login(reader)
        url = f"/api/v1/records/{record.pk}/annotations?set=atr&aux_only=true"
        items = client.get(url).json()["items"]
        assert items and all(item["aux_note"] for item in items)
        assert items[0]["aux_note"] == "(N"
