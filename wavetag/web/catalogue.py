"""The catalogue of open projects: every signed-in user sees them and joins one as an
annotator with one click, or leaves a project (``wavetag.projects.teams``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wavetag.annotations.changes import leave_project
from wavetag.errors import StateConflict
from wavetag.projects import access
from wavetag.projects.names import name as role_name
from wavetag.projects.teams import has_teams, join_open_project, open_projects

from .guards import workflow_errors


@login_required
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(request, "web/open_projects.html", {"projects": open_projects(request.user)})


@login_required
@require_POST
@workflow_errors
def join(request: HttpRequest, project_id: int) -> HttpResponse:
    """Join an open project as annotator (a project that is not open: 404)."""
    membership = join_open_project(request.user, project_id)
    project = membership.project
    text = _("You are %(role)s of %(project)s.") % {
        "role": role_name(membership.role),
        "project": project.name,
    }
    if has_teams(project) and membership.team_id is None:
        text += " " + _("Its tasks go to teams: a project admin puts you in one before you claim.")
    messages.success(request, text)
    return redirect("project", project_id=project.pk)


@login_required
@require_POST
@workflow_errors
def leave(request: HttpRequest, project_id: int) -> HttpResponse:
    """Leave a project: submitted answers stay, unfinished assignments are released."""
    project = access.get_project_for_user(request.user, project_id)
    if not leave_project(project, request.user):
        raise StateConflict(_("you are not a member of this project (site admins see them all)"))
    messages.success(request, _("You left %(project)s.") % {"project": project.name})
    return redirect("open-projects")
