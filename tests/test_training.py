"""Training and measuring annotators: gold answers, the practice test that gates claims,
pausing a member."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Annotation, GoldAnswer, PracticeItem
from wavetag.annotations.services import adjudicate, save_annotation
from wavetag.errors import NotAllowed
from wavetag.projects.models import Membership, Task

from .factories import bearer, call, icu_team, make_member, make_project

pytestmark = pytest.mark.django_db

SINUS = {"quality": "A", "rhythm": "sinus", "subcategory": "sinus-normal"}
POOR = {"quality": "C"}


@pytest.fixture
def team(holter_106: Any) -> Any:
    """A wearable-rhythm project (180 segments) with a practice test of 4 tasks passed at
    75 %, and 6 gold tasks: the first three sinus (A), the next three poor (C)."""
    from types import SimpleNamespace

    project = make_project(
        "wear",
        "holter",
        "wearable-rhythm",
        segment_seconds=10,
        practice_size=4,
        practice_pass=75,
        batch_size=2,
    )
    w = SimpleNamespace(project=project)
    w.lead = make_member(project, "lead", "admin")
    w.judge = make_member(project, "judge", "adjudicator")
    w.ann = make_member(project, "ann")
    w.h = {n: bearer(getattr(w, n)) for n in ("lead", "judge", "ann")}
    w.tasks = list(Task.objects.filter(project=project).order_by("window_start")[:6])
    items = [
        {"task": t.pk, "answer": SINUS if i < 3 else POOR, "explanation": f"why {i}"}
        for i, t in enumerate(w.tasks)
    ]
    w.truth = {t.pk: ("A" if i < 3 else "C") for i, t in enumerate(w.tasks)}
    status, body = call(
        Client(), "put", f"/api/v1/projects/{project.pk}/gold", w.h["lead"], {"items": items}
    )
    assert status == 200 and body["count"] == 6, body
    return w


def answer_all(client: Client, w: Any, attempt: dict[str, Any], right: int) -> list[Any]:
    """Answer the attempt's items, the first ``right`` correctly; the feedback of each."""
    out = []
    for i, item in enumerate(attempt["items"]):
        truth = w.truth[item["task"]]
        quality = truth if i < right else ("C" if truth == "A" else "A")
        body = SINUS if quality == "A" else POOR
        status, feedback = call(
            client, "put", f"/api/v1/practice-items/{item['id']}", w.h["ann"], body
        )
        assert status == 200, feedback
        out.append(feedback)
    return out


class TestGold:
    def test_roles_and_listing(self, team: Any, client: Client) -> None:
        url = f"/api/v1/projects/{team.project.pk}/gold"
        assert call(client, "get", url, team.h["ann"])[0] == 403
        assert call(client, "put", url, team.h["judge"], {"items": []})[0] == 403
        status, body = call(client, "get", url, team.h["judge"])
        assert status == 200 and body["items"][0]["explanation"] == "why 0"
        assert body["items"][0]["answer"]["quality"] == "A"

    def test_a_bad_item_is_named_and_nothing_is_saved(self, team: Any, client: Client) -> None:
        url = f"/api/v1/projects/{team.project.pk}/gold"
        other, second = team.tasks[0].pk, team.tasks[1].pk
        for items, message in [
            (
                [{"task": other, "answer": POOR}, {"task": second, "answer": {"quality": "Z"}}],
                "items[1].answer.quality: 'Z' is not allowed",
            ),
            (
                [{"task": other, "answer": POOR}, {"task": 10**9, "answer": POOR}],
                "items[1].task: no task",
            ),
            (
                [{"task": other, "answer": POOR}, {"task": other, "answer": POOR}],
                "items[1].task: task",
            ),
            ([{"task": other, "answer": {"quality": "A"}}], "items[0].answer.rhythm: required"),
            ([{"task": other, "answer": POOR, "why": 1}], "items[0].why: unknown"),
        ]:
            status, body = call(client, "put", url, team.h["lead"], {"items": items})
            assert status == 400 and body["detail"].startswith(message), body
        assert GoldAnswer.objects.get(task_id=other).answer["quality"] == "A"
        assert call(client, "put", url, team.h["lead"], {"items": "x"})[0] == 400

    def test_the_command_reads_csv_and_json(self, team: Any, tmp_path: Path, capsys: Any) -> None:
        task = team.tasks[1]
        csv_file = tmp_path / "gold.csv"
        csv_file.write_text(
            "record,window_start,quality,rhythm,subcategory,explanation\n"
            f"{task.record.name},{task.window_start},B,atrial,atrial-fibrillation,irregular\n"
        )
        call_command("project", "gold", "wear", str(csv_file))
        gold = GoldAnswer.objects.get(task=task)
        assert gold.answer["subcategory"] == "atrial-fibrillation"
        assert gold.explanation == "irregular"
        assert "6 gold answers in wear" in capsys.readouterr().out
        bad = tmp_path / "bad.csv"
        bad.write_text("record,window_start,quality\nnope,0,A\n")
        with pytest.raises(CommandError, match=r"bad.csv line 2: no task of record 'nope'"):
            call_command("project", "gold", "wear", str(bad))
        js = tmp_path / "gold.json"
        js.write_text(json.dumps([{"task": task.pk, "answer": POOR}]))
        call_command("project", "gold", "wear", str(js))
        assert GoldAnswer.objects.get(task=task).answer == {"quality": "C"}

    def test_use_an_adjudicated_decision_as_gold(self, icu_alarms: Any, ecg_record: Any) -> None:
        w = icu_team()
        (task,) = claim_batch(w.project, w.ann1)
        claim_batch(w.project, w.ann2)
        save_annotation(task, w.ann1, {"decision": "True"})
        save_annotation(task, w.ann2, {"decision": "False"})
        client = Client()
        client.force_login(w.lead)
        response = client.post(f"/tasks/{task.pk}/gold/")
        assert response.status_code == 302 and not GoldAnswer.objects.exists()
        adjudicate(task, w.judge, {"decision": "False", "comment": "electrode motion"})
        page = client.get(f"/tasks/{task.pk}/adjudicate/").content.decode()
        assert 'data-testid="use-as-gold"' in page
        client.post(f"/tasks/{task.pk}/gold/")
        gold = GoldAnswer.objects.get(task=task)
        assert gold.answer["decision"] == "False" and gold.explanation == "electrode motion"
        judge = Client()
        judge.force_login(w.judge)
        assert judge.post(f"/tasks/{task.pk}/gold/").status_code == 403


