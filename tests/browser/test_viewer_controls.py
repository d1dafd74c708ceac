"""Viewer controls found wanting in use: the filters menu, the event line of alarm tasks,
the caliper's label, the edit-beats button on a phone, the lane gain of crowded records.

Every test ends with ``errors.check()`` (no console errors, no HTTP status >= 400).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import import_ok, make_user
from wavetag.records.models import Record

from .test_viewer import RECORDS, open_viewer

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
