"""Ask for the automatic analysis of a record.

Pages, the API and ``wavetag analyze`` call :func:`request_analysis`; the worker carries
the run out through the job in :mod:`wavetag.analysis.jobs`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from wavetag.errors import StateConflict
from wavetag.records.models import Record

from .jobs import analyse_record
from .models import AnalysisRun, RunStatus

# A running job reports progress every few seconds; one silent this long lost its worker.
STALE_AFTER = timedelta(minutes=15)


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


def request_analysis(
    record: Record, user: Any, *, enqueue: bool = True, channel: int | None = None
) -> AnalysisRun:
    """Queue the automatic analysis of ``record``; refused while one is queued or running.

    The caller has checked that ``user`` may ask for it (:mod:`wavetag.analysis.access`).
    With ``enqueue=False`` the run is only created, for the caller to execute itself.
    ``channel`` (an index) is the channel to detect beats in; by default the first ECG
    lead. A channel the record lacks fails the run with a message that lists its channels.
    """
    _fail_stale_runs(record)
    requested_by = user if getattr(user, "pk", None) else None
    try:
        with transaction.atomic():
            run = AnalysisRun.objects.create(
                record=record,
                requested_by=requested_by,
                channel=channel,
                message="waiting for a worker",
            )
            if enqueue:
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
