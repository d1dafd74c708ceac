"""The annotation loop without page loads: while a task is open the page fetches the task
a save would open; after Enter it shows that task in place (no navigation), with its own
address, history entry, draft and keyboard focus, and falls back to a full load whenever
the server's answer names another task."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.factories import make_member, make_project
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Annotation
from wavetag.projects.models import Assignment

pytestmark = pytest.mark.django_db(transaction=True)

FORM = '[data-testid="answer-form"]'
POSITION = '[data-testid="batch-position"]'
# What has the keyboard focus, described the same way on any page.
FOCUSED = """() => {
  const el = document.activeElement;
  return el ? [el.tagName, el.dataset.testid || '', el.getAttribute('name') || ''].join(' ')
            : '';
}"""
# The viewer shows the task's own window, drawn.
DRAWN = """(start) => {
  const el = document.getElementById('viewer');
  const plot = el && el.querySelector('[data-testid=waveform]');
  return Boolean(el && el.wtViewer && plot && plot.dataset.state === 'ready'
    && Math.abs(el.wtViewer.view().start - start) < 30);
}"""


@pytest.fixture
def loop(holter_100: Any) -> Any:
    """A wearable-rhythm batch of four 30-s segments of one Holter for ``doc``; ``other``
    is a second annotator of the project."""
    project = make_project("wear", "holter", "wearable-rhythm", batch_size=4)
    user = make_member(project, "doc")
    other = make_member(project, "other")
    return SimpleNamespace(
        project=project, user=user, other=other, tasks=claim_batch(project, user)
    )


def open_task(page: Any, task: Any) -> None:
    page.goto(f"/tasks/{task.pk}/")
    shown(page, task)
    # The next task is fetched once this one is drawn.
    page.wait_for_selector(f"{FORM}[data-ahead]")


def shown(page: Any, task: Any) -> None:
    page.wait_for_function(DRAWN, arg=task.view_window[0])
    page.wait_for_function(
        "(pk) => document.querySelector('form[data-testid=answer-form]')?.dataset.task == pk",
        arg=str(task.pk),
    )


def answer(page: Any, keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def at(page: Any, task: Any) -> None:
    """The address is the task's, and the page shows it."""
    page.wait_for_url(f"**/tasks/{task.pk}/")
    shown(page, task)


def save_and_move_on(page: Any, keys: str, task: Any, save: str = "Enter") -> None:
    """Answer with ``keys``, save with the ``save`` key and wait for ``task`` to show."""
    answer(page, keys)
    page.keyboard.press(save)
    at(page, task)


def saved(task: Any, user: Any) -> Annotation:
    return Annotation.objects.get(task=task, user=user)


class TestNextTaskInPlace:
    def test_enter_shows_the_next_task_without_a_page_load(self, make_page: Any, loop: Any) -> None:
        first, second, third, _ = loop.tasks
        page, errors = make_page(loop.user)
        loads: list[str] = []
        page.on("load", lambda p: loads.append(p.url))
        open_task(page, first)
        fresh_focus = page.evaluate(FOCUSED)
        # A fresh load focuses the waveform (the answer keys work from anywhere but a
        # text box).
        assert fresh_focus == "DIV waveform ", fresh_focus
        page.evaluate("window.__samePage = 1")
        save_and_move_on(page, "as1", second)
        # No navigation: the page's own state is still there, no load event came.
        assert page.evaluate("window.__samePage") == 1
        assert len(loads) == 1, loads
        assert page.locator(POSITION).inner_text() == "task 2 of 4"
        assert page.title().startswith(f"Task {second.pk} ")
        assert page.locator(FORM).get_attribute("data-state") == "new"
        # The focus is where a fresh load of the page puts it, and the keys answer.
        assert page.evaluate(FOCUSED) == fresh_focus
        page.wait_for_selector(f"{FORM}[data-ahead]")
        save_and_move_on(page, "bs2", third)
        assert page.evaluate("window.__samePage") == 1
        assert saved(first, loop.user).answer == {
            "quality": "A",
            "rhythm": "sinus",
            "subcategory": "sinus-normal",
        }
        assert saved(first, loop.user).status == "submitted"
        assert saved(second, loop.user).answer == {
            "quality": "B",
            "rhythm": "sinus",
            "subcategory": "sinus-tachycardia",
        }
        # Back: the previous task's address, and that task shown (a real load of it).
        page.go_back()
        at(page, second)
        page.wait_for_function("() => window.__samePage === undefined")
        assert page.locator(POSITION).inner_text() == "task 2 of 4"
        assert page.locator(FORM).get_attribute("data-state") == "saved"
        # A reload shows the task of the address too.
        page.go_forward()
        at(page, third)
        page.reload()
        shown(page, third)
        assert page.locator(POSITION).inner_text() == "task 3 of 4"
        errors.check()

    def test_drafts_are_kept_per_task(self, make_page: Any, loop: Any) -> None:
        first, second, *_ = loop.tasks
        page, errors = make_page(loop.user)
        open_task(page, first)
        answer(page, "as")
        draft = f"wavetag:draft:{loop.user.pk}:{{}}"
        assert page.evaluate(f"localStorage.getItem('{draft.format(first.pk)}')") is not None
        save_and_move_on(page, "1", second)
        # The submitted task's draft is gone; the next one's is its own.
        assert page.evaluate(f"localStorage.getItem('{draft.format(first.pk)}')") is None
        assert page.locator(FORM).get_attribute("data-state") == "new"
        answer(page, "cv")
        page.reload()
        shown(page, second)
        assert page.locator('[data-testid="choice-quality-C"]').is_checked()
        assert page.locator('[data-testid="choice-rhythm-ventricular"]').is_checked()
        assert page.locator(FORM).get_attribute("data-state") == "dirty"
        errors.check()

    def test_save_for_later_moves_on_in_place(self, make_page: Any, loop: Any) -> None:
        first, second, *_ = loop.tasks
        page, errors = make_page(loop.user)
        open_task(page, first)
        page.evaluate("window.__samePage = 1")
        save_and_move_on(page, "a", second, save="Shift+L")
        assert page.evaluate("window.__samePage") == 1
        later = saved(first, loop.user)
        assert later.status == "later" and later.answer == {"quality": "A"}
        errors.check()

    def test_a_stale_prefetch_gives_way_to_the_servers_next_task(
        self, make_page: Any, loop: Any
    ) -> None:
        first, second, third, _ = loop.tasks
        page, errors = make_page(loop.user)
        open_task(page, first)
        assert page.locator(FORM).get_attribute("data-ahead") == f"/tasks/{second.pk}/"
        # The next task goes to someone else after it was fetched.
        Assignment.objects.filter(task=second, user=loop.user).update(user=loop.other)
        page.evaluate("window.__samePage = 1")
        save_and_move_on(page, "as1", third)
        # Loaded for real, as the server said: never the task fetched beforehand.
        assert page.evaluate("window.__samePage") is None
        assert saved(first, loop.user).answer["subcategory"] == "sinus-normal"
        assert not Annotation.objects.filter(task=second).exists()
        errors.check()

    def test_the_end_of_the_batch_loads_the_project_page(self, make_page: Any, loop: Any) -> None:
        *_, last = loop.tasks
        for task in loop.tasks[:-1]:
            Annotation.objects.create(
                task=task, user=loop.user, status="submitted", answer={"quality": "A"}
            )
        page, errors = make_page(loop.user)
        page.goto(f"/tasks/{last.pk}/")
        shown(page, last)
        answer(page, "as1")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/projects/{loop.project.pk}/")
        assert saved(last, loop.user).status == "submitted"
        errors.check()
