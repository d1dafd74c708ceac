"""Expert and admin pages in a real browser: adjudicating a conflict from the queue, passing
a task on, a discussion post, flagging, creating an invitation, and a phone's width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import icu_team
from wavetag.accounts.models import Invitation
from wavetag.accounts.registration import hash_code
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Adjudication, AdjudicationSkip, Flag
from wavetag.annotations.services import save_annotation
from wavetag.projects.models import Task

pytestmark = pytest.mark.django_db(transaction=True)

READY = "[data-testid=waveform][data-state=ready]"


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """Both ICU tasks in conflict: ann1 says True and ann2 False on the first, Reject and
    Uncertain on the second (which opens its discussion)."""
    w = icu_team()
    w.tasks = []
    for first, second in (("True", "False"), ("Reject", "Uncertain")):
        (task,) = claim_batch(w.project, w.ann1)
        claim_batch(w.project, w.ann2)
        save_annotation(task, w.ann1, {"decision": first, "comment": f"ann1 says {first}"})
        save_annotation(task, w.ann2, {"decision": second, "comment": f"ann2 says {second}"})
        task.refresh_from_db()
        assert task.status == "conflict"
        w.tasks.append(task)
    return w


class TestAdjudication:
    def test_decide_from_the_queue_then_the_next_task(self, make_page, world: Any) -> None:
        first, second = world.tasks
        page, errors = make_page(world.judge)
        page.goto("/")
        page.click(f"[data-testid=home-adjudication-{world.project.pk}]")
        queue = page.get_by_test_id("adjudication-queue")
        expect(queue.get_by_test_id(f"queue-task-{first.pk}")).to_be_visible()
        expect(queue.get_by_test_id(f"queue-task-{second.pk}")).to_be_visible()
        page.get_by_test_id(f"queue-open-{first.pk}").click()
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        for annotation in first.annotations.all():
            card = page.get_by_test_id(f"annotation-{annotation.pk}")
            expect(card).to_contain_text(annotation.user.username)
            expect(card).to_contain_text(annotation.comment)
        # Copy one annotator's answer into the form, then change it.
        theirs = first.annotations.get(user=world.ann2)
        page.get_by_test_id(f"use-{theirs.pk}").click()
        expect(page.get_by_test_id("adjudicate-choice-decision-False")).to_be_checked()
        page.get_by_test_id("adjudicate-choice-decision-True").check()
        page.get_by_test_id("adjudicate-choice-labels-pacing").check()
        page.get_by_test_id("adjudicate-comment").fill("sustained VT on both leads")
        page.get_by_test_id("adjudicate-submit").click()
        page.wait_for_url(f"**/tasks/{second.pk}/adjudicate/")
        expect(page.get_by_test_id("message")).to_contain_text(f"Task {first.pk} adjudicated")
        first.refresh_from_db()
        assert first.status == "adjudicated" and first.final_label == {"decision": "True"}
        decision = Adjudication.objects.get(task=first)
        assert decision.answer == {"decision": "True", "labels": ["pacing"]}
        assert decision.comment == "sustained VT on both leads"
        # Pass the second task on: the queue is then empty.
        page.get_by_test_id("skip").click()
        expect(page.get_by_test_id("queue-empty")).to_be_visible()
        assert AdjudicationSkip.objects.filter(task=second, user=world.judge).exists()
        errors.check()

    def test_a_refused_decision_shows_the_services_message(self, make_page, world: Any) -> None:
        first = world.tasks[0]
        page, errors = make_page(world.judge)
        page.goto(f"/tasks/{first.pk}/adjudicate/")
        page.get_by_test_id("adjudicate-comment").fill("no decision")
        page.get_by_test_id("adjudicate-submit").click()
        expect(page.get_by_test_id("error")).to_contain_text("decision: required")
        expect(page.get_by_test_id("adjudicate-comment")).to_have_value("no decision")
        # The refusal is a 400 page; nothing else may go wrong.
        assert [e for e in errors if "400" not in e] == [], errors
        assert Task.objects.get(pk=first.pk).status == "conflict"


class TestReviewAndDiscussion:
    def test_flag_an_annotation_and_post_to_a_thread(self, make_page, world: Any) -> None:
        second = world.tasks[1]
        target = second.annotations.get(user=world.ann1)
        page, errors = make_page(world.judge)
        page.goto(f"/projects/{world.project.pk}/review/")
        page.get_by_test_id("filter-annotator").select_option("ann1")
        page.get_by_test_id("filter-apply").click()
        expect(page.get_by_test_id("review-count")).to_have_text("2 annotations.")
        page.get_by_test_id(f"flag-reason-{target.pk}").fill("Reject is too quick")
        page.get_by_test_id(f"flag-{target.pk}").click()
        expect(page.get_by_test_id("message")).to_contain_text(f"Annotation {target.pk} flagged")
        assert "annotator=ann1" in page.url
        assert Flag.objects.get().reason == "Reject is too quick"

        page.goto(f"/projects/{world.project.pk}/discussion/")
        page.get_by_test_id(f"discussion-task-{second.pk}").get_by_role("link").click()
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        page.get_by_test_id("discussion-text").fill("the PLETH looks fine")
        page.get_by_test_id("discussion-post").click()
        expect(page.get_by_test_id("discussion-thread")).to_contain_text("the PLETH looks fine")
        errors.check()


class TestConsole:
    def test_admin_creates_an_invitation_and_sees_the_code(self, make_page, world: Any) -> None:
        page, errors = make_page(world.lead)
        page.goto("/")
        page.click(f"[data-testid=home-console-{world.project.pk}]")
        expect(page.get_by_test_id("member-ann1")).to_be_visible()
        page.get_by_test_id("invite-role").select_option("adjudicator")
        page.get_by_test_id("invite-email").fill("new.expert@example.org")
        page.get_by_test_id("invite-days").fill("7")
        page.get_by_test_id("invite-create").click()
        code = page.get_by_test_id("invite-code").inner_text().strip()
        invitation = Invitation.objects.get()
        assert invitation.code_hash == hash_code(code) and invitation.role == "adjudicator"
        expect(page.get_by_test_id("invite-link")).to_contain_text(f"/register/?code={code}")
        expect(page.get_by_test_id("invite-emailed")).to_contain_text("new.expert@example.org")
        # Change a role and release nothing: the messages say what happened.
        page.get_by_test_id("member-role-ann2").select_option("adjudicator")
        page.get_by_test_id("member-role-save-ann2").click()
        expect(page.get_by_test_id("message")).to_contain_text("ann2 is now adjudicator")
        assert code not in page.content()
        errors.check()


class TestPhone:
    def test_no_page_scrolls_sideways_on_a_phone(self, make_page, world: Any) -> None:
        """Wide tables scroll in their own box; the page itself keeps the phone's width."""
        p, task = world.project.pk, world.tasks[0].pk
        for user, urls in (
            (world.lead, ["/", f"/projects/{p}/console/", f"/projects/{p}/review/"]),
            (world.judge, [f"/projects/{p}/adjudication/", f"/tasks/{task}/adjudicate/"]),
        ):
            page, errors = make_page(user, viewport=(390, 844), touch=True)
            for url in urls:
                page.goto(url)
                if "adjudicate" in url:
                    page.wait_for_selector(READY)
                wide = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert wide <= 0, f"{url} scrolls {wide} px sideways"
            errors.check()


