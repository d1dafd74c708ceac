"""Under /api/ every error answers JSON: unknown paths, wrong methods, and errors Django
raises before django-ninja sees the request; pages elsewhere keep their HTML."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from wavetag.logs import RequestIdFilter

pytestmark = pytest.mark.django_db


class TestApiErrorsAreJson:
    @pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/records/1/nope", "/api/nope"])
    def test_unknown_path_is_a_json_404(self, client: Client, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {
            "detail": "not found: no API endpoint at this path",
            "request_id": response["X-Request-ID"],
        }

    @pytest.mark.parametrize("method", ["post", "delete", "put"])
    def test_wrong_method_is_a_json_405_naming_the_allowed_ones(
        self, client: Client, method: str
    ) -> None:
        response = getattr(client, method)("/api/v1/records")
        assert response.status_code == 405
        assert response["Allow"] == "GET"
        assert response.json()["detail"] == (
            f"method {method.upper()} not allowed here; allowed: GET"
        )

    def test_ninja_errors_are_left_as_they_are(self, client: Client) -> None:
        response = client.get("/api/v1/records/1")
        assert response.status_code == 401
        assert "Authentication required" in response.json()["detail"]

    def test_pages_keep_their_html_404(self, client: Client) -> None:
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


def _boom(request: object) -> None:
    raise RuntimeError("something broke in a handler")


class TestErrorsCarryTheRequestId:
    """An administrator asked about "an error" finds it in the log by the id the client got."""

    def test_a_server_error_names_its_id_and_the_log_has_it(
        self, client: Client, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from wavetag.api import records

        monkeypatch.setattr(records.access, "visible_records", _boom)
        token = _token()
        with caplog.at_level(logging.ERROR, logger="wavetag.api"):
            response = client.get("/api/v1/records", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 500
        rid = response["X-Request-ID"]
        assert response.json() == {
            "detail": "Internal error; it has been logged with this request's id",
            "request_id": rid,
        }
        assert "something broke" not in response.content.decode()  # no traceback out
        [logged] = [r for r in caplog.records if r.name == "wavetag.api"]
        RequestIdFilter().filter(logged)
        assert logged.request_id == rid  # type: ignore[attr-defined]

    def test_refusals_and_invalid_values_carry_it_too(self, client: Client) -> None:
        token = _token()
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        unknown = client.get("/api/v1/records/999999", **auth)
        invalid = client.get("/api/v1/records?limit=many", **auth)
        anonymous = client.get("/api/v1/records")
        for response, status in ((unknown, 404), (invalid, 422), (anonymous, 401)):
            assert response.status_code == status
            body = response.json()
            assert body["detail"] and body["request_id"] == response["X-Request-ID"]
        assert "limit" in invalid.json()["detail"]

    def test_the_schema_documents_it(self, client: Client) -> None:
        error = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["Error"]
        assert set(error["properties"]) == {"detail", "request_id"}
        assert error["required"] == ["detail"]


def _token() -> str:
    from django.contrib.auth import get_user_model

    from wavetag.accounts.models import ApiToken

    user = get_user_model().objects.create_user("reader", password="a long password 1")
    return ApiToken.create_for(user)[1]
