"""The dataset page's upload box in a real browser (static/web/upload.js): files chosen,
sent with a progress bar, each file's outcome, the list of records refreshed; a large
upload followed as an import job; an upload over the limit refused. Records used:
mitdb/100 (.hea, .dat, .atr) and broken/truncated_dat from $WAVETAG_TEST_DATA."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import make_user
from wavetag.analysis.import_jobs import execute_import
from wavetag.records.models import ImportJob, Record
from wavetag.records.uploads import create_dataset

pytestmark = pytest.mark.django_db(transaction=True)

SENT = ("mitdb/100.hea", "mitdb/100.dat", "mitdb/100.atr")
BROKEN = ("broken/truncated_dat.hea", "broken/truncated_dat.dat")


@pytest.fixture
def w(settings: Any, tmp_path: Path, data_dir: Path) -> SimpleNamespace:
    """A site admin (a dataset manager who may also open every record page) and an empty
    dataset; the store and the uploads in the test's folder."""
    settings.STORE_DIR = tmp_path / "store"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    dataset = create_dataset("uploads")
    files = [str(data_dir / n) for n in SENT + BROKEN]
    return SimpleNamespace(
        root=make_user("root", staff=True, password=None), dataset=dataset, files=files
    )


def open_dataset(make_page: Any, w: Any) -> tuple[Any, Any]:
    page, errors = make_page(w.root)
    page.goto(f"/datasets/{w.dataset.pk}/")
    expect(page.get_by_test_id("record-count")).to_have_text("0 records")
    return page, errors


class TestUploadBox:
    def test_files_chosen_are_imported_or_refused_and_linked(self, make_page: Any, w: Any) -> None:
        page, errors = open_dataset(make_page, w)
        page.get_by_test_id("upload-input").set_input_files(w.files)
        expect(page.get_by_test_id("upload-percent")).to_have_text(re.compile(r"^100 %"))
        expect(page.get_by_test_id("upload-progress")).to_have_attribute("value", "100")
        imported = page.get_by_test_id("upload-imported").get_by_role("link")
        expect(imported).to_have_text(["100"])
        refused = page.get_by_test_id("upload-refused").locator("li")
        expect(refused).to_have_count(1)
        # The file as sent, then the importer's reason, without the server's folders.
        file, reason = refused.inner_text().split(": ", 1)
        assert file == "truncated_dat.hea" and len(reason) > 10 and "/uploads/" not in reason
        # The page's own list shows the new record without a reload.
        expect(page.get_by_test_id("record-count")).to_have_text("1 record")
        record = Record.objects.get(dataset=w.dataset)
        assert record.name == "100"
        imported.click()
        page.wait_for_url(f"**/records/{record.pk}/")
        expect(page).to_have_title(re.compile(r"^100 · uploads"))
        expect(page.locator("nav.crumbs")).to_contain_text("uploads / 100")
        errors.check()

    def test_the_file_input_is_reached_by_keyboard(self, make_page: Any, w: Any) -> None:
        page, errors = open_dataset(make_page, w)
        page.get_by_test_id("record-search").focus()
        # Backwards from the search box (a link or two may sit between): the file input is
        # among the few controls before it, reached by the keyboard alone.
        reached = []
        for _ in range(4):
            page.keyboard.press("Shift+Tab")
            reached.append(
                page.evaluate("document.activeElement.type || document.activeElement.tagName")
            )
            if reached[-1] == "file":
                break
        assert reached[-1] == "file", reached
        errors.check()

    def test_a_large_upload_is_followed_as_a_job(
        self, make_page: Any, w: Any, settings: Any
    ) -> None:
        settings.UPLOAD_INLINE_MAX = 1  # every upload is queued for the worker
        page, errors = open_dataset(make_page, w)
        page.get_by_test_id("upload-input").set_input_files(w.files)
        percent = page.get_by_test_id("upload-percent")
        expect(percent).to_contain_text("waiting for the import")
        job = ImportJob.objects.get()
        assert execute_import(job.pk).status == "done"  # what the worker runs
        expect(percent).to_have_text(re.compile(r"^100 % · import done"))
        expect(page.get_by_test_id("upload-imported").get_by_role("link")).to_have_text(["100"])
        expect(page.get_by_test_id("upload-refused")).to_contain_text("truncated_dat")
        expect(page.get_by_test_id("record-count")).to_have_text("1 record")
        errors.check()

    def test_an_upload_over_the_limit_is_refused_clearly(
        self, make_page: Any, w: Any, settings: Any
    ) -> None:
        page, errors = open_dataset(make_page, w)
        # The page was drawn under the default limit; the server now holds a smaller one.
        settings.MAX_UPLOAD = 1000
        page.get_by_test_id("upload-input").set_input_files(w.files)
        error = page.get_by_test_id("upload-error")
        expect(error).to_contain_text("Too large")
        expect(error).to_contain_text("WAVETAG_MAX_UPLOAD")
        assert not Record.objects.exists()
        assert [e for e in errors if " 413 " not in e] == []
        # Drawn under the small limit, the page refuses before sending anything.
        page.reload()
        page.get_by_test_id("upload-input").set_input_files(w.files)
        expect(error).to_contain_text("at most 1000 bytes in one upload")

    def test_files_dropped_are_sent_and_a_refusal_shown(self, make_page: Any, w: Any) -> None:
        page, errors = open_dataset(make_page, w)
        drop = page.get_by_test_id("drop-zone")
        transfer = page.evaluate_handle(
            """() => {
                const t = new DataTransfer();
                t.items.add(new File(["not a record"], "notes.txt"));
                return t;
            }"""
        )
        drop.dispatch_event("dragover", {"dataTransfer": transfer})
        expect(drop).to_have_class(re.compile(r"\bover\b"))
        drop.dispatch_event("drop", {"dataTransfer": transfer})
        expect(page.get_by_test_id("upload-error")).to_contain_text("no record could be made")
        refused = page.get_by_test_id("upload-refused").locator("li")
        expect(refused).to_have_text(re.compile(r"^notes\.txt: goes with no record"))
        expect(drop).not_to_have_class(re.compile(r"\bover\b"))
        assert not Record.objects.exists()
        assert [e for e in errors if " 400 " not in e] == []
