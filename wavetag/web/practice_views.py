"""The practice test page: gold tasks one by one, the viewer and the answer form, and
after each answer whether it was right, the expert's answer and why.

Over the same services as ``/api/v1/projects/{id}/practice`` (``annotations.practice``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wavetag.annotations import practice
from wavetag.annotations.models import GoldAnswer, PracticeAttempt
from wavetag.annotations.viewer import viewer_config
from wavetag.errors import NotAllowed, WavetagError
from wavetag.projects import access
from wavetag.projects.builtin import ACTION_KEYS

from .answer_form import body_from_post, form_fields
from .answers import answer_lines
from .guards import page_context, workflow_errors


@login_required
@require_GET
@workflow_errors
def practice_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """The state of the user's practice test; the next item of their attempt; and, after
    an answer (``?item=``), the feedback on it."""
    project = access.get_project_for_user(request.user, project_id)
    user = request.user
    state = practice.state(project, user)
    context: dict[str, Any] = {"state": state}
    shown = request.GET.get("item", "")
    if shown.isascii() and shown.isdigit():
        done = practice.get_item(user, int(shown))
        if done.answered_at is not None and done.attempt.project_id == project.pk:
            gold = GoldAnswer.objects.filter(task_id=done.task_id).first()
            context["feedback"] = {
                "item": done,
                "correct": done.correct,
                "mine": answer_lines(project.schema, done.answer),
                "expected": answer_lines(project.schema, gold.answer) if gold else [],
                "explanation": gold.explanation if gold else "",
            }
    attempt = PracticeAttempt.objects.filter(
        project=project, user=user, finished_at__isnull=True
    ).first()
    item = practice.next_item(attempt) if attempt is not None else None
    if item is not None and "feedback" not in context:
        task = item.task
        context.update(
            item=item,
            task=task,
            position=item.position + 1,
            size=attempt.size if attempt else 0,
            fields=form_fields(project.schema, {}),
            action_keys=ACTION_KEYS,
            config=viewer_config(task.record, user, event=task.event_time, window=task.view_window),
        )
    elif item is not None:
        context["next_item"] = item
    return render(request, "web/practice.html", page_context(request, project, **context))


@login_required
@require_POST
@workflow_errors
def practice_start(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id)
    try:
        practice.start(project, request.user)
    except NotAllowed:
        raise
    except WavetagError as exc:
        messages.error(request, str(exc))
    return redirect("practice", project_id=project.pk)


@login_required
@require_POST
@workflow_errors
def practice_answer(request: HttpRequest, item_id: int) -> HttpResponse:
    item = practice.get_item(request.user, item_id)
    project = access.get_project_for_user(request.user, item.attempt.project_id)
    try:
        out = practice.answer(item, request.user, body_from_post(project.schema, request.POST))
    except NotAllowed:
        raise
    except WavetagError as exc:
        messages.error(request, str(exc))
        return redirect("practice", project_id=project.pk)
    attempt = out["attempt"]
    if attempt["finished"]:
        values = {k: attempt[k] for k in ("attempt", "correct", "size")}
        if attempt["passed"]:
            text = _("Attempt %(attempt)s: %(correct)s of %(size)s correct, passed.")
        else:
            text = _("Attempt %(attempt)s: %(correct)s of %(size)s correct, not passed.")
        messages.info(request, text % values)
    return redirect(f"/projects/{project.pk}/practice/?item={item.pk}")
