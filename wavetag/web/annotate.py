"""The annotator's pages: a project, claiming a batch, the annotation page, "My
annotations" and an answer's history; and the account pages (registration with an
invitation, joining another project, password change and reset).

Every page calls the same services as the API (``annotations.batches``,
``annotations.services``, ``accounts.registration``) and the access rules of
``projects.access``: a project or task outside the user's reach is a 404. These pages
only ever show the user's own answers, never another annotator's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wavetag.accounts import preferences
from wavetag.accounts.registration import (
    RegistrationError,
    accept_invitation,
    register_with_invitation,
)
from wavetag.accounts.services import user_tokens
from wavetag.annotations import practice, reading, services
from wavetag.annotations.batches import (
    claim_batch,
    claimable,
    following_task,
    next_task,
    unfinished,
)
from wavetag.annotations.listing import list_tasks
from wavetag.annotations.models import Annotation
from wavetag.annotations.progress import project_progress
from wavetag.annotations.task_page import task_page as task_page_data
from wavetag.errors import NotAllowed, WavetagError
from wavetag.projects import access
from wavetag.projects.builtin import ACTION_KEYS
from wavetag.projects.models import Membership, Project, Task
from wavetag.projects.schema_text import shown_schema
from wavetag.projects.services import describe
from wavetag.projects.teams import has_teams, team_of

from .answer_form import (
    answer_from_post,
    body_from_post,
    field_of,
    form_fields,
    summary,
    value_text,
)
from .answers import answer_lines, answer_text, status_text

View = Callable[..., HttpResponse]
STATUS_LABELS = {
    "new": gettext_noop("not started"),
    "draft": gettext_noop("draft"),
    "later": gettext_noop("saved for later"),
    "submitted": gettext_noop("submitted"),
}


def workflow_errors(view: View) -> View:
    """A refusal by a service becomes a page with its message (403 for a role too low,
    409 for the wrong state), never a traceback."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except WavetagError as exc:
            if _wants_json(request):
                return JsonResponse(
                    {"error": str(exc), "field": field_of(str(exc))}, status=exc.status
                )
            return render(
                request, "web/project_error.html", {"message": str(exc)}, status=exc.status
            )

    return wrapper


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# -- project ---------------------------------------------------------------------------


def _my_progress(project: Project, user: Any, role: str | None) -> dict[str, Any]:
    progress = project_progress(project, user, role)
    mine = next(
        (r for r in progress["annotators"] if r["username"] == user.get_username()),
        {"claimed": 0, "done": 0, "in_progress": 0, "later": 0},
    )
    return {"totals": progress["totals"], "mine": mine}


@login_required
@require_GET
@workflow_errors
def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id)
    role = access.role_in(request.user, project)
    resume = next_task(project, request.user)
    context = {
        "project": project,
        "info": describe(project, role),
        "schema": project.schema,
        "progress": _my_progress(project, request.user, role),
        "resume": resume,
        "left": len(unfinished(project, request.user)),
        # Offer a claim only when it would give something.
        "claimable": min(claimable(project, request.user).count(), project.batch_size),
        "practice": practice.state(project, request.user),
        "no_team": has_teams(project) and team_of(request.user, project) is None,
    }
    return render(request, "web/project_detail.html", context)


@login_required
@require_POST
@workflow_errors
def claim(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id)
    try:
        tasks = claim_batch(project, request.user)
    except WavetagError as exc:
        messages.error(request, str(exc))
        return redirect("project", project_id=project.pk)
    if not tasks:
        messages.info(request, gettext("No task needs annotators right now."))
        return redirect("project", project_id=project.pk)
    n = len(tasks)
    messages.success(
        request, ngettext("New batch: %(n)d task.", "New batch: %(n)d tasks.", n) % {"n": n}
    )
    return redirect("task", task_id=next_task(project, request.user).pk)  # type: ignore[union-attr]


@login_required
@require_GET
@workflow_errors
def resume(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id)
    task = next_task(project, request.user)
    if task is None:
        messages.info(request, gettext("Your batch is done: claim a new one."))
        return redirect("project", project_id=project.pk)
    return redirect("task", task_id=task.pk)


