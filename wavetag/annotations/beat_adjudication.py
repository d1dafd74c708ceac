"""Adjudication of a beat-correction task: its disagreements resolved one by one or in
bulk, then the final set written over the task's window.

A resolution says what the final set has at a disagreement's beat:

- ``{"action": "take", "annotator": NAME}``: that annotator's version (their beat with
  their label, or no beat where they have none);
- ``{"action": "label", "label": CODE}``: a beat with this WFDB code;
- ``{"action": "keep"}``: the beat, with the label of those who have it (they must agree);
- ``{"action": "drop"}``: no beat.

Resolutions are saved as they come, so an adjudicator can stop and come back; the one
that resolves the last disagreement also writes the final set and marks the task
adjudicated, in the same transaction. The page and the API call these same functions.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from wavetag.errors import InvalidInput, NotAllowed, StateConflict
from wavetag.projects.access import TaskAccess, task_access
from wavetag.projects.beat_schema import is_beat_schema
from wavetag.projects.models import DecidedBy, Task, TaskStatus
from wavetag.signal.vocabulary import BEAT_CODES

from .adjudication import check_adjudicable
from .beat_consensus import BeatGroup, agreed_beats, corrections, write_final
from .events import log
from .models import Adjudication, BeatComparison, BeatDisagreement, Flag, TaskEvent

ACTIONS = ("take", "label", "keep", "drop")
KINDS = ("missing", "label")
MAX_ITEMS = 10000


def _may_see(task: Task, access: TaskAccess) -> None:
    if not access.sees_all:
        raise NotAllowed(
            "only adjudicators and project admins not annotating this task see its disagreements"
        )
    _beat_task(task)


def _beat_task(task: Task) -> None:
    if not is_beat_schema(task.project.schema):
        raise StateConflict(f"task {task.pk} is not a beat-correction task")


def disagreement_out(d: BeatDisagreement) -> dict[str, Any]:
    return {
        "id": d.pk,
        "time": d.time,
        "kind": d.kind,
        "versions": d.versions,
        "resolution": d.resolution,
        "resolved_by": d.resolved_by.get_username() if d.resolved_by else None,
        "resolved_at": d.resolved_at,
    }


def comparison(task: Task, access: TaskAccess) -> dict[str, Any]:
    """The task's disagreements and agreement statistics, for those who may adjudicate it
    (and admins); ``NotAllowed`` for anyone still blind to it."""
    _may_see(task, access)
    found = BeatComparison.objects.filter(task=task).first()
    rows = BeatDisagreement.objects.filter(task=task).select_related("resolved_by")
    items = [disagreement_out(d) for d in rows.order_by("time", "id")]
    return {
        "task": task.pk,
        "status": task.status,
        "stats": found.stats if found else None,
        "items": items,
        "count": len(items),
        "unresolved": sum(1 for i in items if i["resolution"] is None),
    }


def _clean(raw: Any, where: str, annotators: list[str]) -> dict[str, Any]:
    """A resolution as sent, checked; every message names the field."""
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: must be an object with an action")
    action = raw.get("action")
    if action not in ACTIONS:
        raise InvalidInput(f"{where}.action: must be one of {', '.join(ACTIONS)}")
    if action == "take":
        name = raw.get("annotator")
        if not isinstance(name, str) or name not in annotators:
            raise InvalidInput(
                f"{where}.annotator: must be one of the task's annotators ({', '.join(annotators)})"
            )
        return {"action": "take", "annotator": name}
    if action == "label":
        label = raw.get("label")
        if not isinstance(label, str) or label not in BEAT_CODES:
            raise InvalidInput(f"{where}.label: {label!r} is not a WFDB beat code")
        return {"action": "label", "label": label}
    return {"action": action}


def _keep_label(d: BeatDisagreement) -> str | None:
    labels = {v["label"] for v in d.versions if v["label"] is not None}
    return labels.pop() if len(labels) == 1 else None


def _applies(d: BeatDisagreement, resolution: dict[str, Any]) -> str:
    """Why ``resolution`` cannot resolve ``d`` ("" when it can)."""
    if resolution["action"] == "keep" and _keep_label(d) is None:
        labels = sorted({v["label"] for v in d.versions if v["label"]})
        return f"the annotators label it {' vs '.join(labels)}: choose a label"
    return ""


def _locked(task: Task, user: Any) -> tuple[Task, list[str]]:
    task = (
        Task.objects.select_for_update(of=("self",), no_key=True)
        .select_related("project", "record")
        .get(pk=task.pk)
    )
    check_adjudicable(task, task_access(user, task))
    _beat_task(task)
    found = BeatComparison.objects.filter(task=task).first()
    if found is None:
        raise StateConflict("this task's corrected sets have not been compared yet")
    return task, list(found.stats.get("annotators", []))


def _save(d: BeatDisagreement, resolution: dict[str, Any], user: Any) -> None:
    d.resolution, d.resolved_by, d.resolved_at = resolution, user, timezone.now()
    d.save(update_fields=["resolution", "resolved_by", "resolved_at"])


def resolve(task: Task, user: Any, data: Any) -> dict[str, Any]:
    """Resolve some disagreements: ``{"items": [{"id": n, "action": ...}, ...]}``, all or
    nothing. Writes the final set when none is left unresolved."""
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
        raise InvalidInput(f"items: must be a list of 1 to {MAX_ITEMS} resolutions")
    with transaction.atomic():
        task, annotators = _locked(task, user)
        rows = {d.pk: d for d in BeatDisagreement.objects.filter(task=task)}
        for i, raw in enumerate(items):
            where = f"items[{i}]"
            pk = raw.get("id") if isinstance(raw, dict) else None
            if type(pk) is not int or pk not in rows:
                raise InvalidInput(f"{where}.id: must be the id of a disagreement of this task")
            resolution = _clean(raw, where, annotators)
            why = _applies(rows[pk], resolution)
            if why:
                at = f"{rows[pk].time:.3f} s"
                raise InvalidInput(f"{where}.action: cannot keep the beat at {at}: {why}")
            _save(rows[pk], resolution, user)
        return _progress(task, user)


def resolve_bulk(task: Task, user: Any, data: Any) -> dict[str, Any]:
    """Resolve every disagreement that matches, with one resolution::

        {"action": ..., "annotator"?, "label"?,     the resolution
         "kind"?: "missing" | "label",              only disagreements of this kind
         "labels"?: ["N", "V"],                     only those whose labels are these
         "overwrite"?: false}                       also those resolved already

    e.g. take annotator X for all remaining; every N vs V label disagreement -> V; keep
    every missing beat. Disagreements the resolution cannot settle (keep, where the
    annotators' labels differ) are left as they are and counted as skipped.
    """
    if not isinstance(data, dict):
        raise InvalidInput("body: must be a JSON object")
    kind = data.get("kind")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(KINDS)}")
    labels = data.get("labels")
    if labels is not None and (
        not isinstance(labels, list)
        or not labels
        or not all(isinstance(x, str) and x in BEAT_CODES for x in labels)
    ):
        raise InvalidInput("labels: must be a list of WFDB beat codes")
    overwrite = data.get("overwrite", False)
    if not isinstance(overwrite, bool):
        raise InvalidInput("overwrite: must be true or false")
    with transaction.atomic():
        task, annotators = _locked(task, user)
        resolution = _clean(data, "resolution", annotators)
        rows = BeatDisagreement.objects.filter(task=task)
        if kind is not None:
            rows = rows.filter(kind=kind)
        if not overwrite:
            rows = rows.filter(resolution__isnull=True)
        done = skipped = 0
        for d in rows.order_by("time", "id"):
            given = {v["label"] for v in d.versions if v["label"] is not None}
            if labels is not None and given != set(labels):
                continue
            if _applies(d, resolution):
                skipped += 1
                continue
            _save(d, resolution, user)
            done += 1
        out = _progress(task, user)
        out.update(resolved_now=done, skipped=skipped)
        return out


def _progress(task: Task, user: Any) -> dict[str, Any]:
    left = BeatDisagreement.objects.filter(task=task, resolution__isnull=True).count()
    if left == 0:
        finish(task, user)
    return {"task": task.pk, "status": task.status, "unresolved": left}


def _beat_of(g: BeatGroup, d: BeatDisagreement, c: Any) -> tuple[int, str] | None:
    r = d.resolution or {}
    if r["action"] == "drop":
        return None
    if r["action"] == "take":
        j = c.annotators.index(r["annotator"])
        m = g.members[j]
        return None if m is None else (int(c.samples[j][m]), str(g.labels[j]))
    if r["action"] == "label":
        return g.sample, str(r["label"])
    label = _keep_label(d)
    return None if label is None else (g.sample, label)


def finish(task: Task, user: Any, comment: str = "") -> Adjudication:
    """Write the final set from the agreed beats and the resolutions, and mark the task
    adjudicated; in the caller's transaction, with the task locked."""
    c = corrections(task)
    if c is None:
        raise StateConflict("this task is waiting for its annotators' corrected beats again")
    groups = c.groups()
    rows = {d.group: d for d in BeatDisagreement.objects.filter(task=task)}
    if sorted(rows) != [i for i, g in enumerate(groups) if g.kind is not None]:
        raise StateConflict("the corrected sets changed since they were compared: reload")
    if any(d.resolution is None for d in rows.values()):
        raise StateConflict("some disagreements are not resolved yet")
    beats = agreed_beats(groups)
    for i, d in rows.items():
        beat = _beat_of(groups[i], d, c)
        if beat is not None:
            beats.append(beat)
    final = write_final(task, beats, c.fs)
    answer = {"beats": final["beats"], "resolved": len(rows)}
    decision = Adjudication.objects.create(
        task=task, user=user, answer=answer, final_label=final, comment=comment
    )
    now = timezone.now()
    task.status, task.final_label, task.decided_at = TaskStatus.ADJUDICATED, final, now
    task.reason, task.decided_by = "", DecidedBy.ADJUDICATED
    task.save(update_fields=["status", "final_label", "reason", "decided_by", "decided_at"])
    log(task, user, TaskEvent.Action.ADJUDICATED, comment=comment)
    Flag.objects.filter(annotation__task=task, resolved_at__isnull=True).update(resolved_at=now)
    return decision


def finish_now(task: Task, user: Any, comment: str = "") -> Adjudication:
    """Decide a task whose disagreements are all resolved already (or that has none: an
    agreed task someone flagged), e.g. to decide it again with a comment."""
    with transaction.atomic():
        task, _ = _locked(task, user)
        return finish(task, user, comment)
