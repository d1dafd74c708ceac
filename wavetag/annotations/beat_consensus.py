"""Consensus of a beat-correction task: its corrected sets compared beat by beat.

When all k annotators have submitted, their sets are grouped beat by beat within the
task's window (``wavetag.signal.agreement.group_beats``: bxb matching, 150 ms). No
disagreement (every beat in every set, with one label) is agreement: the task is agreed
and the project's final set of the record gets the agreed beats over the window.
Otherwise the task is in conflict and each disagreement (a beat missing from some sets,
or labelled differently) is listed for the adjudicator. Agreement statistics (Se and +P
between annotators, label kappa) are kept with the task either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from wavetag.projects.models import Assignment, DecidedBy, Reason, Task, TaskStatus
from wavetag.records.editing import FINAL
from wavetag.records.models import Annotation as Mark
from wavetag.records.models import AnnotationSet, Record
from wavetag.records.sets import _free_name
from wavetag.signal.agreement import BeatGroup, group_beats, pairwise_agreement

from .beats import beats_of, in_window
from .models import Annotation, AnnotationStatus, BeatComparison, BeatDisagreement, TaskSet

WINDOW_S = 0.150


@dataclass
class Corrections:
    """The submitted corrected sets of a task, in slot order, and their beats."""

    annotators: list[str]
    fs: float
    samples: list[list[int]]
    labels: list[list[str]]

    def groups(self) -> list[BeatGroup]:
        return group_beats(self.samples, self.labels, self.fs, WINDOW_S)


def _fs(task: Task, sets: list[AnnotationSet]) -> float:
    for aset in sets:
        if aset.fs:
            return float(aset.fs)
    channel = task.record.channels.order_by("index").first()
    return float(channel.fs) if channel is not None else 1.0


def corrections(task: Task) -> Corrections | None:
    """The current assignees' submitted sets, or None until all k are in."""
    slots = dict(Assignment.objects.filter(task=task).values_list("user_id", "slot"))
    rows = sorted(
        Annotation.objects.filter(
            task=task, status=AnnotationStatus.SUBMITTED, user_id__in=list(slots)
        ).select_related("user"),
        key=lambda a: slots[a.user_id],
    )
    if len(rows) < task.project.annotators_per_task:
        return None
    working = {
        ts.user_id: ts.annotation_set
        for ts in TaskSet.objects.filter(task=task, kind=TaskSet.Kind.WORKING).select_related(
            "annotation_set"
        )
    }
    sets = [working[a.user_id] for a in rows if a.user_id in working]
    if len(sets) < len(rows):
        return None
    fs = _fs(task, sets)
    samples, labels = [], []
    for aset in sets:
        beats = list(beats_of(aset, task).values_list("time", "sample", "symbol"))
        samples.append([s if s is not None else round(t * fs) for t, s, _ in beats])
        labels.append([symbol for _, _, symbol in beats])
    return Corrections([a.user.get_username() for a in rows], fs, samples, labels)


def _stats(c: Corrections, groups: list[BeatGroup]) -> dict[str, Any]:
    pairs: list[dict[str, Any]] = pairwise_agreement(c.samples, c.labels, c.fs, WINDOW_S)
    for p in pairs:
        p["a"], p["b"] = c.annotators[p["a"]], c.annotators[p["b"]]
    return {
        "annotators": c.annotators,
        "beats": [len(s) for s in c.samples],
        "groups": len(groups),
        "missing": sum(g.kind == "missing" for g in groups),
        "label": sum(g.kind == "label" for g in groups),
        "pairs": pairs,
    }


def _versions(c: Corrections, g: BeatGroup) -> list[dict[str, Any]]:
    return [
        {
            "annotator": name,
            "label": g.labels[j],
            "time": c.samples[j][m] / c.fs if (m := g.members[j]) is not None else None,
        }
        for j, name in enumerate(c.annotators)
    ]


def _key(sample: int, versions: list[dict[str, Any]]) -> tuple[Any, ...]:
    return (sample, tuple((v["annotator"], v["label"]) for v in versions))


