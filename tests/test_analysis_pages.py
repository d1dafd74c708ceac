"""The analysis panel of the record page, and its form (without JavaScript)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from wavetag.analysis.models import AnalysisRun
from wavetag.records.models import Record

from .factories import make_member, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(mitdb_100: Any) -> SimpleNamespace:
    project = make_project("rhythm", "mitdb", "wearable-rhythm")
    w = SimpleNamespace(record=Record.objects.get(name="100"))
    w.lead = make_member(project, "lead", "admin")
    w.ann = make_member(project, "ann")
    return w


def logged_in(user: Any, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


class TestPanel:
    def test_admin_sees_the_button_annotator_does_not(self, world: SimpleNamespace) -> None:
        page = logged_in(world.lead).get(f"/records/{world.record.pk}/").content.decode()
        assert "Detect beats" in page and "No automatic analysis yet." in page
        page = logged_in(world.ann).get(f"/records/{world.record.pk}/").content.decode()
        assert "Detect beats" not in page and 'id="analysis"' not in page

    def test_form_queues_a_run_and_the_page_shows_it(self, world: SimpleNamespace) -> None:
        client = logged_in(world.lead)
        url = f"/records/{world.record.pk}/analysis/"
        response = client.post(url, follow=True)
        assert response.status_code == 200
        run = AnalysisRun.objects.get()
        page = response.content.decode()
        assert f"Analysis queued (run {run.pk})." in page
        assert "<strong>queued</strong>" in page and "<progress" in page
        page = client.post(url, follow=True).content.decode()
        assert "already being analysed" in page and AnalysisRun.objects.count() == 1

    def test_the_form_chooses_the_channel(self, world: SimpleNamespace) -> None:
        client = logged_in(world.lead)
        page = client.get(f"/records/{world.record.pk}/").content.decode()
        assert '<option value="">best ECG lead</option>' in page
        assert '<option value="1">1 V5</option>' in page
        url = f"/records/{world.record.pk}/analysis/"
        page = client.post(url, {"channel": "1"}, follow=True).content.decode()
        assert AnalysisRun.objects.get().channel == 1 and "Analysis queued" in page

    def test_a_done_run_shows_its_counts_and_rhythm(self, world: SimpleNamespace) -> None:
        from wavetag.analysis.jobs import execute_run
        from wavetag.analysis.services import request_analysis

        run = execute_run(request_analysis(world.record, world.lead, enqueue=False).pk)
        page = logged_in(world.lead).get(f"/records/{world.record.pk}/").content.decode()
        assert run.result is not None
        summary = page[page.index('data-testid="analysis-summary"') :].split("</p>")[0]
        assert f"Beats: N {run.result['counts']['N']}, V " in summary
        assert "Suggested rhythm: sinus rhythm (" in summary

    def test_form_refuses_annotators_and_needs_csrf(self, world: SimpleNamespace) -> None:
        url = f"/records/{world.record.pk}/analysis/"
        assert logged_in(world.ann).post(url).status_code == 403
        assert logged_in(world.lead, csrf=True).post(url).status_code == 403
        assert logged_in(world.lead).get(url).status_code == 405
        assert Client().post(url).status_code == 302  # to the login page
        assert not AnalysisRun.objects.exists()


class TestAdmin:
    def test_site_admin_lists_runs_read_only(self, world: SimpleNamespace) -> None:
        from django.contrib.auth import get_user_model

        from wavetag.analysis.services import request_analysis

        run = request_analysis(world.record, world.lead)
        it = get_user_model().objects.create_superuser("it", "it@example.org", None)
        client = logged_in(it)
        listing = client.get("/admin/analysis/analysisrun/")
        assert listing.status_code == 200 and b"queued" in listing.content
        assert client.get(f"/admin/analysis/analysisrun/{run.pk}/change/").status_code == 200
        assert client.get("/admin/analysis/analysisrun/add/").status_code == 403
