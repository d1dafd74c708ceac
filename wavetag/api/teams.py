"""Teams of a project (project admins), and open projects: the catalogue, joining and
leaving (the services of ``wavetag.projects.teams``, as the command and the console)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from wavetag.annotations.changes import leave_project
from wavetag.errors import InvalidInput, StateConflict
from wavetag.projects import access
from wavetag.projects.models import Role, Team
from wavetag.projects.services import find_user
from wavetag.projects.teams import (
    add_to_team,
    create_team,
    join_open_project,
    list_teams,
    open_projects,
    remove_from_team,
    without_team,
)

from .projects import Status, _body_schema, json_body
from .users import api_user

router = Router(tags=["teams"])


class TeamMember(Schema):
    username: str
    role: str


class TeamOut(Schema):
    id: int
    name: str
    members: list[TeamMember]
    tasks: int = Field(description="tasks whose annotators come from this team")


class TeamList(Schema):
    items: list[TeamOut]
    without_team: list[str] = Field(description="annotators and adjudicators in no team")


class TeamIn(Schema):
    name: str


class MemberIn(Schema):
    username: str


class OpenProject(Schema):
    id: int
    name: str
    description: str
    dataset: str
    practice_test: bool = Field(description="a practice test comes before the first claim")
    joined: bool = Field(description="you are a member")


class OpenList(Schema):
    items: list[OpenProject]
    count: int


class JoinOut(Schema):
    project: int
    role: str
    team: str | None = Field(description="your team (joining puts nobody in one)")


def _field(body: Any, name: str) -> Any:
    if not isinstance(body, dict):
        raise InvalidInput("body: must be a JSON object")
    unknown = set(body) - {name}
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: unknown ({name})")
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: required, a text")
    return value


def _team(project_id: int, team_id: int, user: Any) -> Team:
    project = access.get_project_for_user(user, project_id, needs=Role.ADMIN)
    team = Team.objects.filter(project=project, pk=access._id(team_id)).first()
    if team is None:
        raise Http404("No such team")
    return team


def _teams(project: Any) -> dict[str, Any]:
    return {"items": list_teams(project), "without_team": without_team(project)}


@router.get("/projects/open", response=OpenList, summary="Open projects anyone may join")
def get_open_projects(request: HttpRequest) -> dict[str, Any]:
    items = [
        {
            "id": p.pk,
            "name": p.name,
            "description": p.description,
            "dataset": p.dataset.name,
            "practice_test": p.practice_size > 0,
            "joined": bool(p.joined),
        }
        for p in open_projects(api_user(request))
    ]
    return {"items": items, "count": len(items)}


@router.post(
    "/projects/{project_id}/join",
    response=JoinOut,
    summary="Join an open project as annotator",
    description="404 for a project that is not open. A member already keeps their role. "
    "A practice test, where the project sets one, still comes before the first claim.",
)
def post_join(request: HttpRequest, project_id: int) -> dict[str, Any]:
    membership = join_open_project(api_user(request), project_id)
    return {
        "project": membership.project_id,
        "role": membership.role,
        "team": membership.team.name if membership.team else None,
    }


@router.post(
    "/projects/{project_id}/leave",
    response={204: None},
    summary="Leave a project",
    description="Submitted answers stay; unfinished assignments are released. 409 for the "
    "project's last admin.",
)
def post_leave(request: HttpRequest, project_id: int) -> Any:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    if not leave_project(project, user):
        raise StateConflict("you are not a member of this project (site admins see them all)")
    return Status(204, None)


@router.get("/projects/{project_id}/teams", response=TeamList, summary="Teams (project admins)")
def get_teams(request: HttpRequest, project_id: int) -> dict[str, Any]:
    project = access.get_project_for_user(api_user(request), project_id, needs=Role.ADMIN)
    return _teams(project)


@router.post(
    "/projects/{project_id}/teams",
    response={201: TeamOut},
    summary="Create a team (project admins)",
    description="Once a project has a team, each task's annotators come from one team and "
    "its conflicts go to that team's adjudicators; members in no team cannot claim.",
    openapi_extra=_body_schema(TeamIn),
)
def post_team(request: HttpRequest, project_id: int) -> Any:
    project = access.get_project_for_user(api_user(request), project_id, needs=Role.ADMIN)
    team = create_team(project, _field(json_body(request), "name"))
    return Status(201, {"id": team.pk, "name": team.name, "members": [], "tasks": 0})


@router.post(
    "/projects/{project_id}/teams/{team_id}/members",
    response=TeamList,
    summary="Put a member in a team (project admins)",
    description="A member is in at most one team: this moves them from another one. Tasks "
    "they claimed keep their team.",
    openapi_extra=_body_schema(MemberIn),
)
def post_team_member(request: HttpRequest, project_id: int, team_id: int) -> dict[str, Any]:
    team = _team(project_id, team_id, api_user(request))
    add_to_team(team, find_user(_field(json_body(request), "username")))
    return _teams(team.project)


@router.delete(
    "/projects/{project_id}/teams/{team_id}/members",
    response=TeamList,
    summary="Take a member out of a team (project admins)",
    openapi_extra=_body_schema(MemberIn),
)
def delete_team_member(request: HttpRequest, project_id: int, team_id: int) -> dict[str, Any]:
    team = _team(project_id, team_id, api_user(request))
    user = find_user(_field(json_body(request), "username"))
    if not remove_from_team(team, user):
        raise InvalidInput(f"username: {user.get_username()} is not in team {team.name}")
    return _teams(team.project)
