"""The API's docs page works offline: Swagger UI comes from the site's own static files."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from .factories import make_user

pytestmark = pytest.mark.django_db


class TestDocsOffline:
    def test_docs_load_nothing_from_another_origin(self) -> None:
        client = Client()
        client.force_login(make_user("reader"))
        response = client.get("/api/v1/docs")
        assert response.status_code == 200
        page = response.content.decode()
        assert "cdn" not in page.lower()
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
        for src in sources:
            assert not src.startswith(("http:", "https:", "//")), src
            if src.startswith("/static/"):
                asset = client.get(src)
                assert asset.status_code == 200, src
