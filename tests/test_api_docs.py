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


class TestSchemaNames:
    def test_no_two_schemas_share_a_name(self) -> None:
        # The OpenAPI document names a component by its class name: two classes of one
        # name made endpoints documented with the other one's shape.
        import importlib
        import inspect
        import pkgutil

        import pydantic

        import wavetag.api

        seen: dict[str, str] = {}
        for info in pkgutil.iter_modules(wavetag.api.__path__):
            module = importlib.import_module(f"wavetag.api.{info.name}")
            for name, obj in vars(module).items():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, pydantic.BaseModel)
                    and obj.__module__ == module.__name__
                ):
                    where = f"{obj.__module__}.{obj.__qualname__}"
                    assert seen.setdefault(obj.__name__, where) == where, (seen[name], where)
        assert len(seen) > 30

    def test_every_operation_lists_its_errors(self, client: Client) -> None:
        schema = client.get("/api/v1/openapi.json").json()
        assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
        for path, ops in schema["paths"].items():
            for method, op in ops.items():
                assert {"401", "403"} <= set(op["responses"]), (method, path)
        export = schema["paths"]["/api/v1/records/{record_id}/annotations/export"]["get"]
        assert "text/csv" in export["responses"]["200"]["content"]
