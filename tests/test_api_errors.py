"""Under /api/ every error answers JSON: unknown paths, wrong methods, and errors Django
raises before django-ninja sees the request; pages elsewhere keep their HTML."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


class TestApiErrorsAreJson:
    @pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/records/1/nope", "/api/nope"])
    def test_unknown_path_is_a_json_404(self, client: Client, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"detail": "not found: no API endpoint at this path"}

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
