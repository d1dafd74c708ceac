"""What the page scripts write, in Chinese: the viewer (toolbar, every menu, the settings
panel, the help, a caliper), the beat editor, a task page's messages, the upload box after
an upload and the new-project page's live check. Each check looks only inside the parts a
script makes (``within``): the templates around them are other pages' business. English
stays the default, which the other browser tests (asserting English texts) hold to."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.chinese import assert_chinese
from tests.factories import icu_team, make_member, make_project, make_user
from wavetag.annotations.batches import claim_batch
from wavetag.records import sets
from wavetag.records.models import AnnotationSet, Record
from wavetag.records.uploads import create_dataset

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"
SAVED = "[data-testid=edit-status][data-state=saved]"
VIEWER = ".wt-viewer"
CATALOGUE = "() => JSON.parse(document.getElementById('wavetag-catalogue').textContent)"


@pytest.fixture
def beats(mitdb_100: Any) -> SimpleNamespace:
    """MIT-BIH 100 in a project whose annotator has a working copy of its reference beats."""
    project = make_project("beats", "mitdb", "wearable-rhythm", visible_sets=["atr"])
    w = SimpleNamespace(record=Record.objects.get(name="100"), project=project)
    w.ann = make_member(project, "ann")
    w.set = sets.create_working_set(AnnotationSet.objects.get(record=w.record, name="atr"), w.ann)
    return w


def open_record(make_page: Any, w: SimpleNamespace, locale: str = "zh-CN") -> tuple[Any, Any]:
    page, errors = make_page(w.ann, locale=locale)
    page.goto(f"/records/{w.record.pk}/")
    page.wait_for_selector(READY)
    return page, errors


class TestViewerInChinese:
    def test_toolbar_menus_settings_help_and_a_caliper(self, make_page: Any, beats: Any) -> None:
        page, errors = open_record(make_page, beats)
        # Every menu is built when first opened; the check reads hidden text too.
        for name in ("filter", "channels", "annotations"):
            page.locator(f"{VIEWER} button[data-action={name}]").click()
        page.locator("[data-testid=waveform]").focus()
        page.keyboard.press("Escape")
        page.keyboard.press("Shift+C")
        expect(page.get_by_test_id("caliper-readout")).to_have_count(1)
        expect(page.get_by_test_id("caliper-readout")).to_contain_text("测量尺 1")
        page.keyboard.press("p")
        expect(page.get_by_test_id("settings-panel")).to_be_visible()
        expect(page.get_by_test_id("settings-panel")).to_contain_text("查看器设置")
        page.keyboard.press("Escape")
        page.get_by_test_id("help-button").click()
        expect(page.get_by_test_id("help")).to_contain_text("键盘快捷键")
        page.keyboard.press("Escape")
        assert page.get_by_test_id("pan-left").get_attribute("title") == "后退半页 (←)"
        assert_chinese(page, "the record page's viewer", within=VIEWER)
        errors.check()

    def test_the_beat_editor(self, make_page: Any, beats: Any) -> None:
        page, errors = open_record(make_page, beats)
        page.get_by_test_id("beat-editor-toggle").click()
        page.wait_for_selector(SAVED)
        page.wait_for_function("() => document.getElementById('viewer').wtViewer.beats().length")
        status = page.get_by_test_id("edit-status")
        expect(status).to_contain_text("已选 0 个")
        expect(status).to_contain_text("已保存")
        # A beat code keeps its letter; its name and the rest of the tooltip are translated.
        v = page.get_by_test_id("beat-code-V")
        assert v.inner_text() == "V"
        assert "室性早搏" in (v.get_attribute("title") or "")
        afib = page.get_by_test_id("segment-label-(AFIB")
        assert afib.inner_text() == "(AFIB"
        assert "心房颤动" in (afib.get_attribute("title") or "")
        assert_chinese(page, "the beat editor", within=VIEWER)
        errors.check()

    def test_english_is_unchanged(self, make_page: Any, beats: Any) -> None:
        page, errors = open_record(make_page, beats, locale="en-US")
        assert page.get_by_test_id("pan-left").get_attribute("title") == "Back half a page (←)"
        page.locator("[data-testid=waveform]").focus()
        page.keyboard.press("Shift+C")
        expect(page.get_by_test_id("caliper-readout")).to_contain_text("Caliper 1 on MLII: ")
        page.get_by_test_id("beat-editor-toggle").click()
        page.wait_for_selector(SAVED)
        assert page.get_by_test_id("beat-code-V").get_attribute("title") == (
            "Code V, Premature ventricular contraction (key V): relabels the selection"
        )
        errors.check()


class TestCatalogue:
    def test_the_embedded_and_the_served_catalogue_agree(self, make_page: Any) -> None:
        user = make_user("li", password=None)
        page, errors = make_page(user, locale="zh-CN")
        page.goto("/account/")
        embedded = page.evaluate(CATALOGUE)
        # Asked by the page, with the browser's language, as another client would.
        served = page.evaluate("() => fetch('/i18n/catalogue.json').then((r) => r.json())")
        assert embedded["catalog"] == served["catalog"]
        assert embedded["catalog"]["Keyboard shortcuts"] == "键盘快捷键"
        assert embedded["catalog"]["Imported: %(n)s record"] == ["已导入：%(n)s 条记录"]
        errors.check()

    def test_a_page_in_english_carries_an_empty_catalogue(self, make_page: Any) -> None:
        user = make_user("li", password=None)
        page, errors = make_page(user, locale="en-US")
        page.goto("/account/")
        assert page.evaluate(CATALOGUE)["catalog"] == {}
        errors.check()


class TestPagesInChinese:
    def test_a_task_page_draft_and_save_messages(
        self, make_page: Any, icu_alarms: Any, ecg_record: Any
    ) -> None:
        world = icu_team(batch_size=2)
        _, second = claim_batch(world.project, world.ann1)
        page, errors = make_page(world.ann1, locale="zh-CN")
        page.goto(f"/tasks/{second.pk}/")
        page.wait_for_selector(READY)
        page.keyboard.press("r")
        page.reload()
        page.wait_for_selector(READY)
        status = page.get_by_test_id("save-status")
        expect(status).to_have_text("已从本浏览器恢复您未保存的修改。")
        assert_chinese(page, "the draft message", within="[data-testid=save-status]")
        # The server out of reach: the script's own message, the answer kept.
        page.route(f"**/tasks/{second.pk}/", lambda route: route.abort())
        page.keyboard.press("Shift+L")
        error = page.get_by_test_id("form-error")
        expect(error).to_have_text("无法连接服务器。您的答案已保留在本浏览器中，请重试。")
        assert_chinese(page, "the save error", within="[data-testid=form-error]")
        assert_chinese(page, "the task page's viewer", within=VIEWER)
        assert all("ERR_FAILED" in e for e in errors), errors

    def test_the_upload_box_after_an_upload(
        self, make_page: Any, settings: Any, tmp_path: Path, data_dir: Path
    ) -> None:
        settings.STORE_DIR = tmp_path / "store"
        settings.UPLOAD_DIR = tmp_path / "uploads"
        dataset = create_dataset("uploads")
        root = make_user("root", staff=True, password=None)
        names = ("mitdb/100.hea", "mitdb/100.dat", "broken/truncated_dat.hea")
        page, errors = make_page(root, locale="zh-CN")
        page.goto(f"/datasets/{dataset.pk}/")
        page.get_by_test_id("upload-input").set_input_files([str(data_dir / n) for n in names])
        expect(page.get_by_test_id("upload-imported").get_by_role("link")).to_have_text(["100"])
        expect(page.get_by_test_id("upload-outcome")).to_contain_text("已导入：1 条记录")
        expect(page.get_by_test_id("upload-percent")).to_have_text("100 % · 完成")
        assert_chinese(page, "the upload progress", within="[data-testid=upload-status]")
        # A refused file's reason is the server's text, not the script's.
        assert_chinese(
            page,
            "the upload outcome",
            within="[data-testid=upload-outcome]",
            skip="[data-testid=upload-refused] li",
        )
        errors.check()

    def test_the_new_project_schema_check(self, make_page: Any, mitdb_records: Any) -> None:
        root = make_user("root", staff=True, password=None)
        page, errors = make_page(root, locale="zh-CN")
        page.goto("/projects/new/")
        page.get_by_test_id("schema").fill("{")
        expect(page.get_by_test_id("schema-parse")).to_contain_text("不是有效的 JSON")
        assert_chinese(page, "the schema check", within="[data-testid=schema-parse]")
        errors.check()

    def test_the_tutorial_guide_and_result(self, make_page: Any) -> None:
        page, errors = make_page(make_user("someone", password=None), locale="zh-CN")
        page.goto("/tutorial/icu-alarm/")
        page.wait_for_selector(READY)
        expect(page.get_by_test_id("guide-count")).to_have_text("第 1 步，共 10 步")
        assert_chinese(page, "the guide's step count", within="[data-testid=guide-count]")
        assert_chinese(page, "the tutorial's viewer", within=VIEWER)
        # Save for later, pressed: what it would do on a task page, said by the script.
        page.get_by_test_id("save-later").click()
        expect(page.get_by_test_id("result-would")).to_contain_text("此处未保存任何内容")
        assert_chinese(page, "the result", within="[data-testid=result-would]")
        expect(page.get_by_test_id("save-status")).to_have_text(
            "已保存，稍后继续（演示，未真正保存）。"
        )
        errors.check()