@login_required
@require_GET
@workflow_errors
def mine(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id)
    rows, _count = list_tasks(
        project, request.user, access.role_in(request.user, project), mine=True, limit=10000
    )
    answers = dict(
        Annotation.everything.filter(task__project=project, user=request.user).values_list(
            "task_id", "answer"
        )
    )
    groups: dict[str, list[dict[str, Any]]] = {"todo": [], "later": [], "done": []}
    for row in rows:
        status = row["mine"]["status"]
        row["status_label"] = gettext(STATUS_LABELS[status]) if status in STATUS_LABELS else status
        row["summary"] = summary(project.schema, answers.get(row["id"]) or {})
        key = {"submitted": "done", "later": "later"}.get(status, "todo")
        groups[key].append(row)
    context = {"project": project, "groups": groups, "count": len(rows)}
    return render(request, "web/mine_list.html", context)


# -- task ------------------------------------------------------------------------------


def _task_context(
    request: HttpRequest,
    task: Task,
    answer: dict[str, Any] | None = None,
    acc: access.TaskAccess | None = None,
) -> dict[str, Any]:
    """The task page's data, and for an assignee the form with their answer (or, after a
    refused save, what they entered)."""
    context = task_page_data(task, request.user, acc)
    context.update(action_keys=ACTION_KEYS, schema=task.project.schema)
    if context.get("frozen"):
        context["own_lines"] = answer_lines(task.project.schema, context["annotation"].answer)
        outcome = context.get("outcome")
        if outcome and outcome["final_label"]:
            context["outcome_text"] = answer_text(task.project.schema, outcome["final_label"])
    if context["assignment"] is not None:
        own = context["annotation"]
        shown = answer if answer is not None else (own.answer if own else {})
        suggestion = context.get("suggestion")
        # A form the annotator never saved starts from the machine's suggestions; once they
        # saved, their own answer shows (with the suggested items still marked).
        prefilled = suggestion is not None and answer is None and own is None
        if suggestion is not None and prefilled:
            shown = suggestion["answer"]
        fields = form_fields(task.project.schema, shown)
        if suggestion is not None:
            _mark_suggested(fields, suggestion)
        context.update(
            fields=fields,
            prefilled=prefilled,
            comment=own.comment if own and answer is None else request.POST.get("comment", ""),
        )
    return context


def _mark_suggested(fields: list[dict[str, Any]], suggestion: dict[str, Any]) -> None:
    """Mark the choices the machine suggested, so that the form shows whose they are."""
    suggested = {(s["field"], s["choice"]) for s in suggestion["statements"] if s["field"]}
    for f in fields:
        for c in f.get("choices", []):
            c["machine"] = (f["name"], c["value"]) in suggested


@login_required
@require_http_methods(["GET", "POST"])
@workflow_errors
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    """GET: the task with the viewer and, for its annotator, the answer form. POST: save the
    answer and open the next unfinished task of the batch (saved for later too: the draft is
    kept on the server), or the project page when none is left.
    Answers JSON to a script that asks for it, the same save either way."""
    task, acc = access.get_task_for_user(request.user, task_id)
    if request.method == "GET":
        return render(request, "web/task_annotate.html", _task_context(request, task, acc=acc))
    body = body_from_post(task.project.schema, request.POST)
    try:
        annotation = services.save_annotation(task, request.user, body)
    except NotAllowed:
        raise
    except WavetagError as exc:
        message = str(exc)
        if _wants_json(request):
            return JsonResponse({"error": message, "field": field_of(message)}, status=exc.status)
        context = _task_context(request, task, answer_from_post(task.project.schema, request.POST))
        context.update(error=message, error_field=field_of(message), state="error")
        return render(request, "web/task_annotate.html", context, status=exc.status)
    following = following_task(task.project, request.user, task)
    if following is not None:
        target = reverse("task", args=[following.pk])
    else:
        target = reverse("project", args=[task.project_id])
        if annotation.status == "submitted":
            messages.success(request, _("Batch done. Claim a new batch to go on."))
    if annotation.status != "submitted" and not _wants_json(request):
        messages.success(request, _("Saved for later."))
    if _wants_json(request):
        return JsonResponse(
            {
                "status": annotation.status,
                "updated_at": annotation.updated_at.isoformat(),
                "next": target,
            }
        )
    return redirect(target)


def _beats_text(part: Any) -> str:
    if not isinstance(part, dict):
        return ""
    return _("%(count)s beats in set %(set)s (edit %(edits)s)") % {
        "count": part.get("count"),
        "set": part.get("set"),
        "edits": part.get("edits"),
    }