class TestPracticeTest:
    def test_claims_wait_for_a_pass(self, team: Any, client: Client) -> None:
        p = team.project.pk
        status, body = call(client, "post", f"/api/v1/projects/{p}/batches", team.h["ann"])
        assert status == 403 and "practice test" in body["detail"]
        status, state = call(client, "get", f"/api/v1/projects/{p}/practice", team.h["ann"])
        assert state["required"] and not state["passed"] and state["attempts"] == 0
        # Experts are not held back.
        assert call(client, "post", f"/api/v1/projects/{p}/batches", team.h["judge"])[0] == 200

        status, first = call(client, "post", f"/api/v1/projects/{p}/practice", team.h["ann"])
        assert status == 201 and len(first["items"]) == 4
        # Asking again gives the same unfinished attempt, never a new draw.
        status, again = call(client, "post", f"/api/v1/projects/{p}/practice", team.h["ann"])
        assert status == 200 and again == first
        feedback = answer_all(client, team, first, right=2)  # 50 %: not passed
        assert [f["correct"] for f in feedback] == [True, True, False, False]
        assert feedback[2]["expected"]["quality"] == team.truth[first["items"][2]["task"]]
        assert feedback[0]["explanation"].startswith("why ")
        assert feedback[-1]["attempt"]["finished"] and not feedback[-1]["attempt"]["passed"]
        # One answer per item.
        item = first["items"][0]["id"]
        assert call(client, "put", f"/api/v1/practice-items/{item}", team.h["ann"], POOR)[0] == 409
        status, body = call(client, "post", f"/api/v1/projects/{p}/batches", team.h["ann"])
        assert status == 403

        status, second = call(client, "post", f"/api/v1/projects/{p}/practice", team.h["ann"])
        assert status == 201 and second["attempt"] == 2
        # A new draw: the two gold tasks not practised yet come first.
        unseen = {t.pk for t in team.tasks} - {i["task"] for i in first["items"]}
        assert unseen <= {i["task"] for i in second["items"]}
        answer_all(client, team, second, right=3)  # 75 %: passed
        status, state = call(client, "get", f"/api/v1/projects/{p}/practice", team.h["ann"])
        assert state["passed"] and state["score"] == 0.75 and state["attempts"] == 2
        status, batch = call(client, "post", f"/api/v1/projects/{p}/batches", team.h["ann"])
        assert status == 200 and batch["tasks"]
        # Never a task met in practice, and no practice answer is an annotation.
        practised = {i["task"] for i in first["items"] + second["items"]}
        assert not practised & set(batch["tasks"])
        assert not Annotation.objects.filter(task_id__in=practised).exists()
        status, export = call(client, "get", f"/api/v1/projects/{p}/export", team.h["lead"])
        assert all(not i["annotations"] for i in export["items"] if i["id"] in practised)

    def test_items_are_the_users_own_and_bad_answers_named(self, team: Any, client: Client) -> None:
        p = team.project.pk
        _, attempt = call(client, "post", f"/api/v1/projects/{p}/practice", team.h["ann"])
        item = attempt["items"][0]["id"]
        url = f"/api/v1/practice-items/{item}"
        assert call(client, "put", url, team.h["judge"], POOR)[0] == 404
        assert call(client, "put", f"/api/v1/practice-items/{2**70}", team.h["ann"], POOR)[0] == 404
        status, body = call(client, "put", url, team.h["ann"], {"quality": "A"})
        assert status == 400 and body["detail"].startswith("rhythm: required")
        status, body = call(client, "put", url, team.h["ann"], [1])
        assert status == 400 and body["detail"].startswith("body:")

    def test_too_few_gold_tasks_is_said(self, team: Any, client: Client) -> None:
        p = team.project.pk
        call(client, "patch", f"/api/v1/projects/{p}", team.h["lead"], {"practice_size": 7})
        status, body = call(client, "post", f"/api/v1/projects/{p}/practice", team.h["ann"])
        assert status == 409 and "needs 7 gold tasks, only 6" in body["detail"]

    def test_the_practice_page_gives_feedback(self, team: Any) -> None:
        client = Client()
        client.force_login(team.ann)
        page = client.get(f"/projects/{team.project.pk}/").content.decode()
        assert 'data-testid="practice-link"' in page and "claim-batch" not in page
        client.post(f"/projects/{team.project.pk}/practice/start/")
        page = client.get(f"/projects/{team.project.pk}/practice/").content.decode()
        assert 'data-testid="practice-form"' in page and "Task 1 of 4" in page
        item = PracticeItem.objects.order_by("position").first()
        assert item is not None
        response = client.post(f"/practice-items/{item.pk}/", {"quality": "C"})
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert 'data-testid="practice-feedback"' in page and 'data-testid="practice-next"' in page
        assert "why " in page


