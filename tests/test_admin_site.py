"""The Django admin pages: site admins only; imported data and answers read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation

from .factories import icu_team

pytestmark = pytest.mark.django_db

READ_ONLY = [
    "records_record",
    "projects_task",
    "projects_assignment",
    "accounts_apitoken",
    "accounts_invitation",
    "annotations_annotation",
    "annotations_adjudication",
]


@pytest.fixture
def world(icu_alarms, ecg_record):
    w = icu_team()
    task = claim_batch(w.project, w.ann1)[0]
    save_annotation(task, w.ann1, {"decision": "True", "comment": "clear VT"})
    w.task = task
    w.site_admin = get_user_model().objects.create_superuser("it", "it@example.org", None)
    return w


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestAccess:
    @pytest.mark.parametrize("who", ["lead", "judge", "ann1", "outsider"])
    def test_project_roles_do_not_reach_the_admin(self, world, who) -> None:
        response = client_for(getattr(world, who)).get(reverse("admin:index"))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_anonymous_is_sent_to_log_in(self, world) -> None:
        response = Client().get(reverse("admin:records_record_changelist"))
        assert response.status_code == 302

    def test_site_admin_lists_every_model(self, world) -> None:
        client = client_for(world.site_admin)
        index = client.get(reverse("admin:index")).content.decode()
        for model in ("Records", "Projects", "Annotations", "Invitations", "Api tokens"):
            assert model in index
        for name in [*READ_ONLY, "records_dataset", "projects_project", "accounts_loginfailure"]:
            assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name


class TestReadOnly:
    @pytest.mark.parametrize("name", READ_ONLY)
    def test_no_add_page(self, world, name) -> None:
        response = client_for(world.site_admin).get(reverse(f"admin:{name}_add"))
        assert response.status_code == 403

    def test_an_answer_is_shown_with_its_history_but_cannot_be_edited(self, world) -> None:
        client = client_for(world.site_admin)
        annotation = world.task.annotations.get()
        url = reverse("admin:annotations_annotation_change", args=[annotation.pk])
        page = client.get(url)
        assert page.status_code == 200 and "clear VT" in page.content.decode()
        client.post(url, {"comment": "changed", "status": "draft"})
        annotation.refresh_from_db()
        assert annotation.comment == "clear VT" and annotation.status == "submitted"
        delete = reverse("admin:annotations_annotation_delete", args=[annotation.pk])
        assert client.get(delete).status_code == 403

    def test_record_page_hides_patient_fields_and_shows_channels(self, world) -> None:
        record = world.project.dataset.records.get(name="v102s")
        page = client_for(world.site_admin).get(
            reverse("admin:records_record_change", args=[record.pk])
        )
        text = page.content.decode()
        assert page.status_code == 200 and "PLETH" in text and "patient_info" not in text

    def test_project_schema_is_not_editable(self, world) -> None:
        client = client_for(world.site_admin)
        url = reverse("admin:projects_project_change", args=[world.project.pk])
        page = client.get(url).content.decode()
        assert 'name="schema"' not in page and 'name="batch_size"' in page
