"""The task page by keyboard alone: every element Tab reaches shows a visible focus (its
outline or box shadow differs from its unfocused look), and an answer is chosen and
submitted without the mouse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import icu_team
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Annotation

pytestmark = pytest.mark.django_db(transaction=True)

STYLE = """(el) => {
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' | ');
}"""

ACTIVE = (
    """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    if (!el.dataset.kbd) el.dataset.kbd = String(document.querySelectorAll('[data-kbd]').length);
    return {
        k: el.dataset.kbd,
        testid: el.dataset.testid || '',
        label: (el.outerHTML || '').slice(0, 120),
        style: ("""
    + STYLE
    + """)(el),
    };
}"""
)


def tab_stops_without_focus(page: Any, most: int = 200) -> tuple[int, list[str]]:
    """Tab through the page until focus comes round again: how many stops there are, and
    those whose focused look (outline, box shadow) is the same as their unfocused one."""
    seen: dict[str, dict[str, str]] = {}
    for _ in range(most):
        page.keyboard.press("Tab")
        now = page.evaluate(ACTIVE)
        if now is None:
            continue
        if now["k"] in seen:
            break
        seen[now["k"]] = now
    page.evaluate("document.activeElement && document.activeElement.blur()")
    unseen = []
    for k, focused in seen.items():
        rest = page.locator(f'[data-kbd="{k}"]').evaluate(STYLE)
        if rest == focused["style"]:
            unseen.append(f"{focused['label']} ({rest})")
    return len(seen), unseen


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    return w


def open_task(make_page: Any, world: Any) -> tuple[Any, Any]:
    page, errors = make_page(world.ann1)
    page.goto(f"/tasks/{world.task.pk}/")
    page.wait_for_function("document.querySelector('.wt-viewer canvas') !== null")
    page.wait_for_load_state("networkidle")
    return page, errors


class TestKeyboard:
    def test_every_tab_stop_shows_its_focus(self, make_page: Any, world: Any) -> None:
        page, errors = open_task(make_page, world)
        stops, unseen = tab_stops_without_focus(page)
        assert stops >= 5
        assert not unseen, "no visible focus on:\n" + "\n".join(unseen)
        errors.check()

    def test_answer_and_submit_by_keyboard_alone(self, make_page: Any, world: Any) -> None:
        page, errors = open_task(make_page, world)

        def tab_to(testid: str) -> None:
            for _ in range(150):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.dataset.testid || ''") == testid:
                    return
            raise AssertionError(f"Tab never reaches {testid}")

        tab_to("choice-decision-True")
        page.keyboard.press("Space")
        assert page.get_by_test_id("choice-decision-True").is_checked()
        tab_to("submit")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: not url.rstrip("/").endswith(f"/tasks/{world.task.pk}"))
        saved = Annotation.objects.get(task=world.task, user=world.ann1)
        assert saved.status == "submitted"
        assert saved.answer["decision"] == "True"
        errors.check()
