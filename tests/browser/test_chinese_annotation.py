"""The annotator's and the expert's pages shown in Chinese (the browser asks for zh-CN):
the task pages of the built-in templates, adjudication (labels and beats), review,
discussion, practice, the tutorial and the statistics pages leave no English. The viewer's
own strings are the page scripts' catalogue, checked with the viewer's tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.chinese import assert_chinese
from tests.factories import icu_team, make_member, make_project
from wavetag.annotations import beats, services
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.gold import save_gold
from wavetag.annotations.services import save_annotation
from wavetag.projects.builtin import BEAT_CORRECTION
from wavetag.projects.services import create_project
from wavetag.records.models import Annotation

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"
VIEWER = ".wt-viewer"


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """ICU alarms: the first task in conflict (True against Uncertain, so it is discussed),
    the second claimed by ann1; a 12-lead project with a task claimed by ``outsider``."""
    w = icu_team()
    # Project names are data, shown as given: in <title> too, where translate="no" cannot
    # mark them, so these projects have Chinese names.
    for project, name in ((w.project, "报警审核"), (w.other, "十二导联")):
        project.name = name
        project.save(update_fields=["name"])
    (w.conflict,) = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    save_annotation(w.conflict, w.ann1, {"decision": "True", "labels": ["pacing"]})
    save_annotation(w.conflict, w.ann2, {"decision": "Uncertain", "comment": "干扰大"})
    w.conflict.refresh_from_db()
    assert w.conflict.status == "conflict"
    (w.open,) = claim_batch(w.project, w.ann1)
    (w.ecg,) = claim_batch(w.other, w.outsider)
    return w


def chinese(page: Any, what: str) -> None:
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert_chinese(page, what, skip=VIEWER)


def visit(page: Any, url: str, what: str, *ready: str) -> None:
    """Open ``url``, wait until each of the ``ready`` selectors shows (the page has drawn
    what its scripts fill in) and check that it leaves no English."""
    page.goto(url)
    for selector in ready:
        expect(page.locator(selector)).to_be_visible(timeout=15000)
    chinese(page, what)


class TestChineseTaskPages:
    def test_icu_alarm_task(self, make_page, world: Any) -> None:
        page, errors = make_page(world.ann1, locale="zh-CN")
        visit(
            page,
            f"/tasks/{world.open.pk}/",
            "the ICU alarm task page",
            READY,
            "[data-testid=choice-decision-True]",
        )
        errors.check()

    def test_12_lead_task_and_history(self, make_page, world: Any) -> None:
        save_annotation(world.ecg, world.outsider, {"diagnoses": ["normal"], "status": "later"})
        page, errors = make_page(world.outsider, locale="zh-CN")
        page.goto(f"/tasks/{world.ecg.pk}/")
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        expect(page.get_by_test_id("choice-diagnoses-normal")).to_be_checked()
        chinese(page, "the 12-lead task page")
        page.goto(f"/tasks/{world.ecg.pk}/history/")
        expect(page.get_by_test_id("revision")).to_have_count(1)
        chinese(page, "the history of an answer")
        errors.check()

    def test_frozen_answer(self, make_page, world: Any) -> None:
        page, errors = make_page(world.ann1, locale="zh-CN")
        visit(page, f"/tasks/{world.conflict.pk}/", "a frozen answer", "[data-testid=frozen]")
        errors.check()


class TestChineseExpertPages:
    def test_queue_adjudication_review_discussion(self, make_page, world: Any) -> None:
        page, errors = make_page(world.judge, locale="zh-CN")
        project, task = world.project.pk, world.conflict.pk
        visit(
            page,
            f"/projects/{project}/adjudication/",
            "the adjudication queue",
            f"[data-testid=queue-task-{task}]",
        )
        visit(page, f"/tasks/{task}/adjudicate/", "the adjudication page", READY)
        visit(page, f"/projects/{project}/review/", "the review page", "[data-testid=review-table]")
        page.goto(f"/tasks/{task}/discussion/")
        page.get_by_test_id("discussion-text").fill("看 V1 导联")
        page.get_by_test_id("discussion-post").click()
        expect(page.get_by_text("看 V1 导联")).to_be_visible()
        chinese(page, "a discussion thread")
        visit(page, f"/projects/{project}/discussion/", "the discussion list")
        visit(page, f"/projects/{project}/agreement/", "the agreement page")
        visit(page, f"/projects/{project}/decisions/", "the decisions page")
        errors.check()

    def test_leaderboard_and_my_statistics(self, make_page, world: Any) -> None:
        page, errors = make_page(world.ann1, locale="zh-CN")
        project = world.project.pk
        visit(
            page,
            f"/projects/{project}/leaderboard/",
            "the leaderboard",
            "[data-testid=leaderboard]",
        )
        visit(page, f"/projects/{project}/me/", "my statistics", "[data-testid=my-stats]")
        errors.check()


@pytest.fixture
def beat_world(mitdb_100: Any) -> SimpleNamespace:
    """A beat-correction task where ann1 deleted a beat that ann2 kept."""
    schema = {**BEAT_CORRECTION, "start_set": "atr"}
    project = create_project("心搏校正", "mitdb", schema=schema, batch_size=1)
    w = SimpleNamespace(project=project)
    # User names are data; these annotators' are Chinese because the bulk form names
    # them inside <option>, where translate="no" cannot mark a part.
    w.ann1 = make_member(project, "李医生")
    w.ann2 = make_member(project, "王医生")
    w.judge = make_member(project, "judge", "adjudicator")
    (w.task,) = claim_batch(project, w.ann1)
    claim_batch(project, w.ann2)
    mine = beats.working_set(w.task, w.ann1)
    first = Annotation.objects.filter(annotation_set=mine, time__gt=2).order_by("time").first()
    assert first is not None
    first.delete()
    services.save_annotation(w.task, w.ann1, {"quality": "A"})
    beats.working_set(w.task, w.ann2)
    services.save_annotation(w.task, w.ann2, {"quality": "A"})
    w.task.refresh_from_db()
    assert w.task.status == "conflict"
    return w


class TestChineseBeatPages:
    def test_beat_task_and_beat_adjudication(self, make_page, beat_world: Any) -> None:
        w = beat_world
        page, errors = make_page(w.judge, locale="zh-CN")
        visit(
            page,
            f"/tasks/{w.task.pk}/adjudicate/",
            "the beat adjudication page",
            READY,
            "[data-testid=disagreements]",
        )
        errors.check()


class TestChinesePracticeAndTutorial:
    def test_practice(self, make_page, alarm_v102s: Any) -> None:
        from wavetag.projects.models import Task

        project = make_project(
            "报警练习", "icu", "icu-alarm", event_at=300, batch_size=1, practice_size=1
        )
        (task,) = Task.objects.filter(project=project)
        save_gold(project, {"items": [{"task": task.pk, "answer": {"decision": "False"}}]})
        ann = make_member(project, "ann")
        page, errors = make_page(ann, locale="zh-CN")
        visit(page, f"/projects/{project.pk}/practice/", "the practice page before it starts")
        page.get_by_test_id("practice-start").click()
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        chinese(page, "a practice task")
        page.get_by_test_id("choice-decision-True").check()
        page.get_by_test_id("practice-submit").click()
        expect(page.get_by_test_id("practice-feedback")).to_be_visible()
        chinese(page, "the practice feedback")
        errors.check()

    @pytest.mark.parametrize("template", ["icu-alarm", "wearable-rhythm", "resting-12lead"])
    def test_tutorial(self, make_page, template: str) -> None:
        from tests.factories import make_user

        page, errors = make_page(make_user("li", password=None), locale="zh-CN")
        visit(page, "/tutorial/", "the tutorial index", "[data-testid=tutorial-list]")
        page.goto(f"/tutorial/{template}/")
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        # The guide's step counter is written by its script (the scripts' catalogue).
        assert_chinese(page, f"the {template} walkthrough", skip=f"{VIEWER}, .guide-count")
        errors.check()
