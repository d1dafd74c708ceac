"""Beat-correction tasks: each annotator's working set, and what their answer records.

An annotator who opens a task of a beat-correction project gets their own copy of the
project's starting set over the task's window (once; opening it again finds the same
copy). Submitting the task records the answer as pointing to that set, and freezes the
set: it is edited again only after the answer is reopened (saved for later), so the
beats compared are those that were submitted. The set's edit log keeps every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _

from wavetag.analysis.models import AnalysisRun
from wavetag.analysis.services import request_analysis
from wavetag.errors import NotAllowed, StateConflict
from wavetag.projects.beat_schema import AUTOMATIC, is_beat_schema, start_set_of
from wavetag.projects.models import Assignment, Task
from wavetag.records.editing import SUBMITTED, frozen_shown
from wavetag.records.models import Annotation as Mark
from wavetag.records.models import AnnotationEdit, AnnotationSet
from wavetag.records.sets import _free_name, create_working_set
from wavetag.signal.vocabulary import BEAT_CODES

from .models import TaskSet

EDGE = 1e-6  # s: a task window ending at the record's end includes its last sample


def is_beat_task(task: Task) -> bool:
    return is_beat_schema(task.project.schema)


def in_window(rows: QuerySet[Mark], task: Task) -> QuerySet[Mark]:
    """The rows of the task's window: start included, end excluded (the next segment's),
    except at the record's end."""
    rows = rows.filter(time__gte=task.window_start)
    if task.window_end >= task.record.duration - EDGE:
        return rows.filter(time__lte=task.window_end)
    return rows.filter(time__lt=task.window_end)


def beats_of(aset: AnnotationSet, task: Task) -> QuerySet[Mark]:
    """The beats (not rhythm marks, not fiducial points) of a set in the task's window."""
    rows = Mark.objects.filter(annotation_set=aset, symbol__in=BEAT_CODES, beat__isnull=True)
    return in_window(rows, task).order_by("time", "id")


def start_set(task: Task) -> AnnotationSet | None:
    """The set the project's annotators start from on this task's record, if it exists."""
    name = start_set_of(task.project.schema)
    sets = AnnotationSet.objects.filter(record=task.record).exclude(
        origin=AnnotationSet.Origin.HUMAN
    )
    if name == AUTOMATIC:
        return sets.filter(origin=AnnotationSet.Origin.AUTOMATIC).first()
    return sets.filter(name=name).first()


@dataclass(frozen=True)
class StartState:
    """Why there is no starting set yet, for the page to say (and what it can offer)."""

    name: str
    automatic: bool
    message: str


def missing_start(task: Task) -> StartState:
    name = start_set_of(task.project.schema)
    if name == AUTOMATIC:
        run = AnalysisRun.objects.filter(record=task.record).order_by("-created_at", "-id").first()
        if run is None:
            why = "the automatic analysis of this record has not run yet"
        elif run.status in ("queued", "running"):
            why = f"the automatic analysis of this record is {run.status} ({run.progress:.0%})"
        elif run.status == "failed":
            why = f"the automatic analysis of this record failed: {run.error}"
        else:
            why = "the record's automatic set is gone (an analysis is replacing it)"
        return StartState(name, True, f"No automatic beats to correct yet: {why}.")
    return StartState(
        name,
        False,
        f"This record has no annotation set {name!r} to start from: ask the project's "
        "admin to import it, or to start the project from the automatic beats.",
    )


def working_set(task: Task, user: Any, *, create: bool = True) -> AnnotationSet | None:
    """The user's working set of the task, made from the starting set the first time.

    None when it does not exist and ``create`` is false, or the starting set does not
    exist yet (see :func:`missing_start`). Only the task's assignees have one.
    """
    found = TaskSet.objects.filter(task=task, user=user, kind=TaskSet.Kind.WORKING).first()
    if found is not None or not create:
        return found.annotation_set if found is not None else None
    if not Assignment.objects.filter(task=task, user=user).exists():
        raise NotAllowed(_("this task is not assigned to you"))
    source = start_set(task)
    if source is None:
        return None
    with transaction.atomic():
        # Two tabs opening the task at once: the second finds the first one's copy.
        Task.objects.select_for_update().filter(pk=task.pk).first()
        found = TaskSet.objects.filter(task=task, user=user, kind=TaskSet.Kind.WORKING).first()
        if found is not None:
            return found.annotation_set
        aset = create_working_set(
            source,
            user,
            _free_name(task.record, f"task{task.pk}-{user.get_username()}"),
            window=(task.window_start, task.window_end),
        )
        TaskSet.objects.create(
            project=task.project,
            record=task.record,
            task=task,
            user=user,
            kind=TaskSet.Kind.WORKING,
            annotation_set=aset,
            start_set=source,
        )
    return aset


def answer_part(task: Task, user: Any, status: str) -> dict[str, Any] | None:
    """What a beat task's answer records of the working set (None while there is none);
    freezes the set when the answer is submitted, thaws it when it is reopened. Runs in
    the caller's transaction."""
    aset = working_set(task, user, create=False)
    if aset is None:
        if status == "submitted":
            raise StateConflict(
                "beats: there is no set of corrected beats to submit yet (the starting set "
                "does not exist): open the task once its beats are ready"
            )
        return None
    aset = AnnotationSet.objects.select_for_update().get(pk=aset.pk)
    frozen = SUBMITTED % {"task": task.pk} if status == "submitted" else ""
    if aset.frozen != frozen:
        aset.frozen = frozen
        aset.save(update_fields=["frozen"])
    edits = AnnotationEdit.objects.filter(annotation_set=aset).aggregate(m=Max("batch"))["m"]
    return {
        "set": aset.name,
        "set_id": aset.pk,
        "count": beats_of(aset, task).count(),
        # The edit log up to this batch is what was answered: history of the beats.
        "edits": edits or 0,
    }


def set_out(aset: AnnotationSet | None) -> dict[str, Any] | None:
    if aset is None:
        return None
    return {"id": aset.pk, "name": aset.name, "origin": aset.origin, "count": aset.count}


def task_beats(task: Task, user: Any) -> dict[str, Any]:
    """What an assignee of a beat task works on: their working set (made now if it can
    be), the starting set, and, while there is no starting set, why."""
    if not is_beat_task(task):
        raise StateConflict(_("task %(task)s is not a beat-correction task") % {"task": task.pk})
    if not Assignment.objects.filter(task=task, user=user).exists():
        raise NotAllowed(_("this task is not assigned to you"))
    mine = working_set(task, user)
    source = start_set(task)
    missing = missing_start(task) if mine is None else None
    return {
        "task": task.pk,
        "start_set": set_out(source),
        "working_set": set_out(mine),
        "frozen": frozen_shown(mine.frozen) if mine is not None else "",
        "missing": missing.message if missing else "",
        "may_request_analysis": bool(missing and missing.automatic),
    }


def request_start_analysis(task: Task, user: Any) -> Any:
    """Queue the automatic analysis a beat task starts from, for one of its assignees
    (they may not ask for analyses otherwise); refused while one is queued or running."""
    state = task_beats(task, user)
    if not state["may_request_analysis"]:
        raise StateConflict(
            "this task's starting set exists already, or is an imported set no analysis makes"
        )
    return request_analysis(task.record, user)
