"""The statistics pages in a real browser: the leaderboard with its chart, my statistics,
and the decisions' pies; no console error on any of them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import icu_team
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.leaderboard import CHART_DAYS
from wavetag.annotations.my_stats import HIDDEN
from wavetag.annotations.services import save_annotation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """ann1 answered both ICU tasks (True, then Reject), ann2 the first (False)."""
    w = icu_team()
    for user, decision in ((w.ann1, "True"), (w.ann2, "False"), (w.ann1, "Reject")):
        (task,) = claim_batch(w.project, user)
        save_annotation(task, user, {"decision": decision})
    return w


class TestLeaderboardPage:
    def test_from_the_project_page_to_the_board_and_its_chart(self, make_page, world: Any) -> None:
        page, errors = make_page(world.ann2)
        page.goto(f"/projects/{world.project.pk}/")
        page.get_by_test_id("leaderboard-link").click()
        board = page.get_by_test_id("leaderboard")
        expect(board.locator("tbody tr")).to_have_count(4)
        expect(board.get_by_test_id("row-ann1").get_by_test_id("tasks")).to_have_text("2")
        expect(page.locator("tr.you")).to_contain_text("ann2")
        chart = page.get_by_test_id("tasks-chart")
        expect(chart).to_be_visible()
        bars = chart.locator("rect.bar")
        expect(bars).to_have_count(CHART_DAYS)
        # Today's bar, the last one, holds the three answers and is the highest.
        assert bars.last.get_attribute("data-count") == "3"
        assert float(bars.last.get_attribute("height") or 0) > 0
        assert chart.get_attribute("data-total") == "3"
        page.get_by_test_id("period-day").click()
        expect(page.get_by_test_id("periods").locator("strong")).to_have_text("day")
        expect(board.get_by_test_id("row-ann1").get_by_test_id("tasks")).to_have_text("2")
        errors.check()

    def test_the_site_wide_board_from_home(self, make_page, world: Any) -> None:
        page, errors = make_page(world.lead)
        page.goto("/")
        page.get_by_test_id("site-leaderboard").click()
        expect(page.get_by_test_id("leaderboard").locator("tbody tr")).to_have_count(4)
        expect(page.get_by_test_id("tasks-chart").locator("rect.bar")).to_have_count(CHART_DAYS)
        errors.check()


class TestMyStatisticsPage:
    def test_own_tasks_per_day_and_why_agreement_is_hidden(self, make_page, world: Any) -> None:
        page, errors = make_page(world.ann1)
        page.goto(f"/projects/{world.project.pk}/")
        page.get_by_test_id("my-stats-link").click()
        expect(page.get_by_test_id("my-tasks")).to_contain_text("2")
        expect(page.get_by_test_id("my-agreement")).to_contain_text(HIDDEN)
        bars = page.get_by_test_id("my-chart").locator("rect.bar")
        expect(bars).to_have_count(CHART_DAYS)
        assert bars.last.get_attribute("data-count") == "2"
        assert [bars.nth(i).get_attribute("data-count") for i in range(CHART_DAYS - 1)] == ["0"] * (
            CHART_DAYS - 1
        )
        errors.check()


class TestDecisionsPage:
    def test_pies_per_annotator_from_the_navigation(self, make_page, world: Any) -> None:
        page, errors = make_page(world.judge)
        page.goto(f"/projects/{world.project.pk}/review/")
        page.get_by_test_id("nav-decisions").click()
        pie = page.get_by_test_id("pie-ann1-decision")
        expect(pie.locator(".slice")).to_have_count(2)
        expect(page.get_by_test_id("pie-ann2-decision").locator(".slice")).to_have_count(1)
        row = page.get_by_test_id("decisions-ann1")
        expect(row).to_contain_text("True: a real event – 1 (50%)")
        errors.check()
