"""Lists of tasks as a user may see them: their own batch, the adjudication queue, the
project's tasks, the tasks open for discussion.

A task the user claimed and that is not final is shown as they may know it: status
``open`` (a conflict would tell them someone answered differently) and no discussion
flag; the access rules themselves live in ``wavetag.projects.access``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from wavetag.projects.access import has_role
from wavetag.projects.models import Assignment, Project, Role, Task, TaskStatus

from .models import Annotation

FINAL = TaskStatus.final()


def task_row(
    task: Task, *, blind: bool, mine: Assignment | None, my_status: str | None
) -> dict[str, Any]:
    row = task.describe()
    row["status"] = TaskStatus.OPEN if blind else task.status
    row["final_label"] = task.final_label if task.is_final else None
    row["discussion"] = False if blind else task.discussion_open
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
    blind = Q(id__in=assigned_ids) & ~Q(status__in=FINAL)
    if status == TaskStatus.OPEN:
        qs = qs.filter(Q(status=TaskStatus.OPEN) | blind)
    elif status:
        qs = qs.filter(status=status).exclude(blind)
    if discussion:
        qs = qs.filter(discussion_open=True).exclude(blind)
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
        Annotation.objects.filter(task_id__in=ids, user=user).values_list("task_id", "status")
    )
    rows = [
        task_row(
            t,
            blind=t.pk in mine_by_task and not t.is_final,
            mine=mine_by_task.get(t.pk),
            my_status=statuses.get(t.pk),
        )
        for t in page
    ]
    return rows, count


def queue_rows(tasks: QuerySet[Task]) -> list[dict[str, Any]]:
    return [task_row(t, blind=False, mine=None, my_status=None) for t in tasks]
