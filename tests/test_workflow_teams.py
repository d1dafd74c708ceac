"""Teams: a task's k annotators come from one team, and its conflicts go to that team's
adjudicators (project admins still decide any); the team command and API."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from django.test import Client

from wavetag.annotations.adjudication import adjudication_queue
from wavetag.annotations.batches import claim_batch, release
from wavetag.annotations.review import ReviewFilter, review_annotations
from wavetag.annotations.services import adjudicate, save_annotation
from wavetag.errors import NotAllowed
from wavetag.projects.access import get_task_for_user
from wavetag.projects.models import Task
from wavetag.projects.teams import add_to_team, create_team, team_of

from .factories import bearer, call, make_member, make_project

pytestmark = pytest.mark.django_db

SINUS = {"quality": "A", "rhythm": "sinus", "subcategory": "sinus-normal"}
NOISE = {"quality": "C"}


@pytest.fixture
def teams(holter_100: Any) -> Any:
    """Sixty 30-s segments (k=2, batches of 5); teams red (annotators r1, r2, adjudicator
    rj) and blue (b1, b2, bj); a project admin ``lead`` in no team, and ``loner``, an
    annotator in no team."""
    project = make_project("rhythm", "holter", "wearable-rhythm", batch_size=5)
    w = SimpleNamespace(project=project, lead=make_member(project, "lead", "admin"))
    w.loner = make_member(project, "loner")
    for colour in ("red", "blue"):
        team = create_team(project, colour)
        setattr(w, colour, team)
        c = colour[0]
        for name, role in (
            (f"{c}1", "annotator"),
            (f"{c}2", "annotator"),
            (f"{c}j", "adjudicator"),
        ):
            setattr(w, name, make_member(project, name, role))
            add_to_team(team, getattr(w, name))
    return w


def ids(tasks: Iterable[Task]) -> set[int]:
    return {t.pk for t in tasks}


def conflict(w: Any) -> list[Task]:
    """r1 and r2 disagree on the five tasks they both claim."""
    tasks = claim_batch(w.project, w.r1)
    assert ids(claim_batch(w.project, w.r2)) == ids(tasks)
    for task in tasks:
        save_annotation(task, w.r1, {**SINUS, "status": "submitted"})
        save_annotation(task, w.r2, {**NOISE, "status": "submitted"})
    return list(Task.objects.filter(pk__in=ids(tasks)))


class TestClaimsWithTeams:
    def test_a_tasks_annotators_all_come_from_one_team(self, teams: Any) -> None:
        red = claim_batch(teams.project, teams.r1)
        assert len(red) == 5
        assert set(Task.objects.filter(pk__in=ids(red)).values_list("team", flat=True)) == {
            teams.red.pk
        }
        blue = claim_batch(teams.project, teams.b1)
        # Another team never gets a red task, though red ones are half done (they come
        # first to anyone of red).
        assert len(blue) == 5 and not ids(blue) & ids(red)
        assert ids(claim_batch(teams.project, teams.r2)) == ids(red)
        assert ids(claim_batch(teams.project, teams.b2)) == ids(blue)
        for task in Task.objects.filter(team__isnull=False):
            members = {a.user_id for a in task.assignments.all()}
            team = teams.red if task.team_id == teams.red.pk else teams.blue
            assert members <= set(team.memberships.values_list("user_id", flat=True))

    def test_a_member_in_no_team_cannot_claim(self, teams: Any) -> None:
        with pytest.raises(NotAllowed, match="you are in none yet"):
            claim_batch(teams.project, teams.loner)

    def test_a_released_task_is_free_for_any_team_again(self, teams: Any) -> None:
        red = claim_batch(teams.project, teams.r1)
        assert release(teams.project, user=teams.r1) == 5
        assert not Task.objects.filter(pk__in=ids(red), team__isnull=False).exists()

    def test_moving_a_member_keeps_their_tasks_team(self, teams: Any) -> None:
        red = claim_batch(teams.project, teams.r1)
        add_to_team(teams.blue, teams.r1)
        assert team_of(teams.r1, teams.project) == teams.blue.pk
        assert set(Task.objects.filter(pk__in=ids(red)).values_list("team", flat=True)) == {
            teams.red.pk
        }


class TestConflictsWithTeams:
    def test_routed_to_the_teams_adjudicator_only(self, teams: Any, client: Client) -> None:
        tasks = conflict(teams)
        assert all(t.status == "conflict" for t in tasks)
        assert ids(adjudication_queue(teams.project, teams.rj)) == ids(tasks)
        assert not adjudication_queue(teams.project, teams.bj).exists()
        task = tasks[0]
        with pytest.raises(Http404):
            get_task_for_user(teams.bj, task.pk)
        status, _ = call(
            client,
            "post",
            f"/api/v1/tasks/{task.pk}/adjudication",
            bearer(teams.bj),
            {**SINUS, "comment": "x"},
        )
        assert status == 404
        status, body = call(
            client,
            "post",
            f"/api/v1/tasks/{task.pk}/adjudication",
            bearer(teams.rj),
            {**SINUS, "comment": "sinus"},
        )
        assert status == 200 and body["status"] == "adjudicated", body

    def test_a_project_admin_still_decides(self, teams: Any) -> None:
        tasks = conflict(teams)
        assert ids(adjudication_queue(teams.project, teams.lead)) == ids(tasks)
        adjudicate(tasks[0], teams.lead, {**SINUS, "comment": "sinus"})
        tasks[0].refresh_from_db()
        assert tasks[0].status == "adjudicated"

    def test_another_teams_answers_are_not_in_the_review_list(self, teams: Any) -> None:
        conflict(teams)
        rows, n = review_annotations(teams.project, teams.bj, ReviewFilter())
        assert n == 0 and rows == []
        _, n = review_annotations(teams.project, teams.rj, ReviewFilter())
        assert n == 10

    def test_progress_and_agreement_pages_still_work(self, teams: Any, client: Client) -> None:
        conflict(teams)
        client.force_login(teams.lead)
        for url in ("progress", "agreement"):
            status, _ = call(client, "get", f"/api/v1/projects/{teams.project.pk}/{url}", {})
            assert status == 200, url


class TestTeamCommand:
    def test_create_add_list_remove(self, teams: Any, capsys: Any) -> None:
        call_command("project", "team", "rhythm", "create", "green")
        call_command("project", "team", "rhythm", "add", "green", "loner")
        call_command("project", "team", "rhythm", "list")
        out = capsys.readouterr().out
        assert "created team green" in out and "loner is in team green" in out
        assert "green\t0 tasks\tloner (annotator)" in out
        assert "red\t0 tasks\tr1 (annotator), r2 (annotator), rj (adjudicator)" in out
        call_command("project", "team", "rhythm", "remove", "green", "loner")
        call_command("project", "team", "rhythm", "list")
        assert "in no team: loner" in capsys.readouterr().out

    def test_refusals(self, teams: Any) -> None:
        with pytest.raises(CommandError, match="already has a team named 'red'"):
            call_command("project", "team", "rhythm", "create", "red")
        with pytest.raises(CommandError, match="no team named 'green'"):
            call_command("project", "team", "rhythm", "add", "green", "loner")
        make_member(make_project("other", "holter", "wearable-rhythm"), "stranger")
        with pytest.raises(CommandError, match="stranger is not a member"):
            call_command("project", "team", "rhythm", "add", "red", "stranger")
        with pytest.raises(CommandError, match="loner is not in team red"):
            call_command("project", "team", "rhythm", "remove", "red", "loner")


class TestTeamApi:
    def test_admins_manage_teams(self, teams: Any, client: Client) -> None:
        h, p = bearer(teams.lead), teams.project.pk
        status, body = call(client, "get", f"/api/v1/projects/{p}/teams", h)
        assert status == 200 and [t["name"] for t in body["items"]] == ["blue", "red"]
        assert body["without_team"] == ["loner"]
        status, team = call(client, "post", f"/api/v1/projects/{p}/teams", h, {"name": "green"})
        assert status == 201 and team["name"] == "green"
        url = f"/api/v1/projects/{p}/teams/{team['id']}/members"
        status, body = call(client, "post", url, h, {"username": "loner"})
        assert status == 200 and body["without_team"] == []
        green = next(t for t in body["items"] if t["name"] == "green")
        assert green["members"] == [{"username": "loner", "role": "annotator"}]
        status, body = call(client, "delete", url, h, {"username": "loner"})
        assert status == 200 and body["without_team"] == ["loner"]

    @pytest.mark.parametrize(
        "body",
        [None, [], {"name": ""}, {"name": 3}, {"name": "x" * 101}, {"name": "a\x00"}, {"x": 1}],
    )
    def test_bad_team_names_are_400(self, teams: Any, client: Client, body: Any) -> None:
        url = f"/api/v1/projects/{teams.project.pk}/teams"
        status, out = call(client, "post", url, bearer(teams.lead), body)
        assert status == 400 and out["detail"], out

    def test_other_projects_teams_and_members_are_refused(self, teams: Any, client: Client) -> None:
        other = make_project("other", "holter", "wearable-rhythm")
        boss = make_member(other, "boss", "admin")
        make_member(other, "stranger")
        h = bearer(boss)
        url = f"/api/v1/projects/{other.pk}/teams/{teams.red.pk}/members"
        assert call(client, "post", url, h, {"username": "stranger"})[0] == 404
        own = create_team(other, "own")
        url = f"/api/v1/projects/{other.pk}/teams/{own.pk}/members"
        status, out = call(client, "post", url, h, {"username": "r1"})
        assert status == 400 and "not a member" in out["detail"]
        url = f"/api/v1/projects/{other.pk}/teams/99999999999999999999/members"
        assert call(client, "post", url, h, {"username": "stranger"})[0] in (404, 422)


class TestTeamConsole:
    def test_admins_create_fill_and_empty_teams(self, teams: Any, client: Client) -> None:
        client.force_login(teams.lead)
        base = f"/projects/{teams.project.pk}/console/teams"
        assert client.post(f"{base}/", {"name": "green"}).status_code == 302
        green = teams.project.teams.get(name="green")
        response = client.post(f"{base}/members/", {"team": str(green.pk), "username": "loner"})
        assert response.status_code == 302
        assert team_of(teams.loner, teams.project) == green.pk
        page = client.get(f"/projects/{teams.project.pk}/console/").content.decode()
        assert 'data-testid="team-green"' in page and "loner (annotator)" in page
        response = client.post(f"{base}/{green.pk}/remove/", {"username": "loner"})
        assert response.status_code == 302 and team_of(teams.loner, teams.project) is None

    def test_refusals_are_pages_not_errors(self, teams: Any, client: Client) -> None:
        client.force_login(teams.lead)
        base = f"/projects/{teams.project.pk}/console/teams"
        assert client.post(f"{base}/", {"name": "red"}).status_code == 409
        assert client.post(f"{base}/", {"name": ""}).status_code == 400
        for bad in ("", "x", "0", "99999999999999999999999"):
            status = client.post(f"{base}/members/", {"team": bad, "username": "loner"})
            assert status.status_code == 400, bad
        other = create_team(make_project("other", "holter", "wearable-rhythm"), "theirs")
        response = client.post(f"{base}/members/", {"team": str(other.pk), "username": "loner"})
        assert response.status_code == 404
        assert (
            client.post(f"{base}/{teams.red.pk}/remove/", {"username": "loner"}).status_code == 400
        )

    def test_only_project_admins(self, teams: Any, client: Client) -> None:
        client.force_login(teams.rj)
        base = f"/projects/{teams.project.pk}/console/teams"
        assert client.post(f"{base}/", {"name": "green"}).status_code == 403
        response = client.post(f"{base}/members/", {"team": str(teams.red.pk), "username": "loner"})
        assert response.status_code == 403
        assert team_of(teams.loner, teams.project) is None
