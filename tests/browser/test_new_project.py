"""A site admin creates a project in the browser from a template, on real MIT-BIH records;
an annotator added from the console then claims a task of it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import make_user
from wavetag.projects.models import Project, Task

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"


class TestCreateProjectInTheBrowser:
    def test_admin_creates_and_an_annotator_claims(
        self, make_page: Any, mitdb_records: Any
    ) -> None:
        root = make_user("root", staff=True, password=None)
        ann = make_user("ann", password=None)
        page, errors = make_page(root)
        page.goto("/")
        page.get_by_test_id("new-project").click()
        page.wait_for_url("**/projects/new/")
        preview = page.get_by_test_id("preview")
        expect(preview.get_by_test_id("field-decision")).to_be_visible()

        # Typing broken JSON is pointed out at once, without a round trip.
        schema = page.get_by_test_id("schema")
        schema.fill("{")
        expect(page.get_by_test_id("schema-parse")).to_contain_text("not valid JSON")
        expect(page.get_by_test_id("template")).to_have_value("custom")
        # Choosing a template puts its schema back, and the preview follows.
        page.get_by_test_id("template").select_option("wearable-rhythm")
        expect(page.get_by_test_id("schema-parse")).to_be_hidden()
        expect(preview.get_by_test_id("field-rhythm")).to_be_visible()
        expect(preview.get_by_test_id("field-decision")).to_have_count(0)

        page.get_by_test_id("name").fill("Holter rhythm")
        page.get_by_test_id("dataset").select_option("mitdb")
        page.get_by_test_id("records-pattern").fill("10[05]")
        page.get_by_test_id("k").fill("1")
        page.get_by_test_id("batch-size").fill("2")
        page.get_by_test_id("segment-seconds").select_option("30")
        page.get_by_test_id("create").click()
        page.wait_for_url("**/console/")
        project = Project.objects.get(name="Holter rhythm")
        tasks = Task.objects.filter(project=project).select_related("record")
        assert sorted({t.record.name for t in tasks}) == ["100", "105"]
        # 30-min records in 30-s segments: 60 tasks each.
        assert tasks.count() == 120 and project.annotators_per_task == 1
        expect(page.get_by_test_id("messages")).to_contain_text("created with 120 tasks")

        page.get_by_test_id("member-add-username").fill("ann")
        page.get_by_test_id("member-add-role").select_option("annotator")
        page.get_by_test_id("member-add").click()
        expect(page.get_by_test_id("member-ann")).to_be_visible()
        errors.check()

        page, errors = make_page(ann)
        page.goto(f"/projects/{project.pk}/")
        page.get_by_test_id("claim-batch").click()
        page.wait_for_url("**/tasks/*/")
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        task_id = int(page.url.rstrip("/").split("/")[-1])
        claimed = Task.objects.get(pk=task_id)
        assert claimed.project_id == project.pk
        assert claimed.assignments.get().user == ann
        errors.check()
