"""Expert pages: the adjudication queue and a task's adjudication, discussion threads, and
the review of every annotation with flags.

Each page gets its project or task through ``wavetag.projects.access`` (outside the
user's projects: 404; role too low: 403, as the API answers) and acts through the same
service functions as the API, so every rule holds here without being repeated.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wavetag.analysis.findings import page_findings
from wavetag.annotations import adjudication, reading, services
from wavetag.annotations.listing import list_tasks, queue_rows
from wavetag.annotations.models import Adjudication, Annotation, DiscussionPost, Flag
from wavetag.annotations.review import ReviewFilter, label_options, review_annotations
from wavetag.errors import InvalidInput, WavetagError
from wavetag.projects import access
from wavetag.projects.beat_schema import is_beat_schema
from wavetag.projects.models import Project, Role, Task, TaskStatus

from . import beat_pages
from .answers import (
    answer_from_form,
    answer_lines,
    answer_text,
    change_lines,
    form_fields,
    form_values,
)
from .guards import back_to, page_context, workflow_errors
from .views import viewer_config

QUEUE_ROWS = 500
LIST_ROWS = 200


def _page(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10**6 else 1


def _next_in_queue(project: Project, user: Any) -> str:
    task = adjudication.adjudication_queue(project, user).first()
    if task is None:
        return reverse("adjudication-queue", args=[project.pk])
    return reverse("adjudicate", args=[task.pk])


# -- adjudication ---------------------------------------------------------------------------


@login_required
@require_GET
@workflow_errors
def adjudication_queue(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, needs=Role.ADJUDICATOR)
    queue = adjudication.adjudication_queue(project, request.user)
    count = queue.count()
    rows = queue_rows(queue[:QUEUE_ROWS])
    flagged = dict(
        Flag.objects.filter(
            annotation__task_id__in=[r["id"] for r in rows], resolved_at__isnull=True
        )
        .values_list("annotation__task_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        row["flags"] = flagged.get(row["id"], 0)
    context = page_context(request, project, rows=rows, count=count, shown=len(rows))
    return render(request, "web/adjudicate_queue.html", context)


def _adjudication_context(
    request: HttpRequest,
    task: Task,
    acc: access.TaskAccess,
    *,
    values: dict[str, Any] | None = None,
    comment: str | None = None,
    error: str = "",
) -> dict[str, Any]:
    user, project = request.user, task.project
    schema = project.schema
    annotations = reading.all_annotations(task, acc) if acc.sees_all else []
    for a in annotations:
        a["lines"] = answer_lines(schema, a["answer"])
        a["json_id"] = f"answer-{a['id']}"
    own = reading.own_annotation(task, user) if acc.assigned else None
    items = reading.history(task, user, acc)
    for item in items:
        item["text"] = answer_text(schema, item["answer"])
        item["change_lines"] = change_lines(schema, item["changes"])
    try:
        adjudication.check_adjudicable(task, acc)
        refusal = ""
    except WavetagError as exc:
        refusal = str(exc)
    last = Adjudication.objects.filter(task=task).order_by("-created_at", "-id").first()
    if values is None:
        values = form_values(schema, last.answer if last else None)
    queue = adjudication.adjudication_queue(project, user)
    in_queue = queue.filter(pk=task.pk).exists()
    return page_context(
        request,
        project,
        task=task,
        status=access.shown_status(task, acc),
        final=answer_text(schema, task.final_label) if task.is_final else "",
        annotations=annotations,
        own=own,
        own_lines=answer_lines(schema, own.answer) if own else [],
        history=items,
        fields=form_fields(schema, values),
        comment=comment if comment is not None else "",
        refusal=refusal,
        error=error,
        may_skip=acc.assigned or not refusal,
        in_queue=in_queue,
        queue_left=queue.count() - int(in_queue),
        config=viewer_config(task.record, user, task.event_time),
        auto=page_findings(
            task.record,
            None if project.task_mode == "record" else (task.window_start, task.window_end),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
@workflow_errors
def adjudicate(request: HttpRequest, task_id: int) -> HttpResponse:
    """GET: the task, every annotation, the history and the decision form. POST: decide
    (the service validates like POST /api/v1/tasks/{id}/adjudication), then the next
    task of the queue."""
    task, acc = access.get_task_for_user(request.user, task_id)
    access.require_role(request.user, task.project, Role.ADJUDICATOR)
    if is_beat_schema(task.project.schema):
        if request.method == "GET":
            return beat_pages.adjudicate_page(request, task, acc)
        return beat_pages.adjudicate_post(request, task, acc)
    if request.method == "GET":
        context = _adjudication_context(request, task, acc)
        return render(request, "web/adjudicate_task.html", context)
    schema = task.project.schema
    data = answer_from_form(schema, request.POST)
    try:
        decision = services.adjudicate(task, request.user, data)
    except WavetagError as exc:
        answer = {k: v for k, v in data.items() if k != "comment"}
        context = _adjudication_context(
            request,
            task,
            acc,
            values=form_values(schema, answer),
            comment=data["comment"],
            error=str(exc),
        )
        return render(request, "web/adjudicate_task.html", context, status=exc.status)
    messages.success(
        request, f"Task {task.pk} adjudicated: {answer_text(schema, decision.final_label)}"
    )
    return redirect(_next_in_queue(task.project, request.user))


@login_required
@require_POST
@workflow_errors
def skip(request: HttpRequest, task_id: int) -> HttpResponse:
    task, _ = access.get_task_for_user(request.user, task_id)
    adjudication.skip_adjudication(task, request.user)
    messages.info(request, f"Task {task.pk} passed on to another adjudicator")
    return redirect(_next_in_queue(task.project, request.user))


# -- discussion -----------------------------------------------------------------------------


@login_required
@require_GET
@workflow_errors
def discussion_list(request: HttpRequest, project_id: int) -> HttpResponse:
    """Tasks open for discussion that this member may read (never one they are still
    blind to: ``list_tasks`` leaves those out)."""
    user = request.user
    project = access.get_project_for_user(user, project_id)
    page = _page(request)
    rows, count = list_tasks(
        project,
        user,
        access.role_in(user, project),
        discussion=True,
        limit=LIST_ROWS,
        offset=(page - 1) * LIST_ROWS,
    )
    posts = dict(
        DiscussionPost.objects.filter(task_id__in=[r["id"] for r in rows])
        .values_list("task_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        row["posts"] = posts.get(row["id"], 0)
    context = page_context(
        request, project, rows=rows, count=count, page=page, more=page * LIST_ROWS < count
    )
    return render(request, "web/discuss_list.html", context)


def _thread_context(
    request: HttpRequest, task: Task, acc: access.TaskAccess, *, text: str = "", error: str = ""
) -> dict[str, Any]:
    posts = services.discussion(task, request.user, acc)
    schema = task.project.schema
    return page_context(
        request,
        task.project,
        task=task,
        acc=acc,
        status=access.shown_status(task, acc),
        final=answer_text(schema, task.final_label) if task.is_final else "",
        posts=posts,
        text=text,
        error=error,
        config=viewer_config(task.record, request.user, task.event_time),
    )


@login_required
@require_http_methods(["GET", "POST"])
@workflow_errors
def discussion_thread(request: HttpRequest, task_id: int) -> HttpResponse:
    """The thread as ``services.discussion`` lets this user see it: everyone's posts, or
    only their own while they are blind to the task (404 when it has no discussion)."""
    task, acc = access.get_task_for_user(request.user, task_id)
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            post = services.post_to_discussion(task, request.user, acc, text)
        except InvalidInput as exc:
            context = _thread_context(request, task, acc, text=text, error=str(exc))
            return render(request, "web/discuss_thread.html", context, status=exc.status)
        return redirect(reverse("discussion-thread", args=[task.pk]) + f"#post-{post.pk}")
    return render(request, "web/discuss_thread.html", _thread_context(request, task, acc))


# -- review ---------------------------------------------------------------------------------


def _review_filter(request: HttpRequest) -> ReviewFilter:
    get = request.GET
    return ReviewFilter(
        annotator=get.get("annotator", "").strip(),
        status=get.get("status", ""),
        task_status=get.get("task_status", ""),
        label=get.get("label", ""),
        flagged=get.get("flagged") == "1",
    )


@login_required
@require_GET
@workflow_errors
def review(request: HttpRequest, project_id: int) -> HttpResponse:
    """Every annotation of the project the expert may see, filtered, with flag forms."""
    user = request.user
    project = access.get_project_for_user(user, project_id, needs=Role.ADJUDICATOR)
    f = _review_filter(request)
    page = _page(request)
    error, status = "", 200
    try:
        rows, count = review_annotations(
            project, user, f, limit=LIST_ROWS, offset=(page - 1) * LIST_ROWS
        )
    except InvalidInput as exc:
        rows, count, error, status = [], 0, str(exc), exc.status
    for row in rows:
        row["text"] = answer_text(project.schema, row["answer"])
        row["open_flags"] = [fl for fl in row["flags"] if not fl["resolved"]]
    names = sorted(
        set(
            Annotation.objects.filter(task__project=project).values_list(
                "user__username", flat=True
            )
        )
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = page_context(
        request,
        project,
        rows=rows,
        count=count,
        page=page,
        more=page * LIST_ROWS < count,
        query=query.urlencode(),
        filter=f,
        error=error,
        annotators=names,
        statuses=["draft", "later", "submitted"],
        task_statuses=TaskStatus.values,
        labels=label_options(project.schema),
    )
    return render(request, "web/review_annotations.html", context, status=status)


@login_required
@require_POST
@workflow_errors
def flag(request: HttpRequest, project_id: int, annotation_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, needs=Role.ADJUDICATOR)
    if not (
        0 < annotation_id <= access.MAX_ID
        and Annotation.objects.filter(pk=annotation_id, task__project=project).exists()
    ):
        raise Http404("No such annotation")
    target = back_to(request, reverse("review", args=[project.pk]))
    try:
        services.flag_annotation(annotation_id, request.user, request.POST.get("reason", ""))
    except InvalidInput as exc:
        messages.error(request, f"Annotation {annotation_id} not flagged: {exc}")
        return redirect(target)
    messages.success(request, f"Annotation {annotation_id} flagged")
    return redirect(target)
