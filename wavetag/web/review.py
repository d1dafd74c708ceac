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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wavetag.annotations import adjudication, services
from wavetag.annotations.gold import gold_from_adjudication
from wavetag.annotations.listing import list_tasks, queue_rows
from wavetag.annotations.models import Annotation, DiscussionPost, Flag
from wavetag.annotations.review import ReviewFilter, label_options, review_annotations
from wavetag.annotations.viewer import viewer_config
from wavetag.errors import InvalidInput, WavetagError
from wavetag.projects import access
from wavetag.projects.models import Role, Task, TaskStatus
from wavetag.projects.schema_text import shown_schema

from .answers import REASONS, answer_text
from .guards import back_to, next_in_queue, page_context, workflow_errors
from .kinds import pages_for

QUEUE_ROWS = 500
LIST_ROWS = 200


def _page(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10**6 else 1


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
        row["why"] = REASONS.get(row["reason"], row["reason"])
    context = page_context(request, project, rows=rows, count=count, shown=len(rows))
    return render(request, "web/adjudicate_queue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@workflow_errors
def adjudicate(request: HttpRequest, task_id: int) -> HttpResponse:
    """The task's adjudication page, as its kind shows it (a decision form, or beat
    disagreements to resolve); the service validates like the API."""
    task, acc = access.get_task_for_user(request.user, task_id)
    access.require_role(request.user, task.project, Role.ADJUDICATOR)
    return pages_for(task).adjudicate(request, task, acc)


@login_required
@require_POST
@workflow_errors
def skip(request: HttpRequest, task_id: int) -> HttpResponse:
    task, _acc = access.get_task_for_user(request.user, task_id)
    adjudication.skip_adjudication(task, request.user)
    messages.info(request, _("Task %(task)s passed on to another adjudicator") % {"task": task.pk})
    return redirect(next_in_queue(task.project, request.user))


def _task_action(request: HttpRequest, task_id: int, act: Any, done: Any) -> HttpResponse:
    """Run ``act(task)`` for a task of the adjudication page, then back to that page with
    ``done`` or the refusal (403 stays a 403 page)."""
    task, _acc = access.get_task_for_user(request.user, task_id)
    try:
        act(task)
    except WavetagError as exc:
        if exc.status == 403:
            raise
        messages.error(request, str(exc))
    else:
        messages.success(request, str(done) % {"task": task.pk})
    return redirect("adjudicate", task_id=task.pk)


@login_required
@require_POST
@workflow_errors
def reopen(request: HttpRequest, task_id: int) -> HttpResponse:
    """A project admin reopens a task (its answers unfrozen, its outcome cleared; logged)."""
    reason = request.POST.get("reason", "")
    return _task_action(
        request,
        task_id,
        lambda task: services.reopen(task, request.user, reason),
        gettext_lazy("Task %(task)s reopened: its annotators may revise"),
    )


@login_required
@require_POST
@workflow_errors
def use_as_gold(request: HttpRequest, task_id: int) -> HttpResponse:
    """Use an adjudicated task's decision as its gold answer (project admins)."""
    return _task_action(
        request,
        task_id,
        lambda task: gold_from_adjudication(task, request.user),
        gettext_lazy("Task %(task)s: its decision is now a gold answer"),
    )


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
        final=answer_text(schema, task.final_label) if task.is_final and acc.sees_outcome else "",
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
        labels=label_options(shown_schema(project.schema)),
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
        raise Http404(_("No such annotation"))
    target = back_to(request, reverse("review", args=[project.pk]))
    try:
        services.flag_annotation(annotation_id, request.user, request.POST.get("reason", ""))
    except InvalidInput as exc:
        messages.error(
            request,
            _("Annotation %(id)s not flagged: %(error)s") % {"id": annotation_id, "error": exc},
        )
        return redirect(target)
    messages.success(request, _("Annotation %(id)s flagged") % {"id": annotation_id})
    return redirect(target)
