"""The "Import from PhysioNet" page in a real browser: a dataset manager lists the records
of a local mirror's database, picks two, starts the import, follows the job (run here
as the worker runs it) to its outcome and opens a record."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import physionet_mirror
from tests.factories import make_user
from wavetag.analysis.import_jobs import execute_import
from wavetag.records.models import ImportJob, Record
from wavetag.web.assets import viewer_version

pytestmark = pytest.mark.django_db(transaction=True)


def queued_job() -> ImportJob:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = ImportJob.objects.first()
        if job is not None:
            return job
        time.sleep(0.1)
    raise AssertionError("no import job was queued")


class TestPhysionetPage:
    def test_the_page_script_imports_the_preloaded_catalogue_module(
        self, make_page: Any, live_server: Any
    ) -> None:
        # base.html preloads i18n.js at the URL the import map sends the page script's
        # import to: one fetch, early, and none after the script runs.
        page, errors = make_page(make_user("curator", staff=True, password=None))
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url) if "/web/viewer/" in r.url else None)
        page.goto("/datasets/physionet/")
        expect(page.get_by_test_id("list-records")).to_be_enabled()
        page.wait_for_load_state("networkidle")
        i18n = f"/static/web/viewer/i18n.js?v={viewer_version()}"
        assert fetched == [live_server.url + i18n], fetched
        errors.check()

    def test_list_pick_start_follow_open(
        self,
        make_page: Any,
        settings: Any,
        tmp_path: Path,
        data_dir: Path,
        monkeypatch: Any,
    ) -> None:
        settings.STORE_DIR = tmp_path / "store"
        settings.UPLOAD_DIR = tmp_path / "uploads"
        root = physionet_mirror.build(tmp_path / "mirror", data_dir)
        (root / "files/mitdb/1.0.0/RECORDS").write_text("100\n105\n107\n")
        admin = make_user("curator", staff=True, password=None)
        with physionet_mirror.serve(root) as url:
            monkeypatch.setenv("WAVETAG_PHYSIONET_URL", url)
            page, errors = make_page(admin)
            page.goto("/")
            page.get_by_test_id("physionet-import").click()

            page.get_by_test_id("database").fill("nosuchdb")
            page.get_by_test_id("list-records").click()
            alert = page.get_by_test_id("physionet-error")
            alert.get_by_text("no database named 'nosuchdb'").wait_for()
            # The refusal asked for: the browser reports the 400 and nothing else.
            assert len(errors) == 2 and all("400" in e for e in errors), errors
            errors.clear()

            page.get_by_test_id("database").fill("mitdb")
            page.get_by_test_id("list-records").click()
            page.get_by_test_id("records-count").get_by_text("3 in mitdb 1.0.0").wait_for()
            assert alert.is_hidden()
            page.get_by_test_id("pick-none").click()
            page.get_by_label("100").check()
            page.get_by_label("105").check()
            assert page.get_by_test_id("dataset").input_value() == "mitdb"
            page.get_by_test_id("dataset").fill("arrhythmia")
            page.get_by_test_id("start").click()

            job = queued_job()
            assert job.source["physionet"]["records"] == ["100", "105"]
            page.get_by_test_id("job-status").get_by_text("waiting for the worker").wait_for()
            assert execute_import(job.pk).status == "done"  # what the worker runs

            status = page.get_by_test_id("job-status")
            status.get_by_text("done: 2 imported, 0 refused").wait_for()
            assert page.get_by_test_id("job-progress").evaluate("p => p.value") == 1
            imported = page.get_by_test_id("imported")
            assert imported.get_by_role("link").all_inner_texts() == ["100", "105"]
            imported.get_by_role("link", name="105").click()
            page.wait_for_url(f"**/records/{Record.objects.get(name='105').pk}/")
            page.get_by_text("105").first.wait_for()
            errors.check()
