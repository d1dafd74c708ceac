"""Expert review: every annotation of a project in one filterable list, for adjudicators
and project admins.

An expert who claimed a task is blind to it like any annotator: the list then holds only
their own annotation of it, without the task's status (see ``wavetag.projects.access``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from wavetag.errors import InvalidInput, refuse_nul
from wavetag.projects.access import blind_tasks, require_role
from wavetag.projects.models import Project, Role, TaskStatus
from wavetag.projects.teams import other_teams_tasks

from .models import Annotation, AnnotationStatus

MAX_ROWS = 500


@dataclass(frozen=True)
class ReviewFilter:
    """What the list is narrowed to; empty means any."""

    annotator: str = ""
    status: str = ""  # annotation status: draft, later, submitted
    task_status: str = ""  # open, conflict, agreed, adjudicated (as the expert may know it)
    label: str = ""  # "field:value", a choice or list item of the answer
    flagged: bool = False  # only annotations with an unresolved flag


def label_options(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """("field:value", "Field: Label") for every choice of the schema's choice and list
    fields: what the label filter accepts."""
    out = []
    for field in schema["fields"]:
        if field["type"] in ("choice", "multi"):
            for c in field["choices"]:
                out.append((f"{field['name']}:{c['value']}", f"{field['label']}: {c['label']}"))
    return out


def _check(project: Project, f: ReviewFilter) -> tuple[str, str] | None:
    refuse_nul("annotator", f.annotator)
    if f.status and f.status not in AnnotationStatus.values:
        raise InvalidInput(f"status: must be one of {', '.join(AnnotationStatus.values)}")
    if f.task_status and f.task_status not in TaskStatus.values:
        raise InvalidInput(f"task_status: must be one of {', '.join(TaskStatus.values)}")
    if not f.label:
        return None
    if f.label not in dict(label_options(project.schema)):
        raise InvalidInput(f"label: {f.label!r} is not a choice of this project's schema")
    name, value = f.label.split(":", 1)
    return name, value


def review_annotations(
    project: Project, user: Any, f: ReviewFilter, *, limit: int = MAX_ROWS, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Rows (newest change first) and their total count; adjudicators and project admins
    only (``NotAllowed`` otherwise), a bad filter is ``InvalidInput`` naming it."""
    role = require_role(user, project, Role.ADJUDICATOR)
    label = _check(project, f)
    # The tasks the user annotates are shown as to any annotator: their own answer only.
    blind_ids = blind_tasks(project, user).values("id")
    qs: QuerySet[Annotation] = Annotation.objects.filter(task__project=project).exclude(
        Q(task_id__in=blind_ids) & ~Q(user=user)
    )
    # Another team's answers are its own adjudicators' to read.
    qs = qs.exclude(
        Q(task_id__in=other_teams_tasks(project, user, role).values("id")) & ~Q(user=user)
    )
    if f.annotator:
        qs = qs.filter(user__username=f.annotator)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.task_status:
        qs = qs.filter(task__status=f.task_status).exclude(task_id__in=blind_ids)
    if f.flagged:
        qs = qs.filter(flags__isnull=False, flags__resolved_at__isnull=True).distinct()
    if label is not None:
        qs = _with_label(project, qs, *label)
    count = qs.count()
    page = list(
        qs.select_related("user", "task__record")
        .prefetch_related("flags__user")
        .order_by("-updated_at", "-id")[offset : offset + limit]
    )
    blind = set(blind_tasks(project, user, outcome=True).values_list("id", flat=True))
    return [_row(a, blind=a.task_id in blind) for a in page], count


def _with_label(
    project: Project, qs: QuerySet[Annotation], name: str, value: str
) -> QuerySet[Annotation]:
    field = next(f for f in project.schema["fields"] if f["name"] == name)
    if field["type"] == "choice":
        return qs.filter(**{f"answer__{name}": value})
    # List fields: JSON containment is not portable (SQLite), so match in Python on the
    # (id, answer) pairs only.
    ids = []
    for pk, answer in qs.values_list("id", "answer"):
        items = (answer.get(name) or []) if isinstance(answer, dict) else []
        if any((i.get("value") if isinstance(i, dict) else i) == value for i in items):
            ids.append(pk)
    return qs.filter(id__in=ids)


def _row(a: Annotation, *, blind: bool) -> dict[str, Any]:
    task = a.task
    return {
        "id": a.pk,
        "task": {
            "id": task.pk,
            "record": task.record.name,
            "event_time": task.event_time,
            "status": None if blind else task.status,
        },
        "annotator": a.user.get_username(),
        "status": a.status,
        "answer": a.answer,
        "comment": a.comment,
        "updated_at": a.updated_at,
        "submitted_at": a.submitted_at,
        "flags": [
            {
                "id": fl.pk,
                "by": fl.user.get_username() if fl.user else None,
                "reason": fl.reason,
                "created_at": fl.created_at,
                "resolved": fl.resolved_at is not None,
            }
            for fl in a.flags.all()
        ],
        "blind": blind,
    }
