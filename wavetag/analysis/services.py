"""Ask for the automatic analysis of a record, and carry it out.

Pages, the API and ``wavetag analyze`` call these; the worker calls :func:`execute_run`
through the job in :mod:`wavetag.analysis.jobs`.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from wavetag.errors import StateConflict
from wavetag.records.models import Record
from wavetag.records.sets import replace_automatic_set
from wavetag.signal.store import RecordStore

from .findings import summarise
from .models import AnalysisRun, RunStatus
from .stages import STAGES, AnalysisError, Context, Report, ecg_channel

log = logging.getLogger(__name__)

# A running job reports progress every few seconds; one silent this long lost its worker.
STALE_AFTER = timedelta(minutes=15)
PROGRESS_EVERY = 0.5  # seconds between progress writes
SAVING = 0.98  # progress when the stages are done and the set is being written


def _fail_stale_runs(record: Record) -> None:
    cutoff = timezone.now() - STALE_AFTER
    AnalysisRun.objects.filter(
        record=record, status=RunStatus.RUNNING, heartbeat_at__lt=cutoff
    ).update(
        status=RunStatus.FAILED,
        error="the worker stopped during the analysis (no progress for 15 minutes); "
        "ask for it again",
        finished_at=timezone.now(),
    )


def request_analysis(record: Record, user: Any, *, enqueue: bool = True) -> AnalysisRun:
    """Queue the automatic analysis of ``record``; refused while one is queued or running.

    The caller has checked that ``user`` may ask for it (:mod:`wavetag.analysis.access`).
    With ``enqueue=False`` the run is only created, for the caller to execute itself.
    """
    _fail_stale_runs(record)
    requested_by = user if getattr(user, "pk", None) else None
    try:
        with transaction.atomic():
            run = AnalysisRun.objects.create(
                record=record, requested_by=requested_by, message="waiting for a worker"
            )
            if enqueue:
                from .jobs import analyse_record

                # In the same transaction: a worker sees the job only once the run exists.
                result = analyse_record.enqueue(run.pk)
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
    except IntegrityError:
        active = AnalysisRun.objects.filter(record=record, status__in=RunStatus.active()).first()
        where = f" (run {active.pk}, {active.status})" if active else ""
        raise StateConflict(
            f"record {record.name} is already being analysed{where}: wait for that run to finish"
        ) from None
    return run


class _Progress:
    """Writes a run's progress to its row, at most every PROGRESS_EVERY seconds."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.last = 0.0

    def __call__(self, fraction: float, message: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        AnalysisRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
            progress=min(max(fraction, 0.0), 1.0),
            message=message[:255],
            heartbeat_at=timezone.now(),
        )


def _scaled(report: _Progress, base: float, weight: float) -> Report:
    """A stage's own 0-1 progress as its share of the whole run."""

    def within(fraction: float, message: str) -> None:
        report(base + weight * fraction, message)

    return within


def _user_error(exc: BaseException, stage: str) -> str:
    """What went wrong, for the person who asked: no traceback, no internals."""
    if isinstance(exc, AnalysisError):
        return str(exc)
    if stage == "saving":
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return f"the annotation set could not be saved ({reason}); nothing of it was kept"
    if isinstance(exc, FileNotFoundError):
        return (
            "the record's samples are missing from the waveform store "
            "(was the store moved, or the record deleted?)"
        )
    if isinstance(exc, OSError):
        return f"the record's samples could not be read ({exc.strerror or type(exc).__name__})"
    if isinstance(exc, MemoryError):
        return "the server ran out of memory during the analysis"
    return (
        f"the {stage} step failed unexpectedly ({type(exc).__name__}); "
        "the details are in the server log"
    )


def execute_run(run_id: int) -> AnalysisRun:
    """Carry out a queued run: every stage, then its annotation set, in one transaction.

    1. Claim the run (queued -> running); a run already taken or finished is left alone.
    2. Open the record's store and pick the ECG channel.
    3. Run each stage of ``STAGES``, reporting progress.
    4. In one transaction, replace the record's automatic set and mark the run done.

    A failure at any step marks the run failed with a readable error; the traceback goes
    to the log and no set is written (step 4 is all or nothing).
    """
    now = timezone.now()
    claimed = AnalysisRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, message="starting"
    )
    run = AnalysisRun.objects.select_related("record").get(pk=run_id)
    if not claimed:
        return run
    report = _Progress(run_id)
    stage = "setup"
    try:
        store = RecordStore.open(Path(settings.STORE_DIR), run.record.store_key)
        ctx = Context(store=store, channel=ecg_channel(store.channels))
        AnalysisRun.objects.filter(pk=run_id).update(channel=ctx.channel.index)
        # The stages share the bar up to SAVING; writing the set takes the rest.
        total = (sum(s.weight for s in STAGES) or 1.0) / SAVING
        before = 0.0
        for step in STAGES:
            stage = step.name
            step.run(ctx, _scaled(report, before / total, step.weight / total))
            before += step.weight
        stage = "saving"
        report(SAVING, "saving the annotation set", force=True)
        with transaction.atomic():
            n = len(ctx.beats)
            if len(ctx.symbols) != n:
                raise AnalysisError(f"beat labelling gave {len(ctx.symbols)} labels for {n} beats")
            samples = np.concatenate(
                [ctx.beats, np.asarray([m.sample for m in ctx.marks], np.int64)]
            )
            clusters: list[int | None] = (
                ctx.labels.clusters.tolist() if ctx.labels is not None else [None] * n
            )
            aset = replace_automatic_set(
                run.record,
                channel=ctx.channel.index,
                fs=ctx.channel.fs,
                samples=samples,
                symbols=list(ctx.symbols) + [m.symbol for m in ctx.marks],
                aux_notes=[""] * len(ctx.beats) + [m.aux_note for m in ctx.marks],
                source=f"automatic analysis run {run_id} of channel {ctx.channel.name}",
                clusters=clusters + [None] * len(ctx.marks),
            )
            AnalysisRun.objects.filter(pk=run_id).update(
                status=RunStatus.DONE,
                progress=1.0,
                message=f"done: {len(ctx.beats)} beats",
                beats=len(ctx.beats),
                result=summarise(ctx),
                annotation_set=aset,
                set_name=aset.name,
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
    except Exception as exc:
        log.exception("analysis run %s of record %s failed in %s", run_id, run.record, stage)
        AnalysisRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED,
            error=_user_error(exc, stage),
            message=f"failed in the {stage} step",
            finished_at=timezone.now(),
        )
    # The record (and its runs) may have been deleted meanwhile.
    return AnalysisRun.objects.select_related("record").filter(pk=run_id).first() or run
