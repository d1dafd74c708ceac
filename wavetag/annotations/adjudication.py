"""Who may adjudicate which task, and the queue of tasks waiting for an adjudicator.

The rules every kind of task shares; how a kind decides a task is its own
(``kinds``: a form's answer, or beat disagreements resolved one by one).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from wavetag.errors import NotAllowed, StateConflict, WavetagError
from wavetag.projects.access import TaskAccess, role_in, shown_status, task_access
from wavetag.projects.models import Project, Role, Task, TaskStatus
from wavetag.projects.teams import other_teams_tasks

from .models import AdjudicationSkip, Flag


def open_flags(task: Task) -> QuerySet[Flag]:
    return Flag.objects.filter(
        annotation__task=task, annotation__gold=False, resolved_at__isnull=True
    )


def check_adjudicable(task: Task, access: TaskAccess) -> None:
    """Raise the reason why this user may not decide this task now; return when they may.
    Pages call it to show the reason instead of a form that would be refused."""
    if access.role is None:
        raise Http404(_("No such task"))
    if not access.may_adjudicate:
        if access.assigned:
            raise NotAllowed(_("you annotated this task: skip it to another adjudicator"))
        raise NotAllowed(_("only adjudicators and project admins adjudicate"))
    if task.status == TaskStatus.OPEN:
        raise StateConflict(_("this task is still waiting for its annotations"))
    if task.status == TaskStatus.AGREED and not open_flags(task).exists():
        raise StateConflict(_("the annotators agreed; flag an annotation to adjudicate it"))


def skip_adjudication(task: Task, user: Any) -> None:
    access = task_access(user, task)
    if access.role is None:
        raise Http404(_("No such task"))
    if access.role not in (Role.ADJUDICATOR, Role.ADMIN):
        raise NotAllowed(_("only adjudicators and project admins adjudicate"))
    AdjudicationSkip.objects.get_or_create(task=task, user=user)


def adjudication_queue(project: Project, user: Any) -> QuerySet[Task]:
    """Tasks waiting for this adjudicator: in conflict (for any reason), or decided with
    an open flag or change request; never one they annotated or skipped, nor (in a
    project with teams) one of another team unless they are a project admin."""
    # A request about a hidden gold check is nobody's task to decide.
    flagged = Flag.objects.filter(
        annotation__task__project=project, annotation__gold=False, resolved_at__isnull=True
    ).values("annotation__task_id")
    return (
        Task.objects.filter(project=project)
        .filter(Q(status=TaskStatus.CONFLICT) | Q(status__in=TaskStatus.final(), id__in=flagged))
        .exclude(assignments__user=user)
        .exclude(skips__user=user)
        .exclude(id__in=other_teams_tasks(project, user, role_in(user, project)).values("id"))
        .select_related("record")
        .order_by("id")
    )


def queue_reasons(tasks: list[Task]) -> dict[int, str]:
    """Why each task is in the queue: its conflict's reason (``conflict``, ``unsure``,
    ``reject``, ``no-majority``); for a decided task, ``request`` (an annotator asked to
    change their frozen answer) or ``flag`` (an expert flagged an answer)."""
    out = {t.pk: t.reason for t in tasks if t.status == TaskStatus.CONFLICT}
    rest = [t.pk for t in tasks if t.pk not in out]
    flags = Flag.objects.filter(annotation__task_id__in=rest, resolved_at__isnull=True)
    requests = set(
        flags.filter(user_id=F("annotation__user_id")).values_list("annotation__task_id", flat=True)
    )
    for task_id in rest:
        out[task_id] = "request" if task_id in requests else "flag"
    return out


def adjudication_state(task: Task, user: Any, access: TaskAccess) -> dict[str, Any]:
    """What every adjudication page shows, whatever the kind of task: why the user may not
    decide it now (``refusal``, empty when they may), where it stands in their queue, the
    status as they may know it."""
    try:
        check_adjudicable(task, access)
        refusal = ""
    except WavetagError as exc:
        refusal = str(exc)
    queue = adjudication_queue(task.project, user)
    in_queue = queue.filter(pk=task.pk).exists()
    return {
        "task": task,
        "status": shown_status(task, access),
        "reason": queue_reasons([task])[task.pk] if in_queue or access.sees_all else "",
        "decided_by": task.decided_by if access.sees_outcome else "",
        "may_reopen": access.role == Role.ADMIN and task.status != TaskStatus.OPEN,
        "refusal": refusal,
        "may_skip": access.assigned or not refusal,
        "in_queue": in_queue,
        "queue_left": queue.count() - int(in_queue),
    }