class TestPause:
    def test_a_paused_member_claims_nothing(self, icu_alarms: Any, ecg_record: Any) -> None:
        w = icu_team()
        client = Client()
        client.force_login(w.lead)
        url = f"/projects/{w.project.pk}/console/members/{w.ann1.pk}/pause/"
        assert client.post(url, {"paused": "1"}).status_code == 302
        assert Membership.objects.get(user=w.ann1).paused_at is not None
        with pytest.raises(NotAllowed, match="paused"):
            claim_batch(w.project, w.ann1)
        client.post(url, {"paused": "0"})
        assert claim_batch(w.project, w.ann1)
        other = Client()
        other.force_login(w.judge)
        assert other.post(url, {"paused": "1"}).status_code == 403


@pytest.fixture
def gold_team(holter_106: Any) -> Any:
    """Batches of 4 with 50 % hidden gold; two gold tasks (A and C), on segments 0 and 1."""
    from types import SimpleNamespace

    project = make_project(
        "wear", "holter", "wearable-rhythm", segment_seconds=10, batch_size=4, gold_rate=50
    )
    w = SimpleNamespace(project=project)
    w.lead = make_member(project, "lead", "admin")
    w.ann = make_member(project, "ann")
    w.other = make_member(project, "other")
    w.gold = list(Task.objects.filter(project=project).order_by("window_start")[:4])
    from wavetag.annotations.gold import save_gold

    save_gold(
        project,
        {
            "items": [
                {"task": w.gold[0].pk, "answer": SINUS},
                {"task": w.gold[1].pk, "answer": POOR},
                {"task": w.gold[2].pk, "answer": SINUS},
                {"task": w.gold[3].pk, "answer": POOR},
            ]
        },
    )
    return w


