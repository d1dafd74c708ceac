"""Consensus: from the submitted answers of a task to its status and final label.

The rule, for every kind of task: a task is decided by its annotators when all k of them
have submitted, every answer is decisive (no Uncertain choice, no graded list left with
only Unsure items, see ``schemas.is_decisive``) and their labels agree, as the task's kind
compares them (``kinds``: a form's agreement fields, or beats compared beat by beat).

``evaluate`` runs again after every change to a submitted answer, so a revision after
consensus moves the task between open, agreed and conflict. An adjudicated task keeps its
adjudicator's label whatever the annotators revise later.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from wavetag.projects.models import Task, TaskStatus
from wavetag.projects.schemas import is_unsure

from .kinds import kind_of
from .models import Annotation, AnnotationStatus


def submitted_answers(task: Task) -> list[dict[str, Any]]:
    """Answers of the task's current assignees (a released assignee's answer is gone)."""
    rows = Annotation.objects.filter(
        task=task, status=AnnotationStatus.SUBMITTED, user__assignments__task=task
    ).order_by("submitted_at", "id")
    return [a.answer for a in rows]


def evaluate(task: Task) -> str:
    """Recompute the task's status and final label; call inside the caller's transaction,
    with the task row locked so that two last answers do not both miss each other."""
    if task.status == TaskStatus.ADJUDICATED:
        return task.status
    answers = submitted_answers(task)
    if any(is_unsure(task.project.schema, a) for a in answers):
        task.discussion_open = True
    before = (task.status, task.final_label)
    kind_of(task.project).decide(task, answers)
    if (task.status, task.final_label) != before:
        task.decided_at = timezone.now() if task.status == TaskStatus.AGREED else None
    task.save(update_fields=["status", "final_label", "decided_at", "discussion_open"])
    return task.status
