"""A 12-lead diagnosis form pre-filled with machine suggestions, in a real browser: ticked,
marked, and submitted by the annotator as it stands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import import_ok, make_member, make_project
from wavetag.analysis.jobs import execute_run
from wavetag.analysis.services import request_analysis
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Annotation
from wavetag.projects.services import update_settings
from wavetag.records.models import Record

pytestmark = pytest.mark.django_db(transaction=True)


def tid(name: str) -> str:
    return f'[data-testid="{name}"]'


def test_prefilled_marked_and_submitted(
    make_page: Any, data_dir: Path, settings: Any, tmp_path: Path
) -> None:
    settings.STORE_DIR = tmp_path / "store"
    # cinc2021/E07510: Dx RBBB and sinus bradycardia.
    import_ok(data_dir / "cinc2021" / "E07510", dataset="cinc")
    project = make_project("twelve", "cinc", "resting-12lead", annotators_per_task=1)
    lead = make_member(project, "lead", "admin")
    doc = make_member(project, "doc")
    execute_run(request_analysis(Record.objects.get(name="E07510"), lead, enqueue=False).pk)
    update_settings(project, {"machine_suggestions": True})
    (task,) = claim_batch(project, doc)
    page, errors = make_page(doc)
    page.goto(f"/tasks/{task.pk}/")
    page.wait_for_load_state("networkidle")
    assert page.locator(tid("choice-diagnoses-rbbb")).is_checked()
    assert page.locator(tid("grade-diagnoses-rbbb-Confirmed")).is_checked()
    assert page.locator(tid("machine-diagnoses-rbbb")).is_visible()
    assert page.locator(tid("machine-suggestion-box")).is_visible()
    assert not page.locator(tid("choice-diagnoses-lbbb")).is_checked()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: not url.rstrip("/").endswith(f"/tasks/{task.pk}"))
    saved = Annotation.objects.get(task=task, user=doc)
    assert saved.status == "submitted"
    assert {"value": "rbbb", "grade": "Confirmed"} in saved.answer["diagnoses"]
    errors.check()