class TestHiddenGold:
    def test_gold_checks_hide_in_the_batch_and_count_apart(
        self, gold_team: Any, client: Client
    ) -> None:
        w = gold_team
        gold_ids = {t.pk for t in w.gold}
        batch = claim_batch(w.project, w.ann)
        assert len(batch) == 4
        # Two of the four gold tasks come as checks; the other two may come as the
        # ordinary tasks they also are (a chance of about 2 in 180 here).
        drawn = set(w.project.tasks.filter(assignments__gold=True).values_list("id", flat=True))
        checks = [t for t in batch if t.pk in drawn]
        assert len(checks) == 2 and drawn <= gold_ids
        # They look like any task: the same fields, no status, through the API.
        h = bearer(w.ann)
        for task in batch:
            status, body = call(client, "get", f"/api/v1/tasks/{task.pk}", h)
            assert status == 200 and body["status"] is None and body["assignment"]
        # Answer everything: the gold checks are right for A, wrong for C; no feedback
        # on a real task's answer, gold check or not.
        for task in batch:
            status, body = call(client, "put", f"/api/v1/tasks/{task.pk}/annotation", h, SINUS)
            assert status == 200 and not {"correct", "expected", "explanation"} & set(body)
        for task in checks:
            task.refresh_from_db()
            assert task.status == "open"  # no consensus from a gold check
            assert not task.annotations.exists()  # and no annotation of the task
        # Nothing counts while the batch's answers may still be revised ...
        url = f"/api/v1/projects/{w.project.pk}/gold/accuracy"
        assert call(client, "get", url, bearer(w.lead))[1]["items"] == []
        # ... and the next claim settles them: frozen, counted.
        second = claim_batch(w.project, w.ann)
        assert not {t.pk for t in second} & {t.pk for t in checks}
        status, body = call(client, "put", f"/api/v1/tasks/{checks[0].pk}/annotation", h, POOR)
        assert status == 409 and "frozen" in body["detail"]
        report = {
            r["user"]: r
            for r in call(
                client, "get", f"/api/v1/projects/{w.project.pk}/gold/accuracy", bearer(w.lead)
            )[1]["items"]
        }
        truth = {t.pk: ("A" if w.gold.index(t) % 2 == 0 else "C") for t in checks}
        right = sum(q == "A" for q in truth.values())
        assert report["ann"]["checked"] == 2 and report["ann"]["correct"] == right
        quality = report["ann"]["fields"]["quality"]
        for cls in set(truth.values()):
            n = sum(q == cls for q in truth.values())
            assert quality[cls] == {
                "checked": n,
                "correct": n if cls == "A" else 0,
                "sensitivity": 1.0 if cls == "A" else 0.0,
            }
        # The export and another annotator's claims know nothing of them.
        _, export = call(client, "get", f"/api/v1/projects/{w.project.pk}/export", bearer(w.lead))
        assert all(not i["annotations"] for i in export["items"] if i["id"] in drawn)

    def test_a_gold_check_stays_blind_in_a_project_that_is_not(
        self, gold_team: Any, client: Client
    ) -> None:
        w = gold_team
        w.project.blind = False
        w.project.reveal_outcome = True
        w.project.save()
        task = w.gold[0]
        for user in (w.other, w.lead):
            task.assignments.create(
                user=user, slot=[w.other, w.lead].index(user), batch=9, position=0
            )
            save_annotation(task, user, SINUS)
        task.refresh_from_db()
        assert task.status == "agreed"
        task.assignments.create(user=w.ann, slot=None, gold=True, batch=1, position=0)
        status, body = call(client, "get", f"/api/v1/tasks/{task.pk}", bearer(w.ann))
        assert body["status"] is None and body["final_label"] is None
        # An agreed task still takes the gold check's answer, and stays as it was.
        save_annotation(task, w.ann, POOR)
        task.refresh_from_db()
        assert task.status == "agreed" and task.annotations.count() == 2

    def test_never_a_batch_of_gold_alone(self, gold_team: Any) -> None:
        w = gold_team
        Task.objects.filter(project=w.project).exclude(pk__in=[t.pk for t in w.gold]).delete()
        # Only gold tasks are left to claim: nothing, rather than a batch of checks.
        w.project.gold_rate = 50
        w.project.save()
        Task.objects.filter(pk__in=[t.pk for t in w.gold]).update(status="agreed")
        assert claim_batch(w.project, w.ann) == []
        assert not w.ann.assignments.exists()


class TestTrainingSettings:
    def test_command_api_and_checks(self, icu_alarms: Any, capsys: Any, client: Client) -> None:
        call_command(
            "project",
            "create",
            "cli",
            "--dataset",
            "icu",
            "--template",
            "icu-alarm",
            "--practice-size",
            "5",
            "--practice-pass",
            "60",
            "--gold-rate",
            "10",
        )
        out = capsys.readouterr().out
        assert "a practice test of 5 tasks passed at 60%, 10% hidden gold" in out
        with pytest.raises(CommandError, match="gold_rate: must be a whole number from 0 to 50"):
            call_command("project", "settings", "cli", "--gold-rate", "80")
        call_command("project", "settings", "cli", "--practice-size", "0")
        assert "no practice test" in capsys.readouterr().out
        from wavetag.projects.models import Project

        project = Project.objects.get(name="cli")
        admin = make_member(project, "boss", "admin")
        url = f"/api/v1/projects/{project.pk}"
        status, body = call(client, "patch", url, bearer(admin), {"practice_pass": 0})
        assert status == 400 and body["detail"].startswith("practice_pass: must be")
        status, body = call(
            client, "patch", url, bearer(admin), {"practice_size": 3, "leaderboard_anonymous": True}
        )
        assert status == 200 and body["practice_size"] == 3 and body["leaderboard_anonymous"]
