"""Beat-correction tasks: the answer is the annotator's corrected set of beats, compared
beat by beat with the others' (``beat_consensus``); an adjudicator resolves each
disagreement (``beat_adjudication``) instead of filling in a form.
"""

from __future__ import annotations

from typing import Any

from wavetag.errors import StateConflict
from wavetag.projects.access import TaskAccess
from wavetag.projects.models import Project, Task

from .. import beat_adjudication, beat_consensus
from ..beats import answer_part, start_set, task_beats
from ..models import Adjudication, BeatComparison, TaskSet
from ..reading import all_annotations
from ..viewer import show_only, viewer_config
from .base import TaskKind

# Seconds shown each side of a disagreement (as review/beat-disagreements.js).
AROUND = 2.5


def name_rows(config: dict[str, Any], task: Task) -> None:
    """Label each annotator's set in the viewer with whose it is, as the page's table of
    disagreements names them (only for those who see that table: the sets' names hold
    the user names already, so the label tells nothing the page did not)."""
    whose = dict(
        TaskSet.objects.filter(task=task, kind=TaskSet.Kind.WORKING).values_list(
            "annotation_set_id", "user__username"
        )
    )
    for s in config["record"]["annotation_sets"]:
        if s["id"] in whose:
            s["label"] = whose[s["id"]]


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

    def reopened(self, task: Task) -> None:
        beat_consensus.clear_final(task)

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

    def assignee_page(self, task: Task, user: Any, config: dict[str, Any]) -> dict[str, Any]:
        """The viewer shows the assignee's working set (in the beat editor, unless it is
        frozen) and the starting set, nothing else; and the page says why there is nothing
        to correct yet, when the starting set is missing."""
        state = task_beats(task, user)
        mine, start = state["working_set"], state["start_set"]
        keep = {s["id"] for s in (mine, start) if s is not None}
        # A working set made just now, after the viewer's list was read, is added.
        show_only(config, keep, *([{**mine, "mine": True}] if mine is not None else []))
        if mine is not None and not state["frozen"]:
            config["beat_editor"] = True
            config["edit_set"] = {"id": mine["id"], "name": mine["name"]}
        return {"beat": state}

    def adjudication_page(self, task: Task, user: Any, access: TaskAccess) -> dict[str, Any]:
        """The disagreements, the annotators' notes, and a viewer on this task's sets only
        (its annotators', the starting set and the final set: a segments project has many
        tasks, and sets, on one record), open on the first disagreement left."""
        comparison = beat_adjudication.comparison(task, access) if access.sees_all else None
        window = task.view_window
        first = next((i for i in (comparison or {}).get("items", []) if not i["resolution"]), None)
        if first is not None:
            # Open on the first disagreement left, as its row's time button would.
            window = (max(0.0, first["time"] - AROUND), first["time"] + AROUND)
        config = viewer_config(task.record, user, window=window)
        keep = set(TaskSet.objects.filter(task=task).values_list("annotation_set_id", flat=True))
        keep |= set(
            TaskSet.objects.filter(
                project=task.project, record=task.record, kind=TaskSet.Kind.FINAL
            ).values_list("annotation_set_id", flat=True)
        )
        start = start_set(task)
        if start is not None:
            keep.add(start.pk)
        show_only(config, keep)
        if access.sees_all:
            name_rows(config, task)
        return {
            **super().adjudication_page(task, user, access),
            "comparison": comparison,
            "notes": all_annotations(task, access) if access.sees_all else [],
            "config": config,
        }
