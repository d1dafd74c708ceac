"""Cutting a project's dataset into tasks: whole records, event windows, or segments.

Making tasks is idempotent (each has a key unique in its project), so it can run again
after more records were imported and only adds what is missing.
"""

from __future__ import annotations

import math
from fnmatch import fnmatchcase
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from wavetag.records.models import Annotation as Mark
from wavetag.records.models import Record

from .models import Project, Task

# Alarm names a monitor (or the PhysioNet/CinC Challenge 2015 header) uses. Only a name
# from this list is shown with a task: header comments also hold the verdict ("True
# alarm"), which annotators must never see.
ALARM_TYPES = {
    name.lower(): name
    for name in (
        "Asystole",
        "Extreme_Bradycardia",
        "Extreme_Tachycardia",
        "Bradycardia",
        "Tachycardia",
        "Ventricular_Tachycardia",
        "Ventricular_Flutter_Fib",
        "Ventricular_Fibrillation",
        "Atrial_Fibrillation",
        "Pause",
        "Apnea",
        "Desaturation",
    )
}
BATCH = 2000


def alarm_type_from(text: str) -> str:
    """The first known alarm name in ``text`` (header comments or an event's note)."""
    for line in text.replace(",", "\n").splitlines():
        for word in line.replace("ALARM", " ").split():
            name = ALARM_TYPES.get(word.strip("#:()").lower())
            if name:
                return name
    return ""


def _event_times(project: Project, record: Record) -> list[tuple[float, str]]:
    marks = Mark.objects.filter(
        annotation_set__record=record, annotation_set__name=project.event_set
    ).order_by("time")
    out = []
    for mark in marks.only("time", "symbol", "aux_note"):
        match = project.event_match
        if match and not (mark.symbol.startswith(match) or mark.aux_note.startswith(match)):
            continue
        out.append((mark.time, alarm_type_from(mark.aux_note)))
    return out


def tasks_for_record(project: Project, record: Record) -> list[dict[str, Any]]:
    """The tasks one record gives, as field dicts (not saved)."""
    mode = project.task_mode
    duration = record.duration
    if mode == "segments":
        seconds = float(project.segment_seconds or 30)
        # Fixed length: a last piece shorter than a segment is not a task.
        count = int(math.floor(duration / seconds + 1e-9))
        return [
            {
                "key": f"{record.pk}:s:{i}",
                "window_start": i * seconds,
                "window_end": (i + 1) * seconds,
            }
            for i in range(count)
        ]
    if mode == "events":
        header_type = alarm_type_from(record.comments)
        events = _event_times(project, record) if project.event_set else []
        if not events and project.event_at is not None and 0 <= project.event_at <= duration:
            events = [(project.event_at, "")]
        if events:
            return [
                {
                    "key": f"{record.pk}:e:{t:.6f}",
                    "event_time": t,
                    "window_start": max(0.0, t - project.window_before),
                    "window_end": min(duration, t + project.window_after),
                    "alarm_type": kind or header_type,
                }
                for t, kind in events
            ]
        # Neither an event set nor an event time: the whole record is the task.
        whole = {"key": f"{record.pk}:r", "window_start": 0.0, "window_end": duration}
        return [{**whole, "alarm_type": header_type}]
    return [{"key": f"{record.pk}:r", "window_start": 0.0, "window_end": duration}]


def matching_records(dataset_id: int, pattern: str = "", annotation_set: str = "") -> list[Record]:
    """The records of a dataset whose name matches the glob ``pattern`` (case-sensitive, as
    record names are) and that have an annotation set named ``annotation_set``, by name."""
    records: QuerySet[Record] = Record.objects.filter(dataset_id=dataset_id)
    if annotation_set:
        records = records.filter(annotation_sets__name=annotation_set).distinct()
    # fnmatch in Python rather than a SQL LIKE: the same glob rules on every database.
    return [
        r
        for r in records.order_by("name").only("id", "name", "duration", "comments")
        if not pattern or fnmatchcase(r.name, pattern)
    ]


def selected_records(project: Project) -> list[Record]:
    """The records the project's tasks are cut from (``Project.record_selection``): a
    random sample stays the records it drew, even after more records were imported."""
    selection = project.record_selection or {}
    records = matching_records(
        project.dataset_id, selection.get("pattern", ""), selection.get("annotation_set", "")
    )
    if "records" in selection:
        drawn = set(selection["records"])
        records = [r for r in records if r.name in drawn]
    return records


def make_tasks(project: Project) -> int:
    """Create the tasks of the project's records; returns how many are new."""
    existing = set(Task.objects.filter(project=project).values_list("key", flat=True))
    new: list[Task] = []
    created = 0
    with transaction.atomic():
        for record in selected_records(project):
            for fields in tasks_for_record(project, record):
                if fields["key"] in existing:
                    continue
                new.append(Task(project=project, record=record, **fields))
                if len(new) >= BATCH:
                    created += len(Task.objects.bulk_create(new))
                    new = []
        created += len(Task.objects.bulk_create(new))
    return created