def _change(fields: dict[str, Any], key: str, before: Any, after: Any) -> dict[str, str]:
    """One change of a revision in words: "Decision: True: a real event -> Uncertain"."""
    name = key.removeprefix("answer.")
    field = fields.get(name)
    if name == "beats":  # a beat task's corrected set, as it was at that revision
        return {"name": _("Beats"), "before": _beats_text(before), "after": _beats_text(after)}
    if field is None:  # status or comment
        if name == "status":
            before, after = status_text(before or ""), status_text(after or "")
        title = {"status": _("Status"), "comment": _("Comment")}.get(name, name)
        return {"name": title, "before": str(before or ""), "after": str(after or "")}
    return {
        "name": field["label"],
        "before": value_text(field, before),
        "after": value_text(field, after),
    }


@login_required
@require_POST
@workflow_errors
def change_request(request: HttpRequest, task_id: int) -> HttpResponse:
    """An annotator asks the adjudicator to change their frozen answer."""
    task, _acc = access.get_task_for_user(request.user, task_id)
    try:
        services.request_change(task, request.user, request.POST.get("text", ""))
    except NotAllowed:
        raise
    except WavetagError as exc:
        context = _task_context(request, task)
        context.update(error=str(exc))
        return render(request, "web/task_annotate.html", context, status=exc.status)
    messages.success(request, _("Your request went to the adjudicators."))
    return redirect("task", task_id=task.pk)


@login_required
@require_GET
@workflow_errors
def task_history(request: HttpRequest, task_id: int) -> HttpResponse:
    task, acc = access.get_task_for_user(request.user, task_id)
    # Only the user's own revisions, even for an adjudicator allowed to see everyone's:
    # this page belongs to the annotator's side, and never shows another's answer.
    me = request.user.get_username()
    items = [
        item
        for item in reading.history(task, request.user, acc)
        if item["kind"] == "annotation" and item["annotator"] == me
    ]
    fields = {f["name"]: f for f in shown_schema(task.project.schema)["fields"]}
    for item in items:
        item["status"] = status_text(item["status"])
        item["change_list"] = [
            _change(fields, key, before, after) for key, (before, after) in item["changes"].items()
        ]
    context = {"task": task, "project": task.project, "items": items}
    return render(request, "web/task_history.html", context)


# -- account ---------------------------------------------------------------------------

REGISTER_FIELDS = ("code", "username", "email", "password1", "password2")


def _field_error(exc: RegistrationError) -> tuple[str, str]:
    field, _colon, text = str(exc).partition(":")
    field = {"password": "password1"}.get(field.strip(), field.strip())
    return (field if field in REGISTER_FIELDS else "code"), text.strip()


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Register with an invitation code (also reached from the e-mail link with ?code=);
    a user already logged in joins the invitation's project instead."""
    if request.user.is_authenticated:
        url = reverse("account_accept")
        code = request.GET.get("code", "")[:64]
        return redirect(f"{url}?{urlencode({'code': code})}" if code else url)
    values = {name: request.POST.get(name, "") for name in REGISTER_FIELDS}
    errors: dict[str, str] = {}
    if request.method == "GET":
        values["code"] = request.GET.get("code", "")[:64]
    else:
        if values["password1"] != values["password2"]:
            errors["password2"] = gettext("the two passwords differ")
        else:
            try:
                user = register_with_invitation(
                    values["code"], values["username"], values["password1"], values["email"]
                )
            except RegistrationError as exc:
                field, text = _field_error(exc)
                errors[field] = text
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                membership = Membership.objects.filter(user=user).first()
                messages.success(request, gettext("Welcome! Your account is ready."))
                if membership is not None:
                    return redirect("project", project_id=membership.project_id)
                return redirect("home")
    values["password1"] = values["password2"] = ""
    join = reverse("account_accept")
    if values["code"]:
        join += "?" + urlencode({"code": values["code"]})
    login_url = f"{reverse('login')}?{urlencode({'next': join})}"
    context = {"values": values, "errors": errors, "login_url": login_url}
    return render(request, "web/account_register.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("code") if request.method == "POST" else request.GET.get("code")
    error = ""
    if request.method == "POST":
        try:
            project = accept_invitation(code or "", request.user)
        except RegistrationError as exc:
            error = _field_error(exc)[1]
        else:
            messages.success(
                request, gettext("You joined %(project)s.") % {"project": project.name}
            )
            return redirect("project", project_id=project.pk)
    context = {"code": (code or "")[:64], "error": error}
    return render(request, "web/account_accept.html", context, status=400 if error else 200)


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("project")
    language, time_zone = preferences.saved(request.user)
    context = {
        "memberships": memberships,
        "tokens": user_tokens(request.user),
        "preferences": {"language": language, "time_zone": time_zone},
        "time_zones": preferences.time_zone_names(),
        "site_time_zone": settings.TIME_ZONE,
    }
    return render(request, "web/account_home.html", context)
