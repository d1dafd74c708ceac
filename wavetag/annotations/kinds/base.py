"""The interface every kind of task implements.

A kind says what differs between tasks whose answers are a form's fields and tasks whose
answers are corrected beats (and, later, other kinds): what an answer holds besides the
schema's fields, how the submitted answers decide the task, how an adjudicator decides
it, what an export adds, what experts see of the project's agreement, and what the task
page of an assignee needs. Everything the kinds share (claiming, saving with history,
freezing, blindness, flags, discussion, the queue) is written once, outside them.
"""

from __future__ import annotations

from typing import Any

from wavetag.projects.access import TaskAccess
from wavetag.projects.models import Project, Task

from ..adjudication import adjudication_state
from ..models import Adjudication


class TaskKind:
    """One kind of task; the defaults suit a kind that adds nothing to the shared parts."""

    #: The schema's ``type`` that selects this kind.
    name: str = ""
    #: CSV columns the kind adds after the final label, and after an annotation's fields.
    csv_task_columns: tuple[str, ...] = ()
    csv_annotation_columns: tuple[str, ...] = ()

    def answer(self, task: Task, user: Any, cleaned: dict[str, Any], status: str) -> dict[str, Any]:
        """The answer to save, from the schema's cleaned fields (in the saving transaction,
        with the task locked): a kind may add what the fields do not hold."""
        return cleaned

    def decide(self, task: Task, answers: list[dict[str, Any]]) -> None:
        """Set ``task.status`` and ``task.final_label`` from the current assignees'
        submitted ``answers`` (the caller saves the task, in its transaction)."""
        raise NotImplementedError

    def adjudicate(
        self, task: Task, user: Any, answer: dict[str, Any], comment: str
    ) -> Adjudication:
        """Decide the task (locked, and checked adjudicable by the caller) with an
        adjudicator's ``answer``; set the task adjudicated with its final label."""
        raise NotImplementedError

    def reopened(self, task: Task) -> None:
        """Undo what the task's outcome wrote outside the task (in the caller's
        transaction, with the task locked): a project admin reopened it."""

    def progress(self, project: Project) -> dict[str, Any]:
        """What adjudicators and project admins see of the project's agreement, besides
        the task counts."""
        return {}

    def export_stats(self, project: Project) -> dict[int, Any]:
        """Per task id, what the export adds to each task (read once for the project)."""
        return {}

    def export_item(self, item: dict[str, Any], stats: dict[int, Any]) -> None:
        """Add the kind's part to one task of the JSON export (``item`` is changed)."""

    def csv_task_cells(self, item: dict[str, Any]) -> list[Any]:
        """The cells of :attr:`csv_task_columns` for one exported task."""
        return []

    def csv_annotation_cells(self, annotation: dict[str, Any]) -> list[Any]:
        """The cells of :attr:`csv_annotation_columns` for one exported annotation."""
        return []

    def assignee_page(self, task: Task, user: Any, config: dict[str, Any]) -> dict[str, Any]:
        """What the task page of an assignee shows besides the form, as page context; may
        narrow the viewer's ``config`` (which sets it shows, whether it edits one)."""
        return {}

    def adjudication_page(self, task: Task, user: Any, access: TaskAccess) -> dict[str, Any]:
        """The data of the task's adjudication page (the refusal, the queue, the findings,
        and what the kind shows of the answers); the page formats it."""
        return adjudication_state(task, user, access)
