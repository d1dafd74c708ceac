"""Beat-correction tasks: the answer is the annotator's corrected set of beats, compared
beat by beat with the others' (``beat_consensus``); an adjudicator resolves each
disagreement (``beat_adjudication``) instead of filling in a form.
"""

from __future__ import annotations

from typing import Any

from wavetag.errors import StateConflict
from wavetag.projects.models import Project, Task

from .. import beat_consensus
from ..beats import answer_part, task_beats
from ..models import Adjudication, BeatComparison
from .base import TaskKind


class BeatKind(TaskKind):
    name = "beats"
    csv_task_columns = ("final_set", "final_beats", "missing", "label", "se", "ppv", "kappa")
    csv_annotation_columns = ("beat_set", "beats")

    def answer(self, task: Task, user: Any, cleaned: dict[str, Any], status: str) -> dict[str, Any]:
        # The answer of a beat task is the annotator's corrected set (frozen on submit).
        beats = answer_part(task, user, status)
        if beats is not None:
            cleaned["beats"] = beats
        return cleaned

    def decide(self, task: Task, answers: list[dict[str, Any]]) -> None:
        beat_consensus.decide(task)

    def adjudicate(
        self, task: Task, user: Any, answer: dict[str, Any], comment: str
    ) -> Adjudication:
        raise StateConflict(
            f"task {task.pk} is a beat-correction task: resolve its beat disagreements "
            f"instead (POST /api/v1/tasks/{task.pk}/beat-disagreements/resolve)"
        )

    def progress(self, project: Project) -> dict[str, Any]:
        return {"beat_agreement": beat_consensus.project_beat_agreement(project)}

    def export_stats(self, project: Project) -> dict[int, Any]:
        return dict(
            BeatComparison.objects.filter(task__project=project).values_list("task_id", "stats")
        )

    def export_item(self, item: dict[str, Any], stats: dict[int, Any]) -> None:
        item["beat_comparison"] = stats.get(item["id"])

    def csv_task_cells(self, item: dict[str, Any]) -> list[Any]:
        final = (item["final_label"] or {}).get("beats") or {}
        stats = item.get("beat_comparison") or {}
        pair = (stats.get("pairs") or [{}])[0]
        return [
            final.get("set"),
            final.get("count"),
            stats.get("missing"),
            stats.get("label"),
            pair.get("sensitivity"),
            pair.get("ppv"),
            pair.get("kappa"),
        ]

    def csv_annotation_cells(self, annotation: dict[str, Any]) -> list[Any]:
        beats = annotation["answer"].get("beats") or {}
        return [beats.get("set"), beats.get("count")]

    def assignee_page(self, task: Task, user: Any) -> dict[str, Any] | None:
        return task_beats(task, user)
