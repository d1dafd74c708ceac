"""Expert and admin pages: adjudication, discussion, review and the admin console.

Every page × {anonymous, annotator of this project, annotator of another project,
adjudicator, project admin, site admin}; the actions they post; CSRF; and nothing of
another annotator reaching an annotator before adjudication.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from wavetag.accounts.models import Invitation
from wavetag.accounts.registration import hash_code
from wavetag.annotations.adjudication import adjudication_queue
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Adjudication, AdjudicationSkip, Flag
from wavetag.annotations.services import adjudicate, post_to_discussion, save_annotation
from wavetag.projects.access import task_access
from wavetag.projects.models import Assignment, Membership, Task

from .factories import icu_team, make_member

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "annotator", "other", "adjudicator", "admin", "site_admin")
USER_OF_ROLE = {
    "annotator": "ann1",
    "other": "outsider",
    "adjudicator": "judge",
    "admin": "lead",
    "site_admin": "root",
}
ANSWERS = {
    "ann1": {"decision": "True", "labels": ["pacing"]},
    "ann2": {"decision": "Uncertain", "labels": ["artefact"]},
}


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """Task T answered by ann1 (True) and ann2 (Uncertain): a conflict, open for
    discussion, with a post of each; the other task (FREE) is claimed by nobody."""
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    w.free = Task.objects.filter(project=w.project).exclude(pk=w.task.pk).get()
    for name in ("ann1", "ann2"):
        user = getattr(w, name)
        comment = f"SECRET-{name.upper()}-COMMENT"
        save_annotation(w.task, user, {**ANSWERS[name], "comment": comment})
    w.task.refresh_from_db()
    assert w.task.status == "conflict" and w.task.discussion_open
    for name in ("ann1", "ann2"):
        user = getattr(w, name)
        post_to_discussion(w.task, user, task_access(user, w.task), f"SECRET-{name.upper()}-POST")
    w.mine = w.task.annotations.get(user=w.ann1)
    w.theirs = w.task.annotations.get(user=w.ann2)
    return w


def login(world: Any, role: str, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    if role != "anonymous":
        client.force_login(getattr(world, USER_OF_ROLE[role]))
    return client


def fill(url: str, w: Any) -> str:
    return url.format(P=w.project.pk, T=w.task.pk, FREE=w.free.pk, A=w.theirs.pk, ANN2=w.ann2.pk)


GET_PAGES: list[tuple[str, tuple[int, ...]]] = [
    ("/projects/{P}/adjudication/", (302, 403, 404, 200, 200, 200)),
    ("/tasks/{T}/adjudicate/", (302, 403, 404, 200, 200, 200)),
    ("/tasks/{FREE}/adjudicate/", (302, 404, 404, 200, 200, 200)),
    ("/projects/{P}/discussion/", (302, 200, 404, 200, 200, 200)),
    ("/tasks/{T}/discussion/", (302, 200, 404, 200, 200, 200)),
    ("/tasks/{FREE}/discussion/", (302, 404, 404, 404, 404, 404)),
    ("/projects/{P}/review/", (302, 403, 404, 200, 200, 200)),
    ("/projects/{P}/review/?annotator=ann2&status=submitted", (302, 403, 404, 200, 200, 200)),
    ("/projects/{P}/console/", (302, 403, 404, 403, 200, 200)),
    ("/projects/open/", (302, 200, 200, 200, 200, 200)),
    ("/projects/99999999999999999999/console/", (302, 404, 404, 404, 404, 404)),
    ("/tasks/99999999999999999999/adjudicate/", (302, 404, 404, 404, 404, 404)),
]
# (url, form, expected status per role): a success redirects (302) somewhere other than
# the log-in page, or renders (200) what is shown once (an invitation's code).
POSTS: list[tuple[str, dict[str, str], tuple[int, ...]]] = [
    (
        "/tasks/{T}/adjudicate/",
        {"decision": "False", "comment": "artefact"},
        (302, 403, 404, 302, 302, 302),
    ),
    ("/tasks/{T}/adjudicate/skip/", {}, (302, 403, 404, 302, 302, 302)),
    ("/tasks/{T}/discussion/", {"text": "hi"}, (302, 302, 404, 302, 302, 302)),
    ("/tasks/{FREE}/discussion/", {"text": "hi"}, (302, 404, 404, 404, 404, 404)),
    (
        "/projects/{P}/review/annotations/{A}/flag/",
        {"reason": "look again"},
        (302, 403, 404, 302, 302, 302),
    ),
    ("/projects/{P}/console/invitations/", {"role": "annotator"}, (302, 403, 404, 403, 200, 200)),
    (
        "/projects/{P}/console/members/",
        {"username": "outsider", "role": "annotator"},
        (302, 403, 404, 403, 302, 302),
    ),
    (
        "/projects/{P}/console/members/{ANN2}/role/",
        {"role": "adjudicator"},
        (302, 403, 404, 403, 302, 302),
    ),
    ("/projects/{P}/console/members/{ANN2}/remove/", {}, (302, 403, 404, 403, 302, 302)),
    ("/projects/{P}/console/release/", {"username": "ann1"}, (302, 403, 404, 403, 302, 302)),
    ("/projects/{P}/console/release-bundles/", {}, (302, 403, 404, 403, 302, 302)),
    (
        "/projects/{P}/console/settings/",
        {"conflict_policy": "reenter", "max_annotators": "3"},
        (302, 403, 404, 403, 302, 302),
    ),
    ("/projects/{P}/console/teams/", {"name": "red"}, (302, 403, 404, 403, 302, 302)),
    # No such team: the role check, then 404.
    (
        "/projects/{P}/console/teams/members/",
        {"team": "999999", "username": "ann1"},
        (302, 403, 404, 403, 404, 404),
    ),
    (
        "/projects/{P}/console/teams/999999/remove/",
        {"username": "ann1"},
        (302, 403, 404, 403, 404, 404),
    ),
    # The project is not open: nobody joins it, nor learns it exists. Leaving: members,
    # not the last admin.
    ("/projects/{P}/join/", {}, (302, 404, 404, 404, 404, 404)),
    ("/projects/{P}/leave/", {}, (302, 302, 404, 302, 409, 409)),
    ("/tasks/{T}/reopen/", {"reason": "misclick"}, (302, 403, 404, 403, 302, 302)),
    ("/tasks/{T}/change-request/", {"text": "I meant False"}, (302, 302, 404, 403, 403, 403)),
]


class TestWhoSeesWhat:
    @pytest.mark.parametrize(
        ("url", "role", "expected"),
        [
            pytest.param(url, role, codes[i], id=f"GET {url} as {role}")
            for url, codes in GET_PAGES
            for i, role in enumerate(ROLES)
        ],
    )
    def test_get(self, world: Any, url: str, role: str, expected: int) -> None:
        response = login(world, role).get(fill(url, world))
        assert response.status_code == expected
        if role == "anonymous":
            assert response["Location"].startswith("/login/?next=")
        if expected == 403:
            assert "needs the" in response.content.decode()

    @pytest.mark.parametrize(
        ("url", "form", "role", "expected"),
        [
            pytest.param(url, form, role, codes[i], id=f"POST {url} as {role}")
            for url, form, codes in POSTS
            for i, role in enumerate(ROLES)
        ],
    )
    def test_post(
        self, world: Any, url: str, form: dict[str, str], role: str, expected: int
    ) -> None:
        response = login(world, role).post(fill(url, world), form)
        assert response.status_code == expected
        if expected == 302:
            at_login = response["Location"].startswith("/login/")
            assert at_login == (role == "anonymous"), response["Location"]

    def test_pages_refuse_other_methods(self, world: Any) -> None:
        client = login(world, "admin")
        assert client.post(fill("/projects/{P}/adjudication/", world)).status_code == 405
        assert client.get(fill("/tasks/{T}/adjudicate/skip/", world)).status_code == 405
        assert client.get(fill("/projects/{P}/console/release/", world)).status_code == 405

    def test_csrf_is_enforced(self, world: Any) -> None:
        client = login(world, "adjudicator", enforce_csrf_checks=True)
        url = fill("/tasks/{T}/adjudicate/", world)
        form = {"decision": "False", "comment": "artefact"}
        assert client.post(url, form).status_code == 403
        assert not Adjudication.objects.exists()
        page = client.get(url).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token
        response = client.post(url, {**form, "csrfmiddlewaretoken": token.group(1)})
        assert response.status_code == 302
        assert Adjudication.objects.get().comment == "artefact"


class TestBlind:
    def test_nothing_of_the_other_annotator_reaches_an_annotator(self, world: Any) -> None:
        client = login(world, "annotator")
        pages = [
            "/",
            *(url for url, _ in GET_PAGES),
            "/projects/{P}/review/?annotator=ann2",
        ]
        for url in pages:
            text = client.get(fill(url, world)).content.decode()
            for secret in ("SECRET-ANN2", "ann2", "Uncertain", "conflict"):
                assert secret not in text, (url, secret)
        thread = client.get(fill("/tasks/{T}/discussion/", world)).content.decode()
        assert "SECRET-ANN1-POST" in thread and 'data-testid="own-posts-only"' in thread
        # Adjudicated, so final; a blind project still shows nothing of the others ...
        adjudicate(world.task, world.judge, {"decision": "False"})
        thread = client.get(fill("/tasks/{T}/discussion/", world)).content.decode()
        assert "SECRET-ANN2-POST" not in thread and 'data-testid="outcome-hidden"' in thread
        # ... unless it reveals the outcome of final tasks: then the whole thread.
        world.project.reveal_outcome = True
        world.project.save()
        thread = client.get(fill("/tasks/{T}/discussion/", world)).content.decode()
        assert "SECRET-ANN2-POST" in thread and "adjudicated" in thread

    def test_an_expert_who_annotated_a_task_is_blind_to_it(self, world: Any) -> None:
        (task,) = claim_batch(world.project, world.judge)
        claim_batch(world.project, world.lead)
        assert task == world.free
        save_annotation(task, world.lead, {"decision": "False", "comment": "LEAD-SECRET"})
        save_annotation(task, world.judge, {"decision": "True", "comment": "mine"})
        task.refresh_from_db()
        assert task.status == "conflict"
        client = login(world, "adjudicator")
        page = client.get(f"/tasks/{task.pk}/adjudicate/")
        text = page.content.decode()
        assert page.status_code == 200
        assert "LEAD-SECRET" not in text and "mine" in text
        assert "you annotated this task: skip it to another adjudicator" in text.lower()
        assert 'data-testid="adjudicate-submit"' not in text and 'data-testid="skip"' in text
        review = client.get(f"/projects/{world.project.pk}/review/").content.decode()
        assert "LEAD-SECRET" not in review and "mine" in review
        # The service refuses the decision and says why; skipping is allowed.
        refused = client.post(f"/tasks/{task.pk}/adjudicate/", {"decision": "True"})
        assert refused.status_code == 403
        assert "skip it to another adjudicator" in refused.content.decode()
        assert client.post(f"/tasks/{task.pk}/adjudicate/skip/").status_code == 302
        assert AdjudicationSkip.objects.filter(task=task, user=world.judge).exists()


class TestAdjudication:
    def test_queue_lists_the_conflict(self, world: Any) -> None:
        text = login(world, "adjudicator").get(fill("/projects/{P}/adjudication/", world))
        text = text.content.decode()
        assert 'data-testid="adjudication-queue"' in text
        assert f'data-testid="queue-task-{world.task.pk}"' in text
        assert f'data-testid="queue-task-{world.free.pk}"' not in text

    def test_page_shows_every_annotation_history_and_the_form(self, world: Any) -> None:
        text = login(world, "adjudicator").get(fill("/tasks/{T}/adjudicate/", world))
        text = text.content.decode()
        for a in (world.mine, world.theirs):
            assert f'data-testid="annotation-{a.pk}"' in text
        for secret in ("SECRET-ANN1-COMMENT", "SECRET-ANN2-COMMENT", "ann1", "ann2"):
            assert secret in text
        for value in ("True", "False", "Uncertain", "Reject"):
            assert f'data-testid="adjudicate-choice-decision-{value}"' in text
        assert 'data-testid="adjudicate-choice-labels-pacing"' in text
        assert 'data-testid="adjudicate-comment"' in text
        assert 'data-testid="history"' in text and "Pacing spikes" in text
        assert 'id="viewer-config"' in text and '"event": 300.0' in text

    def test_bad_decision_names_the_field_and_keeps_the_form(self, world: Any) -> None:
        client = login(world, "adjudicator")
        url = fill("/tasks/{T}/adjudicate/", world)
        response = client.post(url, {"decision": "Maybe", "comment": "keep me"})
        assert response.status_code == 400
        text = response.content.decode()
        assert "decision: &#x27;Maybe&#x27; is not allowed" in text and "keep me" in text
        response = client.post(url, {"comment": "no decision"})
        assert response.status_code == 400 and "decision: required" in response.content.decode()
        world.task.refresh_from_db()
        assert world.task.status == "conflict"

    def test_decide_then_the_next_task_of_the_queue(self, world: Any) -> None:
        for user in (world.ann1, world.ann2):
            (second,) = claim_batch(world.project, user)
        assert second == world.free
        save_annotation(second, world.ann1, {"decision": "Reject"})
        save_annotation(second, world.ann2, {"decision": "False"})
        client = login(world, "adjudicator")
        form = {"decision": "False", "labels": ["artefact", "lead-off"], "comment": "noise"}
        response = client.post(fill("/tasks/{T}/adjudicate/", world), form)
        assert response.status_code == 302
        assert response["Location"] == f"/tasks/{second.pk}/adjudicate/"
        world.task.refresh_from_db()
        assert world.task.status == "adjudicated"
        assert world.task.final_label == {"decision": "False"}
        decision = Adjudication.objects.get(task=world.task)
        assert decision.answer == {"decision": "False", "labels": ["artefact", "lead-off"]}
        assert decision.comment == "noise"
        response = client.post(f"/tasks/{second.pk}/adjudicate/", {"decision": "Reject"})
        assert response["Location"] == f"/projects/{world.project.pk}/adjudication/"
        queue = client.get(response["Location"]).content.decode()
        assert 'data-testid="queue-empty"' in queue and "adjudicated" in queue

    def test_skip_goes_to_the_queue_without_the_task(self, world: Any) -> None:
        client = login(world, "adjudicator")
        response = client.post(fill("/tasks/{T}/adjudicate/skip/", world), follow=True)
        assert response.redirect_chain[-1][0] == f"/projects/{world.project.pk}/adjudication/"
        assert list(adjudication_queue(world.project, world.judge)) == []
        assert 'data-testid="queue-empty"' in response.content.decode()

    def test_graded_lists_and_dependent_choices(self, data_dir: Path, settings: Any, tmp_path):
        from .factories import import_ok, make_project

        settings.STORE_DIR = tmp_path / "store"
        import_ok(data_dir / "ptbxl/00001_lr", dataset="ecg")
        project = make_project("ecg12", "ecg", "resting-12lead")
        a, b = make_member(project, "a"), make_member(project, "b")
        judge = make_member(project, "j", "adjudicator")
        (task,) = claim_batch(project, a)
        claim_batch(project, b)
        save_annotation(task, a, {"diagnoses": [{"value": "normal", "grade": "Confirmed"}]})
        save_annotation(task, b, {"diagnoses": [{"value": "pvc", "grade": "Confirmed"}]})
        client = Client()
        client.force_login(judge)
        text = client.get(f"/tasks/{task.pk}/adjudicate/").content.decode()
        assert 'data-testid="adjudicate-grade-diagnoses-pvc-Unsure"' in text
        assert 'data-testid="adjudicate-choice-diagnoses-pvc"' in text
        form = {"diagnoses": ["normal"], "diagnoses.pvc": "Unsure", "text": "one PVC?"}
        assert client.post(f"/tasks/{task.pk}/adjudicate/", form).status_code == 302
        task.refresh_from_db()
        assert task.final_label == {"diagnoses": ["normal"]}
        answer = Adjudication.objects.get(task=task).answer
        assert answer["diagnoses"] == [
            {"value": "normal", "grade": "Confirmed"},
            {"value": "pvc", "grade": "Unsure"},
        ]
        bad = client.post(f"/tasks/{task.pk}/adjudicate/", {"diagnoses.pvc": "Maybe"})
        assert bad.status_code == 400 and "diagnoses: grade" in bad.content.decode()


class TestDiscussion:
    def test_list_and_post(self, world: Any) -> None:
        other = make_member(world.project, "ann3")
        client = Client()
        client.force_login(other)
        listing = client.get(fill("/projects/{P}/discussion/", world)).content.decode()
        assert f'data-testid="discussion-task-{world.task.pk}"' in listing
        url = fill("/tasks/{T}/discussion/", world)
        thread = client.get(url).content.decode()
        assert "SECRET-ANN1-POST" in thread and "SECRET-ANN2-POST" in thread
        assert 'data-testid="discussion-text"' in thread
        assert 'data-testid="discussion-post"' in thread
        response = client.post(url, {"text": "  "})
        assert response.status_code == 400 and "text: write something" in response.content.decode()
        response = client.post(url, {"text": "look at the PLETH"}, follow=True)
        assert "look at the PLETH" in response.content.decode()

    def test_annotators_of_the_task_do_not_see_it_listed(self, world: Any) -> None:
        listing = login(world, "annotator").get(fill("/projects/{P}/discussion/", world))
        assert f"discussion-task-{world.task.pk}" not in listing.content.decode()


class TestReview:
    def test_filters(self, world: Any) -> None:
        client = login(world, "adjudicator")
        base = fill("/projects/{P}/review/", world)

        def rows(query: str) -> set[int]:
            text = client.get(base + query).content.decode()
            return {int(n) for n in re.findall(r'<tr data-testid="annotation-(\d+)"', text)}

        both = {world.mine.pk, world.theirs.pk}
        assert rows("") == both
        assert rows("?annotator=ann2") == {world.theirs.pk}
        assert rows("?label=decision:True") == {world.mine.pk}
        assert rows("?label=labels:artefact") == {world.theirs.pk}
        assert rows("?task_status=conflict&status=submitted") == both
        assert rows("?task_status=agreed") == set()
        assert rows("?flagged=1") == set()
        bad = client.get(base + "?status=finished")
        assert bad.status_code == 400 and "status: must be one of" in bad.content.decode()
        bad = client.get(base + "?label=decision:Perhaps")
        assert bad.status_code == 400 and "label:" in bad.content.decode()

    def test_flag_from_the_table_reaches_the_queue(self, world: Any) -> None:
        for user in (world.ann1, world.ann2):
            (agreed,) = claim_batch(world.project, user)
            save_annotation(agreed, user, {"decision": "True"})
        agreed.refresh_from_db()
        assert agreed.status == "agreed"
        target = agreed.annotations.get(user=world.ann2)
        client = login(world, "adjudicator")
        url = f"/projects/{world.project.pk}/review/annotations/{target.pk}/flag/"
        page = client.get(fill("/projects/{P}/review/", world)).content.decode()
        assert f'data-testid="flag-{target.pk}"' in page
        response = client.post(url, {"reason": " "}, follow=True)
        assert "reason: say what is wrong" in response.content.decode()
        assert not Flag.objects.exists()
        nxt = fill("/projects/{P}/review/?flagged=1", world)
        response = client.post(url, {"reason": "that is pacing", "next": nxt})
        assert response["Location"] == nxt
        assert Flag.objects.get().reason == "that is pacing"
        queue = client.get(fill("/projects/{P}/adjudication/", world)).content.decode()
        assert f'data-testid="queue-task-{agreed.pk}"' in queue and "1 open note" in queue
        assert f'data-testid="queue-reason-{agreed.pk}" data-reason="flag"' in queue
        page = client.get(f"/tasks/{agreed.pk}/adjudicate/").content.decode()
        assert "that is pacing" in page and 'data-testid="adjudicate-submit"' in page
        # A flag for an annotation of another project is not found.
        other = f"/projects/{world.other.pk}/review/annotations/{target.pk}/flag/"
        assert login(world, "site_admin").post(other, {"reason": "x"}).status_code == 404
        # An off-site "next" is ignored.
        response = client.post(url, {"reason": "again", "next": "https://example.org/"})
        assert response["Location"] == fill("/projects/{P}/review/", world)


class TestConsole:
    def test_progress_members_and_exports(self, world: Any) -> None:
        text = login(world, "admin").get(fill("/projects/{P}/console/", world)).content.decode()
        for name in ("lead", "judge", "ann1", "ann2"):
            assert f'data-testid="member-{name}"' in text
        assert 'data-testid="progress-ann1"' in text and "1 in conflict" in text
        assert f"/api/v1/projects/{world.project.pk}/export?format=csv" in text
        client = login(world, "admin")
        csv = client.get(f"/api/v1/projects/{world.project.pk}/export?format=csv")
        assert csv.status_code == 200 and b"SECRET-ANN2-COMMENT" in csv.content

    def test_invitation_code_shown_once(self, world: Any) -> None:
        client = login(world, "admin")
        url = fill("/projects/{P}/console/invitations/", world)
        form = {"role": "adjudicator", "email": "new@example.org", "days": "7"}
        text = client.post(url, form).content.decode()
        code = re.search(r'data-testid="invite-code">([A-Z0-9-]+)<', text)
        assert code
        invitation = Invitation.objects.get()
        assert invitation.code_hash == hash_code(code.group(1))
        assert invitation.role == "adjudicator" and invitation.email == "new@example.org"
        assert f"/register/?code={code.group(1)}" in text
        # Mailed by the site: no need to write the mail by hand.
        assert "An e-mail with this link was sent to new@example.org" in text
        assert "mailto:" not in text
        again = client.get(fill("/projects/{P}/console/", world)).content.decode()
        assert code.group(1) not in again and invitation.prefix in again

    def test_a_refusing_mail_server_leaves_a_mailto_link(self, world: Any, settings: Any) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
        url = fill("/projects/{P}/console/invitations/", world)
        response = login(world, "admin").post(url, {"role": "annotator", "email": "n@example.org"})
        text = response.content.decode()
        assert response.status_code == 200 and Invitation.objects.count() == 1
        assert "could not be sent to n@example.org" in text and "mailto:n%40example.org" in text

    @pytest.mark.parametrize(
        ("form", "message"),
        [
            ({"role": "boss"}, "role: must be one of"),
            ({"role": "annotator", "days": "soon"}, "days: &#x27;soon&#x27; is not a number"),
            ({"role": "annotator", "days": "0"}, "days: must be more than 0"),
            ({"role": "annotator", "email": "nobody"}, "email: &#x27;nobody&#x27; is not"),
        ],
    )
    def test_bad_invitation(self, world: Any, form: dict[str, str], message: str) -> None:
        url = fill("/projects/{P}/console/invitations/", world)
        response = login(world, "admin").post(url, form)
        assert response.status_code == 400 and message in response.content.decode()
        assert not Invitation.objects.exists()

    def test_members_add_change_remove(self, world: Any) -> None:
        client = login(world, "admin")
        p = world.project
        response = client.post(
            f"/projects/{p.pk}/console/members/", {"username": "ghost", "role": "annotator"}
        )
        assert response.status_code == 400
        assert "username: no user named &#x27;ghost&#x27;" in response.content.decode()
        response = client.post(
            f"/projects/{p.pk}/console/members/", {"username": "outsider", "role": "boss"}
        )
        assert response.status_code == 400 and "role: must be one of" in response.content.decode()
        response = client.post(
            f"/projects/{p.pk}/console/members/",
            {"username": "outsider", "role": "annotator"},
            follow=True,
        )
        assert "outsider is annotator of alarms" in response.content.decode()
        role = f"/projects/{p.pk}/console/members/{world.outsider.pk}/role/"
        assert client.post(role, {"role": "adjudicator"}).status_code == 302
        assert Membership.objects.get(project=p, user=world.outsider).role == "adjudicator"
        assert client.post(role, {"role": "boss"}).status_code == 400
        # Members of another project only are not found here.
        other = make_member(world.other, "stranger")
        assert (
            client.post(f"/projects/{p.pk}/console/members/{other.pk}/role/", {"role": "admin"})
        ).status_code == 404
        remove = f"/projects/{p.pk}/console/members/{world.outsider.pk}/remove/"
        assert client.post(remove).status_code == 302
        assert not Membership.objects.filter(project=p, user=world.outsider).exists()

    def test_release_a_users_unfinished_assignments(self, world: Any) -> None:
        (task,) = claim_batch(world.project, world.judge)
        save_annotation(task, world.judge, {"decision": "True", "status": "draft"})
        client = login(world, "admin")
        url = fill("/projects/{P}/console/release/", world)
        response = client.post(url, {})
        assert response.status_code == 400 and "username: say whose" in response.content.decode()
        response = client.post(url, {"username": "judge"}, follow=True)
        assert "Released 1 unfinished assignment of judge" in response.content.decode()
        assert not Assignment.objects.filter(user=world.judge).exists()
        # Submitted answers stay.
        response = client.post(url, {"all": "1"}, follow=True)
        assert "Released 0 unfinished assignments of everyone" in response.content.decode()
        assert Assignment.objects.filter(task=world.task).count() == 2


class TestHome:
    def test_links_to_the_consoles_by_role(self, world: Any) -> None:
        p = world.project.pk
        admin = login(world, "admin").get("/").content.decode()
        assert f'data-testid="home-console-{p}"' in admin
        judge = login(world, "adjudicator").get("/").content.decode()
        assert f'data-testid="home-adjudication-{p}"' in judge
        assert f'data-testid="home-console-{p}"' not in judge
        annotator = login(world, "annotator").get("/").content.decode()
        assert f"home-adjudication-{p}" not in annotator


class TestNoServerError:
    @pytest.mark.parametrize(
        ("method", "url", "status"),
        [
            ("post", "/projects/{P}/review/annotations/99999999999999999999/flag/", 404),
            ("post", "/projects/{P}/review/annotations/0/flag/", 404),
            ("post", "/projects/{P}/console/members/99999999999999999999/role/", 404),
            ("post", "/projects/{P}/console/members/99999999999999999999/remove/", 404),
            ("post", "/tasks/99999999999999999999/adjudicate/skip/", 404),
            ("post", "/tasks/99999999999999999999/discussion/", 404),
            ("get", "/projects/{P}/review/?page=99999999999999999999", 200),
            ("get", "/projects/{P}/review/?page=-1&annotator=%00", 400),
            ("get", "/projects/{P}/review/?task_status=closed", 400),
            ("get", "/projects/{P}/discussion/?page=x", 200),
            ("get", "/projects/{P}/discussion/?page=%C2%B2", 200),  # a digit int() refuses
        ],
    )
    def test_bad_ids_and_parameters(self, world: Any, method: str, url: str, status: int) -> None:
        response = getattr(login(world, "admin"), method)(fill(url, world))
        assert response.status_code == status

    def test_an_admin_who_demotes_themselves_goes_home(self, world: Any) -> None:
        make_member(world.project, "deputy", "admin")
        client = login(world, "admin")
        url = f"/projects/{world.project.pk}/console/members/{world.lead.pk}/role/"
        response = client.post(url, {"role": "annotator"})
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.get(fill("/projects/{P}/console/", world)).status_code == 403

    def test_the_last_admin_can_be_neither_demoted_nor_removed(self, world: Any) -> None:
        p, lead = world.project, world.lead
        for who in ("admin", "site_admin"):
            client = login(world, who)
            base = f"/projects/{p.pk}/console/members/{lead.pk}"
            response = client.post(f"{base}/role/", {"role": "annotator"})
            assert response.status_code == 409
            assert "lead is the last admin of alarms" in response.content.decode()
            response = client.post(f"{base}/remove/")
            assert response.status_code == 409
            assert "make someone else admin first" in response.content.decode()
            assert Membership.objects.get(project=p, user=lead).role == "admin"
        # With a second admin, either may go.
        deputy = make_member(p, "deputy", "admin")
        client = login(world, "admin")
        assert client.post(f"/projects/{p.pk}/console/members/{deputy.pk}/remove/").status_code
        assert not Membership.objects.filter(project=p, user=deputy).exists()

    def test_the_invitation_page_is_not_cached(self, world: Any) -> None:
        response = login(world, "admin").post(
            fill("/projects/{P}/console/invitations/", world), {"role": "annotator"}
        )
        assert "no-store" in response["Cache-Control"]

    @pytest.mark.parametrize(
        ("url", "form"),
        [
            ("/tasks/{T}/adjudicate/", {"decision": "True", "comment": "a\x00b"}),
            ("/tasks/{T}/discussion/", {"text": "a\x00b"}),
            ("/projects/{P}/review/annotations/{A}/flag/", {"reason": "a\x00b"}),
            ("/projects/{P}/console/members/", {"username": "a\x00b", "role": "annotator"}),
            ("/projects/{P}/console/release/", {"username": "a\x00b"}),
            ("/projects/{P}/console/invitations/", {"role": "annotator", "email": "a\x00@b.org"}),
        ],
    )
    def test_nul_characters_are_refused_not_a_500(
        self, world: Any, url: str, form: dict[str, str]
    ) -> None:
        response = login(world, "admin").post(fill(url, world), form, follow=True)
        assert response.status_code == 400 or "NUL" in response.content.decode()


class TestWorkflowSettings:
    def test_the_console_changes_the_policy_and_says_what_is_wrong(self, world: Any) -> None:
        client = login(world, "admin")
        url = fill("/projects/{P}/console/settings/", world)
        response = client.post(url, {"conflict_policy": "reenter", "max_annotators": "9"})
        assert response.status_code == 400
        assert "max_annotators: must be a whole number from 2 to 5" in response.content.decode()
        response = client.post(
            url, {"conflict_policy": "reenter", "max_annotators": "3", "reveal_outcome": "1"}
        )
        assert response.status_code == 302
        world.project.refresh_from_db()
        assert (world.project.conflict_policy, world.project.max_annotators) == ("reenter", 3)
        assert world.project.reveal_outcome
        page = client.get(fill("/projects/{P}/console/", world)).content.decode()
        assert 'data-testid="policy">reenter' in page
        assert 'value="reenter" checked' in page

    def test_the_queue_and_the_page_say_why(self, world: Any) -> None:
        client = login(world, "adjudicator")
        queue = client.get(fill("/projects/{P}/adjudication/", world)).content.decode()
        assert f'data-testid="queue-reason-{world.task.pk}" data-reason="unsure"' in queue
        assert "an answer is unsure" in queue
        page = client.get(fill("/tasks/{T}/adjudicate/", world)).content.decode()
        assert 'data-testid="task-reason">an answer is unsure' in page
        assert 'data-testid="reopen"' not in page  # an adjudicator does not reopen
        admin = login(world, "admin").get(fill("/tasks/{T}/adjudicate/", world)).content.decode()
        assert 'data-testid="reopen"' in admin
        response = login(world, "admin").post(fill("/tasks/{T}/reopen/", world), {"reason": ""})
        assert response.status_code == 302
        world.task.refresh_from_db()
        assert world.task.status == "conflict"  # refused: no reason given
        login(world, "admin").post(fill("/tasks/{T}/reopen/", world), {"reason": "redo"})
        world.task.refresh_from_db()
        assert world.task.status == "open"
        history = login(world, "admin").get(fill("/tasks/{T}/adjudicate/", world)).content
        assert "reopened: redo" in history.decode()
