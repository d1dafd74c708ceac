"""The admin console of a project (project admins and site admins): invitations, members
and roles, progress, the workflow settings, releasing a user's unfinished assignments,
export links, and release bundles built in the background.

Every action is a POST to the service the API and the commands use; a refusal re-renders
the console with the service's message and its status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wavetag.accounts.models import Invitation
from wavetag.accounts.registration import (
    create_invitation,
    deliver_invitation,
    invitation_subject,
    invitation_text,
)
from wavetag.annotations.batches import release as release_assignments
from wavetag.annotations.changes import (
    change_settings,
    has_answers,
    remove_member,
    replace_schema,
)
from wavetag.annotations.gold_checks import gold_report
from wavetag.annotations.models import ReleaseBuild
from wavetag.annotations.progress import project_progress
from wavetag.annotations.release_jobs import request_release
from wavetag.errors import InvalidInput, WavetagError, load_json
from wavetag.projects import access
from wavetag.projects.models import Membership, Project, Role
from wavetag.projects.names import name as role_name
from wavetag.projects.services import add_member, find_user, set_paused
from wavetag.projects.teams import list_teams, without_team

from .guards import View, page_context, workflow_errors

INVITATIONS_SHOWN = 50
RELEASE_BUILDS_SHOWN = 20


def _project(request: HttpRequest, project_id: int) -> Project:
    return access.get_project_for_user(request.user, project_id, needs=Role.ADMIN)


def _console(
    request: HttpRequest, project: Project, *, status: int = 200, **extra: Any
) -> HttpResponse:
    role = access.role_in(request.user, project)
    progress = project_progress(project, request.user, role)
    by_name = {row["username"]: row for row in progress["annotators"]}
    members = [
        {
            "user_id": m.user_id,
            "username": m.user.get_username(),
            "role": m.role,
            "active": m.user.is_active,
            "paused": m.paused_at is not None,
            "progress": by_name.get(m.user.get_username()),
        }
        for m in Membership.objects.filter(project=project).select_related("user")
    ]
    members.sort(key=lambda m: m["username"])
    invitations = Invitation.objects.filter(project=project).select_related("used_by")
    api = f"/api/v1/projects/{project.pk}/export"
    gold = gold_report(project, request.user)
    for row in gold:
        row["classes"] = [
            (f"{name}: {cls}", cell)
            for name, by in row["fields"].items()
            for cls, cell in by.items()
        ]
    context = page_context(
        request,
        project,
        progress=progress,
        members=members,
        roles=Role.values,
        invitations=invitations[:INVITATIONS_SHOWN],
        export_json=f"{api}?format=json",
        export_csv=f"{api}?format=csv",
        schema_locked=has_answers(project),
        gold=gold,
        teams=list_teams(project),
        without_team=without_team(project),
        release_builds=ReleaseBuild.objects.filter(project=project).select_related("requested_by")[
            :RELEASE_BUILDS_SHOWN
        ],
        **{"schema_text": json.dumps(project.schema, indent=2), **extra},
    )
    return render(request, "web/console_project.html", context, status=status)


def _refused(request: HttpRequest, project: Project, exc: WavetagError) -> HttpResponse:
    return _console(request, project, status=exc.status, error=str(exc))


def _back(request: HttpRequest, project: Project) -> HttpResponse:
    """To the console, or home when the change took the console away from the user (they
    removed themselves, or gave themselves a lower role)."""
    if access.has_role(access.role_in(request.user, project), Role.ADMIN):
        return redirect(reverse("console", args=[project.pk]))
    return redirect(reverse("home"))


def console_action(act: Callable[..., str]) -> View:
    """A console form's POST by a project admin: ``act(request, project, ...)`` makes the
    change through its service and says what was done; the service's refusal re-renders
    the console with its message and status, a success goes back to the console."""

    @login_required
    @require_POST
    @workflow_errors
    @wraps(act)
    def view(request: HttpRequest, project_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
        project = _project(request, project_id)
        try:
            done = act(request, project, *args, **kwargs)
        except WavetagError as exc:
            return _refused(request, project, exc)
        messages.success(request, done)
        return _back(request, project)

    return view


def _member(project: Project, user_id: int) -> Membership:
    membership = (
        Membership.objects.filter(project=project, user_id=user_id).select_related("user").first()
        if 0 < user_id <= access.MAX_ID
        else None
    )
    if membership is None:
        raise Http404(_("No such member"))
    return membership


@login_required
@require_GET
@workflow_errors
def console(request: HttpRequest, project_id: int) -> HttpResponse:
    return _console(request, _project(request, project_id))


@never_cache
@login_required
@require_POST
@workflow_errors
def invite(request: HttpRequest, project_id: int) -> HttpResponse:
    """Create an invitation and show its code, this once (only a hash is kept)."""
    project = _project(request, project_id)
    email = request.POST.get("email", "")
    try:
        raw_days = request.POST.get("days", "").strip() or "14"
        try:
            days = float(raw_days)
        except ValueError:
            raise InvalidInput(
                "days: " + _("%(value)r is not a number") % {"value": raw_days}
            ) from None
        invitation, code = create_invitation(
            project,
            request.POST.get("role", ""),
            email=email,
            days=days,
            created_by=request.user,
        )
    except WavetagError as exc:
        return _refused(request, project, exc)
    delivery = deliver_invitation(invitation, code, request.build_absolute_uri(reverse("home")))
    mail = ""
    if delivery.error:
        # The mail server refused: offer the person's own mail program instead.
        body = invitation_text(invitation, code, delivery.link)
        subject = invitation_subject(invitation)
        mail = f"mailto:{quote(invitation.email)}?subject={quote(subject)}&body={quote(body)}"
    created = {
        "code": code,
        "link": delivery.link,
        "mail": mail,
        "emailed": delivery.emailed,
        "mail_error": delivery.error,
        "invitation": invitation,
    }
    return _console(request, project, created=created)


@console_action
def member_add(request: HttpRequest, project: Project) -> str:
    """Add an existing user by name (or change their role if they are a member)."""
    user = find_user(request.POST.get("username", "").strip())
    membership = add_member(project, user, request.POST.get("role", ""))
    return _("%(user)s is %(role)s of %(project)s") % {
        "user": user.get_username(),
        "role": role_name(membership.role),
        "project": project.name,
    }


@console_action
def member_role(request: HttpRequest, project: Project, user_id: int) -> str:
    membership = _member(project, user_id)
    add_member(project, membership.user, request.POST.get("role", ""))
    role = request.POST["role"]
    return _("%(user)s is now %(role)s") % {
        "user": membership.user.get_username(),
        "role": role_name(role),
    }


@console_action
def member_remove(request: HttpRequest, project: Project, user_id: int) -> str:
    """Remove a member: their submitted answers stay, unfinished assignments are released."""
    membership = _member(project, user_id)
    remove_member(project, membership.user)
    return _("%(user)s removed from %(project)s") % {
        "user": membership.user.get_username(),
        "project": project.name,
    }


@console_action
def release(request: HttpRequest, project: Project) -> str:
    """Release the unfinished assignments of one user (``username``), or of everyone
    (``all=1``, so that an empty user name never releases the whole project)."""
    username = request.POST.get("username", "").strip()
    if username:
        user = find_user(username)
        who = username
    elif request.POST.get("all") == "1":
        user, who = None, _("everyone")
    else:
        raise InvalidInput("username: " + _("say whose assignments to release"))
    count = release_assignments(project, user=user)
    text = ngettext(
        "Released %(count)d unfinished assignment of %(who)s",
        "Released %(count)d unfinished assignments of %(who)s",
        count,
    )
    return text % {"count": count, "who": who}


@console_action
def release_bundle(request: HttpRequest, project: Project) -> str:
    """Queue a build of the release bundle (``with_names=1``: with the user names)."""
    build = request_release(project, request.user, with_names=request.POST.get("with_names") == "1")
    return _("Release bundle %(id)s queued: it is listed below, with its download once done") % {
        "id": build.pk
    }


@login_required
@require_POST
@workflow_errors
def schema(request: HttpRequest, project_id: int) -> HttpResponse:
    """Replace the project's label schema with a custom one given as JSON (only before any
    answer: the service refuses otherwise)."""
    project = _project(request, project_id)
    text = request.POST.get("schema", "")
    try:
        raw = load_json(text, "schema")
        replace_schema(project, raw)
    except WavetagError as exc:
        return _console(request, project, status=exc.status, error=str(exc), schema_text=text)
    messages.success(
        request, _("%(project)s now uses its own label schema") % {"project": project.name}
    )
    return _back(request, project)


@console_action
def settings(request: HttpRequest, project: Project) -> str:
    """The settings that may change while the project runs (``update_settings`` says which
    and when): description, batch size, conflict policy, most annotators, outcome shown
    or not, practice and gold, leaderboard, machine suggestions, open to anyone."""
    changes: dict[str, Any] = {
        "description": request.POST.get("description", project.description),
        "conflict_policy": request.POST.get("conflict_policy", ""),
        "reveal_outcome": request.POST.get("reveal_outcome") == "1",
        "leaderboard_anonymous": request.POST.get("leaderboard_anonymous") == "1",
        "machine_suggestions": request.POST.get("machine_suggestions") == "1",
        "open": request.POST.get("open") == "1",
    }
    for name in ("batch_size", "max_annotators", "practice_size", "practice_pass", "gold_rate"):
        raw = request.POST.get(name, "").strip()
        if raw and not (raw.isascii() and raw.isdigit()):
            raise InvalidInput(f"{name}: " + _("%(value)r is not a whole number") % {"value": raw})
        if raw:
            changes[name] = int(raw)
    project = change_settings(project, changes)
    return _("Settings of %(project)s saved") % {"project": project.name}


@console_action
def member_pause(request: HttpRequest, project: Project, user_id: int) -> str:
    """Pause a member (no new batches; what they claimed stays theirs), or resume them."""
    membership = _member(project, user_id)
    paused = request.POST.get("paused") == "1"
    set_paused(membership, paused)
    name = membership.user.get_username()
    text = _("%(user)s paused") if paused else _("%(user)s may claim again")
    return text % {"user": name}
