"""Teams within a project, and open projects anyone may join.

Teams: a project admin groups members into teams; a member is in at most one team of a
project (the team is on their membership). Once a project has a team, each task's
annotators all come from one team: the first claim of a task fixes its team
(``annotations.batches``), members of other teams never get it, and only that team's
adjudicators list and decide its conflicts (project admins still may). A member in no
team of such a project cannot claim.

Open projects: listed in a catalogue to every signed-in user, who may join one as an
annotator. A project that is not open is never listed, and joining it answers 404 as for
any project outside the user's reach. Joining puts nobody in a team.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput, StateConflict, refuse_nul

from .access import _id
from .models import Membership, Project, Role, Task, Team

MAX_NAME = 100


# -- teams ----------------------------------------------------------------------------------


def has_teams(project: Project) -> bool:
    return Team.objects.filter(project=project).exists()


def team_of(user: Any, project: Project) -> int | None:
    """The id of the user's team in the project (None: in none, or not a member)."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(project=project, user=user)
        .values_list("team_id", flat=True)
        .first()
    )


def other_teams_tasks(project: Project, user: Any, role: str | None) -> QuerySet[Task]:
    """Tasks of the project that belong to a team other than the user's: an adjudicator
    neither lists nor decides them (none for project admins)."""
    if role == Role.ADMIN:
        return Task.objects.none()
    mine = team_of(user, project)
    return Task.objects.filter(project=project, team__isnull=False).exclude(team_id=mine)


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise InvalidInput(
            "name: " + _("must be a text of 1 to %(most)s characters") % {"most": MAX_NAME}
        )
    return refuse_nul("name", name.strip())


def find_team(project: Project, name: Any) -> Team:
    team = Team.objects.filter(project=project, name=_name(name)).first()
    if team is None:
        raise InvalidInput(
            _("team: no team named %(team)s in %(project)s")
            % {"team": repr(name), "project": project.name}
        )
    return team


def create_team(project: Project, name: Any) -> Team:
    name = _name(name)
    try:
        with transaction.atomic():
            return Team.objects.create(project=project, name=name)
    except IntegrityError:
        raise StateConflict(
            "name: "
            + _("%(project)s already has a team named %(name)r")
            % {"project": project.name, "name": name}
        ) from None


def add_to_team(team: Team, user: Any) -> Membership:
    """Put a member of the team's project in the team (moving them from another one).
    Tasks they already claimed keep their team."""
    membership = Membership.objects.filter(project_id=team.project_id, user=user).first()
    if membership is None:
        raise InvalidInput(
            "username: "
            + _("%(user)s is not a member of %(project)s")
            % {"user": user.get_username(), "project": team.project}
        )
    membership.team = team
    membership.save(update_fields=["team"])
    return membership


def remove_from_team(team: Team, user: Any) -> bool:
    """Take a member out of the team; False when they were not in it."""
    return bool(Membership.objects.filter(team=team, user=user).update(team=None))


def list_teams(project: Project) -> list[dict[str, Any]]:
    """Each team with its members (username and role) and how many tasks it holds."""
    teams = Team.objects.filter(project=project).annotate(n=Count("tasks")).order_by("name")
    members: dict[int, list[dict[str, str]]] = {}
    for team_id, username, role in (
        Membership.objects.filter(project=project, team__isnull=False)
        .order_by("user__username")
        .values_list("team_id", "user__username", "role")
    ):
        members.setdefault(team_id, []).append({"username": username, "role": role})
    return [
        {"id": t.pk, "name": t.name, "members": members.get(t.pk, []), "tasks": t.n} for t in teams
    ]


def without_team(project: Project) -> list[str]:
    """Usernames of members in no team (admins left out: they need none to adjudicate)."""
    return list(
        Membership.objects.filter(project=project, team__isnull=True)
        .exclude(role=Role.ADMIN)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


# -- open projects --------------------------------------------------------------------------


def open_projects(user: Any) -> QuerySet[Project]:
    """The catalogue: every open project (annotated ``joined``: the user is a member)."""
    if not user.is_authenticated:
        return Project.objects.none()
    return (
        Project.objects.filter(open=True)
        .select_related("dataset")
        .annotate(joined=Count("memberships", filter=Q(memberships__user=user)))
        .order_by("name")
    )


def join_open_project(user: Any, project_id: int) -> Membership:
    """Make the user an annotator of an open project (a member already keeps their role).
    A project that is not open is not found (404): the catalogue never reveals it."""
    project = Project.objects.filter(pk=_id(project_id), open=True).first()
    if project is None or not user.is_authenticated:
        raise Http404(_("No such project"))
    membership, _created = Membership.objects.get_or_create(
        project=project, user=user, defaults={"role": Role.ANNOTATOR}
    )
    return membership
