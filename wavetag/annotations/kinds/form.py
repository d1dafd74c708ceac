"""Form tasks: the answer is the schema's fields, and answers agree on its agreement fields.

For the built-in templates that means

- icu-alarm: the same decision (True or False; an Uncertain or a Reject answer goes to an
  expert whatever the others say);
- resting-12lead: the same set of Confirmed diagnoses (any Unsure diagnosis sends the task
  to an expert);
- wearable-rhythm: the same quality, rhythm and subcategory.

Answers that disagree go to an adjudicator, or, under the project's ``reenter`` policy, to
one more annotator at a time until a strict majority agrees (or ``max_annotators`` answered
without one: then to an adjudicator).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from wavetag.analysis.findings import page_findings
from wavetag.projects.access import TaskAccess
from wavetag.projects.models import ConflictPolicy, DecidedBy, Reason, Task, TaskStatus
from wavetag.projects.schemas import answers_agree, clean_answer, doubt, label_of, majority_label

from ..events import log
from ..models import Adjudication, TaskEvent
from ..reading import all_annotations, history, own_annotation
from ..viewer import viewer_config
from .base import TaskKind


class FormKind(TaskKind):
    name = "labels"

    def decide(self, task: Task, answers: list[dict[str, Any]]) -> None:
        project = task.project
        schema = project.schema
        task.status, task.final_label, task.reason, task.decided_by = TaskStatus.OPEN, None, "", ""
        if len(answers) < task.annotators_needed:
            return
        why = doubt(schema, answers)
        if why:
            task.status, task.reason = TaskStatus.CONFLICT, why
        elif answers_agree(schema, answers):
            task.status, task.final_label = TaskStatus.AGREED, label_of(schema, answers[0])
            task.decided_by = DecidedBy.AGREED
        elif project.conflict_policy != ConflictPolicy.REENTER:
            task.status, task.reason = TaskStatus.CONFLICT, Reason.CONFLICT
        elif (label := majority_label(schema, answers)) is not None:
            task.status, task.final_label = TaskStatus.AGREED, label
            task.decided_by = DecidedBy.MAJORITY
        elif len(answers) < project.max_annotators:
            # One more annotator who has not seen the task; the answers so far stay frozen.
            task.extra_annotators += 1
        else:
            task.status, task.reason = TaskStatus.CONFLICT, Reason.NO_MAJORITY

    def adjudicate(
        self, task: Task, user: Any, answer: dict[str, Any], comment: str
    ) -> Adjudication:
        # Validated against the schema like a submission.
        cleaned = clean_answer(task.project.schema, answer, complete=True)
        final = label_of(task.project.schema, cleaned)
        decision = Adjudication.objects.create(
            task=task, user=user, answer=cleaned, final_label=final, comment=comment
        )
        task.status, task.final_label, task.reason = TaskStatus.ADJUDICATED, final, ""
        task.decided_by, task.decided_at = DecidedBy.ADJUDICATED, timezone.now()
        task.save(update_fields=["status", "final_label", "reason", "decided_by", "decided_at"])
        log(task, user, TaskEvent.Action.ADJUDICATED, comment=comment)
        return decision

    def adjudication_page(self, task: Task, user: Any, access: TaskAccess) -> dict[str, Any]:
        last = Adjudication.objects.filter(task=task).order_by("-created_at", "-id").first()
        window = task.view_window
        return {
            **super().adjudication_page(task, user, access),
            "annotations": all_annotations(task, access) if access.sees_all else [],
            "own": own_annotation(task, user) if access.assigned else None,
            "history": history(task, user, access),
            "last_answer": last.answer if last is not None else None,
            "config": viewer_config(task.record, user, task.event_time),
            # The automatic findings over the task's window, beside the answers.
            "auto": page_findings(task.record, window),
        }
