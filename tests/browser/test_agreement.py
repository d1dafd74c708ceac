"""The agreement page in a real browser: an adjudicator reaches it from the home page and
sees the confusion heat map, shaded, with its counts."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import rhythm_team
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation

pytestmark = pytest.mark.django_db(transaction=True)

SINUS = {"rhythm": "sinus", "subcategory": "sinus-normal"}


@pytest.fixture
def world(holter_106: Any) -> Any:
    """Twelve tasks: ann1 and ann2 agree on quality A, except on three where ann2 says B."""
    w = rhythm_team(batch_size=12)
    tasks = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    for i, task in enumerate(tasks):
        save_annotation(task, w.ann1, {"quality": "A", **SINUS})
        save_annotation(task, w.ann2, {"quality": "B" if i % 4 == 0 else "A", **SINUS})
    return w


class TestAgreementPage:
    def test_adjudicator_sees_the_confusion_picture(self, make_page, world: Any) -> None:
        page, errors = make_page(world.judge)
        page.goto("/")
        page.click(f"[data-testid=home-agreement-{world.project.pk}]")
        field = page.get_by_test_id("field-quality")
        expect(field.get_by_test_id("percent-quality")).to_have_text("0.750")
        heat = field.get_by_test_id("heatmap").first
        expect(heat).to_be_visible()
        expect(heat.get_by_role("columnheader", name="A")).to_be_visible()
        expect(heat.get_by_role("rowheader", name="B")).to_be_visible()
        # A-A: 9 tasks, both orders: the largest count, the darkest cell.
        cell = heat.locator("tbody tr").first.locator("td").first
        expect(cell).to_have_text("18")
        colour = cell.evaluate("td => getComputedStyle(td).backgroundColor")
        assert colour == "rgb(26, 95, 180)", colour
        lighter = heat.locator("tbody tr").first.locator("td").nth(1)
        expect(lighter).to_have_text("3")
        assert lighter.evaluate("td => getComputedStyle(td).backgroundColor") != colour
        errors.check()
