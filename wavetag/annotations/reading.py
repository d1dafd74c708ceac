"""Answers as a user may read them: their own, or, for adjudicators and project admins not
blind to the task, everyone's with their flags and the whole history. Blindness is decided
by ``TaskAccess`` (``wavetag.projects.access``); these never widen it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from wavetag.errors import NotAllowed
from wavetag.projects.access import TaskAccess
from wavetag.projects.models import Task

from .events import task_log
from .models import Adjudication, Annotation, Revision


def own_annotation(task: Task, user: Any) -> Annotation | None:
    return Annotation.everything.filter(task=task, user=user).first()


def annotation_out(annotation: Annotation, *, with_flags: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": annotation.pk,
        "task": annotation.task_id,
        "annotator": annotation.user.get_username(),
        "status": annotation.status,
        "answer": annotation.answer,
        "comment": annotation.comment,
        "updated_at": annotation.updated_at,
        "submitted_at": annotation.submitted_at,
        "frozen": annotation.frozen_at is not None,
    }
    if with_flags:
        out["flags"] = [
            {
                "id": f.pk,
                "by": f.user.get_username() if f.user else None,
                "reason": f.reason,
                "created_at": f.created_at,
                "resolved": f.resolved_at is not None,
            }
            for f in annotation.flags.all()
        ]
    return out


def own_requests(annotation: Annotation) -> list[dict[str, Any]]:
    """The annotator's own requests to change their frozen answer (never others' flags)."""
    return [
        {"id": f.pk, "text": f.reason, "created_at": f.created_at, "resolved": bool(f.resolved_at)}
        for f in annotation.flags.filter(user_id=annotation.user_id).order_by("created_at", "id")
    ]


def all_annotations(task: Task, access: TaskAccess) -> list[dict[str, Any]]:
    """Every annotation of the task, for adjudicators and project admins not blind to it."""
    if not access.sees_all:
        raise NotAllowed("only adjudicators and project admins not annotating it see these")
    rows = (
        Annotation.objects.filter(task=task).select_related("user").prefetch_related("flags__user")
    )
    return [annotation_out(a, with_flags=True) for a in rows.order_by("created_at", "id")]


def history(task: Task, user: Any, access: TaskAccess) -> list[dict[str, Any]]:
    """Revisions: the user's own; every annotator's, the adjudications and the task's log
    (``kind: event``: evaluations, re-entry, reopening, change requests; ``status`` names
    the action, ``answer`` holds its details) for those who may see all of the task."""
    revisions = Revision.objects.filter(annotation__task=task).select_related(
        "annotation__user", "user"
    )
    if not access.sees_all:
        revisions = revisions.filter(annotation__user=user)
    else:
        # Hidden gold checks are nobody's answer to the task but the checked annotator's.
        revisions = revisions.exclude(Q(annotation__gold=True) & ~Q(annotation__user=user))
    out: list[dict[str, Any]] = [
        {
            "kind": "annotation",
            "annotator": r.annotation.user.get_username(),
            "by": r.user.get_username() if r.user else None,
            "at": r.at,
            "status": r.status,
            "answer": r.answer,
            "comment": r.comment,
            "changes": r.changes,
        }
        for r in revisions.order_by("at", "id")
    ]
    if access.sees_all:
        for adj in Adjudication.objects.filter(task=task).select_related("user"):
            out.append(
                {
                    "kind": "adjudication",
                    "annotator": None,
                    "by": adj.user.get_username() if adj.user else None,
                    "at": adj.created_at,
                    "status": "adjudicated",
                    "answer": adj.answer,
                    "comment": adj.comment,
                    "changes": {},
                }
            )
        for event in task_log(task):
            out.append(
                {
                    "kind": "event",
                    "annotator": None,
                    "by": event["by"],
                    "at": event["at"],
                    "status": event["action"],
                    "answer": event["detail"],
                    "comment": "",
                    "changes": {},
                }
            )
        out.sort(key=lambda item: item["at"])
    return out
