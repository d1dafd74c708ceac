"""Who works on the analysis queue, and what becomes of the runs of a worker that died.

A worker is named by its host and process id (``ward3-app:4121``): that is what an
administrator finds with ``ps`` on the machine, and it is unique among the workers alive at
one moment, on however many machines share the database (the only thing they share).

A running job touches its run's ``heartbeat_at`` every :func:`heartbeat_every` seconds, from
a small thread (:class:`Heartbeat`), whatever the analysis is doing. A run whose heartbeat
is older than ``settings.WORKER_DEAD_AFTER`` lost its worker (killed, out of memory, its
machine went down): :func:`fail_dead_runs` marks it failed with the reason, so that the
record can be analysed again at once. Any process may do that; the database makes it
happen once (a conditional UPDATE), and a worker that was only slow and comes back finds
its run taken from it and writes nothing (see ``jobs._save``).

Each worker process also keeps a row of :class:`~wavetag.analysis.models.Worker` fresh
(:class:`Presence`), so that ``/metrics`` can tell a quiet worker from a dead one, and on
start fails the runs its own name still holds: a worker restarted under the same name
(a container whose process is always pid 1) cannot be running them any more.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connections, models, transaction
from django.db.models import Q
from django.utils import timezone

from wavetag.errors import StateConflict

from .models import AnalysisRun, RunStatus, Worker

log = logging.getLogger(__name__)

# Rows of workers silent this long are forgotten (a machine taken out of service).
FORGET_AFTER = timedelta(days=1)


def worker_id() -> str:
    """This process's name as a worker: ``host:pid`` (at most 64 characters)."""
    pid = str(os.getpid())
    return f"{socket.gethostname()[: 63 - len(pid)]}:{pid}"


def dead_after() -> timedelta:
    return timedelta(seconds=settings.WORKER_DEAD_AFTER)


def heartbeat_every() -> float:
    """Seconds between heartbeats: several per ``WORKER_DEAD_AFTER`` (5 s for 60 s), so
    that a database busy for a moment does not make a live worker look dead."""
    return max(0.2, settings.WORKER_DEAD_AFTER / 12)


def _fail(runs: list[AnalysisRun], still: Q, reason: str) -> int:
    """Fail each of ``runs`` that still matches ``still``, and its job row; ``reason``
    may name the worker (``{worker}``)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    failed = 0
    now = timezone.now()
    for run in runs:
        text = reason.format(worker=run.worker or "its worker")
        # Conditional: a run whose worker came back (or finished) meanwhile is left alone,
        # and two processes reaping at once fail it once.
        with transaction.atomic():
            done = AnalysisRun.objects.filter(still, pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED,
                error=text,
                message="the worker stopped",
                finished_at=now,
            )
            if done and run.task_id:
                # The queue's own row would say RUNNING for ever otherwise.
                DBTaskResult.objects.filter(id=run.task_id, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.FAILED,
                    finished_at=now,
                    exception_class_path="wavetag.analysis.workers.WorkerStopped",
                    traceback=text,
                )
        if done:
            log.warning("analysis run %s of record %s failed: %s", run.pk, run.record_id, text)
            failed += done
    return failed


def fail_dead_runs(record_id: int | None = None) -> int:
    """Fail the running runs (of ``record_id``, or all) whose heartbeat is older than
    ``WORKER_DEAD_AFTER``; return how many."""
    cutoff = timezone.now() - dead_after()
    # (A run is claimed with a heartbeat: none at all is a row set by hand, left alone.)
    stale = Q(heartbeat_at__lt=cutoff)
    runs = AnalysisRun.objects.filter(stale, status=RunStatus.RUNNING)
    if record_id is not None:
        runs = runs.filter(record_id=record_id)
    seconds = f"{settings.WORKER_DEAD_AFTER:g}"
    reason = (
        f"the worker stopped: {{worker}} gave no sign of life for more than {seconds} s "
        "during the analysis (killed, out of memory, or its machine went down); "
        "ask for the analysis again"
    )
    return _fail(list(runs.only("pk", "record_id", "worker", "task_id")), stale, reason)


# Other kinds of job (release builds, ...) sweep their own dead rows: an app on a higher
# floor registers its sweep here (in its ``AppConfig.ready``), since this one cannot
# import it. Each takes no argument and returns how many rows it failed.
_sweeps: list[Callable[[], int]] = []


def register_sweep(sweep: Callable[[], int]) -> None:
    """Have every worker's heartbeat also run ``sweep`` (once per function)."""
    if sweep not in _sweeps:
        _sweeps.append(sweep)


