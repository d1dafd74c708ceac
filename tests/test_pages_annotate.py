"""The annotator's pages with Django's test client: who may open what, blind annotation,
the answer form (choices, grades, dependent choices, errors), history, registration
with an invitation, joining a project, password change and reset."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from wavetag.accounts.models import Invitation
from wavetag.accounts.registration import create_invitation
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Annotation, Revision
from wavetag.annotations.services import save_annotation
from wavetag.projects.models import Assignment, Task

from .factories import icu_team, make_member, make_project, make_user

pytestmark = pytest.mark.django_db
PASSWORD = "a long pass phrase 7"
ROLES = ("anonymous", "ann1", "outsider", "judge", "lead")


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """Task T claimed by ann1 and ann2; ann2 answered it with a secret comment."""
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    (same,) = claim_batch(w.project, w.ann2)
    assert same == w.task
    save_annotation(w.task, w.ann2, {"decision": "Reject", "comment": "SECRET-ANN2-COMMENT"})
    w.free = Task.objects.filter(project=w.project).exclude(pk=w.task.pk).get()
    w.clients = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(getattr(w, role))
        w.clients[role] = client
    return w


def fill(url: str, w: Any) -> str:
    return url.format(P=w.project.pk, T=w.task.pk, FREE=w.free.pk)


# (method, url, expected status for each of ROLES); 302 for anonymous goes to the log-in.
MATRIX: list[tuple[str, str, tuple[int, ...]]] = [
    ("get", "/projects/{P}/", (302, 200, 404, 200, 200)),
    ("get", "/projects/{P}/mine/", (302, 200, 404, 200, 200)),
    ("get", "/projects/{P}/continue/", (302, 302, 404, 302, 302)),
    ("post", "/projects/{P}/claim/", (302, 302, 404, 302, 302)),
    ("get", "/tasks/{T}/", (302, 200, 404, 200, 200)),
    ("get", "/tasks/{FREE}/", (302, 404, 404, 200, 200)),
    ("post", "/tasks/{T}/", (302, 302, 404, 403, 403)),
    ("get", "/tasks/{T}/history/", (302, 200, 404, 200, 200)),
    ("get", "/account/", (302, 200, 200, 200, 200)),
    ("get", "/account/join/", (302, 200, 200, 200, 200)),
    ("get", "/account/password/", (302, 200, 200, 200, 200)),
    ("get", "/register/", (200, 302, 302, 302, 302)),
    ("get", "/password-reset/", (200, 200, 200, 200, 200)),
]
CASES = [
    pytest.param(method, url, role, expected[i], id=f"{method} {url} as {role}")
    for method, url, expected in MATRIX
    for i, role in enumerate(ROLES)
]


class TestWhoSeesWhat:
    @pytest.mark.parametrize(("method", "url", "role", "status"), CASES)
    def test_status(self, world: Any, method: str, url: str, role: str, status: int) -> None:
        client = world.clients[role]
        data = {"decision": "True"} if url.startswith("/tasks/") else {}
        response = getattr(client, method)(fill(url, world), data)
        assert response.status_code == status, response.content[:300]
        if role == "anonymous" and status == 302:
            assert response["Location"].startswith("/login/?next=")

    def test_another_annotator_of_the_project_cannot_open_my_task(self, world: Any) -> None:
        other = make_member(world.project, "ann3")
        client = Client()
        client.force_login(other)
        assert client.get(f"/tasks/{world.task.pk}/").status_code == 404
        assert client.get(f"/tasks/{world.task.pk}/history/").status_code == 404

    def test_an_adjudicator_sees_no_form_on_a_task_they_do_not_annotate(self, world: Any) -> None:
        page = world.clients["judge"].get(f"/tasks/{world.task.pk}/").content.decode()
        assert 'data-testid="not-assigned"' in page and "answer-form" not in page
        assert "SECRET-ANN2" not in page

    def test_huge_ids_are_not_found(self, world: Any) -> None:
        client = world.clients["ann1"]
        assert client.get(f"/tasks/{2**70}/").status_code == 404
        assert client.get(f"/projects/{2**70}/").status_code == 404

    def test_home_links_projects_to_their_page(self, world: Any) -> None:
        page = world.clients["ann1"].get("/").content.decode()
        assert f'href="/projects/{world.project.pk}/"' in page


class TestBlind:
    def pages(self, w: Any, client: Client) -> list[str]:
        urls = [
            "/",
            f"/projects/{w.project.pk}/",
            f"/projects/{w.project.pk}/mine/",
            f"/tasks/{w.task.pk}/",
            f"/tasks/{w.task.pk}/history/",
        ]
        return [client.get(url).content.decode() for url in urls]

    def test_never_another_annotators_answer_or_comment(self, world: Any) -> None:
        client = world.clients["ann1"]
        for page in self.pages(world, client):
            assert "SECRET-ANN2" not in page
            assert not re.search(r'data-testid="choice-decision-Reject" checked', page)
        # Once both answered, and they disagree, still nothing of it.
        client.post(f"/tasks/{world.task.pk}/", {"decision": "True", "comment": "MINE"})
        world.task.refresh_from_db()
        assert world.task.status == "conflict"
        for page in self.pages(world, client):
            assert "SECRET-ANN2" not in page and "conflict" not in page.lower()
        task_page = client.get(f"/tasks/{world.task.pk}/").content.decode()
        # Frozen: their own answer in words, a way to ask for a change, no form.
        assert 'data-testid="frozen"' in task_page and "answer-form" not in task_page
        assert "True: a real event" in task_page and "MINE" in task_page
        assert 'data-testid="change-request-form"' in task_page and "outcome" not in task_page

    def test_an_adjudicator_annotating_sees_only_their_own_history(self, world: Any) -> None:
        (task,) = claim_batch(world.project, world.judge)
        save_annotation(task, world.judge, {"decision": "True", "comment": "JUDGE"})
        assert claim_batch(world.project, world.ann2) == [task]
        save_annotation(task, world.ann2, {"decision": "True", "comment": "ANN2-OWN"})
        task.refresh_from_db()
        assert task.is_final  # agreed: the judge is no longer blind to it
        page = world.clients["judge"].get(f"/tasks/{task.pk}/history/").content.decode()
        assert "JUDGE" in page and "ANN2-OWN" not in page

    def test_no_header_comments_and_the_alarm_type(self, world: Any) -> None:
        page = world.clients["ann1"].get(f"/tasks/{world.task.pk}/").content.decode()
        assert "Ventricular_Tachycardia" in page
        assert "True alarm" not in page and "False alarm" not in page
        config = json.loads(
            re.search(r'id="viewer-config"[^>]*>(.*?)</script>', page, re.S).group(1)
        )
        assert config["event"] == 300.0
        # The task's window stops at the alarm; the viewer shows the user's 5 s after it
        # where the record has them (v221l runs to 330 s, v102s ends at its alarm).
        end = min(world.task.record.duration, 305.0)
        assert config["window"] == {"start": 290.0, "end": end}
        assert "comments" not in json.dumps(config)


class TestProjectPage:
    def test_claim_continue_and_the_batch_rule(self, world: Any) -> None:
        client = world.clients["ann1"]
        page = client.get(f"/projects/{world.project.pk}/").content.decode()
        assert 'data-testid="continue"' in page and f"/tasks/{world.task.pk}/" in page
        assert "ICU alarm review" in page and "icu" in page
        response = client.post(f"/projects/{world.project.pk}/claim/", follow=True)
        assert "finish your current batch first: 1 task not submitted" in response.content.decode()
        assert client.get(f"/projects/{world.project.pk}/continue/")["Location"] == (
            f"/tasks/{world.task.pk}/"
        )
        client.post(f"/tasks/{world.task.pk}/", {"decision": "True"})
        response = client.post(f"/projects/{world.project.pk}/claim/")
        assert response.status_code == 302 and response["Location"] == f"/tasks/{world.free.pk}/"

    def test_claim_with_nothing_left(self, world: Any) -> None:
        client = world.clients["judge"]
        client.post(f"/projects/{world.project.pk}/claim/")  # the free task
        save_annotation(world.free, world.judge, {"decision": "True"})
        response = client.post(f"/projects/{world.project.pk}/claim/", follow=True)
        assert "No task needs annotators right now." in response.content.decode()

    def test_progress_is_only_mine(self, world: Any) -> None:
        page = world.clients["ann1"].get(f"/projects/{world.project.pk}/").content.decode()
        assert re.search(r'data-testid="progress-claimed">1<', page)
        assert re.search(r'data-testid="progress-done">0<', page)
        assert "ann2" not in page


class TestAnswerForm:
    def url(self, w: Any) -> str:
        return f"/tasks/{w.task.pk}/"

    def test_form_shows_choices_with_keys_and_hooks(self, world: Any) -> None:
        page = world.clients["ann1"].get(self.url(world)).content.decode()
        for hook in ("answer-form", "comment", "submit", "save-later", "prev", "next", "history"):
            assert f'data-testid="{hook}"' in page, hook
        assert re.search(r'data-key="t" data-testid="choice-decision-True"', page)
        assert 'data-testid="choice-labels-pacing"' in page
        assert "<kbd>t</kbd>" in page

    def test_submit_moves_on_and_keeps_a_revision(self, world: Any) -> None:
        client = world.clients["ann1"]
        later = {"decision": "False", "labels": ["artefact"], "status": "later"}
        # Saved for later, and nothing else is left in this batch of one: the project page.
        project = f"/projects/{world.project.pk}/"
        assert client.post(self.url(world), later)["Location"] == project
        response = client.post(self.url(world), {"decision": "True", "comment": "second look"})
        # The batch is done: back to the project page, with a message.
        assert response.status_code == 302
        assert response["Location"] == f"/projects/{world.project.pk}/"
        annotation = Annotation.objects.get(task=world.task, user=world.ann1)
        assert annotation.status == "submitted" and annotation.answer["decision"] == "True"
        assert Revision.objects.filter(annotation=annotation).count() == 2
        page = client.get(f"/tasks/{world.task.pk}/history/").content.decode()
        assert page.count('data-testid="revision"') == 2 and "second look" in page
        # In words: the change of decision, from one label to the other.
        assert "<del>False: artefact or misdetection</del> → <ins>True: a real event</ins>" in page
        assert "Motion or noise artefact" in page
        # Both answers are in: another look is refused, and the page says why.
        response = client.post(self.url(world), {"decision": "False", "comment": "third look"})
        assert response.status_code == 409 and "frozen" in response.content.decode()
        assert Revision.objects.filter(annotation=annotation).count() == 2
        # The request to change it goes to the adjudicators instead.
        response = client.post(
            f"/tasks/{world.task.pk}/change-request/", {"text": "it was an artefact, not VT"}
        )
        assert response.status_code == 302
        page = client.get(self.url(world)).content.decode()
        assert 'data-testid="change-request"' in page and "not VT" in page

    def test_save_for_later_moves_on_and_counts_as_unfinished(self, world: Any) -> None:
        client = world.clients["ann1"]
        first = Assignment.objects.get(task=world.task, user=world.ann1)
        second = world.free
        Assignment.objects.create(
            task=second, user=world.ann1, slot=0, batch=first.batch, position=1
        )
        response = client.post(self.url(world), {"status": "later", "comment": "odd"})
        # On to the next task of the batch, as a submit does; the draft is on the server.
        assert response["Location"] == f"/tasks/{second.pk}/"
        assert "Saved for later." in client.get(response["Location"]).content.decode()
        page = client.get(self.url(world)).content.decode()
        assert 'data-state="saved"' in page and "odd" in page
        # Saved for later again with only saved-for-later ones left: the other one.
        response = client.post(f"/tasks/{second.pk}/", {"status": "later"})
        assert response["Location"] == self.url(world)
        mine = client.get(f"/projects/{world.project.pk}/mine/").content.decode()
        later = mine.split('data-testid="mine-later"')[1].split("</section>")[0]
        assert f'data-testid="mine-task-{world.task.pk}"' in later

    def test_missing_decision_is_refused_naming_the_field(self, world: Any) -> None:
        client = world.clients["ann1"]
        response = client.post(self.url(world), {"labels": ["pacing"], "comment": "kept"})
        page = response.content.decode()
        assert response.status_code == 400
        assert "decision: required" in page
        assert re.search(r'data-field="decision"[^>]*aria-invalid="true"', page)
        # What was given is still there.
        assert re.search(r'data-testid="choice-labels-pacing" checked', page)
        assert "kept" in page
        assert not Annotation.objects.filter(user=world.ann1).exists()

    def test_json_answers_for_the_script(self, world: Any) -> None:
        client = world.clients["ann1"]
        accept = {"HTTP_ACCEPT": "application/json"}
        response = client.post(self.url(world), {"decision": "Maybe"}, **accept)
        assert response.status_code == 400
        body = response.json()
        assert body["field"] == "decision" and "'Maybe' is not allowed" in body["error"]
        response = client.post(self.url(world), {"decision": "True", "status": "later"}, **accept)
        assert response.status_code == 200 and response.json()["status"] == "later"
        assert response.json()["next"] == f"/projects/{world.project.pk}/"
        response = client.post(self.url(world), {"decision": "True"}, **accept)
        assert response.json()["next"] == f"/projects/{world.project.pk}/"

    def test_not_numbers_and_bad_status(self, world: Any) -> None:
        client = world.clients["ann1"]
        response = client.post(self.url(world), {"decision": "True", "status": "done"})
        assert response.status_code == 400 and "status: must be one of" in response.content.decode()

    def test_page_and_api_share_one_answer(self, world: Any) -> None:
        from .factories import call

        client = world.clients["ann1"]
        url = f"/api/v1/tasks/{world.task.pk}/annotation"
        body = {"decision": "Uncertain", "comment": "from the API", "status": "draft"}
        status, _ = call(Client(), "put", url, world.h["ann1"], body)
        assert status == 200
        page = client.get(self.url(world)).content.decode()
        assert 'data-testid="choice-decision-Uncertain" checked' in page and "from the API" in page
        mine = client.get(f"/projects/{world.project.pk}/mine/").content.decode()
        todo = mine.split('data-testid="mine-todo"')[1].split("</section>")[0]
        assert f'data-testid="mine-status-{world.task.pk}">draft<' in todo
        client.post(self.url(world), {"decision": "False", "comment": "from the page"})
        _, out = call(Client(), "get", f"/api/v1/tasks/{world.task.pk}", world.h["ann1"])
        assert out["annotation"]["answer"]["decision"] == "False"
        assert out["annotation"]["status"] == "submitted"

    def test_csrf_is_checked(self, world: Any) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.ann1)
        assert client.post(self.url(world), {"decision": "True"}).status_code == 403


@pytest.fixture
def ecg(ecg_record: Any, holter_100: Any) -> Any:
    """A 12-lead project (graded multi-label) and a wearable one (dependent choices)."""
    from types import SimpleNamespace

    w = SimpleNamespace()
    w.twelve = make_project("ecg12", "ecg", "resting-12lead")
    w.wear = make_project("wear", "holter", "wearable-rhythm", batch_size=2)
    w.user = make_member(w.twelve, "doc")
    from wavetag.projects.services import add_member

    add_member(w.wear, w.user, "annotator")
    w.client = Client()
    w.client.force_login(w.user)
    return w


class TestSchemas:
    def test_graded_multi_label(self, ecg: Any) -> None:
        (task,) = claim_batch(ecg.twelve, ecg.user)
        url = f"/tasks/{task.pk}/"
        page = ecg.client.get(url).content.decode()
        assert 'data-testid="grade-diagnoses-pvc-Unsure"' in page
        assert 'data-testid="text-text"' in page
        data = {
            "diagnoses": ["atrial-fibrillation", "pvc"],
            "diagnoses:pvc": "Unsure",
            "text": "rate 110",
        }
        assert ecg.client.post(url, data).status_code == 302
        answer = Annotation.objects.get(task=task).answer
        assert answer["diagnoses"] == [
            {"value": "atrial-fibrillation", "grade": "Confirmed"},
            {"value": "pvc", "grade": "Unsure"},
        ]
        page = ecg.client.get(url).content.decode()
        assert re.search(r'data-testid="grade-diagnoses-pvc-Unsure" checked', page)
        response = ecg.client.post(url, {"diagnoses": ["pvc"], "diagnoses:pvc": "Maybe"})
        assert response.status_code == 400
        assert "diagnoses: grade &#x27;Maybe&#x27; is not allowed" in response.content.decode()

    def test_dependent_choices(self, ecg: Any) -> None:
        tasks = claim_batch(ecg.wear, ecg.user)
        task = tasks[0]
        url = f"/tasks/{task.pk}/"
        page = ecg.client.get(url).content.decode()
        assert 'data-depends-on="rhythm"' in page and 'data-group="ventricular"' in page
        assert "optional when Signal quality is C: poor" in page
        config = json.loads(
            re.search(r'id="viewer-config"[^>]*>(.*?)</script>', page, re.S).group(1)
        )
        assert config["window"] == {"start": task.window_start, "end": task.window_end}
        bad = {"quality": "A", "rhythm": "sinus", "subcategory": "single-pvc"}
        response = ecg.client.post(url, bad)
        assert response.status_code == 400
        assert "subcategory: &#x27;single-pvc&#x27; is not a kind of &#x27;sinus&#x27;" in (
            response.content.decode()
        )
        good = {"quality": "A", "rhythm": "ventricular", "subcategory": "single-pvc"}
        response = ecg.client.post(url, good)
        assert response["Location"] == f"/tasks/{tasks[1].pk}/"  # the next of the batch
        assert ecg.client.post(f"/tasks/{tasks[1].pk}/", {"quality": "C"}).status_code == 302

    def test_prev_and_next_within_the_batch(self, ecg: Any) -> None:
        first, second = claim_batch(ecg.wear, ecg.user)
        page = ecg.client.get(f"/tasks/{first.pk}/").content.decode()
        assert f'href="/tasks/{second.pk}/" data-testid="next"' in page
        assert '<span class="button disabled" data-testid="prev"' in page
        page = ecg.client.get(f"/tasks/{second.pk}/").content.decode()
        assert f'href="/tasks/{first.pk}/" data-testid="prev"' in page
        assert "task 2 of 2" in page


@pytest.fixture
def invite(ecg_record: Any) -> Any:
    return make_project("ecg", "ecg", "resting-12lead")


def register(client: Client, code: str = "", **overrides: str) -> Any:
    data = {
        "code": code,
        "username": "newdoc",
        "email": "newdoc@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post("/register/", data)


class TestRegistration:
    def test_good_code_registers_joins_and_logs_in(self, invite: Any) -> None:
        _, code = create_invitation(invite, "annotator")
        client = Client()
        page = client.get(f"/register/?code={code}").content.decode()
        assert f'value="{code}"' in page
        response = register(client, code)
        assert response.status_code == 302 and response["Location"] == f"/projects/{invite.pk}/"
        user = get_user_model().objects.get(username="newdoc")
        assert invite.memberships.get(user=user).role == "annotator"
        assert client.get(f"/projects/{invite.pk}/").status_code == 200

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"password2": "something else 9"}, "password2", "the two passwords differ"),
            ({"password1": "short", "password2": "short"}, "password1", "too short"),
            ({"username": "taken"}, "username", "already taken"),
            ({"username": "bad name!"}, "username", "letters, digits"),
            ({"email": "not-mail"}, "email", "is not an e-mail address"),
            ({"code": "NOPE-NOPE"}, "code", "no such invitation code"),
            ({"code": ""}, "code", "give the invitation code"),
        ],
    )
    def test_field_errors(
        self, invite: Any, overrides: dict[str, str], field: str, message: str
    ) -> None:
        make_user("taken")
        _, code = create_invitation(invite, "annotator")
        response = register(Client(), **{"code": code, **overrides})
        page = response.content.decode()
        assert response.status_code == 400
        error = re.search(rf'data-testid="error-{field}">([^<]*)<', page)
        assert error and message in error.group(1).replace("&#x27;", "'"), page
        assert PASSWORD not in page  # passwords are never sent back
        assert Invitation.objects.get().used_at is None

    def test_used_code(self, invite: Any) -> None:
        _, code = create_invitation(invite, "annotator")
        register(Client(), code)
        response = register(Client(), code, username="second")
        assert "this invitation has already been used" in response.content.decode()
        assert not get_user_model().objects.filter(username="second").exists()

    def test_expired_code(self, invite: Any) -> None:
        _, code = create_invitation(invite, "annotator")
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
        response = register(Client(), code)
        assert response.status_code == 400 and "has expired" in response.content.decode()

    def test_a_logged_in_user_joins_another_project(self, invite: Any) -> None:
        user = make_user("doc")
        client = Client()
        client.force_login(user)
        _, code = create_invitation(invite, "adjudicator")
        response = client.get(f"/register/?code={code}")
        assert response["Location"] == f"/account/join/?code={code}"
        assert f'value="{code}"' in client.get(response["Location"]).content.decode()
        response = client.post("/account/join/", {"code": code})
        assert response["Location"] == f"/projects/{invite.pk}/"
        assert invite.memberships.get(user=user).role == "adjudicator"
        response = client.post("/account/join/", {"code": code})
        assert response.status_code == 400 and "already been used" in response.content.decode()


class TestPasswords:
    def test_change(self, db: Any) -> None:
        user = make_user("doc", password=PASSWORD)
        client = Client()
        client.force_login(user)
        new = "another pass phrase 8"
        data = {"old_password": "wrong", "new_password1": new, "new_password2": new}
        response = client.post("/account/password/", data)
        assert response.status_code == 200 and 'data-testid="error-old_password"' in (
            response.content.decode()
        )
        data["old_password"] = PASSWORD
        response = client.post("/account/password/", data)
        assert response["Location"] == "/account/password/done/"
        user.refresh_from_db()
        assert user.check_password(new)

    def test_reset_by_mail(self, db: Any, settings: Any) -> None:
        assert "console" in settings.EMAIL_BACKEND or "locmem" in settings.EMAIL_BACKEND
        user = make_user("doc", password=PASSWORD)
        user.email = "doc@example.org"
        user.save()
        client = Client()
        response = client.post("/password-reset/", {"email": "doc@example.org"})
        assert response["Location"] == "/password-reset/sent/"
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["doc@example.org"]
        link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
        response = client.get(link)  # Django swaps the token in the URL for a stored one
        new = "another pass phrase 8"
        response = client.post(response["Location"], {"new_password1": new, "new_password2": new})
        assert response["Location"] == "/password-reset/done/"
        assert Client().login(username="doc", password=new)
        # The link works once.
        page = client.get(link, follow=True).content.decode()
        assert 'data-testid="reset-invalid"' in page

    def test_unknown_address_sends_nothing_and_says_the_same(self, db: Any) -> None:
        response = Client().post("/password-reset/", {"email": "nobody@example.org"})
        assert response["Location"] == "/password-reset/sent/" and not mail.outbox

    def test_reset_mail_is_throttled_per_address_and_per_ip(self, db: Any) -> None:
        from wavetag.accounts import throttle
        from wavetag.accounts.models import ResetRequest

        user = make_user("doc", password=PASSWORD)
        user.email = "doc@example.org"
        user.save()

        def ask(email: str, ip: str) -> Any:
            return Client(REMOTE_ADDR=ip).post("/password-reset/", {"email": email})

        for _ in range(throttle.RESETS_PER_EMAIL + 2):
            response = ask("Doc@Example.org", "10.0.0.1")
            assert response["Location"] == "/password-reset/sent/"
        assert len(mail.outbox) == throttle.RESETS_PER_EMAIL
        # Another client address does not lift the limit of the mailbox.
        assert ask("doc@example.org", "10.0.0.2")["Location"] == "/password-reset/sent/"
        assert len(mail.outbox) == throttle.RESETS_PER_EMAIL
        # Nor does the answer differ for an address without an account, throttled or not.
        for _ in range(throttle.RESETS_PER_EMAIL + 2):
            assert ask("nobody@example.org", "10.0.0.3")["Location"] == "/password-reset/sent/"
        # One client address probing many mailboxes is stopped too.
        for i in range(throttle.RESETS_PER_IP + 3):
            assert ask(f"probe{i}@example.org", "10.0.0.4")["Location"] == "/password-reset/sent/"
        assert ResetRequest.objects.filter(ip="10.0.0.4").count() == throttle.RESETS_PER_IP
        # Addresses are not stored in the clear.
        assert not ResetRequest.objects.filter(address_hash__contains="@").exists()
        # An hour later the owner may ask again.
        ResetRequest.objects.update(at=timezone.now() - throttle.RESET_WINDOW)
        ask("doc@example.org", "10.0.0.1")
        assert len(mail.outbox) == throttle.RESETS_PER_EMAIL + 1


class TestEmailSettings:
    def test_url_forms(self) -> None:
        from wavetag.settings import email_from_url

        smtp = email_from_url("smtp://me%40x.org:p%2Fw@mail.x.org")
        assert smtp["EMAIL_HOST"] == "mail.x.org" and smtp["EMAIL_PORT"] == 587
        assert smtp["EMAIL_HOST_USER"] == "me@x.org" and smtp["EMAIL_HOST_PASSWORD"] == "p/w"
        assert smtp["EMAIL_USE_TLS"] and not smtp["EMAIL_USE_SSL"]
        ssl = email_from_url("smtps://mail.x.org")
        assert ssl["EMAIL_PORT"] == 465 and ssl["EMAIL_USE_SSL"] and not ssl["EMAIL_USE_TLS"]
        assert "console" in str(email_from_url("console:")["EMAIL_BACKEND"])
        with pytest.raises(ValueError, match="WAVETAG_EMAIL_URL: unsupported scheme"):
            email_from_url("http://mail.x.org")


class TestAutomaticAnalysisBoxes:
    def test_boxes_say_no_analysis_then_show_the_window_findings(self, world: Any) -> None:
        from wavetag.analysis.jobs import execute_run
        from wavetag.analysis.services import request_analysis

        url = f"/tasks/{world.task.pk}/"
        html = world.clients["ann1"].get(url).content.decode()
        assert 'data-testid="parameters"' in html and 'data-testid="findings"' in html
        assert html.count("No automatic analysis yet") == 2
        run = execute_run(request_analysis(world.task.record, world.lead, enqueue=False).pk)
        assert run.status == "done", run.error
        for role, page in (("ann1", url), ("judge", f"{url}adjudicate/")):
            response = world.clients[role].get(page)
            assert response.status_code == 200
            html = response.content.decode()
            assert "No automatic analysis yet" not in html
            for testid in (
                "param-hr",
                "param-pr",
                "param-qrs",
                "param-qt",
                "param-qtc",
                "finding-rhythm",
                "finding-quality",
                "finding-counts",
            ):
                assert f'data-testid="{testid}"' in html, (role, testid)
            hr = re.search(r'data-testid="param-hr">(\d+) bpm', html)
            assert hr is not None and 30 < int(hr.group(1)) < 200
            assert re.search(r'data-testid="finding-quality">worst [ABC] \(10-s segments: ', html)
            assert re.search(r'data-testid="finding-counts">\d+ beats: \d+ PVC, \d+ PAC', html)
            assert "this window" in html


class TestClaimOffer:
    def test_the_claim_button_says_what_a_claim_would_give(self, world: Any) -> None:
        client = world.clients["judge"]
        page = client.get(f"/projects/{world.project.pk}/").content.decode()
        assert 'data-testid="claim-batch"' in page and "Claim a batch of 1" in page
        client.post(f"/projects/{world.project.pk}/claim/")  # the only free task
        save_annotation(world.free, world.judge, {"decision": "True"})
        page = client.get(f"/projects/{world.project.pk}/").content.decode()
        assert 'data-testid="claim-batch"' not in page
        assert 'data-testid="nothing-to-claim"' in page
