"""Export of a project: every task with its annotations, status and final label.

JSON keeps answers as the schema defines them and names the dataset with its provenance
and licence (``dataset``; CSV, a plain table, has no place for them); each task says how
its final label was reached (``decided_by``: agreed, majority or adjudicated) and, while
an expert must decide it, why (``reason``). An expert who annotates in the project reads
their own tasks as any annotator would: only their own answer, no outcome. CSV has one row
per annotation (a task without any gets one row with empty annotation columns), one column
per schema field for the answer and per agreement field for the final label, so that a
spreadsheet needs no JSON parsing.

A beat-correction project's answers are annotation sets: each task names its final set
(the beats themselves export as a WFDB or CSV file of that set, ``GET
/records/{id}/annotations/export?set=``), each annotation its corrected set, and the
task's beat agreement statistics come along (JSON: ``beat_comparison``; CSV: counts of
disagreements and the first pair's Se, +P and kappa).

``aggregate="dawid-skene"`` adds each form task's labels aggregated from its answers
(``agreement.aggregate_labels``; JSON: ``aggregate``, CSV: ``ds_<field>`` and
``ds_<field>_p`` per agreement field); null for a task without answers and for one the
user is blind to, whose other answers the aggregation never uses either.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from wavetag.projects.access import blind_tasks
from wavetag.projects.models import Project, Task

from .agreement import aggregate_labels
from .kinds import kind_of
from .models import Adjudication, Annotation

# Spreadsheet programs run cells starting with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _tasks(project: Project, user: Any = None) -> Iterator[dict[str, Any]]:
    """Every task as exported; ``user``: as that user may see them, so that an expert
    who annotates in the project reads only their own answer of their tasks, and not
    their outcome (``wavetag.projects.access``)."""
    blind: set[int] = set()
    hidden: set[int] = set()
    if user is not None:
        blind = set(blind_tasks(project, user).values_list("id", flat=True))
        hidden = set(blind_tasks(project, user, outcome=True).values_list("id", flat=True))
    tasks = Task.objects.filter(project=project).select_related("record").order_by("id")
    annotations: dict[int, list[dict[str, Any]]] = {}
    rows = (
        Annotation.objects.filter(task__project=project)
        .select_related("user")
        .prefetch_related("flags")
        .order_by("task_id", "created_at", "id")
    )
    for a in rows:
        if a.task_id in blind and a.user_id != user.pk:
            continue
        annotations.setdefault(a.task_id, []).append(
            {
                "id": a.pk,
                "annotator": a.user.get_username(),
                "status": a.status,
                "answer": a.answer,
                "comment": a.comment,
                "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
                "updated_at": a.updated_at.isoformat(),
                "flags": [f.reason for f in a.flags.all()],
            }
        )
    decisions: dict[int, dict[str, Any]] = {}
    for adj in (
        Adjudication.objects.filter(task__project=project)
        .select_related("user")
        .order_by("task_id", "created_at", "id")
    ):
        decisions[adj.task_id] = {
            "adjudicator": adj.user.get_username() if adj.user else None,
            "answer": adj.answer,
            "comment": adj.comment,
            "at": adj.created_at.isoformat(),
        }
    kind = kind_of(project)
    stats = kind.export_stats(project)
    for task in tasks.iterator(chunk_size=2000):
        item = {
            "id": task.pk,
            "record": task.record.name,
            "record_id": task.record_id,
            "event": task.event_time,
            "window_start": task.window_start,
            "window_end": task.window_end,
            "alarm_type": task.alarm_type,
            "status": task.status,
            "reason": task.reason or None,
            "final_label": task.final_label,
            # How the final label was reached: agreed, majority or adjudicated.
            "decided_by": task.decided_by or None,
            "annotations": annotations.get(task.pk, []),
            "adjudication": decisions.get(task.pk),
        }
        kind.export_item(item, stats)
        if task.pk in hidden:
            item.update(status=None, reason=None, final_label=None, decided_by=None)
            item["adjudication"] = None
            if "beat_comparison" in item:
                item["beat_comparison"] = None
        yield item


def _aggregates(project: Project, user: Any, aggregate: str | None) -> dict[int, Any] | None:
    return None if aggregate is None else aggregate_labels(project, user, aggregate)


def export_json(project: Project, user: Any = None, aggregate: str | None = None) -> dict[str, Any]:
    aggregates = _aggregates(project, user, aggregate)
    items = list(_tasks(project, user))
    if aggregates is not None:
        for item in items:
            item["aggregate"] = aggregates.get(item["id"])
    return {
        "project": project.name,
        "template": project.template,
        "dataset": project.dataset.about(),
        "items": items,
    }


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(
            f"{v['value']}:{v['grade']}" if isinstance(v, dict) else str(v) for v in value
        )
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _aggregate_cells(found: dict[str, Any] | None, agreement: list[str]) -> list[Any]:
    """``ds_<field>``, ``ds_<field>_p`` per agreement field; a multi field's probabilities
    as ``choice:p`` items."""
    cells: list[Any] = []
    for name in agreement:
        value = (found or {}).get(name) or {}
        p = value.get("p")
        if isinstance(p, dict):
            p = ";".join(f"{choice}:{x:.4f}" for choice, x in p.items())
        elif p is not None:
            p = round(p, 4)
        cells += [value.get("label"), p]
    return cells


def export_csv(project: Project, user: Any = None, aggregate: str | None = None) -> str:
    kind = kind_of(project)
    fields = [f["name"] for f in project.schema["fields"]]
    agreement = list(project.schema["agreement"])
    aggregates = _aggregates(project, user, aggregate)
    ds_columns = [f"ds_{name}{end}" for name in agreement for end in ("", "_p")]
    header = [
        "task_id",
        "record",
        "record_id",
        "event",
        "window_start",
        "window_end",
        "alarm_type",
        "status",
        "reason",
        "decided_by",
        *[f"final_{name}" for name in agreement],
        *kind.csv_task_columns,
        *(ds_columns if aggregates is not None else []),
        "annotation_id",
        "annotator",
        "annotation_status",
        *fields,
        *kind.csv_annotation_columns,
        "comment",
        "submitted_at",
        "flags",
        "adjudicator",
        "adjudication_comment",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for item in _tasks(project, user):
        final = item["final_label"] or {}
        adj = item["adjudication"] or {}
        task_cells = [
            item["id"],
            item["record"],
            item["record_id"],
            item["event"],
            item["window_start"],
            item["window_end"],
            item["alarm_type"],
            item["status"],
            item["reason"],
            item["decided_by"],
            *[final.get(name) for name in agreement],
            *kind.csv_task_cells(item),
        ]
        if aggregates is not None:
            task_cells += _aggregate_cells(aggregates.get(item["id"]), agreement)
        tail = [adj.get("adjudicator"), adj.get("comment")]
        if not item["annotations"]:
            blank = [None] * (3 + len(fields) + len(kind.csv_annotation_columns) + 3)
            writer.writerow([_cell(v) for v in [*task_cells, *blank, *tail]])
        for a in item["annotations"]:
            cells = [
                *task_cells,
                a["id"],
                a["annotator"],
                a["status"],
                *[a["answer"].get(name) for name in fields],
                *kind.csv_annotation_cells(a),
                a["comment"],
                a["submitted_at"],
                " | ".join(a["flags"]),
                *tail,
            ]
            writer.writerow([_cell(v) for v in cells])
    return out.getvalue()
