"""The practice test in a real browser: the project page sends a new annotator to it, they
answer by keyboard, see the experts' answer and why, retake it, and may then claim."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import make_member, make_project
from wavetag.annotations.gold import save_gold
from wavetag.projects.models import Task

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"
KEYS = "[data-testid=practice-form][data-keys=ready]"


@pytest.fixture
def world(alarm_v102s: Any) -> Any:
    from types import SimpleNamespace

    project = make_project(
        "alarms", "icu", "icu-alarm", event_at=300, batch_size=1, practice_size=1
    )
    (task,) = Task.objects.filter(project=project)
    save_gold(
        project,
        {
            "items": [
                {
                    "task": task.pk,
                    "answer": {"decision": "False"},
                    "explanation": "motion artefact on every lead",
                }
            ]
        },
    )
    return SimpleNamespace(project=project, ann=make_member(project, "ann"))


class TestPracticePage:
    def test_feedback_after_each_answer_and_a_pass_opens_claims(
        self, make_page: Any, world: Any
    ) -> None:
        page, errors = make_page(world.ann)
        page.goto(f"/projects/{world.project.pk}/")
        expect(page.get_by_test_id("claim-after-practice")).to_be_visible()
        page.get_by_test_id("practice-link").click()
        page.get_by_test_id("practice-start").click()
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        expect(page.locator(KEYS)).to_have_count(1)
        # Wrong on purpose, by keyboard: True, then Enter.
        page.keyboard.press("t")
        expect(page.get_by_test_id("choice-decision-True")).to_be_checked()
        page.keyboard.press("Enter")
        feedback = page.get_by_test_id("practice-feedback")
        expect(feedback).to_have_attribute("data-correct", "false")
        expect(page.get_by_test_id("practice-expected")).to_contain_text("False")
        expect(page.get_by_test_id("practice-explanation")).to_contain_text("motion artefact")
        expect(page.get_by_test_id("practice-state")).to_have_attribute("data-passed", "false")
        # A retake, right this time.
        page.get_by_test_id("practice-start").click()
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        expect(page.locator(KEYS)).to_have_count(1)
        page.keyboard.press("f")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("practice-feedback")).to_have_attribute("data-correct", "true")
        expect(page.get_by_test_id("practice-state")).to_have_attribute("data-passed", "true")
        page.goto(f"/projects/{world.project.pk}/")
        expect(page.get_by_test_id("claim-after-practice")).to_have_count(0)
        expect(page.get_by_test_id("practice-link")).to_contain_text("Practice test")
        errors.check()
