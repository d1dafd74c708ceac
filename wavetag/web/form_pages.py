"""Pages of form tasks that differ from other kinds: the adjudication of a task whose
answers are a schema's fields (every annotation, the history and the decision form).

The data comes from the task's kind in one call (``annotations.kinds``); this module
only formats it and reads the decision form. The rules (who may decide, what an answer
may hold) are the service's, as for ``POST /api/v1/tasks/{id}/adjudication``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wavetag.annotations import services
from wavetag.annotations.kinds import kind_of
from wavetag.errors import WavetagError
from wavetag.projects.access import TaskAccess
from wavetag.projects.models import Task

from .answers import (
    REASONS,
    answer_from_form,
    answer_lines,
    answer_text,
    change_lines,
    event_text,
    form_fields,
    form_values,
)
from .guards import next_in_queue, project_links


def _page(
    task: Task,
    data: dict[str, Any],
    *,
    values: dict[str, Any] | None = None,
    comment: str = "",
    error: str = "",
) -> dict[str, Any]:
    """The page context from the kind's data: answers, history and the form, as text."""
    schema = task.project.schema
    for a in data["annotations"]:
        a["lines"] = answer_lines(schema, a["answer"])
        a["json_id"] = f"answer-{a['id']}"
    for item in data["history"]:
        if item["kind"] == "event":
            item["text"] = event_text(schema, item["status"], item["answer"])
        else:
            item["text"] = answer_text(schema, item["answer"])
        item["change_lines"] = change_lines(schema, item["changes"])
    own = data["own"]
    if values is None:
        values = form_values(schema, data["last_answer"])
    return {
        **data,
        "final": answer_text(schema, task.final_label)
        if task.is_final and data["status"] is not None
        else "",
        "reason_text": REASONS.get(data["reason"], ""),
        "own_lines": answer_lines(schema, own.answer) if own else [],
        "fields": form_fields(schema, values),
        "comment": comment,
        "error": error,
    }


def adjudicate(request: HttpRequest, task: Task, acc: TaskAccess) -> HttpResponse:
    """GET: the task, every annotation, the history and the decision form. POST: decide,
    then the next task of the queue; a refused decision shows the form again with what
    was entered and the reason."""
    user, kind = request.user, kind_of(task.project)
    links = project_links(task.project, acc.role)
    if request.method == "GET":
        data = kind.adjudication_page(task, user, acc)
        return render(request, "web/adjudicate_labels.html", {**links, **_page(task, data)})
    schema = task.project.schema
    form = answer_from_form(schema, request.POST)
    try:
        decision = services.adjudicate(task, user, form)
    except WavetagError as exc:
        answer = {k: v for k, v in form.items() if k != "comment"}
        data = kind.adjudication_page(task, user, acc)
        context = _page(
            task, data, values=form_values(schema, answer), comment=form["comment"], error=str(exc)
        )
        return render(
            request, "web/adjudicate_labels.html", {**links, **context}, status=exc.status
        )
    messages.success(
        request,
        _("Task %(task)s adjudicated: %(label)s")
        % {"task": task.pk, "label": answer_text(schema, decision.final_label)},
    )
    return redirect(next_in_queue(task.project, user))
