"""API tokens on the account page: listed, created (value shown once), revoked; only the
user's own; CSRF on every write; the API and the command share the services."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from wavetag.accounts.models import ApiToken
from wavetag.accounts.services import create_token

from .factories import make_user

pytestmark = pytest.mark.django_db

RAW = re.compile(r'data-testid="new-token">(wt_[A-Za-z0-9_-]+)<')


def signed_in(username: str, **kwargs: object) -> tuple[Client, object]:
    user = make_user(username, password=None)
    client = Client(**kwargs)
    client.force_login(user)
    return client, user


def created(client: Client, name: str = "") -> str:
    response = client.post("/account/tokens/", {"name": name})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    found = RAW.search(response.content.decode())
    assert found, "the new token is not on the page"
    return found.group(1)


def api_me(raw: str) -> int:
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


class TestAccountTokens:
    def test_the_page_lists_only_the_users_own_tokens(self) -> None:
        client, user = signed_in("cardio")
        mine, _ = create_token(user, "holter script")
        theirs, _ = create_token(make_user("other", password=None), "their script")
        page = client.get("/account/").content.decode()
        assert mine.prefix in page and "holter script" in page and "never" in page
        assert theirs.prefix not in page and "their script" not in page

    def test_created_token_is_shown_once_and_works(self) -> None:
        client, user = signed_in("cardio")
        raw = created(client, "nightly export")
        token = ApiToken.objects.get(user=user)
        assert token.name == "nightly export" and raw.startswith(token.prefix)
        assert api_me(raw) == 200
        # Never again: not on the account page, not in the database.
        page = client.get("/account/").content.decode()
        assert token.prefix in page and raw not in page
        assert raw not in {t.key_hash for t in ApiToken.objects.all()}
        again = client.get(f"/account/tokens/{token.prefix}/revoke/").content.decode()
        assert raw not in again

    def test_create_is_post_only_and_checks_the_label(self) -> None:
        client, user = signed_in("cardio")
        assert client.get("/account/tokens/").status_code == 405
        response = client.post("/account/tokens/", {"name": "x" * 101}, follow=True)
        assert "at most 100 characters" in response.content.decode()
        assert not ApiToken.objects.filter(user=user).exists()

    def test_revoke_asks_first_then_the_token_stops_working(self) -> None:
        client, user = signed_in("cardio")
        raw = created(client)
        prefix = ApiToken.objects.get(user=user).prefix
        confirm = client.get(f"/account/tokens/{prefix}/revoke/")
        assert confirm.status_code == 200 and b"token-revoke-confirm" in confirm.content
        assert api_me(raw) == 200  # asking is not revoking
        response = client.post(f"/account/tokens/{prefix}/revoke/", follow=True)
        assert response.redirect_chain[-1][0] == "/account/"
        assert "revoked" in response.content.decode()
        assert api_me(raw) == 401
        assert client.post(f"/account/tokens/{prefix}/revoke/").status_code == 404

    def test_another_users_token_is_missing(self) -> None:
        client, _ = signed_in("cardio")
        other = make_user("other", password=None)
        theirs, raw = create_token(other)
        url = f"/account/tokens/{theirs.prefix}/revoke/"
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
        assert api_me(raw) == 200 and ApiToken.objects.filter(pk=theirs.pk).exists()

    def test_pages_need_a_signed_in_user(self) -> None:
        token, _ = create_token(make_user("cardio", password=None))
        anonymous = Client()
        for method, url in (
            ("post", "/account/tokens/"),
            ("get", f"/account/tokens/{token.prefix}/revoke/"),
            ("post", f"/account/tokens/{token.prefix}/revoke/"),
        ):
            response = getattr(anonymous, method)(url)
            assert response.status_code == 302 and "/login/" in response["Location"], url
        assert ApiToken.objects.count() == 1

    def test_writes_need_the_csrf_token(self) -> None:
        client, user = signed_in("cardio", enforce_csrf_checks=True)
        token, raw = create_token(user)
        assert client.post("/account/tokens/", {"name": "x"}).status_code == 403
        url = f"/account/tokens/{token.prefix}/revoke/"
        assert client.post(url).status_code == 403
        assert ApiToken.objects.filter(user=user).count() == 1 and api_me(raw) == 200
        page = client.get(url).content.decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf is not None
        response = client.post(url, {"csrfmiddlewaretoken": csrf.group(1)})
        assert response.status_code == 302 and api_me(raw) == 401


class TestTokenApi:
    def test_list_create_revoke_with_a_session(self) -> None:
        client, user = signed_in("cardio", enforce_csrf_checks=True)
        client.get("/account/")
        csrf = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
        body = json.dumps({"name": "notebook"})
        refused = client.post("/api/v1/account/tokens", body, "application/json")
        assert refused.status_code == 403 and not ApiToken.objects.exists()
        made = client.post("/api/v1/account/tokens", body, "application/json", **csrf)
        assert made.status_code == 201, made.content
        raw = made.json()["token"]
        assert api_me(raw) == 200 and made.json()["name"] == "notebook"
        listed = client.get("/api/v1/account/tokens").json()
        assert [t["prefix"] for t in listed] == [raw[:10]] and "token" not in listed[0]
        url = f"/api/v1/account/tokens/{raw[:10]}"
        assert client.delete(url).status_code == 403  # CSRF again
        assert client.delete(url, **csrf).status_code == 204
        assert api_me(raw) == 401 and client.get("/api/v1/account/tokens").json() == []
        assert client.delete(url, **csrf).status_code == 404

    def test_a_token_lists_and_revokes_but_does_not_make_tokens(self) -> None:
        user = make_user("cardio", password=None)
        other = make_user("other", password=None)
        _, raw = create_token(user, "script")
        theirs, their_raw = create_token(other)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        api = Client()
        listed = api.get("/api/v1/account/tokens", **auth).json()
        assert [t["name"] for t in listed] == ["script"]
        made = api.post("/api/v1/account/tokens", "{}", "application/json", **auth)
        assert made.status_code == 403 and ApiToken.objects.filter(user=user).count() == 1
        assert api.delete(f"/api/v1/account/tokens/{theirs.prefix}", **auth).status_code == 404
        assert api_me(their_raw) == 200
        assert api.delete(f"/api/v1/account/tokens/{raw[:10]}", **auth).status_code == 204
        assert api_me(raw) == 401


class TestTokenCommand:
    def test_create_list_revoke_through_the_same_services(self) -> None:
        make_user("cardio", password=None)
        out = StringIO()
        call_command("token", "create", "cardio", "--name", "cli", stdout=out)
        raw = out.getvalue().strip()
        assert api_me(raw) == 200
        out = StringIO()
        call_command("token", "list", "cardio", stdout=out)
        assert raw[:10] in out.getvalue() and "cli" in out.getvalue()
        call_command("token", "revoke", raw[:10], stdout=StringIO())
        assert api_me(raw) == 401
        with pytest.raises(CommandError, match="no token starts with"):
            call_command("token", "revoke", raw[:10], stdout=StringIO())
        with pytest.raises(CommandError, match="at most 100"):
            call_command("token", "create", "cardio", "--name", "x" * 101, stdout=StringIO())
