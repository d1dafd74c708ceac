"""The beat editor in a real Chromium on MIT-BIH record 100: add, move, delete, relabel,
cluster relabel, undo, a rhythm segment and a fiducial point, all landing on the server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from wavetag.records import sets
from wavetag.records.models import Annotation, AnnotationSet, Record

from ..factories import make_member, make_project

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"
SAVED = "[data-testid=edit-status][data-state=saved]"
CLUSTER = 7


@pytest.fixture
def world(mitdb_100: Any) -> SimpleNamespace:
    project = make_project("beats", "mitdb", "wearable-rhythm", visible_sets=["atr"])
    w = SimpleNamespace(record=Record.objects.get(name="100"), project=project)
    w.ann = make_member(project, "ann")
    atr = AnnotationSet.objects.get(record=w.record, name="atr")
    w.set = sets.create_working_set(atr, w.ann)
    beats = Annotation.objects.filter(annotation_set=w.set, symbol="N").order_by("time")
    # Every third beat of the first 20 s, and one far outside the view, form a cluster.
    w.cluster_ids = [b.pk for b in list(beats.filter(time__lt=20))[::3]]
    w.cluster_ids.append(beats.filter(time__gt=1000).first().pk)
    Annotation.objects.filter(pk__in=w.cluster_ids).update(cluster=CLUSTER)
    return w


def open_editor(make_page: Any, w: SimpleNamespace) -> tuple[Any, Any, dict[str, float]]:
    page, errors = make_page(w.ann)
    page.goto(f"/records/{w.record.pk}/")
    page.wait_for_selector(READY)
    page.get_by_test_id("beat-editor-toggle").click()
    page.wait_for_function("() => document.getElementById('viewer').wtViewer.beats().length > 0")
    box = page.locator("[data-testid=waveform]").bounding_box()
    return page, errors, box


def beats_in_view(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(
        "() => document.getElementById('viewer').wtViewer.beats()"
        ".filter(b => b.kind === 'beat' && b.x !== null)"
    )


# Whether the overlay canvas shows a fiducial handle's colour (#00796b) at [x, y] (CSS px
# in the plot), read through a fresh canvas.
HANDLE_AT = """([x, y]) => {
  const canvas = document.querySelectorAll('[data-testid=waveform] canvas')[3];
  const dpr = canvas.width / canvas.clientWidth;
  const one = document.createElement('canvas');
  one.width = one.height = 1;
  const ctx = one.getContext('2d');
  ctx.drawImage(canvas, Math.floor(x * dpr), Math.floor(y * dpr), 1, 1, 0, 0, 1, 1);
  const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
  return Math.abs(r - 0) < 30 && Math.abs(g - 121) < 30 && Math.abs(b - 107) < 30;
}"""


def settle(page: Any) -> None:
    page.wait_for_selector(SAVED)
    page.wait_for_selector(READY)


def click_beat(page: Any, box: dict[str, float], beat: dict[str, Any], **kw: Any) -> None:
    page.mouse.click(box["x"] + beat["x"], box["y"] + 70, **kw)


class TestBeatEditor:
    def test_add_move_delete_relabel_cluster_undo(self, make_page: Any, world: Any) -> None:
        page, errors, box = open_editor(make_page, world)
        seen = beats_in_view(page)
        assert len(seen) >= 5 and all(b["symbol"] == "N" for b in seen[:5])

        # Relabel one beat with a code key.
        click_beat(page, box, seen[1])
        page.keyboard.press("Shift+V")
        settle(page)
        assert Annotation.objects.get(pk=seen[1]["id"]).symbol == "V"

        # Move a beat by dragging its marker.
        x, y = box["x"] + seen[2]["x"], box["y"] + 70
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 25, y, steps=5)
        page.mouse.up()
        settle(page)
        moved = Annotation.objects.get(pk=seen[2]["id"])
        assert abs(moved.time - seen[2]["time"]) > 0.1

        # Add a beat between two others, then delete it.
        count = Annotation.objects.filter(annotation_set=world.set).count()
        page.mouse.click(box["x"] + (seen[3]["x"] + seen[4]["x"]) / 2, box["y"] + 70)
        settle(page)
        assert Annotation.objects.filter(annotation_set=world.set).count() == count + 1
        added = (
            Annotation.objects.filter(
                annotation_set=world.set, time__gt=seen[3]["time"], time__lt=seen[4]["time"]
            )
            .exclude(pk=seen[2]["id"])
            .get()
        )
        assert added.symbol == "N"
        new = next(b for b in beats_in_view(page) if b["id"] == added.pk)
        click_beat(page, box, new)
        page.keyboard.press("Delete")
        settle(page)
        assert not Annotation.objects.filter(pk=added.pk).exists()
        # Undo brings it back (as a new row at the same time), and undo again removes it.
        page.keyboard.press("Control+z")
        settle(page)
        back = Annotation.objects.get(annotation_set=world.set, time=added.time)
        assert back.symbol == "N"
        page.keyboard.press("Control+z")
        settle(page)
        assert not Annotation.objects.filter(annotation_set=world.set, time=added.time).exists()
        page.keyboard.press("Control+z")  # and the move before it
        settle(page)
        assert Annotation.objects.get(pk=seen[2]["id"]).time == pytest.approx(seen[2]["time"])

        # Select a beat's cluster and relabel it all, then undo that.
        member = next(b for b in beats_in_view(page) if b["cluster"] == CLUSTER)
        click_beat(page, box, member)
        page.keyboard.press("Shift+C")
        chosen = page.evaluate(
            "() => document.getElementById('viewer').wtViewer.beats()"
            ".filter(b => b.selected).map(b => b.id)"
        )
        assert sorted(chosen) == sorted(world.cluster_ids)
        page.keyboard.press("Shift+A")
        settle(page)
        symbols = set(
            Annotation.objects.filter(pk__in=world.cluster_ids).values_list("symbol", flat=True)
        )
        assert symbols == {"A"}
        page.keyboard.press("Control+z")
        settle(page)
        symbols = set(
            Annotation.objects.filter(pk__in=world.cluster_ids).values_list("symbol", flat=True)
        )
        assert symbols == {"N"}
        assert world.set.edits.count() >= 6
        assert "saved" in page.get_by_test_id("edit-status").inner_text()
        # The set's history page, linked from the editor, lists these edits in words.
        link = page.get_by_test_id("edit-history")
        assert link.get_attribute("href") == f"/annotation-sets/{world.set.pk}/history/"
        page.goto(page.url.split("/records/")[0] + link.get_attribute("href"))
        table = page.get_by_test_id("set-history").inner_text()
        assert "relabelled" in table and "deleted" in table and "moved" in table
        errors.check()

    def test_rhythm_segments_and_fiducial(self, make_page: Any, world: Any) -> None:
        page, errors, box = open_editor(make_page, world)
        seen = beats_in_view(page)
        # Alt+drag on the trace draws a segment; its label comes from the list.
        x0, y = box["x"] + seen[1]["x"] + 10, box["y"] + 90
        page.keyboard.down("Alt")
        page.mouse.move(x0, y)
        page.mouse.down()
        page.mouse.move(x0 + 200, y, steps=6)
        page.mouse.up()
        page.keyboard.up("Alt")
        page.get_by_test_id("segment-label-(AFIB").click()
        settle(page)
        seg = Annotation.objects.get(annotation_set=world.set, symbol="+", aux_note="(AFIB")
        px_per_s = (seen[2]["x"] - seen[1]["x"]) / (seen[2]["time"] - seen[1]["time"])
        assert seg.duration == pytest.approx(200 / px_per_s, rel=0.05)
        start = seg.time

        # Dragging its end edge (in the band under the beat codes) makes it longer.
        band = box["y"] + page.evaluate(
            "() => document.getElementById('viewer').wtViewer.editorBand()"
        )
        page.mouse.move(x0 + 200, band)
        page.mouse.down()
        page.mouse.move(x0 + 300, band, steps=6)
        page.mouse.up()
        settle(page)
        seg.refresh_from_db()
        assert seg.time == pytest.approx(start, abs=1e-6)
        assert seg.duration == pytest.approx(300 / px_per_s, rel=0.05)
        # and its start edge, dragged left, makes it start earlier.
        page.mouse.move(x0, band)
        page.mouse.down()
        page.mouse.move(x0 - 50, band, steps=6)
        page.mouse.up()
        settle(page)
        seg.refresh_from_db()
        assert seg.time == pytest.approx(start - 50 / px_per_s, abs=0.05)
        assert seg.time + seg.duration == pytest.approx(start + 300 / px_per_s, rel=0.05)

        # Alt+drag on the overview: a segment over a long stretch.
        ov = page.get_by_test_id("overview").bounding_box()
        oy = ov["y"] + ov["height"] / 2
        page.keyboard.down("Alt")
        page.mouse.move(ov["x"] + ov["width"] * 0.5, oy)
        page.mouse.down()
        page.mouse.move(ov["x"] + ov["width"] * 0.75, oy, steps=5)
        page.mouse.up()
        page.keyboard.up("Alt")
        page.get_by_test_id("segment-label-(SVTA").click()
        settle(page)
        long = Annotation.objects.get(annotation_set=world.set, symbol="+", aux_note="(SVTA")
        duration = world.record.duration
        assert long.time == pytest.approx(duration / 2, rel=0.02)
        assert long.duration == pytest.approx(duration / 4, rel=0.05)
        assert page.evaluate("() => document.getElementById('viewer').wtViewer.view().start") < 5

        # Select a beat: its fiducial handles show; drag the QRS onset.
        click_beat(page, box, seen[3])
        handles = page.evaluate("() => document.getElementById('viewer').wtViewer.fiducials()")
        qrs_on = next(h for h in handles if h["kind"] == "QRS_on")
        assert not qrs_on["set"]
        hx, hy = box["x"] + qrs_on["x"], box["y"] + qrs_on["y"]
        page.mouse.move(hx, hy)
        page.mouse.down()
        page.mouse.move(hx - 12, hy, steps=4)
        # While held, the handle follows the pointer: its colour left of where it was.
        page.wait_for_function(HANDLE_AT, arg=[qrs_on["x"] - 20, qrs_on["y"]])
        page.mouse.up()
        settle(page)
        point = Annotation.objects.get(annotation_set=world.set, beat_id=seen[3]["id"])
        assert (point.symbol, point.num) == ("(", 1)
        assert seen[3]["time"] - 0.2 < point.time < seen[3]["time"]
        errors.check()

    def test_a_refused_edit_shows_its_message(self, make_page: Any, world: Any) -> None:
        page, errors, box = open_editor(make_page, world)
        seen = beats_in_view(page)
        # The set is taken away from its maker meanwhile: the server refuses the edit.
        other = make_member(world.project, "ann2")
        AnnotationSet.objects.filter(pk=world.set.pk).update(created_by=other)
        click_beat(page, box, seen[1])
        page.keyboard.press("Shift+V")
        page.wait_for_selector("[data-testid=edit-status][data-state=error]")
        assert "Edit not saved" in page.locator(".wt-message").inner_text()
        assert Annotation.objects.get(pk=seen[1]["id"]).symbol == "N"
        symbol = page.evaluate(
            f"() => document.getElementById('viewer').wtViewer.beats()"
            f".find(b => b.id === {seen[1]['id']}).symbol"
        )
        assert symbol == "N"  # the refused relabel is rolled back on screen
        # The refusal (404: not the user's set any more) and the failed re-read (400).
        assert errors and all("404" in e or "400" in e for e in errors), errors


class TestOnAPhone:
    def test_the_edit_beats_button_shows_its_icon(self, make_page: Any, world: Any) -> None:
        page, errors = make_page(world.ann, viewport=(393, 851), touch=True)
        page.goto(f"/records/{world.record.pk}/")
        page.wait_for_selector(READY)
        toggle = page.get_by_test_id("beat-editor-toggle")
        # Something of the button's own content is drawn: its icon (the text is hidden on
        # narrow screens, which left the button blank).
        shown = toggle.locator("svg, .wt-btn-text").evaluate_all(
            """els => els.filter(e => {
              const r = e.getBoundingClientRect();
              return r.width >= 10 && r.height >= 10 && getComputedStyle(e).display !== 'none';
            }).length"""
        )
        assert shown >= 1
        assert toggle.get_attribute("aria-label") == "Edit beats"
        toggle.tap()
        page.wait_for_function("() => document.getElementById('viewer').wtViewer.beats().length")
        errors.check()
