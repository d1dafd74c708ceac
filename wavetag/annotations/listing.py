"""Lists of tasks as a user may see them: their own batch, the adjudication queue, the
project's tasks, the tasks open for discussion.

A task whose outcome is hidden from the user (one they annotate; see
``wavetag.projects.access``) shows no status, no final label and no discussion flag, and
no status filter finds it; the access rules themselves live there.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from wavetag.projects.access import blind_tasks, has_role
from wavetag.projects.models import Assignment, Project, Role, Task, TaskStatus

from .adjudication import queue_reasons
from .models import Annotation


def task_row(
    task: Task, *, hidden: bool, mine: Assignment | None, my_status: str | None
) -> dict[str, Any]:
    row = task.describe()
    row["status"] = None if hidden else task.status
    row["reason"] = None if hidden else (task.reason or None)
    row["final_label"] = task.final_label if task.is_final and not hidden else None
    row["decided_by"] = None if hidden else (task.decided_by or None)
    row["discussion"] = False if hidden else task.discussion_open
    row["mine"] = (
        {"batch": mine.batch, "position": mine.position, "status": my_status or "new"}
        if mine is not None
        else None
    )
    return row


def list_tasks(
    project: Project,
    user: Any,
    role: str | None,
    *,
    mine: bool = False,
    status: str | None = None,
    discussion: bool = False,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Rows and total count. Adjudicators and admins see every task; annotators their
    claimed tasks and those open for discussion project-wide."""
    assigned = Assignment.objects.filter(task__project=project, user=user)
    assigned_ids = assigned.values("task_id")
    qs: QuerySet[Task] = Task.objects.filter(project=project)
    if mine:
        qs = qs.filter(id__in=assigned_ids)
    elif not has_role(role, Role.ADJUDICATOR):
        qs = qs.filter(
            Q(id__in=assigned_ids) | (Q(discussion_open=True) & ~Q(status=TaskStatus.OPEN))
        )
    hidden_ids = blind_tasks(project, user, outcome=True).values("id")
    if status:
        qs = qs.filter(status=status).exclude(id__in=hidden_ids)
    if discussion:
        qs = qs.filter(discussion_open=True).exclude(id__in=hidden_ids)
    count = qs.count()
    if mine:
        own = assigned.filter(task_id=OuterRef("pk"))
        qs = qs.annotate(
            batch=Subquery(own.values("batch")[:1]), position=Subquery(own.values("position")[:1])
        ).order_by("batch", "position", "id")
    else:
        qs = qs.order_by("id")
    page = list(qs.select_related("record")[offset : offset + limit])
    ids = [t.pk for t in page]
    mine_by_task = {a.task_id: a for a in assigned.filter(task_id__in=ids)}
    statuses = dict(
        Annotation.everything.filter(task_id__in=ids, user=user).values_list("task_id", "status")
    )
    hidden = set(
        blind_tasks(project, user, outcome=True).filter(id__in=ids).values_list("id", flat=True)
    )
    rows = [
        task_row(
            t,
            hidden=t.pk in hidden,
            mine=mine_by_task.get(t.pk),
            my_status=statuses.get(t.pk),
        )
        for t in page
    ]
    return rows, count


def queue_rows(tasks: QuerySet[Task]) -> list[dict[str, Any]]:
    """The adjudication queue, each task with why it is there."""
    page = list(tasks)
    reasons = queue_reasons(page)
    return [
        {**task_row(t, hidden=False, mine=None, my_status=None), "reason": reasons[t.pk]}
        for t in page
    ]
