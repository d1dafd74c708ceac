"""Log-in throttling, CSRF on session writes, and per-user viewer settings."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wavetag.accounts.models import LoginFailure
from wavetag.accounts.throttle import DEVICE_COOKIE, PER_USERNAME

from .factories import bearer, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a long password 1"


def login(client: Client, username: str, password: str, url: str = "/login/") -> int:
    response = client.post(url, {"username": username, "password": password})
    return response


def log_out_keeping_cookies(client: Client) -> None:
    """Log out as a browser does: the session goes, the device cookie stays (the test
    client's ``logout`` would drop every cookie)."""
    client.post("/logout/")
    assert "_auth_user_id" not in client.session


class TestLoginThrottling:
    def test_locked_after_repeated_failures_even_with_the_right_password(self) -> None:
        make_user("cardio", password=PASSWORD)
        client = Client()
        for _ in range(PER_USERNAME):
            response = login(client, "cardio", "wrong")
            assert response.status_code == 200  # the form again, with an error
        response = login(client, "cardio", PASSWORD)
        assert response.status_code == 200
        assert "Too many failed log-in attempts" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_other_accounts_are_not_locked(self) -> None:
        make_user("cardio", password=PASSWORD)
        make_user("other", password=PASSWORD)
        client = Client()
        for _ in range(PER_USERNAME):
            login(client, "cardio", "wrong")
        response = login(Client(), "other", PASSWORD)
        assert response.status_code == 302

    def test_lock_expires(self) -> None:
        make_user("cardio", password=PASSWORD)
        client = Client()
        for _ in range(PER_USERNAME):
            login(client, "cardio", "wrong")
        LoginFailure.objects.update(at=timezone.now() - timedelta(hours=1))
        assert login(client, "cardio", PASSWORD).status_code == 302
        # A successful log-in forgets the earlier failures of that name.
        assert not LoginFailure.objects.filter(username="cardio").exists()

    def test_failures_with_other_names_never_lock_out_a_correct_log_in(self) -> None:
        make_user("cardio", password=PASSWORD)
        # A stranger on the same address fails with a hundred invented names, on purpose.
        stranger = Client(REMOTE_ADDR="10.1.2.3")
        for i in range(100):
            login(stranger, f"guess{i}", "wrong")
        # A fresh browser on that address, with the right password, gets in.
        assert login(Client(REMOTE_ADDR="10.1.2.3"), "cardio", PASSWORD).status_code == 302

    def test_guessing_one_name_from_one_address_is_stopped(self) -> None:
        make_user("cardio", password=PASSWORD)
        attacker = Client(REMOTE_ADDR="10.1.2.3")
        for _ in range(PER_USERNAME):
            login(attacker, "cardio", "wrong")
        # Even the right password is refused from there now (no oracle) ...
        response = login(attacker, "cardio", PASSWORD)
        assert "Too many failed log-in attempts" in response.content.decode()
        assert "_auth_user_id" not in attacker.session
        # ... and the failures were not counted further while locked.
        assert LoginFailure.objects.filter(username="cardio").count() == PER_USERNAME

    def test_admin_login_is_throttled_too(self) -> None:
        make_user("boss", staff=True, password=PASSWORD)
        client = Client()
        for _ in range(PER_USERNAME):
            login(client, "boss", "wrong", "/admin/login/")
        response = login(client, "boss", PASSWORD, "/admin/login/")
        assert "Too many failed log-in attempts" in response.content.decode()


class TestStrangersCannotLockOthersOut:
    def test_a_name_guessed_from_many_addresses(self) -> None:
        make_user("cardio", password=PASSWORD)
        for i in range(50):
            for _ in range(PER_USERNAME):
                login(Client(REMOTE_ADDR=f"198.51.100.{i + 1}"), "cardio", "wrong")
        # Each guessing address is locked ...
        response = login(Client(REMOTE_ADDR="198.51.100.1"), "cardio", PASSWORD)
        assert "Too many failed log-in attempts" in response.content.decode()
        # ... but cardio, logging in correctly from elsewhere, is not.
        assert login(Client(REMOTE_ADDR="203.0.113.9"), "cardio", PASSWORD).status_code == 302

    def test_a_colleague_on_the_same_address_cannot_lock_my_browser(self) -> None:
        make_user("cardio", password=PASSWORD)
        own = Client(REMOTE_ADDR="10.1.2.3")
        assert login(own, "cardio", PASSWORD).status_code == 302
        assert DEVICE_COOKIE in own.cookies
        log_out_keeping_cookies(own)
        stranger = Client(REMOTE_ADDR="10.1.2.3")
        for _ in range(PER_USERNAME):
            login(stranger, "cardio", "wrong")
        assert "Too many failed" in login(stranger, "cardio", PASSWORD).content.decode()
        assert login(own, "cardio", PASSWORD).status_code == 302

    def test_a_trusted_browser_is_locked_by_its_own_failures(self) -> None:
        make_user("cardio", password=PASSWORD)
        own = Client()
        assert login(own, "cardio", PASSWORD).status_code == 302
        log_out_keeping_cookies(own)
        for _ in range(PER_USERNAME):
            login(own, "cardio", "wrong")
        response = login(own, "cardio", PASSWORD)
        assert "Too many failed log-in attempts" in response.content.decode()
        # The failures of that browser do not lock the name elsewhere.
        assert login(Client(REMOTE_ADDR="10.9.9.9"), "cardio", PASSWORD).status_code == 302

    def test_a_forged_or_foreign_device_cookie_is_untrusted(self) -> None:
        make_user("cardio", password=PASSWORD)
        make_user("other", password=PASSWORD)
        # other's genuine cookie says nothing about cardio; a forged one says nothing.
        mine = Client()
        assert login(mine, "other", PASSWORD).status_code == 302
        log_out_keeping_cookies(mine)
        forged = Client(REMOTE_ADDR="10.7.7.7")
        forged.cookies[DEVICE_COOKIE] = "cardio:forged"
        for client in (mine, forged):
            for _ in range(PER_USERNAME):
                login(client, "cardio", "wrong")
        assert LoginFailure.objects.filter(username="cardio", device="").count() == 2 * PER_USERNAME
        for client in (mine, forged):
            response = login(client, "cardio", PASSWORD)
            assert "Too many failed log-in attempts" in response.content.decode()


class TestBehindAProxy:
    def test_forwarded_address_is_ignored_unless_the_proxy_is_trusted(self, settings) -> None:
        make_user("cardio", password=PASSWORD)
        settings.TRUSTED_PROXIES = []
        for i in range(PER_USERNAME):
            login(
                Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"), "cardio", "x"
            )
        assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"10.0.0.1"}

    def test_the_client_behind_a_trusted_proxy_is_counted(self, settings) -> None:
        import ipaddress

        make_user("cardio", password=PASSWORD)
        settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
        proxy = {"REMOTE_ADDR": "10.0.0.1"}
        attacker = Client(**proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7, 10.0.0.2")
        for _ in range(PER_USERNAME):
            login(attacker, "cardio", "wrong")
        assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.7"}
        # The attacker is locked; another client of the same proxy is not.
        response = login(attacker, "cardio", PASSWORD)
        assert "Too many failed log-in attempts" in response.content.decode()
        other = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
        assert login(other, "cardio", PASSWORD).status_code == 302

    def test_a_bad_setting_names_the_variable(self, monkeypatch) -> None:
        from wavetag.settings import networks

        monkeypatch.setenv("WAVETAG_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")
        with pytest.raises(ValueError, match="WAVETAG_TRUSTED_PROXIES: 'proxy.local'"):
            networks("WAVETAG_TRUSTED_PROXIES")


class TestViewerSettings:
    def test_defaults_then_patch_then_reset(self) -> None:
        headers = bearer(make_user("cardio"))
        client = Client()
        body = json.loads(client.get("/api/v1/me/viewer-settings", **headers).content)
        assert body["paper_speed"] == 25 and body["gain"] == 10 and body["grid"] is True
        response = client.patch(
            "/api/v1/me/viewer-settings",
            json.dumps({"paper_speed": 50, "channels_shown": ["II", "V1"]}),
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 200, response.content
        body = json.loads(client.get("/api/v1/me/viewer-settings", **headers).content)
        assert body["paper_speed"] == 50 and body["channels_shown"] == ["II", "V1"]
        assert body["gain"] == 10
        body = json.loads(client.delete("/api/v1/me/viewer-settings", **headers).content)
        assert body["paper_speed"] == 25

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"paper_speed": 0}, "paper_speed"),
            ({"gain": 1e9}, "gain"),
            ({"trace_color": "red; background:url(x)"}, "trace_color"),
            ({"grid": None}, "grid"),
            ({"channels_shown": ["x" * 500]}, "channels_shown"),
        ],
    )
    def test_bad_values_are_refused_with_the_field_named(self, change, field) -> None:
        headers = bearer(make_user("cardio"))
        response = Client().patch(
            "/api/v1/me/viewer-settings",
            json.dumps(change),
            content_type="application/json",
            **headers,
        )
        assert 400 <= response.status_code < 500
        assert field in json.loads(response.content)["detail"]

    def test_malformed_body_is_4xx(self) -> None:
        headers = bearer(make_user("cardio"))
        for body in ("not json", "[1, 2]", '{"gain": "loud"}'):
            response = Client().patch(
                "/api/v1/me/viewer-settings", body, content_type="application/json", **headers
            )
            assert 400 <= response.status_code < 500, body

    def test_session_writes_need_the_csrf_token(self) -> None:
        user = make_user("cardio")
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        response = client.patch(
            "/api/v1/me/viewer-settings", json.dumps({"gain": 20}), content_type="application/json"
        )
        assert response.status_code in (401, 403)
        client.get("/")  # sets the csrftoken cookie
        token = client.cookies["csrftoken"].value
        response = client.patch(
            "/api/v1/me/viewer-settings",
            json.dumps({"gain": 20}),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
        assert response.status_code == 200, response.content
