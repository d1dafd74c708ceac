"""English and Simplified Chinese: the catalogues are complete, compiled and in step with
the sources; the language comes from the browser, the switch and the user's saved choice;
times are shown in the user's time zone."""

from __future__ import annotations

import gettext
import importlib.util
import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from wavetag.accounts.models import ApiToken, Preferences
from wavetag.accounts.services import create_token

from .factories import make_user

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "wavetag" / "locale"
CATALOGUES = sorted((LOCALE / "zh_Hans" / "LC_MESSAGES").glob("*.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def _po_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("po_fill", ROOT / "scripts" / "po_fill.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


po = _po_module()


def entries(path: Path) -> list[dict]:
    return [e for e in po.parse(path) if e["msgid"]]


class TestCatalogues:
    def test_both_domains_exist(self) -> None:
        assert [p.name for p in CATALOGUES] == ["django.po", "djangojs.po"]

    @pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
    def test_every_string_is_translated(self, path: Path) -> None:
        missing = [e["msgid"] for e in entries(path) if po.untranslated(e)]
        assert not missing, f"{path.name}: {len(missing)} strings without Chinese: {missing[:20]}"

    @pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
    def test_placeholders_survive_translation(self, path: Path) -> None:
        wrong = [
            (e["msgid"], text)
            for e in entries(path)
            for text in e["msgstr"].values()
            if text
            and sorted(PLACEHOLDER.findall(e["msgid"])) != sorted(PLACEHOLDER.findall(text))
            and not e["plural"]
        ]
        assert not wrong, f"{path.name}: placeholders differ: {wrong[:10]}"

    @pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
    def test_compiled_catalogue_matches_its_source(self, path: Path) -> None:
        with open(path.with_suffix(".mo"), "rb") as f:
            compiled = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
        for e in entries(path):
            if e["plural"] is None:
                assert compiled.get(po.key(e)) == e["msgstr"][0], (
                    f"{path.with_suffix('.mo').name} is older than {path.name} at "
                    f"{e['msgid']!r}: run scripts/messages.sh"
                )
            else:
                assert compiled.get((po.key(e), 0)) == e["msgstr"][0], e["msgid"]

    @pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
    def test_every_marked_string_of_the_sources_is_in_the_catalogues(self, tmp_path: Path) -> None:
        """makemessages over a copy of the sources and catalogues: a string marked for
        translation in a template, a module or a script that the committed catalogue lacks
        fails here. (makemessages writes into any ``locale`` folder it walks past, so it
        runs on the copy, never on the repository's own files.)"""
        copy = tmp_path / "wavetag"
        shutil.copytree(
            ROOT / "wavetag", copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
        here = os.getcwd()
        try:
            os.chdir(tmp_path)
            with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
                for domain in ("django", "djangojs"):
                    call_command(
                        "makemessages",
                        locale=["zh_Hans"],
                        domain=domain,
                        no_location=True,
                        no_obsolete=True,
                        verbosity=0,
                    )
        finally:
            os.chdir(here)
        target = copy / "locale" / "zh_Hans" / "LC_MESSAGES"
        for path in CATALOGUES:
            before = {po.key(e) for e in entries(path)}
            after = {po.key(e) for e in entries(target / path.name)}
            assert not after - before, (
                f"{path.name} lacks {sorted(after - before)[:20]}: run scripts/messages.sh"
            )
            assert not before - after, (
                f"{path.name} holds strings no source marks any more: "
                f"{sorted(before - after)[:20]}: run scripts/messages.sh"
            )

    def test_the_check_above_finds_a_new_string(self, tmp_path: Path) -> None:
        """The same makemessages run does see a string added to a template of the copy."""
        if shutil.which("xgettext") is None:
            pytest.skip("GNU gettext is not installed")
        copy = tmp_path / "wavetag"
        shutil.copytree(ROOT / "wavetag" / "locale", copy / "locale")
        (copy / "web").mkdir()
        (copy / "web" / "page.html").write_text(
            '{% load i18n %}<p>{% translate "A string nobody translated" %}</p>'
        )
        here = os.getcwd()
        try:
            os.chdir(tmp_path)
            with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
                call_command("makemessages", locale=["zh_Hans"], domain="django", verbosity=0)
        finally:
            os.chdir(here)
        found = entries(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
        assert "A string nobody translated" in {e["msgid"] for e in found}


def signed_in(username: str, **headers: str) -> tuple[Client, object]:
    user = make_user(username, password=None)
    client = Client(**headers)
    client.force_login(user)
    return client, user


@pytest.mark.django_db
class TestLanguage:
    def test_the_browser_language_picks_chinese(self) -> None:
        client, _ = signed_in("li", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
        response = client.get("/account/")
        page = response.content.decode()
        assert response["Content-Language"] == "zh-hans"
        assert '<html lang="zh-hans">' in page and "退出登录" in page and "Log out" not in page
        assert "Accept-Language" in response["Vary"]

    def test_english_browsers_get_english(self) -> None:
        client, _ = signed_in("smith", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
        page = client.get("/account/").content.decode()
        assert '<html lang="en">' in page and "Log out" in page and "退出登录" not in page

    def test_the_switch_is_saved_for_the_user_on_every_device(self) -> None:
        client, user = signed_in("wang", HTTP_ACCEPT_LANGUAGE="en")
        response = client.post("/language/", {"language": "zh-hans", "next": "/account/"})
        assert response.status_code == 302 and response["Location"] == "/account/"
        assert Preferences.objects.get(user=user).language == "zh-hans"
        assert "退出登录" in client.get("/account/").content.decode()
        # Another browser, which asks for English and has no cookie: the saved choice wins.
        other = Client(HTTP_ACCEPT_LANGUAGE="en")
        other.force_login(user)
        assert "退出登录" in other.get("/account/").content.decode()
        # And back.
        other.post("/language/", {"language": "en", "next": "/account/"})
        assert Preferences.objects.get(user=user).language == "en"
        assert "Log out" in other.get("/account/").content.decode()

    def test_anyone_can_switch_before_logging_in(self) -> None:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        response = client.post("/language/", {"language": "zh-hans", "next": "/login/"})
        assert (
            response.status_code == 302 and response.cookies["django_language"].value == "zh-hans"
        )
        assert '<html lang="zh-hans">' in client.get("/login/").content.decode()
        assert not Preferences.objects.exists()

    def test_the_switch_goes_back_only_to_this_site_and_knows_its_languages(self) -> None:
        client, user = signed_in("zhao")
        response = client.post(
            "/language/", {"language": "zh-hans", "next": "https://evil.example/"}
        )
        assert response["Location"] == "/"
        response = client.post("/language/", {"language": "klingon", "next": "/account/"})
        assert response.status_code == 302
        assert Preferences.objects.get(user=user).language == "zh-hans"
        assert client.get("/language/").status_code == 405

    def test_the_switch_needs_the_csrf_token(self) -> None:
        client = Client(enforce_csrf_checks=True)
        assert client.post("/language/", {"language": "zh-hans"}).status_code == 403

    def test_the_viewer_catalogue_is_in_the_page_and_served(self) -> None:
        client, _ = signed_in("qian", HTTP_ACCEPT_LANGUAGE="zh-CN")
        page = client.get("/account/").content.decode()
        assert 'id="wavetag-catalogue"' in page and '"nplurals": 1' in page
        served = client.get("/i18n/catalogue.json").json()
        assert served["catalog"], "the Chinese viewer catalogue is empty"
        english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/i18n/catalogue.json").json()
        assert english["catalog"] == {}


@pytest.mark.django_db
class TestTimeZone:
    def token_created_at(self, user: object, when: datetime) -> None:
        token, _ = create_token(user, "nightly")
        ApiToken.objects.filter(pk=token.pk).update(created_at=when)

    def test_times_show_in_the_users_time_zone(self) -> None:
        client, user = signed_in("sun", HTTP_ACCEPT_LANGUAGE="en")
        self.token_created_at(user, datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("UTC")))
        assert "2026-03-01 23:30" in client.get("/account/").content.decode()
        response = client.post(
            "/account/preferences/", {"language": "", "time_zone": "Asia/Shanghai"}
        )
        assert response.status_code == 302
        page = client.get("/account/").content.decode()
        assert "2026-03-02 07:30" in page and "2026-03-01 23:30" not in page
        assert Preferences.objects.get(user=user).time_zone == "Asia/Shanghai"

    @override_settings(TIME_ZONE="Europe/Berlin")
    def test_the_site_time_zone_is_the_default(self) -> None:
        client, user = signed_in("zhou", HTTP_ACCEPT_LANGUAGE="en")
        self.token_created_at(user, datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("UTC")))
        assert "2026-07-01 14:00" in client.get("/account/").content.decode()

    def test_an_unknown_time_zone_is_refused_by_name(self) -> None:
        client, user = signed_in("wu", HTTP_ACCEPT_LANGUAGE="en")
        response = client.post("/account/preferences/", {"time_zone": "Mars/Olympus"}, follow=True)
        assert "Unknown time zone: Mars/Olympus" in response.content.decode()
        assert not Preferences.objects.filter(user=user).exclude(time_zone="").exists()
        response = client.post("/account/preferences/", {"language": "xx"}, follow=True)
        assert "Unknown language: xx" in response.content.decode()