class TestSegments:
    def test_dependent_choices_and_the_segment_window(
        self, make_page, data_dir: Path, settings: Any, tmp_path: Path
    ) -> None:
        from tests.factories import import_ok, make_member, make_project

        settings.STORE_DIR = tmp_path / "store"
        import_ok(data_dir / "mitdb/100", dataset="holter")
        project = make_project("rhythm", "holter", "wearable-rhythm", batch_size=1)
        a, b = make_member(project, "a"), make_member(project, "b")
        judge = make_member(project, "j", "adjudicator")
        (task,) = claim_batch(project, a)
        claim_batch(project, b)
        save_annotation(task, a, {"quality": "A", "rhythm": "sinus", "subcategory": "sinus-normal"})
        save_annotation(task, b, {"quality": "A", "rhythm": "atrial", "subcategory": "single-pac"})
        page, errors = make_page(judge)
        page.goto(f"/tasks/{task.pk}/adjudicate/")
        expect(page.locator(READY)).to_be_visible(timeout=15000)
        view = page.evaluate("document.querySelector('.wt-viewer').wtViewer.view()")
        assert abs(view["start"] - task.window_start) < 1e-6, view
        pac = page.get_by_test_id("adjudicate-choice-subcategory-single-pac")
        pvc = page.get_by_test_id("adjudicate-choice-subcategory-single-pvc")
        theirs = task.annotations.get(user=b)
        page.get_by_test_id(f"use-{theirs.pk}").click()
        expect(page.get_by_test_id("adjudicate-choice-rhythm-atrial")).to_be_checked()
        expect(pac).to_be_checked()
        expect(pvc).to_be_hidden()
        page.get_by_test_id("adjudicate-choice-rhythm-ventricular").check()
        expect(pac).to_be_hidden()
        expect(pac).not_to_be_checked()
        pvc.check()
        page.get_by_test_id("adjudicate-submit").click()
        expect(page.get_by_test_id("message")).to_contain_text(f"Task {task.pk} adjudicated")
        task.refresh_from_db()
        assert task.final_label == {
            "quality": "A",
            "rhythm": "ventricular",
            "subcategory": "single-pvc",
        }
        errors.check()
