"""The log of a task's outcome (``TaskEvent``): written by every action that changes it."""

from __future__ import annotations

from typing import Any

from wavetag.projects.models import Task

from .models import TaskEvent


def outcome(task: Task) -> dict[str, Any]:
    """What a task's log keeps of it: how it stands and how it got there."""
    return {
        "status": task.status,
        "reason": task.reason,
        "decided_by": task.decided_by,
        "final_label": task.final_label,
        "extra_annotators": task.extra_annotators,
    }


def log(task: Task, user: Any, action: str, **detail: Any) -> TaskEvent:
    """One line in the task's log, with the outcome after the action."""
    return TaskEvent.objects.create(
        task=task, user=user, action=action, detail={**outcome(task), **detail}
    )


def task_log(task: Task) -> list[dict[str, Any]]:
    """The task's log, oldest first (for those who may see the task's outcome)."""
    return [
        {
            "action": e.action,
            "by": e.user.get_username() if e.user else None,
            "at": e.at,
            "detail": e.detail,
        }
        for e in TaskEvent.objects.filter(task=task).select_related("user").order_by("at", "id")
    ]
