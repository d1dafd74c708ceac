"""A project admin gives the project their own label schema, before any answer."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation
from wavetag.projects.builtin import ICU_ALARM
from wavetag.projects.models import Project

from .factories import call, icu_team

pytestmark = pytest.mark.django_db


def own_schema() -> dict[str, Any]:
    """The ICU schema with a fifth decision, as a project lead might want it."""
    schema = copy.deepcopy(ICU_ALARM)
    schema["name"] = "icu-alarm-technical"
    schema["fields"][0]["choices"].append(
        {"value": "Technical", "label": "Technical alarm (lead off)", "key": "x"}
    )
    return schema


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    return icu_team()


class TestReplaceSchema:
    def test_admin_replaces_it_by_api_and_annotators_can_use_it(
        self, world: Any, client: Client
    ) -> None:
        url = f"/api/v1/projects/{world.project.pk}/schema"
        status, body = call(client, "put", url, world.h["lead"], own_schema())
        assert status == 200, body
        assert body["template"] == "custom"
        assert "Technical" in json.dumps(body["label_schema"])
        (task,) = claim_batch(world.project, world.ann1)
        saved = save_annotation(task, world.ann1, {"decision": "Technical"})
        assert saved.answer["decision"] == "Technical"

    def test_refused_once_anyone_answered(self, world: Any, client: Client) -> None:
        (task,) = claim_batch(world.project, world.ann1)
        save_annotation(task, world.ann1, {"decision": "True", "status": "draft"})
        url = f"/api/v1/projects/{world.project.pk}/schema"
        status, body = call(client, "put", url, world.h["lead"], own_schema())
        assert status == 409 and "already has answers" in body["detail"]
        assert Project.objects.get(pk=world.project.pk).template == "icu-alarm"

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda s: s.update(tasks="record"), "tasks must stay 'events'"),
            (lambda s: s.update(max_annotators=1), "max_annotators must be at least"),
            (lambda s: s["fields"][0].update(type="dial"), "type"),
        ],
    )
    def test_bad_schemas_name_what_is_wrong(
        self, world: Any, client: Client, change: Any, message: str
    ) -> None:
        schema = own_schema()
        change(schema)
        url = f"/api/v1/projects/{world.project.pk}/schema"
        status, body = call(client, "put", url, world.h["lead"], schema)
        assert status == 400 and message in body["detail"], body
        status, body = call(client, "put", url, world.h["lead"], "not an object")
        assert status == 400

    def test_console_form(self, world: Any) -> None:
        client = Client()
        client.force_login(world.lead)
        page = client.get(f"/projects/{world.project.pk}/console/").content.decode()
        assert 'data-testid="schema-text"' in page
        url = f"/projects/{world.project.pk}/console/schema/"
        bad = client.post(url, {"schema": "{not json"})
        assert bad.status_code == 400 and "not valid JSON" in bad.content.decode()
        good = client.post(url, {"schema": json.dumps(own_schema())})
        assert good.status_code == 302
        assert Project.objects.get(pk=world.project.pk).template == "custom"
        # An annotator may not post it.
        other = Client()
        other.force_login(world.ann1)
        assert other.post(url, {"schema": json.dumps(own_schema())}).status_code == 403

    def test_console_shows_it_locked_after_answers(self, world: Any) -> None:
        (task,) = claim_batch(world.project, world.ann1)
        save_annotation(task, world.ann1, {"decision": "True"})
        client = Client()
        client.force_login(world.lead)
        page = client.get(f"/projects/{world.project.pk}/console/").content.decode()
        assert 'data-testid="schema-locked"' in page and 'data-testid="schema-text"' not in page
