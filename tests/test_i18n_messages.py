"""Mails and refusals in the reader's language: the password-reset mail in the account's
saved language, an invitation mail in the inviting admin's, and validation errors of the
log-in and new-project forms in Chinese."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import translation

from wavetag.accounts.models import Preferences
from wavetag.analysis.models import AnalysisRun
from wavetag.annotations.batches import claim_batch
from wavetag.records.uploads import create_dataset

from .factories import bearer, call, icu_team, import_ok, make_member, make_project, make_user

pytestmark = pytest.mark.django_db


def chinese(user: object, time_zone: str = "") -> None:
    Preferences.objects.create(user=user, language="zh-hans", time_zone=time_zone)


@pytest.fixture
def site_admin(mitdb_100: Any) -> Any:
    """A site admin who may create projects, with a record of mitdb to make them on."""
    return make_user("zhou", staff=True, password=None)


class TestMails:
    def test_the_reset_mail_comes_in_the_accounts_saved_language(self) -> None:
        user = make_user("zhang")  # a reset needs a usable password
        get_user_model().objects.filter(pk=user.pk).update(email="zhang@example.org")
        chinese(user)
        # Asked from a browser that wants English: the mail follows the account.
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        response = client.post("/password-reset/", {"email": "zhang@example.org"})
        assert response.status_code == 302
        (sent,) = mail.outbox
        assert sent.subject == "您的 wavetag 密码"
        assert "有人申请重置 zhang 的 wavetag 密码" in sent.body
        assert "/password-reset/" in sent.body and "Someone asked" not in sent.body
        # The page itself stays in the asking browser's language.
        page = client.get(response["Location"]).content.decode()
        assert "Check your mail" in page

    def test_an_english_account_gets_an_english_reset_mail(self) -> None:
        user = make_user("smith")
        get_user_model().objects.filter(pk=user.pk).update(email="smith@example.org")
        Client(HTTP_ACCEPT_LANGUAGE="zh-CN").post(
            "/password-reset/", {"email": "smith@example.org"}
        )
        # No saved language: the asking browser's (Chinese) is the best guess.
        (sent,) = mail.outbox
        assert sent.subject == "您的 wavetag 密码"
        Preferences.objects.create(user=user, language="en")
        mail.outbox.clear()
        Client(HTTP_ACCEPT_LANGUAGE="zh-CN").post(
            "/password-reset/", {"email": "smith@example.org"}
        )
        (sent,) = mail.outbox
        assert sent.subject == "Your wavetag password" and "Someone asked" in sent.body

    def test_an_invitation_mail_in_the_admins_language_and_time_zone(
        self, data_dir: Path, settings, tmp_path: Path
    ) -> None:
        settings.STORE_DIR = tmp_path / "store"
        import_ok(data_dir / "mitdb/100", dataset="mitdb")
        project = make_project("rhythm", "mitdb", "wearable-rhythm")
        admin = make_member(project, "chen", "admin")
        chinese(admin, "Asia/Shanghai")
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(admin)
        url = f"/projects/{project.pk}/console/invitations/"
        response = client.post(url, {"role": "annotator", "email": "new@example.org"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "含此链接的电子邮件已发送至 new@example.org" in page
        (sent,) = mail.outbox
        assert sent.subject == "wavetag 项目 rhythm 的邀请"
        assert "chen 邀请您以标注者身份加入 wavetag 项目 rhythm。" in sent.body
        assert "在此注册：" in sent.body and "/register/?code=" in sent.body
        # The expiry in the admin's time zone, named: not a UTC time printed as is.
        assert "Asia/Shanghai" in sent.body and "UTC" not in sent.body
        assert "You are invited" not in sent.body


class TestRefusals:
    def test_a_wrong_log_in_is_refused_in_chinese(self) -> None:
        make_user("li")
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
        response = client.post("/login/", {"username": "li", "password": "wrong"})
        # The page's content: its head holds the scripts' catalogue, English keys included.
        page = response.content.decode().split("<main>", 1)[1]
        assert response.status_code == 200 and "请输入一个正确的用户名和密码" in page
        assert "Please enter a correct" not in page and "Log in" not in page

    def test_a_bad_new_project_field_is_refused_in_chinese(self, site_admin: Any) -> None:
        chinese(site_admin)
        client = Client()
        client.force_login(site_admin)
        form = {"name": "p", "dataset": "mitdb", "template": "wearable-rhythm"}
        response = client.post("/projects/new/", {**form, "records_sample": "abc"})
        assert response.status_code == 400
        page = response.content.decode().split("<main>", 1)[1]
        assert "records_sample: &#x27;abc&#x27; 不是整数" in page
        assert "is not a whole number" not in page

    def test_registration_refusals_in_chinese(self) -> None:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
        values = {"code": "NOPE-NOPE", "username": "x", "password1": "a", "password2": "b"}
        page = client.post("/register/", values).content.decode()
        assert "两次输入的密码不一致" in page
        page = client.post("/register/", {**values, "password2": "a"}).content.decode()
        assert "没有此邀请码（请检查是否有输入错误）" in page


ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}


class TestServiceRefusals:
    """Refusals raised by the service layers, in the asking browser's language; the field or
    file they name stays as sent. The same requests without Accept-Language stay English."""

    @pytest.mark.parametrize(
        ("headers", "refusal", "not_shown", "api_refusal"),
        [
            (
                ZH,
                "fields[0].name：只能由小写字母、数字或 _ 组成",
                "must be lower-case",
                "schema.fields：必须是包含",
            ),
            (
                {},
                "fields[0].name: must be lower-case letters, digits or _",
                "只能由",
                "schema.fields: must be a list",
            ),
        ],
        ids=["zh", "en"],
    )
    def test_a_malformed_custom_schema_names_the_field_in_chinese(
        self,
        site_admin: Any,
        headers: dict[str, str],
        refusal: str,
        not_shown: str,
        api_refusal: str,
    ) -> None:
        schema = json.dumps({"fields": [{"name": "Bad Name", "type": "choice"}]})
        form = {"name": "p", "dataset": "mitdb", "template": "custom", "schema": schema}
        client = Client(**headers)
        client.force_login(site_admin)
        response = client.post("/projects/new/", form)
        assert response.status_code == 400
        page = response.content.decode().split("<main>", 1)[1]
        assert refusal in page and not_shown not in page
        # The API answers in the same language.
        body = {"name": "p", "dataset": "mitdb", "schema": {"fields": 3}}
        auth = {**bearer(site_admin), **headers}
        status, out = call(Client(), "post", "/api/v1/projects", auth, body)
        assert status == 400 and out["detail"].startswith(api_refusal), out

    def test_an_annotator_refused_the_adjudication_page_in_chinese(
        self, icu_alarms: Any, ecg_record: Any
    ) -> None:
        w = icu_team()
        (task,) = claim_batch(w.project, w.ann1)
        url = f"/tasks/{task.pk}/adjudicate/"
        client = Client(**ZH)
        client.force_login(w.ann1)
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 403 and "此操作需要在项目 alarms 中具有判定者角色。" in page
        assert "this needs" not in page
        client = Client()
        client.force_login(w.ann1)
        response = client.get(url)
        assert "This needs the adjudicator role in project alarms." in response.content.decode()
        # A task of another project: not found, in Chinese in the API's answer.
        status, out = call(Client(), "get", f"/api/v1/tasks/{task.pk}", {**w.h["outsider"], **ZH})
        assert status == 404 and out["detail"] == "没有这个任务", out

    def test_an_answer_to_a_frozen_task_is_refused_in_chinese(
        self, icu_alarms: Any, ecg_record: Any
    ) -> None:
        w = icu_team()
        (task,) = claim_batch(w.project, w.ann1)
        assert claim_batch(w.project, w.ann2) == [task]
        put = f"/api/v1/tasks/{task.pk}/annotation"
        client = Client()
        assert call(client, "put", put, w.h["ann1"], {"decision": "True"})[0] == 200
        assert call(client, "put", put, w.h["ann2"], {"decision": "False"})[0] == 200
        status, out = call(client, "put", put, {**w.h["ann1"], **ZH}, {"decision": "False"})
        assert status == 409 and f"任务 {task.pk}：您的答案已冻结" in out["detail"], out
        status, out = call(client, "put", put, w.h["ann1"], {"decision": "False"})
        assert status == 409 and f"task {task.pk}: your answer is frozen" in out["detail"], out

    @pytest.mark.parametrize(
        ("headers", "refusal"),
        [(ZH, "无法读取 truncated_dat.hea："), ({}, "truncated_dat.hea cannot be read: ")],
        ids=["zh", "en"],
    )
    def test_a_broken_upload_is_refused_in_chinese_naming_the_file(
        self, data_dir: Path, settings, tmp_path: Path, headers: dict[str, str], refusal: str
    ) -> None:
        settings.STORE_DIR = tmp_path / "store"
        settings.UPLOAD_DIR = tmp_path / "uploads"
        keeper = make_user("keeper", staff=True, password=None)
        create_dataset("uploads")
        url = "/api/v1/datasets/uploads/records"
        broken = [data_dir / "broken" / n for n in ("truncated_dat.hea", "truncated_dat.dat")]
        handles = [open(p, "rb") for p in broken]
        try:
            response = Client().post(url, {"files": handles}, **bearer(keeper), **headers)
        finally:
            for h in handles:
                h.close()
        assert response.status_code == 400, response.content
        ((file, error),) = [(r["file"], r["error"]) for r in response.json()["refused"]]
        assert file == "truncated_dat.hea"
        assert error.startswith(refusal), error


class TestAnalysisMessages:
    """A run's progress and error texts are written by the worker in English, with no
    reader; they are shown in the reader's language, and the row keeps the English."""

    def test_progress_and_errors_shown_in_the_readers_language(self) -> None:
        run = AnalysisRun(
            record_id=1,
            status="failed",
            message="failed in the qrs step",
            error="the record has no ECG channel to detect beats in (channels: ABP, PLETH)",
        )
        with translation.override("zh-hans"):
            shown = run.describe()
        assert shown["message"] == "在QRS 检测步骤失败"
        assert shown["error"] == "该记录没有可用于检测心搏的心电图通道（通道：ABP, PLETH）"
        assert run.message == "failed in the qrs step"
        with translation.override("en"):
            assert run.describe()["message"] == "failed in the qrs step"
        run.message = "detecting beats: 5:09 of 30:05"
        with translation.override("zh-hans"):
            assert run.describe()["message"] == "正在检测心搏：5:09 / 30:05"
        # A text no pattern knows (an exception's own words) is shown as stored.
        run.error = "something new"
        with translation.override("zh-hans"):
            assert run.describe()["error"] == "something new"


@pytest.mark.django_db
class TestNotFoundPage:
    def test_a_missing_page_answers_in_the_readers_language(self) -> None:
        user = make_user("ma", password=None)
        for language, words in (("zh-CN", "没有这个页面"), ("en", "There is no such page")):
            client = Client(HTTP_ACCEPT_LANGUAGE=language)
            client.force_login(user)
            response = client.get("/projects/987654/")
            assert response.status_code == 404
            page = response.content.decode()
            assert words in page and 'data-testid="not-found"' in page
            assert "Traceback" not in page
