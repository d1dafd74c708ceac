"""Mails and refusals in the reader's language: the password-reset mail in the account's
saved language, an invitation mail in the inviting admin's, and validation errors of the
log-in and new-project forms in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from wavetag.accounts.models import Preferences

from .factories import import_ok, make_member, make_project, make_user

pytestmark = pytest.mark.django_db


def chinese(user: object, time_zone: str = "") -> None:
    Preferences.objects.create(user=user, language="zh-hans", time_zone=time_zone)


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

    def test_a_bad_new_project_field_is_refused_in_chinese(
        self, data_dir: Path, settings, tmp_path: Path
    ) -> None:
        settings.STORE_DIR = tmp_path / "store"
        import_ok(data_dir / "mitdb/100", dataset="mitdb")
        admin = make_user("zhou", staff=True, password=None)
        chinese(admin)
        client = Client()
        client.force_login(admin)
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
