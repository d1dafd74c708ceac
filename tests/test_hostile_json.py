"""Hostile bodies: JSON nested a thousand deep gets a 400 naming the body, never a 500;
and ``wavetag --version`` names wavetag's own version."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.errors import MAX_JSON_DEPTH, InvalidInput, load_json

from .factories import icu_team

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    return w


class TestDeepJson:
    @pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["lists", "objects"])
    def test_every_body_reader_says_400(self, world: Any, client: Client, body: str) -> None:
        t, p = world.task.pk, world.project.pk
        for method, url, who in [
            ("put", f"/api/v1/tasks/{t}/annotation", "ann1"),
            ("patch", "/api/v1/me/viewer-settings", "ann1"),
            ("put", f"/api/v1/projects/{p}/schema", "lead"),
            ("post", f"/api/v1/tasks/{t}/adjudication", "judge"),
            ("post", f"/api/v1/tasks/{t}/beat-disagreements/resolve", "judge"),
            ("patch", f"/api/v1/projects/{p}", "lead"),
            ("put", f"/api/v1/projects/{p}/gold", "lead"),
        ]:
            response = getattr(client, method)(
                url, data=body, content_type="application/json", **world.h[who]
            )
            assert response.status_code == 400, (url, response.status_code)
            assert (
                response.json()["detail"] == f"body: nested more than {MAX_JSON_DEPTH} levels deep"
            )

    def test_the_console_schema_form_too(self, world: Any) -> None:
        client = Client()
        client.force_login(world.lead)
        response = client.post(f"/projects/{world.project.pk}/console/schema/", {"schema": DEEP})
        assert response.status_code == 400
        assert "schema: nested more than" in response.content.decode()

    def test_the_limit_itself(self) -> None:
        ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
        assert load_json(ok) == load_json(ok)
        too_deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
        with pytest.raises(InvalidInput, match="nested more than"):
            load_json(too_deep)
        with pytest.raises(InvalidInput, match="schema: not valid JSON"):
            load_json("{", "schema")


class TestVersion:
    def test_version_is_wavetags(self) -> None:
        out = subprocess.run(
            [sys.executable, "-m", "wavetag", "--version"], capture_output=True, text=True
        )
        assert out.returncode == 0 and out.stdout.strip() == f"wavetag {version('wavetag')}"


class TestLargeBodies:
    def test_a_body_over_the_limit_is_a_413_naming_it(self, world: Any, settings: Any) -> None:
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
        body = '{"label": "' + "x" * 200_000 + '"}'
        client = Client()
        for method, url in [
            ("put", f"/api/v1/tasks/{world.task.pk}/annotation"),
            ("patch", "/api/v1/me/viewer-settings"),
            ("post", f"/api/v1/tasks/{world.task.pk}/discussion"),
        ]:
            response = getattr(client, method)(
                url, data=body, content_type="application/json", **world.h["ann1"]
            )
            assert response.status_code == 413, (url, response.content[:200])
            assert response.json()["detail"] == "body: larger than 0.1 MB (WAVETAG_MAX_BODY_MB)"
