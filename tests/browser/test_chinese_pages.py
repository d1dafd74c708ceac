"""The account, project, dataset and console pages in Chinese: nothing left in English
but data (names marked ``translate="no"``), units and the abbreviations Chinese clinical
text writes in Latin letters (``tests/browser/chinese.py``)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.chinese import ALLOWED, WORD, assert_chinese
from tests.factories import import_ok, make_member, make_project, make_user
from wavetag.analysis.import_jobs import execute_import
from wavetag.analysis.jobs import execute_run
from wavetag.analysis.services import request_analysis
from wavetag.projects.models import Project
from wavetag.projects.teams import add_to_team, create_team
from wavetag.records.models import Dataset, ImportJob, Record
from wavetag.signal import qrs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(data_dir: Path, settings, tmp_path: Path, monkeypatch) -> SimpleNamespace:
    """A record of MIT-BIH with a finished analysis, a project on it with a team, an open
    project, a site admin and an annotator (Chinese names: data is not checked anyway)."""
    settings.STORE_DIR = tmp_path / "store"
    import_ok(data_dir / "mitdb/100", dataset="心律失常库")
    project = make_project("心律研究", "心律失常库", "wearable-rhythm")
    Project.objects.filter(pk=make_project("开放研究", "心律失常库", "wearable-rhythm").pk).update(
        open=True
    )
    admin = make_user("王医生", staff=True, password=None)
    annotator = make_member(project, "李护士")
    team = create_team(project, "甲组")
    add_to_team(team, annotator)
    # Regular beats, so that the analysis runs in a moment and suggests a rhythm.
    monkeypatch.setattr(
        qrs, "detect_qrs_chunked", lambda read, n, fs, **kw: np.arange(100, n, 300, dtype=np.int64)
    )
    record = Record.objects.get(name="100")
    run = execute_run(request_analysis(record, admin).pk)
    assert run.status == "done"
    return SimpleNamespace(
        project=project, admin=admin, annotator=annotator, record=record, run=run
    )


class TestChinesePages:
    def test_log_in_page(self, make_page) -> None:
        page, errors = make_page(locale="zh-CN")
        page.goto("/login/")
        assert_chinese(page, "the log-in page")
        errors.check()

    def test_an_annotators_pages(self, make_page, world: SimpleNamespace) -> None:
        page, errors = make_page(world.annotator, locale="zh-CN")
        page.goto("/")
        assert page.get_by_test_id(f"project-{world.project.pk}").is_visible()
        assert_chinese(page, "the home page")
        page.goto("/account/")
        assert_chinese(page, "the account page")
        page.goto(f"/projects/{world.project.pk}/")
        assert page.get_by_test_id("claim-batch").is_visible()
        assert_chinese(page, "the project page")
        page.goto("/projects/open/")
        assert page.get_by_test_id("open-projects").is_visible()
        assert_chinese(page, "the catalogue of open projects")
        errors.check()

    def test_a_site_admins_pages(self, make_page, world: SimpleNamespace) -> None:
        page, errors = make_page(world.admin, locale="zh-CN")
        page.goto("/")
        assert_chinese(page, "the home page of a dataset manager")
        page.goto("/projects/new/")
        # The preview is the answer form annotators see: its labels are the schema's.
        assert_chinese(page, "the new-project page", skip="#preview")
        page.goto(f"/projects/{world.project.pk}/console/")
        assert page.get_by_test_id("teams").is_visible()
        assert page.get_by_test_id("team-甲组").is_visible()
        # The expert pages' navigation belongs to those pages.
        assert_chinese(page, "the console", skip="[data-testid=project-nav]")
        dataset = Dataset.objects.get(name="心律失常库")
        page.goto(f"/datasets/{dataset.pk}/")
        assert page.get_by_test_id("drop-zone").is_visible()
        assert_chinese(page, "the dataset page")
        page.goto("/datasets/physionet/")
        assert_chinese(page, "the PhysioNet import page")
        page.goto(f"/records/{world.record.pk}/")
        assert page.get_by_test_id("analysis-summary").is_visible()
        assert "窦性心律" in page.get_by_test_id("analysis-summary").inner_text()
        assert_chinese(page, "the record page", skip=".wt-viewer")
        errors.check()

    def test_broken_files_refused_within_the_request_and_by_the_worker(
        self, make_page, world: SimpleNamespace, data_dir: Path, settings, tmp_path: Path
    ) -> None:
        settings.UPLOAD_DIR = tmp_path / "uploads"
        files = [str(p) for p in sorted((data_dir / "broken").iterdir())]
        page, errors = make_page(world.admin, locale="zh-CN")
        dataset = Dataset.objects.get(name="心律失常库")
        page.goto(f"/datasets/{dataset.pk}/")
        page.get_by_test_id("upload-input").set_input_files(files)
        refused = page.get_by_test_id("upload-refused").locator("li")
        expect(refused).to_have_count(11)
        # The answer names the API's field (files: ...), as every refusal does.
        expect(page.get_by_test_id("upload-error")).to_have_text("files: 未能导入任何记录")
        assert_refusals_in_chinese(
            page, "an upload within its request", "li, [data-testid=upload-error]"
        )
        # The same files as a job the worker runs: stored in English, shown in Chinese.
        settings.UPLOAD_INLINE_MAX = 1
        page.reload()
        page.get_by_test_id("upload-input").set_input_files(files)
        for _ in range(100):
            job = ImportJob.objects.first()
            if job is not None:
                break
            time.sleep(0.1)
        assert job is not None
        assert execute_import(job.pk).status == "failed"  # what the worker runs
        expect(page.get_by_test_id("upload-error")).to_contain_text("导入失败")
        expect(refused).to_have_count(11)
        assert_refusals_in_chinese(page, "an upload run by the worker")
        assert [e for e in errors if " 400 " not in e] == []


# File names and values quoted from a file are data, not words to translate.
_DATA = re.compile(r"\S+\.(?:hea|dat|atr|edf)\b|'[^']*'")


def assert_refusals_in_chinese(page, what: str, skip: str = "li") -> None:
    outcome = page.get_by_test_id("upload-outcome")
    assert_chinese(page, what, within="[data-testid=upload-outcome]", skip=skip)
    for text in outcome.locator("li").all_inner_texts():
        reason = _DATA.sub("", text)
        words = [w for w in WORD.findall(reason) if w not in ALLOWED]
        assert not words, f"{what}: {text!r} still shows English ({', '.join(words)})"
