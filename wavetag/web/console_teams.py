"""The Teams section of a project's admin console: creating teams, putting members in
them and taking them out (the services of ``wavetag.projects.teams``)."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput
from wavetag.projects import access
from wavetag.projects.models import Project, Team
from wavetag.projects.services import find_user
from wavetag.projects.teams import add_to_team, create_team, remove_from_team

from .console import console_action


def _team(project: Project, raw: str) -> Team:
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= access.MAX_ID):
        raise InvalidInput("team: " + _("choose a team"))
    team = Team.objects.filter(project=project, pk=int(raw)).first()
    if team is None:
        raise Http404(_("No such team"))
    return team


@console_action
def team_create(request: HttpRequest, project: Project) -> str:
    team = create_team(project, request.POST.get("name", ""))
    return _("Team %(team)s created") % {"team": team.name}


@console_action
def team_add(request: HttpRequest, project: Project) -> str:
    """Put a member in a team (moving them from another one)."""
    team = _team(project, request.POST.get("team", ""))
    user = find_user(request.POST.get("username", "").strip())
    add_to_team(team, user)
    return _("%(user)s is in team %(team)s") % {"user": user.get_username(), "team": team.name}


@console_action
def team_remove(request: HttpRequest, project: Project, team_id: int) -> str:
    team = _team(project, str(team_id))
    user = find_user(request.POST.get("username", "").strip())
    if not remove_from_team(team, user):
        raise InvalidInput(
            "username: "
            + _("%(user)s is not in team %(team)s")
            % {"user": user.get_username(), "team": team.name}
        )
    return _("%(user)s taken out of team %(team)s") % {
        "user": user.get_username(),
        "team": team.name,
    }
