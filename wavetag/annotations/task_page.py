"""What the task page shows, gathered in one call: the page formats it, and adds the form.

Only the user's own answer is here, never another annotator's: this is the annotator's
side, whatever the user's role (experts read everyone's on the adjudication page).
"""

from __future__ import annotations

from typing import Any

from wavetag.analysis.findings import page_findings
from wavetag.projects.models import Assignment, Task

from .batches import batch_position
from .kinds import kind_of
from .reading import own_annotation
from .viewer import viewer_config


def task_page(task: Task, user: Any) -> dict[str, Any]:
    """The user's assignment and answer, the viewer opened on the task's window (with the
    event marked), the automatic findings there, and, for an assignee, where the task
    stands in their batch and what its kind adds (a beat task's working set)."""
    assignment = Assignment.objects.filter(task=task, user=user).first()
    window = task.view_window
    config = viewer_config(task.record, user, event=task.event_time, window=window)
    data: dict[str, Any] = {
        "task": task,
        "project": task.project,
        "assignment": assignment,
        "annotation": own_annotation(task, user),
        "config": config,
        "auto": page_findings(task.record, window),
    }
    if assignment is not None:
        data.update(kind_of(task.project).assignee_page(task, user, config))
        data["batch"] = batch_position(task, assignment)
    return data