def sweep_dead_jobs() -> int:
    """Fail the jobs of every kind whose worker died; return how many."""
    failed = fail_dead_runs()
    for sweep in _sweeps:
        try:
            failed += sweep()
        except Exception:
            # One kind's sweep failing (its table locked a moment) must not stop the rest.
            log.exception("sweeping dead jobs with %s failed", sweep.__qualname__)
    return failed


Job = TypeVar("Job", bound=models.Model)


def queue_job(
    create: Callable[[], Job], task: Any, conflict: Callable[[], str] | None = None
) -> Job:
    """Make a job's row with ``create`` and put ``task`` (a django-tasks task taking the
    row's id; None to only make the row) on the queue, in one transaction, so that a worker
    sees the job only once its row exists and a row never waits for a job that is not there.

    When the row's model keeps at most one active row per object (a unique constraint)
    and ``create`` breaks it, the request is refused with :class:`StateConflict` and the
    message ``conflict()`` gives (called then, so that it can name the active row).
    """
    try:
        with transaction.atomic():
            row = create()
            if task is not None:
                result = task.enqueue(row.pk)
                row.task_id = str(result.id)  # type: ignore[attr-defined]
                row.save(update_fields=["task_id"])
    except IntegrityError:
        if conflict is None:
            raise
        raise StateConflict(conflict()) from None
    return row


def fail_runs_of(worker: str) -> int:
    """Fail the runs still held by ``worker``: called by a worker starting under that
    name, which therefore runs none of them."""
    runs = AnalysisRun.objects.filter(status=RunStatus.RUNNING, worker=worker)
    reason = (
        "the worker stopped: {worker} was restarted during the analysis; ask for the analysis again"
    )
    return _fail(list(runs.only("pk", "record_id", "worker", "task_id")), Q(worker=worker), reason)


class Ticker:
    """A daemon thread calling ``beat`` every ``heartbeat_every()`` seconds until stopped.

    It has its own database connection (Django's are per thread), closed when it stops. A
    beat that fails (database away for a moment) is logged and the next one tried.
    """

    name = "ticker"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def beat(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        try:
            while not self._stop.wait(heartbeat_every()):
                try:
                    self.beat()
                except Exception:
                    log.warning("%s: heartbeat failed; trying again", self.name, exc_info=True)
        finally:
            connections.close_all()

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Heartbeat(Ticker):
    """While the ``with`` block runs, touch run ``run_id``'s heartbeat (if ``worker``
    still holds it)."""

    name = "run-heartbeat"

    def __init__(self, run_id: int, worker: str) -> None:
        super().__init__()
        self.run_id, self.worker = run_id, worker

    def beat(self) -> None:
        AnalysisRun.objects.filter(
            pk=self.run_id, status=RunStatus.RUNNING, worker=self.worker
        ).update(heartbeat_at=timezone.now())


class Presence(Ticker):
    """A worker process's row in :class:`Worker`, kept fresh while it runs, removed when
    it stops; each beat also fails the jobs of workers that died (so that a run or a build
    is failed within a minute even when nobody asks for its record or project again)."""

    name = "worker-presence"

    def __init__(self, worker: str) -> None:
        super().__init__()
        self.worker = worker

    def __enter__(self) -> Presence:
        now = timezone.now()
        Worker.objects.filter(heartbeat_at__lt=now - FORGET_AFTER).delete()
        host, _, pid = self.worker.rpartition(":")
        Worker.objects.update_or_create(
            id=self.worker,
            defaults={"host": host, "pid": int(pid), "started_at": now, "heartbeat_at": now},
        )
        fail_runs_of(self.worker)
        sweep_dead_jobs()
        super().__enter__()
        return self

    def beat(self) -> None:
        Worker.objects.filter(id=self.worker).update(heartbeat_at=timezone.now())
        sweep_dead_jobs()

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        Worker.objects.filter(id=self.worker).delete()
