"""Consensus: from the submitted answers of a task to its status and final label.

The rule, for every kind of task: nothing is decided until the task has every answer it
needs (the project's k, plus any annotators re-entry added). Then the answers are frozen
and the task's kind decides (``kinds``: a form's agreement fields, or beats compared beat
by beat): agreed, or in conflict with the reason an expert must decide. For form tasks an
unsure answer, or one that rejects the case, always goes to an expert; under the
``reenter`` policy a disagreement first goes to one more annotator, and a strict majority
decides.

A frozen answer never changes, so evaluation cannot be used to probe the other answers:
a change is a request to the adjudicator, or a reopening by a project admin, both logged
(``TaskEvent``). An adjudicated task keeps its adjudicator's label.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from wavetag.projects.models import Task, TaskStatus
from wavetag.projects.schemas import is_unsure

from .events import log, outcome
from .kinds import kind_of
from .models import Annotation, AnnotationStatus, TaskEvent


def submitted(task: Task) -> list[Annotation]:
    """Submitted annotations of the task's current assignees (a released assignee's answer
    is gone), in the order they were given."""
    rows = Annotation.objects.filter(
        task=task, status=AnnotationStatus.SUBMITTED, user__assignments__task=task
    ).order_by("submitted_at", "id")
    return list(rows)


def evaluate(task: Task, by: Any = None) -> str:
    """Recompute the task's status and final label; call inside the caller's transaction,
    with the task row locked so that two last answers do not both miss each other."""
    if task.status == TaskStatus.ADJUDICATED:
        return task.status
    rows = submitted(task)
    answers = [a.answer for a in rows]
    if any(is_unsure(task.project.schema, a) for a in answers):
        task.discussion_open = True
    complete = len(rows) >= task.annotators_needed
    before = outcome(task)
    kind_of(task.project).decide(task, answers)
    now = timezone.now()
    if complete:
        Annotation.objects.filter(pk__in=[a.pk for a in rows], frozen_at__isnull=True).update(
            frozen_at=now
        )
    after = outcome(task)
    if after != before:
        task.decided_at = now if task.status == TaskStatus.AGREED else None
        if complete:
            reentry = task.extra_annotators > before["extra_annotators"]
            action = TaskEvent.Action.REENTRY if reentry else TaskEvent.Action.EVALUATED
            log(task, by, action, answers=len(rows))
    task.save(
        update_fields=[
            "status",
            "reason",
            "final_label",
            "decided_by",
            "decided_at",
            "extra_annotators",
            "discussion_open",
        ]
    )
    return task.status
