"""Joining an open project from the catalogue in a real browser, then claiming a batch."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import make_project, make_user

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"


class TestCatalogue:
    def test_join_from_the_catalogue_and_claim(self, make_page: Any, alarm_v102s: Any) -> None:
        project = make_project("alarms", "icu", "icu-alarm", event_at=300, batch_size=1, open=True)
        make_project("private", "icu", "icu-alarm", event_at=300)
        walker = make_user("walker", password=None)
        page, errors = make_page(walker)
        page.goto("/")
        page.get_by_test_id("open-projects-link").click()
        expect(page.get_by_test_id("open-projects")).to_contain_text("alarms")
        expect(page.get_by_test_id("open-projects")).not_to_contain_text("private")
        page.get_by_test_id(f"join-{project.pk}").click()
        expect(page).to_have_url(f"/projects/{project.pk}/")
        page.get_by_test_id("claim-batch").click()
        expect(page).to_have_url(f"/tasks/{project.tasks.get().pk}/")
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        errors.check()
