"""The background job of the automatic analysis: carry out a queued run.

The tasks framework's worker runs :func:`analyse_record`; ``wavetag analyze --wait`` and
tests call :func:`execute_run` directly. The analysis itself is
:func:`wavetag.signal.analysis.analyze`; this module gives it the record's samples from the
waveform store, writes its progress to the run's row and saves what it found.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from wavetag.records.sets import replace_automatic_set
from wavetag.records.storage import store_root
from wavetag.signal.analysis import (
    AnalysisConfig,
    AnalysisResult,
    StageError,
    analyze,
    pick_channel,
)
from wavetag.signal.leads import AnalysisError, SampleSource
from wavetag.signal.store import RecordStore

from .findings import summarise
from .models import AnalysisRun, RunStatus
from .workers import Heartbeat, worker_id

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes
SAVING = 0.98  # progress when the analysis is done and the set is being written


@task()
def analyse_record(run_id: int) -> str:
    """Carry out analysis run ``run_id``; its row says how it went (never raises for it)."""
    return execute_run(run_id).status


def store_source(store: RecordStore) -> SampleSource:
    """The record's samples as the analysis reads them: physical units, a piece at a time."""
    return SampleSource.from_store(store)


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


class RunTaken(Exception):
    """The run was failed as dead while this process still worked on it (it was silent
    longer than WORKER_DEAD_AFTER): its result must not be written."""


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


def execute_run(
    run_id: int, conf: AnalysisConfig | None = None, *, worker: str | None = None
) -> AnalysisRun:
    """Carry out a queued run: the analysis, then its annotation set, in one transaction.

    1. Claim the run (queued -> running) in the name of ``worker`` (this process's
       ``host:pid`` by default); a run already taken or finished is left alone. Until the
       end, a thread touches the run's heartbeat every few seconds, so that a run whose
       process dies is seen to have died (:mod:`wavetag.analysis.workers`).
    2. Open the record's store and note the channel the analysis will read: the run's
       ``channel`` when the request named one, else the ECG lead where the QRS is
       detected best (:func:`~wavetag.signal.analysis.pick_channel`).
    3. Run :func:`~wavetag.signal.analysis.analyze` (with ``conf``, default tunables
       unless given, on that channel), writing its progress to the row.
    4. In one transaction, replace the record's automatic set and mark the run done,
       unless the run was failed as dead meanwhile (then nothing is written).

    A failure at any step marks the run failed with a readable error; the traceback goes
    to the log and no set is written (step 4 is all or nothing).
    """
    worker = worker or worker_id()
    now = timezone.now()
    claimed = AnalysisRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        message="starting",
        worker=worker,
    )
    run = AnalysisRun.objects.select_related("record").get(pk=run_id)
    if not claimed:
        return run
    if transaction.get_connection().in_atomic_block:
        # Called inside a transaction (a test): the claimed run is not visible to another
        # connection, so a heartbeat thread could not touch it; the progress reports do.
        _carry_out(run, conf)
    else:
        with Heartbeat(run_id, worker):
            _carry_out(run, conf)
    # The record (and its runs) may have been deleted meanwhile.
    return AnalysisRun.objects.select_related("record").filter(pk=run_id).first() or run


def _carry_out(run: AnalysisRun, conf: AnalysisConfig | None) -> None:
    """Steps 2 to 4 of :func:`execute_run` on the claimed ``run``."""
    run_id = run.pk
    report = _Progress(run_id)
    stage = "setup"
    try:
        store = RecordStore.open(store_root(), run.record.store_key)
        # The channel asked for (or the lead chosen): the row names it while the run goes
        # on, and the analysis reads that one (the choice is not made twice).
        conf = conf or AnalysisConfig()
        if run.channel is not None:
            conf = dataclasses.replace(conf, channel=run.channel)
        source = store_source(store)
        channel = pick_channel(source, conf)
        AnalysisRun.objects.filter(pk=run_id).update(channel=channel.index)
        conf = dataclasses.replace(conf, channel=channel.index)
        # The analysis shares the bar up to SAVING; writing the set takes the rest.
        result = analyze(source, conf=conf, progress=lambda f, m: report(SAVING * f, m))
        stage = "saving"
        report(SAVING, "saving the annotation set", force=True)
        _save(run, result)
    except (KeyboardInterrupt, SystemExit):
        # Stopped outright (a second Ctrl+C or SIGTERM): say so now, not in a minute.
        AnalysisRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            error=f"the worker stopped: {run.worker} was stopped during the analysis; "
            "ask for the analysis again",
            message="the worker stopped",
            finished_at=timezone.now(),
        )
        raise
    except RunTaken:
        log.warning(
            "analysis run %s was failed as dead while it ran; its result is dropped", run_id
        )
    except Exception as exc:
        error: BaseException = exc
        if isinstance(exc, StageError):
            stage, error = exc.stage, exc.error
        log.exception("analysis run %s of record %s failed in %s", run_id, run.record, stage)
        AnalysisRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            error=_user_error(error, stage),
            message=f"failed in the {stage} step",
            finished_at=timezone.now(),
        )


@transaction.atomic
def _save(run: AnalysisRun, result: AnalysisResult) -> None:
    """Replace the record's automatic set by the beats and rhythm changes of ``result``,
    and mark ``run`` done with its summary; all or nothing.

    Raises
    ------
    RunTaken
        If the run is no longer running in this worker's name (failed as dead meanwhile).
    """
    # Lock the run first: a process failing it as dead at this moment waits for this
    # transaction, then finds it done; or it went first, and nothing is written here.
    held = AnalysisRun.objects.select_for_update().filter(
        pk=run.pk, status=RunStatus.RUNNING, worker=run.worker
    )
    if not held.exists():
        raise RunTaken(run.pk)
    labels, channel = result.beats, result.channel
    n = len(labels.samples)
    if len(labels.symbols) != n:
        raise AnalysisError(f"beat labelling gave {len(labels.symbols)} labels for {n} beats")
    marks = result.rhythm_changes()
    clusters: list[int | None] = labels.clusters.tolist()
    aset = replace_automatic_set(
        run.record,
        channel=channel.index,
        fs=channel.fs,
        samples=np.concatenate([labels.samples, np.asarray([m[0] for m in marks], np.int64)]),
        symbols=list(labels.symbols) + [m[1] for m in marks],
        aux_notes=[""] * n + [m[2] for m in marks],
        source=f"automatic analysis run {run.pk} of channel {channel.name}",
        clusters=clusters + [None] * len(marks),
    )
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE,
        progress=1.0,
        message=f"done: {n} beats",
        beats=n,
        result=summarise(result),
        annotation_set=aset,
        set_name=aset.name,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
