"""Consensus: from the submitted answers of a task to its status and final label.

The rule, for every schema: a task is decided by its annotators when all k of them have
submitted, every answer is decisive (no Uncertain choice, no graded list left with only
Unsure items, see ``schemas.is_decisive``) and their labels (``schemas.label_of``: the
agreement fields) are equal. For the built-in templates that means

- icu-alarm: the same decision (True, False or Reject; Uncertain never agrees);
- resting-12lead: the same set of Confirmed diagnoses (Unsure ones are left out; a set
  with nothing confirmed does not agree);
- wearable-rhythm: the same quality, rhythm and subcategory;
- beat-correction (any ``"type": "beats"`` schema): the same beats, compared beat by beat
  (``beat_consensus``).

``evaluate`` runs again after every change to a submitted answer, so a revision after
consensus moves the task between open, agreed and conflict. An adjudicated task keeps its
adjudicator's label whatever the annotators revise later.
"""

from __future__ import annotations

from django.utils import timezone

from wavetag.projects.beat_schema import is_beat_schema
from wavetag.projects.models import Task, TaskStatus
from wavetag.projects.schemas import answers_agree, is_unsure, label_of

from .models import Annotation, AnnotationStatus


def submitted_answers(task: Task) -> list[dict[str, object]]:
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
    schema = task.project.schema
    answers = submitted_answers(task)
    if any(is_unsure(schema, a) for a in answers):
        task.discussion_open = True
    if is_beat_schema(schema):
        from .beat_consensus import evaluate_beats

        return evaluate_beats(task)
    before = (task.status, task.final_label)
    if len(answers) < task.project.annotators_per_task:
        task.status, task.final_label = TaskStatus.OPEN, None
    elif answers_agree(schema, answers):
        task.status, task.final_label = TaskStatus.AGREED, label_of(schema, answers[0])
    else:
        task.status, task.final_label = TaskStatus.CONFLICT, None
    if (task.status, task.final_label) != before:
        task.decided_at = timezone.now() if task.status == TaskStatus.AGREED else None
    task.save(update_fields=["status", "final_label", "decided_at", "discussion_open"])
    return task.status
