"""The annotation workflow in a real browser: claim a batch, answer with the keyboard,
submit and move on, save for later, a draft that survives a reload, revise from "My
annotations" and read the history; on a desktop and on a phone-sized screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import icu_team, make_member, make_project
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Annotation

pytestmark = pytest.mark.django_db(transaction=True)

FORM = '[data-testid="answer-form"]'


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    return icu_team(batch_size=2)


def tid(name: str) -> str:
    return f'[data-testid="{name}"]'


def choice(field: str, value: str) -> str:
    return tid(f"choice-{field}-{value}")


def answer_of(task_id: int, user: Any) -> Annotation:
    return Annotation.objects.get(task_id=task_id, user=user)


def wait_ready(page: Any) -> None:
    """The form's script has run (it marks nothing until then) and the viewer painted."""
    page.wait_for_function("document.querySelector('.wt-viewer canvas') !== null")
    page.wait_for_load_state("networkidle")


class TestAnnotate:
    def test_claim_answer_with_keys_and_move_on(self, make_page: Any, world: Any) -> None:
        page, errors = make_page(world.ann1)
        page.goto(f"/projects/{world.project.pk}/")
        page.click(tid("claim-batch"))
        page.wait_for_url("**/tasks/*/")
        first = int(page.url.rstrip("/").split("/")[-1])
        wait_ready(page)
        assert page.locator(tid("batch-position")).inner_text() == "task 1 of 2"
        # "f" is also the viewer's filter key: on this page it answers False.
        page.keyboard.press("f")
        assert page.locator(choice("decision", "False")).is_checked()
        page.keyboard.press("t")
        assert page.locator(choice("decision", "True")).is_checked()
        assert not page.locator(choice("decision", "False")).is_checked()
        page.keyboard.press("1")
        page.keyboard.press("5")
        assert page.locator(choice("labels", "artefact")).is_checked()
        # Typing in the comment box types; it answers nothing.
        page.click(tid("comment"))
        page.keyboard.type("fast rate")
        assert page.locator(choice("decision", "True")).is_checked()
        assert page.locator(tid("comment")).input_value() == "fast rate"
        assert page.locator(FORM).get_attribute("data-state") == "dirty"
        # After a click on a choice, arrows pan the signal; they do not change the answer.
        page.locator(choice("decision", "True")).click()
        start = page.evaluate("document.getElementById('viewer').wtViewer.view().start")
        # (Back in time: a short record ends where its event window does.)
        page.keyboard.press("ArrowLeft")
        assert page.locator(choice("decision", "True")).is_checked()
        page.wait_for_function(f"document.getElementById('viewer').wtViewer.view().start < {start}")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: not url.rstrip("/").endswith(f"/tasks/{first}"))
        saved = answer_of(first, world.ann1)
        assert saved.status == "submitted"
        assert saved.answer == {"decision": "True", "labels": ["artefact", "other"]}
        assert saved.comment == "fast rate"
        assert page.locator(tid("batch-position")).inner_text() == "task 2 of 2"
        errors.check()

    def test_save_for_later_draft_and_errors(self, make_page: Any, world: Any) -> None:
        first, second = claim_batch(world.project, world.ann1)
        page, errors = make_page(world.ann1)
        page.goto(f"/tasks/{second.pk}/")
        wait_ready(page)
        # Submitting without a decision: the service's message, naming the field.
        page.keyboard.press("2")
        page.keyboard.press("Enter")
        error = page.locator(tid("form-error"))
        error.wait_for(state="visible")
        assert error.inner_text().startswith("decision: required")
        assert page.locator(tid("field-decision")).get_attribute("aria-invalid") == "true"
        assert page.locator(FORM).get_attribute("data-state") == "error"
        # The refused request is the only error the browser saw.
        assert all("400" in e for e in errors), errors
        errors.clear()
        # A draft survives a reload.
        page.keyboard.press("r")
        page.reload()
        wait_ready(page)
        assert page.locator(choice("decision", "Reject")).is_checked()
        assert page.locator(choice("labels", "lead-off")).is_checked()
        assert page.locator(FORM).get_attribute("data-state") == "dirty"
        # Save for later: saved on the server, and on to the next task of the batch.
        page.keyboard.press("Shift+L")
        page.wait_for_url(f"**/tasks/{first.pk}/")
        wait_ready(page)
        later = answer_of(second.pk, world.ann1)
        assert later.status == "later" and later.answer["decision"] == "Reject"
        # Saved: nothing is restored from the browser any more.
        page.goto(f"/tasks/{second.pk}/")
        wait_ready(page)
        assert page.locator(FORM).get_attribute("data-state") == "saved"
        # Previous / next within the batch, by key.
        page.keyboard.press("Shift+ArrowLeft")
        page.wait_for_url(f"**/tasks/{first.pk}/")
        wait_ready(page)
        page.keyboard.press("Shift+ArrowRight")
        page.wait_for_url(f"**/tasks/{second.pk}/")
        errors.check()

    def test_revise_from_my_annotations_and_see_the_history(
        self, make_page: Any, world: Any
    ) -> None:
        from wavetag.annotations.services import save_annotation

        first, second = claim_batch(world.project, world.ann1)
        save_annotation(first, world.ann1, {"decision": "True"})
        save_annotation(second, world.ann1, {"decision": "False", "status": "later"})
        page, errors = make_page(world.ann1)
        page.goto(f"/projects/{world.project.pk}/mine/")
        done = page.locator(tid("mine-done"))
        assert done.locator(tid(f"mine-task-{first.pk}")).count() == 1
        assert page.locator(tid("mine-later")).locator(tid(f"mine-task-{second.pk}")).count() == 1
        done.locator(tid(f"open-{first.pk}")).click()
        page.wait_for_url(f"**/tasks/{first.pk}/")
        wait_ready(page)
        assert page.locator(choice("decision", "True")).is_checked()
        page.keyboard.press("u")
        page.keyboard.press("Enter")
        # On to the next unfinished task: the one saved for later.
        page.wait_for_url(f"**/tasks/{second.pk}/")
        assert answer_of(first.pk, world.ann1).answer["decision"] == "Uncertain"
        page.goto(f"/projects/{world.project.pk}/mine/")
        page.click(tid(f"history-{first.pk}"))
        revisions = page.locator(tid("revision"))
        assert revisions.count() == 2
        assert "Uncertain" in revisions.nth(1).inner_text()
        errors.check()

    def test_graded_items_by_keyboard(self, make_page: Any, world: Any) -> None:
        user = make_member(world.other, "doc")
        (task,) = claim_batch(world.other, user)
        page, errors = make_page(user)
        page.goto(f"/tasks/{task.pk}/")
        wait_ready(page)
        page.keyboard.press("a")  # atrial fibrillation, Confirmed by default
        page.keyboard.press("v")  # PVC ...
        page.keyboard.press("u")  # ... Unsure
        assert page.locator(tid("grade-diagnoses-atrial-fibrillation-Confirmed")).is_checked()
        assert page.locator(tid("grade-diagnoses-pvc-Unsure")).is_checked()
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/projects/{world.other.pk}/")
        assert answer_of(task.pk, user).answer["diagnoses"] == [
            {"value": "atrial-fibrillation", "grade": "Confirmed"},
            {"value": "pvc", "grade": "Unsure"},
        ]
        errors.check()


