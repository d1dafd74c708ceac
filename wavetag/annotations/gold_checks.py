"""Hidden gold checks: how annotators' answers to gold tasks compare with the gold ones.

An annotator's running accuracy is kept from their submitted answers to tasks that have a
gold answer (``GoldAnswer``), whether the task came to them as a hidden gold task of a batch
or as an ordinary one. Practice answers are not counted here: they are training.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wavetag.projects.models import Project


def gold_accuracy(
    project: Project | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[int, dict[str, Any]]:
    """Per user id: ``{"checked": n, "correct": n, "accuracy": 0-1 or None}`` over their
    answers submitted in [since, until) to gold tasks of ``project`` (all projects: None)."""
    return {}
