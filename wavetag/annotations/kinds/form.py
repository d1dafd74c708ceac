"""Form tasks: the answer is the schema's fields, and answers agree on its agreement fields.

For the built-in templates that means

- icu-alarm: the same decision (True, False or Reject; Uncertain never agrees);
- resting-12lead: the same set of Confirmed diagnoses (Unsure ones are left out; a set
  with nothing confirmed does not agree);
- wearable-rhythm: the same quality, rhythm and subcategory.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from wavetag.analysis.findings import page_findings
from wavetag.projects.access import TaskAccess
from wavetag.projects.models import Task, TaskStatus
from wavetag.projects.schemas import answers_agree, clean_answer, label_of

from ..models import Adjudication
from ..reading import all_annotations, history, own_annotation
from ..viewer import viewer_config
from .base import TaskKind


class FormKind(TaskKind):
    name = "labels"

    def decide(self, task: Task, answers: list[dict[str, Any]]) -> None:
        schema = task.project.schema
        if len(answers) < task.project.annotators_per_task:
            task.status, task.final_label = TaskStatus.OPEN, None
        elif answers_agree(schema, answers):
            task.status, task.final_label = TaskStatus.AGREED, label_of(schema, answers[0])
        else:
            task.status, task.final_label = TaskStatus.CONFLICT, None

    def adjudicate(
        self, task: Task, user: Any, answer: dict[str, Any], comment: str
    ) -> Adjudication:
        # Validated against the schema like a submission.
        cleaned = clean_answer(task.project.schema, answer, complete=True)
        final = label_of(task.project.schema, cleaned)
        decision = Adjudication.objects.create(
            task=task, user=user, answer=cleaned, final_label=final, comment=comment
        )
        task.status, task.final_label = TaskStatus.ADJUDICATED, final
        task.decided_at = timezone.now()
        task.save(update_fields=["status", "final_label", "decided_at"])
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
