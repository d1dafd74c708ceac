"""The viewer's seams in a real Chromium: its vocabulary comes from the configuration the
server sends (wavetag/signal/vocabulary.py), its canvases draw registered layers, and its
store refuses keys that the initial state does not declare."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from wavetag.records import sets
from wavetag.records.models import Annotation, AnnotationSet, Record
from wavetag.signal import vocabulary

from ..factories import import_ok, make_member, make_project

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"
VIEWER = "document.getElementById('viewer').wtViewer"
# The canvases of the plot, in their stacking order (dom.js).
CANVAS = "document.querySelectorAll('[data-testid=waveform] canvas')"
TRACES, OVERLAY = 1, 3


@pytest.fixture
def world(data_dir: Path, settings: Any, tmp_path: Path) -> SimpleNamespace:
    settings.STORE_DIR = tmp_path / "store"
    import_ok(data_dir / "mitdb/100", dataset="mitdb")
    project = make_project("beats", "mitdb", "wearable-rhythm", visible_sets=["atr"])
    w = SimpleNamespace(record=Record.objects.get(name="100"), project=project)
    w.ann = make_member(project, "ann")
    atr = AnnotationSet.objects.get(record=w.record, name="atr")
    w.set = sets.create_working_set(atr, w.ann)
    return w


def open_record(make_page: Any, w: SimpleNamespace) -> tuple[Any, Any]:
    page, errors = make_page(w.ann)
    page.goto(f"/records/{w.record.pk}/")
    page.wait_for_selector(READY)
    return page, errors


def open_editor(page: Any) -> None:
    page.get_by_test_id("beat-editor-toggle").click()
    page.wait_for_function(f"() => {VIEWER}.beats().length > 0")


def rhythm_buttons(page: Any) -> list[str]:
    labels = page.get_by_test_id("segment-labels").locator("button")
    return [str(t) for t in labels.all_text_contents()]


class TestVocabularyFromConfiguration:
    def test_the_page_sends_the_vocabulary_and_the_editor_lists_its_rhythms(
        self, make_page: Any, world: Any
    ) -> None:
        page, errors = open_record(make_page, world)
        found = re.search(r'id="viewer-config"[^>]*>(.*?)</script>', page.content(), re.S)
        assert found
        assert json.loads(found.group(1))["vocabulary"] == vocabulary.for_viewer()
        open_editor(page)
        assert rhythm_buttons(page) == list(vocabulary.COMMON_RHYTHMS)
        errors.check()

    def test_a_changed_vocabulary_reaches_the_viewer(
        self, make_page: Any, world: Any, monkeypatch: Any
    ) -> None:
        # A vocabulary the viewer cannot know but from its configuration: a rhythm label
        # and a beat code of its own. Written into the JS, neither would show.
        changed = vocabulary.for_viewer()
        changed["common_rhythms"] = ["(N", "(TEST"]
        changed["beat_codes"] = [*changed["beat_codes"], "Z"]
        monkeypatch.setattr(vocabulary, "for_viewer", lambda: changed)
        first = Annotation.objects.filter(annotation_set=world.set).order_by("time").first()
        odd = Annotation.objects.create(
            annotation_set=world.set, time=first.time + 0.3, sample=first.sample + 108, symbol="Z"
        )
        page, errors = open_record(make_page, world)
        open_editor(page)
        assert rhythm_buttons(page) == ["(N", "(TEST"]
        kind = page.evaluate(f"() => {VIEWER}.beats().find((b) => b.id === {odd.pk}).kind")
        assert kind == "beat"
        errors.check()


# A layer filling a square in the middle of the first panel, in a colour nothing else
# uses; it says where it drew and how often.
ADD_LAYER = """(canvas) => {
  const drawn = { frames: 0, x: 0, y: 0 };
  const remove = VIEWER.addLayer(canvas, {
    draw(ctx, frame) {
      const p = frame.panels[0];
      drawn.frames += 1;
      drawn.x = p.x + p.w / 2;
      drawn.y = p.y + p.h / 2;
      ctx.fillStyle = 'rgb(255, 0, 255)';
      ctx.fillRect(drawn.x - 5, drawn.y - 5, 10, 10);
    },
    idle: () => false,
  });
  window.testLayer = { remove, drawn };
}""".replace("VIEWER", VIEWER)

MAGENTA = """(index) => {
  const canvas = CANVAS[index];
  const { x, y } = window.testLayer.drawn;
  const dpr = canvas.width / canvas.clientWidth;
  // Read through a fresh canvas: repeated reads of the viewer's own would warn.
  const one = document.createElement('canvas');
  one.width = one.height = 1;
  const ctx = one.getContext('2d');
  ctx.drawImage(canvas, Math.floor(x * dpr), Math.floor(y * dpr), 1, 1, 0, 0, 1, 1);
  const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
  return r === 255 && g === 0 && b === 255;
}""".replace("CANVAS", CANVAS)


class TestLayers:
    @pytest.mark.parametrize("canvas", ["traces", "overlay"])
    def test_a_registered_layer_is_drawn_until_removed(
        self, make_page: Any, world: Any, canvas: str
    ) -> None:
        page, errors = open_record(make_page, world)
        index = TRACES if canvas == "traces" else OVERLAY
        page.evaluate(ADD_LAYER, canvas)
        page.wait_for_function("() => window.testLayer.drawn.frames > 0")
        page.wait_for_function(MAGENTA, arg=index)
        # The other canvas does not get it.
        assert not page.evaluate(MAGENTA, OVERLAY if index == TRACES else TRACES)
        page.evaluate("() => window.testLayer.remove()")
        page.wait_for_function(f"(index) => !({MAGENTA})(index)", arg=index)
        errors.check()


class TestStoreKeys:
    def test_the_beat_editor_keys_are_declared_and_others_are_refused(
        self, make_page: Any, world: Any
    ) -> None:
        page, errors = open_record(make_page, world)
        keys = page.evaluate(f"() => Object.keys({VIEWER}.store.get())")
        for key in ("editOn", "editSet", "editRows", "selection", "editPending", "editStatus"):
            assert key in keys
        errors.check()
        page.evaluate(f"() => {VIEWER}.store.set({{ notDeclared: 1 }})")
        assert any('undeclared key "notDeclared"' in e for e in errors), errors