@pytest.fixture
def wearable(holter_100: Any) -> Any:
    project = make_project("wear", "holter", "wearable-rhythm", batch_size=2)
    user = make_member(project, "doc")
    return project, user, claim_batch(project, user)


class TestDependentChoices:
    def test_subcategory_follows_the_rhythm(self, make_page: Any, wearable: Any) -> None:
        project, user, (task, _) = wearable
        page, errors = make_page(user)
        page.goto(f"/tasks/{task.pk}/")
        wait_ready(page)
        assert not page.locator(choice("subcategory", "single-pvc")).is_visible()
        page.keyboard.press("a")  # quality A
        page.keyboard.press("v")  # ventricular
        assert page.locator(choice("subcategory", "single-pvc")).is_visible()
        assert not page.locator(choice("subcategory", "sinus-normal")).is_visible()
        page.keyboard.press("1")  # the first ventricular subcategory
        assert page.locator(choice("subcategory", "single-pvc")).is_checked()
        page.keyboard.press("s")  # sinus: the ventricular subcategory is dropped
        assert not page.locator(choice("subcategory", "single-pvc")).is_checked()
        page.keyboard.press("2")
        assert page.locator(choice("subcategory", "sinus-tachycardia")).is_checked()
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: f"/tasks/{task.pk}/" not in url)
        assert answer_of(task.pk, user).answer == {
            "quality": "A",
            "rhythm": "sinus",
            "subcategory": "sinus-tachycardia",
        }
        errors.check()


class TestPhone:
    def test_phone_sized_screen(self, make_page: Any, world: Any) -> None:
        (task, _) = claim_batch(world.project, world.ann1)
        # A long name in the header must not push the page sideways either.
        world.ann1.username = "dr.annotator.longname"
        world.ann1.save()
        page, errors = make_page(world.ann1, viewport=(390, 844), touch=True)
        page.goto(f"/tasks/{task.pk}/")
        wait_ready(page)
        sideways = "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
        overflow = page.evaluate(f"({sideways})")
        assert overflow <= 1, f"the page scrolls sideways by {overflow}px"
        for url in (f"/projects/{world.project.pk}/", f"/projects/{world.project.pk}/mine/"):
            page.goto(url)
            assert page.evaluate(f"({sideways})") <= 1, url
        page.goto(f"/tasks/{task.pk}/")
        wait_ready(page)
        page.locator(choice("decision", "False")).tap()
        page.locator(tid("submit")).tap()
        page.wait_for_url(lambda url: f"/tasks/{task.pk}/" not in url)
        assert answer_of(task.pk, world.ann1).answer["decision"] == "False"
        errors.check()
