"""The Teams section of a project's admin console: creating teams, putting members in
them and taking them out (the services of ``wavetag.projects.teams``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wavetag.errors import InvalidInput, WavetagError
from wavetag.projects import access
from wavetag.projects.models import Project, Team
from wavetag.projects.services import find_user
from wavetag.projects.teams import add_to_team, create_team, remove_from_team

from .console import _back, _project, _refused
from .guards import workflow_errors


def _team(project: Project, raw: str) -> Team:
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= access.MAX_ID):
        raise InvalidInput("team: " + _("choose a team"))
    team = Team.objects.filter(project=project, pk=int(raw)).first()
    if team is None:
        raise Http404(_("No such team"))
    return team


@login_required
@require_POST
@workflow_errors
def team_create(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    try:
        team = create_team(project, request.POST.get("name", ""))
    except WavetagError as exc:
        return _refused(request, project, exc)
    messages.success(request, _("Team %(team)s created") % {"team": team.name})
    return _back(request, project)


@login_required
@require_POST
@workflow_errors
def team_add(request: HttpRequest, project_id: int) -> HttpResponse:
    """Put a member in a team (moving them from another one)."""
    project = _project(request, project_id)
    try:
        team = _team(project, request.POST.get("team", ""))
        user = find_user(request.POST.get("username", "").strip())
        add_to_team(team, user)
    except WavetagError as exc:
        return _refused(request, project, exc)
    messages.success(
        request,
        _("%(user)s is in team %(team)s") % {"user": user.get_username(), "team": team.name},
    )
    return _back(request, project)


@login_required
@require_POST
@workflow_errors
def team_remove(request: HttpRequest, project_id: int, team_id: int) -> HttpResponse:
    project = _project(request, project_id)
    team = _team(project, str(team_id))
    try:
        user = find_user(request.POST.get("username", "").strip())
        if not remove_from_team(team, user):
            raise InvalidInput(
                "username: "
                + _("%(user)s is not in team %(team)s")
                % {"user": user.get_username(), "team": team.name}
            )
    except WavetagError as exc:
        return _refused(request, project, exc)
    messages.success(
        request,
        _("%(user)s taken out of team %(team)s") % {"user": user.get_username(), "team": team.name},
    )
    return _back(request, project)
