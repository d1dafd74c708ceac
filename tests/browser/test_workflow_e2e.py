"""The whole team workflow in a real browser: two annotators claim the same alarm, answer it
blind and disagree; an adjudicator resolves the conflict; the export tells the outcome."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import make_member, make_project
from wavetag.annotations.models import Annotation
from wavetag.projects.models import Task

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"


@pytest.fixture
def world(alarm_v102s: Any) -> Any:
    """One ICU alarm (v102s, the alarm at 300 s), k = 2 annotators, batches of one."""
    from types import SimpleNamespace

    project = make_project("alarms", "icu", "icu-alarm", event_at=300, batch_size=1)
    w = SimpleNamespace(project=project)
    w.ann1 = make_member(project, "ann1")
    w.ann2 = make_member(project, "ann2")
    w.judge = make_member(project, "judge", "adjudicator")
    return w


def annotate(make_page: Any, world: Any, user: Any, key: str, comment: str) -> int:
    """Claim a batch from the project page, answer by keyboard, submit; the task id."""
    page, errors = make_page(user)
    page.goto(f"/projects/{world.project.pk}/")
    page.get_by_test_id("claim-batch").click()
    page.wait_for_url("**/tasks/*/")
    task_id = int(page.url.rstrip("/").split("/")[-1])
    expect(page.locator(READY)).to_be_visible(timeout=15000)
    # The viewer opens on the alarm: the 10 s before the event at 300 s.
    waveform = page.get_by_test_id("waveform")
    assert float(waveform.get_attribute("data-end") or 0) >= 299
    # Blind: nothing of the other annotator's answer is on the page.
    assert "ann1 says" not in page.content()
    page.keyboard.press(key)
    page.get_by_test_id("comment").fill(comment)
    page.get_by_test_id("submit").click()
    page.wait_for_url(lambda url: not url.rstrip("/").endswith(f"/tasks/{task_id}"))
    errors.check()
    page.context.close()
    return task_id


class TestTwoAnnotatorsAndAnAdjudicator:
    def test_conflict_is_adjudicated_end_to_end(self, make_page: Any, world: Any) -> None:
        first = annotate(make_page, world, world.ann1, "t", "ann1 says VT")
        second = annotate(make_page, world, world.ann2, "f", "ann2 says artefact")
        assert first == second
        task = Task.objects.get(pk=first)
        assert task.status == "conflict"
        answers = {a.user.username: a.answer["decision"] for a in task.annotations.all()}
        assert answers == {"ann1": "True", "ann2": "False"}

        page, errors = make_page(world.judge)
        page.goto(f"/projects/{world.project.pk}/adjudication/")
        expect(page.get_by_test_id(f"queue-task-{task.pk}")).to_be_visible()
        page.get_by_test_id(f"queue-open-{task.pk}").click()
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        for annotation in Annotation.objects.filter(task=task):
            card = page.get_by_test_id(f"annotation-{annotation.pk}")
            expect(card).to_contain_text(annotation.user.username)
            expect(card).to_contain_text(annotation.comment)
        page.get_by_test_id("adjudicate-choice-decision-True").check()
        page.get_by_test_id("adjudicate-comment").fill("VT at 180 bpm, clear on II and V")
        page.get_by_test_id("adjudicate-submit").click()
        expect(page.get_by_test_id("queue-empty")).to_be_visible()
        task.refresh_from_db()
        assert task.status == "adjudicated" and task.final_label == {"decision": "True"}

        # The project's export (same session) tells the outcome with both answers.
        body = page.evaluate(
            "async (id) => (await fetch(`/api/v1/projects/${id}/export?format=json`)).text()",
            world.project.pk,
        )
        (item,) = json.loads(body)["items"]
        assert item["status"] == "adjudicated" and item["final_label"] == {"decision": "True"}
        assert sorted(a["answer"]["decision"] for a in item["annotations"]) == ["False", "True"]
        errors.check()

    def test_after_adjudication_an_annotator_sees_their_part_and_asks_for_a_change(
        self, make_page: Any, world: Any
    ) -> None:
        task_id = annotate(make_page, world, world.ann1, "t", "ann1 says VT")
        annotate(make_page, world, world.ann2, "r", "ann2 cannot judge it")
        page, errors = make_page(world.judge)
        page.goto(f"/tasks/{task_id}/adjudicate/")
        page.get_by_test_id("adjudicate-choice-decision-Reject").check()
        page.get_by_test_id("adjudicate-submit").click()
        expect(page.get_by_test_id("queue-empty")).to_be_visible()
        errors.check()
        # My annotations lists the task as done for ann1.
        page, errors = make_page(world.ann1)
        page.goto(f"/projects/{world.project.pk}/mine/")
        expect(
            page.get_by_test_id("mine-done").get_by_test_id(f"mine-task-{task_id}")
        ).to_be_visible()
        # Their answer is frozen: shown in words, no form, no outcome (a blind project).
        page.goto(f"/tasks/{task_id}/")
        frozen = page.get_by_test_id("frozen")
        expect(frozen).to_contain_text("True: a real event")
        expect(page.get_by_test_id("answer-form")).to_have_count(0)
        expect(page.get_by_test_id("outcome")).to_have_count(0)
        assert "Reject" not in frozen.inner_text()
        page.get_by_test_id("change-request-text").fill("the second beat run is VT after all")
        page.get_by_test_id("change-request-send").click()
        expect(page.get_by_test_id("change-request")).to_contain_text("VT after all")
        errors.check()
        # The request waits in the adjudication queue.
        page, errors = make_page(world.judge)
        page.goto(f"/projects/{world.project.pk}/adjudication/")
        expect(page.get_by_test_id(f"queue-reason-{task_id}")).to_have_attribute(
            "data-reason", "request"
        )
        errors.check()
