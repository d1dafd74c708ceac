"""What the task page shows, gathered in one call: the page formats it, and adds the form.

Only the user's own answer is here, never another annotator's: this is the annotator's
side, whatever the user's role (experts read everyone's on the adjudication page).
"""

from __future__ import annotations

from typing import Any

from wavetag.analysis.findings import page_findings
from wavetag.projects.access import TaskAccess, shown_outcome, task_access
from wavetag.projects.models import Assignment, Task

from .batches import batch_position
from .kinds import kind_of
from .reading import own_annotation, own_requests
from .suggestions import machine_suggestion
from .viewer import viewer_config


def task_page(task: Task, user: Any, access: TaskAccess | None = None) -> dict[str, Any]:
    """The user's assignment and answer, the viewer opened on the task's window (with the
    event marked), the automatic findings there, and, for an assignee, where the task
    stands in their batch, what its kind adds (a beat task's working set) and the machine
    suggestions for its form when the project turned them on.

    ``access`` is the user's access to the task when the caller has just checked it (not
    asked again: the page is the annotator's most frequent request)."""
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
        data["suggestion"] = machine_suggestion(task)
        mine = data["annotation"]
        data["frozen"] = mine is not None and mine.frozen_at is not None
        data["requests"] = own_requests(mine) if mine is not None else []
        # Only what the rules let an annotator know: nothing, unless the project reveals
        # the outcome of final tasks (or is not blind).
        outcome = shown_outcome(task, access or task_access(user, task))
        data["outcome"] = outcome if outcome["status"] is not None else None
    return data
