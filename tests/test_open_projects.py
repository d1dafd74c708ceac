"""Open projects: listed to every signed-in user, joined as annotator with one click or one
API call, left again; closed projects are never listed and never joined (404)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.errors import NotAllowed
from wavetag.projects.models import Membership
from wavetag.projects.services import update_settings
from wavetag.projects.teams import create_team

from .factories import bearer, call, icu_team, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """``icu_team`` with its 12-lead project ``ecg12`` open, ``alarms`` closed, and
    ``walker``, a registered user of no project."""
    w = icu_team()
    w.other = update_settings(w.other, {"open": True})
    w.walker = make_user("walker")
    w.h["walker"] = bearer(w.walker)
    return w


def role(w: Any, project: Any, user: Any) -> str | None:
    return (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    )


class TestCatalogue:
    def test_lists_open_projects_only(self, world: Any, client: Client) -> None:
        status, body = call(client, "get", "/api/v1/projects/open", world.h["walker"])
        assert status == 200 and [p["name"] for p in body["items"]] == ["ecg12"]
        assert body["items"][0]["joined"] is False
        _, body = call(client, "get", "/api/v1/projects/open", world.h["outsider"])
        assert body["items"][0]["joined"] is True
        client.force_login(world.walker)
        page = client.get("/projects/open/").content.decode()
        assert "ecg12" in page and "alarms" not in page
        assert f'data-testid="join-{world.other.pk}"' in page

    def test_needs_a_signed_in_user(self, world: Any, client: Client) -> None:
        assert call(client, "get", "/api/v1/projects/open", {})[0] == 401
        assert client.get("/projects/open/").status_code == 302

    def test_the_home_page_links_to_it(self, world: Any, client: Client) -> None:
        client.force_login(world.walker)
        assert b'data-testid="open-projects-link"' in client.get("/").content


class TestJoin:
    def test_join_by_api_as_annotator(self, world: Any, client: Client) -> None:
        url = f"/api/v1/projects/{world.other.pk}/join"
        status, body = call(client, "post", url, world.h["walker"])
        assert status == 200 and body == {
            "project": world.other.pk,
            "role": "annotator",
            "team": None,
        }
        assert role(world, world.other, world.walker) == "annotator"
        assert claim_batch(world.other, world.walker)

    def test_a_member_keeps_their_role(self, world: Any, client: Client) -> None:
        world.other.memberships.filter(user=world.outsider).update(role="adjudicator")
        url = f"/api/v1/projects/{world.other.pk}/join"
        status, body = call(client, "post", url, world.h["outsider"])
        assert status == 200 and body["role"] == "adjudicator"

    @pytest.mark.parametrize("who", ["walker", "ann1", "lead", "root"])
    def test_a_closed_project_is_not_found(self, world: Any, client: Client, who: str) -> None:
        status, out = call(
            client, "post", f"/api/v1/projects/{world.project.pk}/join", world.h[who]
        )
        assert status == 404 and out["detail"]
        assert role(world, world.project, world.walker) is None

    @pytest.mark.parametrize("project_id", ["0", "999999", "99999999999999999999999", "x"])
    def test_no_500_for_odd_ids(self, world: Any, client: Client, project_id: str) -> None:
        status, _ = call(client, "post", f"/api/v1/projects/{project_id}/join", world.h["walker"])
        assert status in (404, 422)

    def test_join_from_the_page_with_csrf(self, world: Any) -> None:
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(world.walker)
        url = f"/projects/{world.other.pk}/join/"
        assert strict.post(url).status_code == 403
        strict.get("/projects/open/")
        token = strict.cookies["csrftoken"].value
        response = strict.post(url, {"csrfmiddlewaretoken": token})
        assert response.status_code == 302 and response["Location"] == (
            f"/projects/{world.other.pk}/"
        )
        assert role(world, world.other, world.walker) == "annotator"
        closed = strict.post(f"/projects/{world.project.pk}/join/", {"csrfmiddlewaretoken": token})
        assert closed.status_code == 404

    def test_the_practice_test_still_comes_first(self, world: Any, client: Client) -> None:
        update_settings(world.other, {"practice_size": 3})
        call(client, "post", f"/api/v1/projects/{world.other.pk}/join", world.h["walker"])
        with pytest.raises(NotAllowed, match="practice test"):
            claim_batch(world.other, world.walker)
        status, out = call(
            client, "post", f"/api/v1/projects/{world.other.pk}/batches", world.h["walker"]
        )
        assert status == 403 and "practice test" in out["detail"]

    def test_with_teams_joining_puts_nobody_in_a_team(self, world: Any, client: Client) -> None:
        create_team(world.other, "red")
        client.force_login(world.walker)
        response = client.post(f"/projects/{world.other.pk}/join/", follow=True)
        page = response.content.decode()
        assert "a project admin puts you in one" in page
        assert 'data-testid="claim-needs-team"' in page
        status, out = call(
            client, "post", f"/api/v1/projects/{world.other.pk}/batches", world.h["walker"]
        )
        assert status == 403 and "joining a project puts nobody in one" in out["detail"]


class TestLeave:
    def test_leave_by_api(self, world: Any, client: Client) -> None:
        url = f"/api/v1/projects/{world.other.pk}"
        call(client, "post", f"{url}/join", world.h["walker"])
        (task,) = claim_batch(world.other, world.walker)
        assert call(client, "post", f"{url}/leave", world.h["walker"])[0] == 204
        assert role(world, world.other, world.walker) is None
        # Their unfinished assignment went back to the pool.
        assert not task.assignments.exists()
        assert call(client, "get", url, world.h["walker"])[0] == 404
        assert call(client, "post", f"{url}/leave", world.h["walker"])[0] == 404

    def test_leave_from_the_page(self, world: Any, client: Client) -> None:
        client.force_login(world.outsider)
        response = client.post(f"/projects/{world.other.pk}/leave/")
        assert response.status_code == 302 and response["Location"] == "/projects/open/"
        assert role(world, world.other, world.outsider) is None

    def test_the_last_admin_cannot_leave(self, world: Any, client: Client) -> None:
        status, out = call(
            client, "post", f"/api/v1/projects/{world.project.pk}/leave", world.h["lead"]
        )
        assert status == 409 and "last admin" in out["detail"]


class TestSetting:
    def test_admins_open_a_project(self, world: Any, client: Client) -> None:
        url = f"/api/v1/projects/{world.project.pk}"
        status, body = call(client, "patch", url, world.h["lead"], {"open": True})
        assert status == 200 and body["open"] is True
        assert call(client, "patch", url, world.h["ann1"], {"open": False})[0] == 403
        assert call(client, "patch", url, world.h["lead"], {"open": "yes"})[0] == 400

    def test_by_command(self, world: Any, capsys: Any) -> None:
        call_command("project", "settings", "alarms", "--open", "yes")
        assert "open to anyone signed in" in capsys.readouterr().out
        call_command("project", "settings", "alarms", "--open", "no")
        assert "members by invitation only" in capsys.readouterr().out

    def test_by_the_console(self, world: Any, client: Client) -> None:
        client.force_login(world.lead)
        page = client.get(f"/projects/{world.project.pk}/console/").content.decode()
        assert 'data-testid="open"' in page and 'data-testid="teams"' in page
        response = client.post(
            f"/projects/{world.project.pk}/console/settings/",
            {"conflict_policy": "adjudicate", "open": "1"},
        )
        assert response.status_code == 302
        world.project.refresh_from_db()
        assert world.project.open
