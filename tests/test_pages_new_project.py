"""The create-project page, its answer-form preview, and the settings of the console."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation
from wavetag.projects.builtin import TEMPLATES
from wavetag.projects.models import Project, Task

from .factories import icu_team, make_user
from .test_projects_create import CUSTOM

pytestmark = pytest.mark.django_db

URL = "/projects/new/"
PREVIEW = "/projects/new/preview/"


@pytest.fixture
def admin(client: Client, mitdb_records: Any) -> Client:
    client.force_login(make_user("root", staff=True, password=None))
    return client


def form(**fields: str) -> dict[str, str]:
    return {
        "name": "p",
        "dataset": "mitdb",
        "template": "resting-12lead",
        "blind": "1",
        "conflict_policy": "adjudicate",
        **fields,
    }


class TestNewProjectPage:
    def test_get_shows_the_form_and_the_preview(self, admin: Client) -> None:
        response = admin.get(URL)
        assert response.status_code == 200
        html = response.content.decode()
        assert '<option value="mitdb">mitdb</option>' in html
        # The answer form of the default template, drawn by the task page's template.
        assert 'data-testid="preview-form"' in html and 'data-testid="field-decision"' in html
        assert 'name="csrfmiddlewaretoken"' in html

    def test_only_site_admins(self, client: Client, mitdb_records: Any) -> None:
        assert client.get(URL).status_code == 302  # to the login
        client.force_login(make_user("ann", password=None))
        assert client.get(URL).status_code == 403
        assert client.post(URL, form()).status_code == 403
        assert client.post(PREVIEW, {"template": "icu-alarm"}).status_code == 403
        assert 'data-testid="new-project"' not in client.get("/").content.decode()
        assert not Project.objects.exists()

    def test_the_home_page_links_to_it(self, admin: Client) -> None:
        assert 'href="/projects/new/"' in admin.get("/").content.decode()

    def test_success_goes_to_the_console(self, admin: Client) -> None:
        response = admin.post(
            URL, form(records_pattern="10?", records_sample="2", records_seed="3", batch_size="4")
        )
        project = Project.objects.get(name="p")
        assert response.status_code == 302
        assert response["Location"] == f"/projects/{project.pk}/console/"
        assert project.batch_size == 4 and project.record_selection["seed"] == 3
        assert Task.objects.filter(project=project).count() == 2
        page = admin.get(response["Location"]).content.decode()
        assert "Project p created with 2 tasks" in page

    def test_training_visibility_and_suggestions(self, admin: Client) -> None:
        fields = form(practice_size="2", practice_pass="90", gold_rate="10", open="1")
        fields.update(visible_sets="qrs, atr", machine_suggestions="1")
        assert admin.post(URL, fields).status_code == 302
        project = Project.objects.get(name="p")
        assert (project.practice_size, project.practice_pass, project.gold_rate) == (2, 90, 10)
        assert project.visible_sets == ["qrs", "atr"]
        assert project.open and project.machine_suggestions
        assert not project.leaderboard_anonymous and not project.reveal_outcome

    def test_a_custom_schema(self, admin: Client) -> None:
        response = admin.post(URL, form(template="custom", schema=json.dumps(CUSTOM)))
        assert response.status_code == 302, response.content.decode()
        assert Project.objects.get().template == "custom"

    @pytest.mark.parametrize(
        ("fields", "at", "status"),
        [
            ({"name": ""}, "name", 400),
            ({"dataset": "nope"}, "dataset", 400),
            ({"template": "custom", "schema": "{"}, "schema", 400),
            ({"template": "custom", "schema": json.dumps({"fields": 3})}, "schema", 400),
            ({"records_sample": "two"}, "records_sample", 400),
            ({"records_pattern": "9*"}, "records", 400),
            ({"annotators_per_task": "9"}, "annotators_per_task", 400),
            ({"segment_seconds": "30"}, "segment_seconds", 400),
            ({"gold_rate": "90"}, "gold_rate", 400),
            ({"practice_pass": "x"}, "practice_pass", 400),
        ],
    )
    def test_errors_are_shown_at_the_field(
        self, admin: Client, fields: dict[str, str], at: str, status: int
    ) -> None:
        response = admin.post(URL, form(**fields))
        assert response.status_code == status
        html = response.content.decode()
        assert f'data-testid="error-{at}"' in html, html
        assert 'data-testid="error-form"' not in html
        assert not Project.objects.exists()
        # What was typed stays in the form.
        for value in fields.values():
            assert value.replace('"', "&quot;") in html or not value

    def test_a_name_in_use(self, admin: Client) -> None:
        assert admin.post(URL, form()).status_code == 302
        response = admin.post(URL, form(template="wearable-rhythm"))
        assert response.status_code == 409
        assert 'data-testid="error-name"' in response.content.decode()

    def test_csrf_is_checked(self, mitdb_records: Any) -> None:
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(make_user("root", staff=True, password=None))
        assert strict.post(URL, form()).status_code == 403
        assert strict.post(PREVIEW, {"template": "icu-alarm"}).status_code == 403
        assert not Project.objects.exists()


class TestPreview:
    def test_a_template(self, admin: Client) -> None:
        response = admin.post(PREVIEW, {"template": "wearable-rhythm"})
        assert response.status_code == 200
        for field in TEMPLATES["wearable-rhythm"]["fields"]:
            assert f'data-testid="field-{field["name"]}"' in response.content.decode()

    def test_a_custom_schema(self, admin: Client) -> None:
        response = admin.post(PREVIEW, {"template": "custom", "schema": json.dumps(CUSTOM)})
        html = response.content.decode()
        assert response.status_code == 200 and 'data-testid="choice-noisy-yes"' in html

    @pytest.mark.parametrize(
        ("schema", "message"),
        [("{", "schema: not valid JSON"), ('{"fields": []}', "fields: must be a list")],
    )
    def test_errors_name_the_part(self, admin: Client, schema: str, message: str) -> None:
        response = admin.post(PREVIEW, {"template": "custom", "schema": schema})
        assert response.status_code == 400 and response.content.decode().startswith(message)


@pytest.fixture
def team(icu_alarms: Any, ecg_record: Any, client: Client) -> Any:
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    client.force_login(w.lead)
    w.url = f"/projects/{w.project.pk}/console/settings/"
    w.settings = {"conflict_policy": "adjudicate", "max_annotators": "2"}
    return w


class TestConsoleSettings:
    def test_description_and_batch_size(self, team: Any, client: Client) -> None:
        response = client.post(
            team.url, {**team.settings, "description": "ICU alarms", "batch_size": "7"}
        )
        assert response.status_code == 302
        team.project.refresh_from_db()
        assert (team.project.description, team.project.batch_size) == ("ICU alarms", 7)
        page = client.get(f"/projects/{team.project.pk}/console/").content.decode()
        assert 'data-testid="settings-batch-size"' in page and "ICU alarms" in page

    def test_refused_after_answers_with_the_field(self, team: Any, client: Client) -> None:
        client.post(
            team.url, {**team.settings, "conflict_policy": "reenter", "max_annotators": "3"}
        )
        save_annotation(team.task, team.ann1, {"decision": "True", "status": "submitted"})
        response = client.post(team.url, team.settings)
        assert response.status_code == 409
        assert "max_annotators: may only grow" in response.content.decode()
        team.project.refresh_from_db()
        assert team.project.max_annotators == 3

    def test_annotators_cannot(self, team: Any, client: Client) -> None:
        client.force_login(team.ann1)
        assert client.post(team.url, {**team.settings, "batch_size": "9"}).status_code == 403
        team.project.refresh_from_db()
        assert team.project.batch_size == 1
