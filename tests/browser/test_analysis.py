"""The record page follows an analysis run until it is done, in a real browser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.factories import import_ok, make_member, make_project
from wavetag.analysis.jobs import execute_run
from wavetag.analysis.models import AnalysisRun
from wavetag.records.models import Record
from wavetag.signal import qrs

pytestmark = pytest.mark.django_db(transaction=True)


def test_button_queues_and_page_shows_progress_then_result(
    make_page, live_server, data_dir: Path, settings, tmp_path: Path, monkeypatch
) -> None:
    settings.STORE_DIR = tmp_path / "store"
    import_ok(data_dir / "mitdb/100", dataset="mitdb")
    lead = make_member(make_project("rhythm", "mitdb", "wearable-rhythm"), "lead", "admin")
    monkeypatch.setattr(
        qrs, "detect_qrs_chunked", lambda read, n, fs, **kw: np.arange(100, n, 300, dtype=np.int64)
    )
    record = Record.objects.get(name="100")
    page, errors = make_page(lead)
    page.goto(f"/records/{record.pk}/")
    page.click("text=Detect beats")
    page.wait_for_selector(".analysis-status[data-status=queued]")
    assert page.locator(".analysis progress").count() == 1
    # The worker's part, done here: the page is polling meanwhile.
    run = execute_run(AnalysisRun.objects.get().pk)
    page.wait_for_selector(".analysis-status[data-status=done]", timeout=10_000)
    text = page.locator(".analysis-status").inner_text()
    assert f"done, {run.beats} beats in set auto" in text
    page.click("text=reload to show it")
    page.wait_for_selector("text=Detect beats again")
    errors.check()
