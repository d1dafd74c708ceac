"""Beat agreement of a beat-correction project, over the tasks given.

Between annotators: each task's comparison (``BeatComparison``, kept once all corrected
sets are in) holds the bxb counts of every annotator pair. Pooled over the tasks a pair
shares, they give the Se and +P of b against a and the share of matched beats labelled
alike. Label kappa cannot be pooled from the stored counts (no label table is kept), so
it is the mean of the tasks' kappas, with their number.

Against the final set: on each final task (agreed or adjudicated), each annotator's
submitted set is matched (bxb, 150 ms) to the project's final beats over the task's
window: Se (final beats they have), +P (their beats that are final), and their labels on
the matched beats against the final labels, pooled over the tasks (agreement, kappa, per
class sensitivity and precision).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from wavetag.projects.models import Task, TaskStatus
from wavetag.signal.agreement import match_beats
from wavetag.signal.ratings import versus_reference

from .beat_consensus import WINDOW_S, corrections
from .beats import beats_of
from .models import BeatComparison, TaskSet

COUNTS = ("beats_a", "beats_b", "matched", "missed", "extra", "label_disagreements")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pairs(stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pooled: dict[tuple[str, str], dict[str, Any]] = {}
    for s in stats:
        for p in s.get("pairs", []):
            a, b = p["a"], p["b"]
            counts = [p["n_ref"], p["n_test"], p["matched"], p["missed"], p["extra"]]
            if b < a:
                # One orientation per pair: tasks whose slots came the other way pool too.
                a, b = b, a
                counts = [counts[1], counts[0], counts[2], counts[4], counts[3]]
            row = pooled.setdefault(
                (a, b), {"a": a, "b": b, "tasks": 0, **dict.fromkeys(COUNTS, 0), "kappas": []}
            )
            row["tasks"] += 1
            for key, n in zip(COUNTS, [*counts, p["label_disagreements"]], strict=True):
                row[key] += n
            if p.get("kappa") is not None:
                row["kappas"].append(p["kappa"])
    out = []
    for (_, _), row in sorted(pooled.items()):
        kappas = row.pop("kappas")
        row["sensitivity"] = _share(row["matched"], row["beats_a"])
        row["ppv"] = _share(row["matched"], row["beats_b"])
        agreeing = row["matched"] - row["label_disagreements"]
        row["label_agreement"] = _share(agreeing, row["matched"])
        row["kappa_mean"] = sum(kappas) / len(kappas) if kappas else None
        row["kappa_tasks"] = len(kappas)
        out.append(row)
    return out


def _versus_final(tasks: QuerySet[Task]) -> dict[str, Any]:
    final_sets = {
        ts.record_id: ts.annotation_set
        for ts in TaskSet.objects.filter(
            kind=TaskSet.Kind.FINAL, project__in=tasks.values("project")
        ).select_related("annotation_set")
    }
    acc: dict[str, dict[str, Any]] = {}
    used = 0
    final = tasks.filter(status__in=TaskStatus.final()).select_related("project", "record")
    for task in final.order_by("id"):
        c = corrections(task)
        aset = final_sets.get(task.record_id)
        if c is None or aset is None:
            continue
        used += 1
        rows = list(beats_of(aset, task).values_list("time", "sample", "symbol"))
        ref = [s if s is not None else round(t * c.fs) for t, s, _ in rows]
        ref_labels = [symbol for _, _, symbol in rows]
        for name, samples, labels in zip(c.annotators, c.samples, c.labels, strict=True):
            m = match_beats(ref, samples, c.fs, WINDOW_S, ref_labels, labels)
            row = acc.setdefault(
                name, {"tasks": 0, "final_beats": 0, "beats": 0, "matched": 0, "ref": [], "own": []}
            )
            row["tasks"] += 1
            row["final_beats"] += len(ref)
            row["beats"] += len(samples)
            row["matched"] += m.n_matched
            row["ref"] += [ref_labels[i] for i in m.pairs[:, 0].tolist()]
            row["own"] += [labels[j] for j in m.pairs[:, 1].tolist()]
    codes = sorted({code for row in acc.values() for code in [*row["ref"], *row["own"]]})
    annotators = {}
    for name in sorted(acc):
        row = acc[name]
        ref_labels, own = row.pop("ref"), row.pop("own")
        row["sensitivity"] = _share(row["matched"], row["final_beats"])
        row["ppv"] = _share(row["matched"], row["beats"])
        row["labels"] = versus_reference(own, ref_labels, codes) if own else None
        annotators[name] = row
    return {"tasks": used, "codes": codes, "annotators": annotators}


def beat_agreement(tasks: QuerySet[Task]) -> dict[str, Any]:
    """``{"compared": tasks with a comparison, "pairs": [pooled per annotator pair],
    "versus_final": {"tasks", "codes", "annotators": {name: {...}}}}``."""
    stats = [
        s or {}
        for s in BeatComparison.objects.filter(task__in=tasks).values_list("stats", flat=True)
    ]
    return {"compared": len(stats), "pairs": _pairs(stats), "versus_final": _versus_final(tasks)}