def _list_disagreements(task: Task, c: Corrections, groups: list[BeatGroup]) -> int:
    """Replace the task's disagreements, keeping the resolution of any that is unchanged
    (an annotator revising one beat does not undo the adjudicator's other decisions)."""
    kept = {
        _key(d.sample, d.versions): d
        for d in BeatDisagreement.objects.filter(task=task, resolution__isnull=False)
    }
    BeatDisagreement.objects.filter(task=task).delete()
    rows = []
    for i, g in enumerate(groups):
        if g.kind is None:
            continue
        versions = _versions(c, g)
        old = kept.get(_key(g.sample, versions))
        rows.append(
            BeatDisagreement(
                task=task,
                group=i,
                time=g.sample / c.fs,
                sample=g.sample,
                kind=g.kind,
                versions=versions,
                resolution=old.resolution if old else None,
                resolved_by_id=old.resolved_by_id if old else None,
                resolved_at=old.resolved_at if old else None,
            )
        )
    BeatDisagreement.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def final_set(task: Task) -> AnnotationSet:
    """The project's final set of the task's record (made empty the first time)."""
    found = TaskSet.objects.filter(
        project=task.project, record=task.record, kind=TaskSet.Kind.FINAL
    ).first()
    if found is not None:
        return found.annotation_set
    Record.objects.select_for_update().filter(pk=task.record_id).first()
    channel = task.record.channels.order_by("index").first()
    slug = slugify(task.project.name)[:40] or f"project{task.project_id}"
    aset = AnnotationSet.objects.create(
        record=task.record,
        name=_free_name(task.record, f"{slug}-final"),
        origin=AnnotationSet.Origin.HUMAN,
        source=f"final beats of project {task.project.name}"[:255],
        fs=channel.fs if channel is not None else None,
        frozen=(FINAL % {"project": task.project.name})[:200],
    )
    TaskSet.objects.create(
        project=task.project, record=task.record, kind=TaskSet.Kind.FINAL, annotation_set=aset
    )
    return aset


def write_final(task: Task, beats: list[tuple[int, str]], fs: float) -> dict[str, Any]:
    """Put ``beats`` (sample, code) as the final set's beats over the task's window, in
    place of what it held there; in the caller's transaction. Returns the final label."""
    aset = final_set(task)
    AnnotationSet.objects.select_for_update().filter(pk=aset.pk).first()
    in_window(Mark.objects.filter(annotation_set=aset), task).delete()
    Mark.objects.bulk_create(
        [
            Mark(annotation_set=aset, time=sample / fs, sample=sample, symbol=symbol)
            for sample, symbol in sorted(beats)
        ],
        batch_size=2000,
    )
    aset.count = Mark.objects.filter(annotation_set=aset).count()
    aset.save(update_fields=["count"])
    return {"beats": {"set": aset.name, "count": len(beats)}}


def clear_final(task: Task) -> None:
    """Take the task's window out of the final set: the task is no longer decided."""
    found = TaskSet.objects.filter(
        project=task.project, record=task.record, kind=TaskSet.Kind.FINAL
    ).first()
    if found is None:
        return
    aset = found.annotation_set
    deleted, _ = in_window(Mark.objects.filter(annotation_set=aset), task).delete()
    if deleted:
        aset.count = Mark.objects.filter(annotation_set=aset).count()
        aset.save(update_fields=["count"])


def agreed_beats(groups: list[BeatGroup]) -> list[tuple[int, str]]:
    """The beats every set has with one label, at their mean position."""
    return [(g.sample, str(g.labels[0])) for g in groups if g.kind is None]


def decide(task: Task) -> None:
    """Set the status and final label of a beat-correction task from its corrected sets
    (``consensus.evaluate`` locks the task and saves it): the comparison is kept, and the
    final set holds the agreed beats over the window only while the task is agreed."""
    c = corrections(task)
    task.reason, task.decided_by = "", ""
    if c is None:
        task.status, task.final_label = TaskStatus.OPEN, None
        BeatComparison.objects.filter(task=task).delete()
        BeatDisagreement.objects.filter(task=task).delete()
        clear_final(task)
        return
    groups = c.groups()
    BeatComparison.objects.update_or_create(
        task=task, defaults={"stats": _stats(c, groups), "computed_at": timezone.now()}
    )
    if _list_disagreements(task, c, groups) == 0:
        final = write_final(task, agreed_beats(groups), c.fs)
        task.status, task.final_label = TaskStatus.AGREED, final
        task.decided_by = DecidedBy.AGREED
    else:
        task.status, task.final_label = TaskStatus.CONFLICT, None
        task.reason = Reason.CONFLICT
        clear_final(task)


def project_beat_agreement(project: Any) -> dict[str, Any] | None:
    """Beat agreement over a project's compared tasks: how many, and the mean Se, +P and
    label kappa of their annotator pairs (None when no task was compared yet)."""
    pairs = [
        p
        for stats in BeatComparison.objects.filter(task__project=project).values_list(
            "stats", flat=True
        )
        for p in (stats or {}).get("pairs", [])
    ]
    if not pairs:
        return None
    tasks = BeatComparison.objects.filter(task__project=project).count()
    kappas = [p["kappa"] for p in pairs if p.get("kappa") is not None]
    return {
        "tasks": tasks,
        "sensitivity": sum(p["sensitivity"] for p in pairs) / len(pairs),
        "ppv": sum(p["ppv"] for p in pairs) / len(pairs),
        "kappa": sum(kappas) / len(kappas) if kappas else None,
    }
