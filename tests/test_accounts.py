"""Log-in throttling, CSRF on session writes, and per-user viewer settings."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wavetag.accounts.models import LoginFailure
from wavetag.accounts.throttle import PER_USERNAME

from .factories import bearer, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a long password 1"


def login(client: Client, username: str, password: str, url: str = "/login/") -> int:
    response = client.post(url, {"username": username, "password": password})
    return response


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

    def test_address_is_locked_across_names(self) -> None:
        from wavetag.accounts.throttle import PER_ADDRESS

        make_user("cardio", password=PASSWORD)
        client = Client(REMOTE_ADDR="10.1.2.3")
        for i in range(PER_ADDRESS):
            login(client, f"guess{i}", "wrong")
        response = login(client, "cardio", PASSWORD)
        assert "Too many failed log-in attempts" in response.content.decode()
        assert login(Client(REMOTE_ADDR="10.9.9.9"), "cardio", PASSWORD).status_code == 302

    def test_admin_login_is_throttled_too(self) -> None:
        make_user("boss", staff=True, password=PASSWORD)
        client = Client()
        for _ in range(PER_USERNAME):
            login(client, "boss", "wrong", "/admin/login/")
        response = login(client, "boss", PASSWORD, "/admin/login/")
        assert "Too many failed log-in attempts" in response.content.decode()


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
