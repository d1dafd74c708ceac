"""Accessibility in a real browser: axe-core (WCAG 2.1 A and AA rules, run from the copy
bundled with the ``axe-playwright-python`` package, nothing from the internet) on the home,
project, task, adjudication, console and record pages, none with a serious or critical
finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_keyboard import tab_stops_without_focus
from tests.factories import icu_team
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_script() -> Path:
    import axe_playwright_python

    return Path(axe_playwright_python.__file__).parent / "axe.min.js"


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it stands whose impact is serious or critical."""
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]][:8]
        lines.append(f"{v['id']} ({v['impact']}): {targets}")
    return "\n".join(lines)


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """The first ICU task in conflict (ann1 says True, ann2 False); the second claimed by
    ann1 and not yet answered."""
    w = icu_team()
    (w.conflict,) = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    save_annotation(w.conflict, w.ann1, {"decision": "True", "comment": "VT"})
    save_annotation(w.conflict, w.ann2, {"decision": "False", "comment": "artefact"})
    w.conflict.refresh_from_db()
    assert w.conflict.status == "conflict"
    (w.open,) = claim_batch(w.project, w.ann1)
    return w


def at(world: Any, url: str) -> str:
    """A page's address from its pattern: the world's project, tasks and record."""
    return url.format(
        project=world.project.pk,
        open=world.open.pk,
        conflict=world.conflict.pk,
        record=world.conflict.record_id,
    )


def check(page: Any, errors: Any) -> None:
    found = serious_violations(page)
    assert not found, f"{page.url}:\n{describe(found)}"
    errors.check()


class TestAxe:
    @pytest.mark.parametrize(
        "who, url, drawn, viewport",
        [
            ("ann1", "/", False, None),
            ("ann1", "/projects/{project}/", False, None),
            ("ann1", "/tasks/{open}/", True, None),
            ("judge", "/tasks/{conflict}/adjudicate/", True, None),
            ("judge", "/projects/{project}/adjudication/", False, None),
            ("ann1", "/tasks/{open}/", True, (390, 844)),  # a phone, touch
            (None, "/login/", False, None),
            ("lead", "/projects/{project}/console/", False, None),
            ("root", "/records/{record}/", True, None),
        ],
        ids=[
            "home",
            "project",
            "task",
            "adjudication",
            "adjudication-queue",
            "task-on-a-phone",
            "login",
            "console",
            "record",
        ],
    )
    def test_page(
        self, make_page, world: Any, who: str | None, url: str, drawn: bool, viewport: Any
    ) -> None:
        user = getattr(world, who) if who else None
        page, errors = (
            make_page(user, viewport=viewport, touch=True) if viewport else make_page(user)
        )
        page.goto(at(world, url))
        if drawn:
            expect(page.locator(READY)).to_be_visible(timeout=15000)
        else:
            page.wait_for_load_state("load")
        if "adjudication/" in url:
            expect(page.get_by_test_id(f"queue-task-{world.conflict.pk}")).to_be_visible()
        check(page, errors)

    def test_record_with_its_panels_open(self, make_page, world: Any) -> None:
        """The viewer's settings panel, a caliper's read-out and the help dialog."""
        page, errors = make_page(world.root)
        page.goto(f"/records/{world.conflict.record_id}/")
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        page.locator("[data-testid=waveform]").focus()
        page.keyboard.press("Shift+C")
        expect(page.get_by_test_id("caliper-readout")).to_be_visible()
        page.get_by_test_id("settings").click()
        expect(page.get_by_test_id("setting-grid")).to_be_visible()
        check(page, errors)
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("settings-panel")).to_be_hidden()
        page.get_by_test_id("help-button").click()
        expect(page.get_by_test_id("help")).to_be_visible()
        check(page, errors)


class TestVisibleFocus:
    """Every page's tab stops show where the focus is (the task page: test_keyboard.py)."""

    @pytest.mark.parametrize(
        "who, url",
        [
            ("ann1", "/"),
            ("ann1", "/projects/{project}/"),
            ("judge", "/projects/{project}/adjudication/"),
            ("judge", "/tasks/{conflict}/adjudicate/"),
            ("lead", "/projects/{project}/console/"),
            ("root", "/records/{record}/"),
        ],
    )
    def test_every_tab_stop_shows_its_focus(
        self, make_page, world: Any, who: str, url: str
    ) -> None:
        page, errors = make_page(getattr(world, who))
        page.goto(at(world, url))
        page.wait_for_load_state("networkidle")
        stops, unseen = tab_stops_without_focus(page)
        assert stops >= 3
        assert not unseen, f"{page.url}: no visible focus on:\n" + "\n".join(unseen)
        errors.check()


class TestAxeFinds:
    def test_a_nameless_button_and_faint_text_are_reported(self, make_page, world: Any) -> None:
        """The check itself: the same run reports what it should on a spoilt home page."""
        page, _ = make_page(world.ann1)
        page.goto("/")
        page.evaluate(
            """() => {
                const main = document.querySelector('main') || document.body;
                main.insertAdjacentHTML('beforeend',
                    '<button></button><p style="color:#ccc;background:#fff">faint</p>');
            }"""
        )
        found = {v["id"] for v in serious_violations(page)}
        assert {"button-name", "color-contrast"} <= found, found
