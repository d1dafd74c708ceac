"""Uploads too large to import within their request, imported by the worker.

Here, beside the analysis runs, because the worker's machinery (heartbeats, dead workers)
lives here; the import itself is the records app's (``wavetag.records.uploads``).

``POST /api/v1/datasets/{name}/records`` stages the files in a private folder and, past
``settings.UPLOAD_INLINE_MAX`` bytes, queues an :class:`~wavetag.records.models.ImportJob`
on the tasks framework's queue (``wavetag worker`` runs it, as it runs release builds);
the client follows it at ``GET /api/v1/import-jobs/{id}``. The staged folder must be on a
disk the worker sees: WAVETAG_HOME, shared when the worker runs on another machine.

:func:`physionet_job` queues the same kind of job for a PhysioNet database
(``POST /api/v1/datasets/{name}/physionet``, the "Import from PhysioNet" page): the worker
downloads the records into the job's folder, then imports them
(``wavetag.records.physionet``); the same endpoint follows it.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import task

from wavetag.errors import StateConflict
from wavetag.records import physionet
from wavetag.records.importer import ImportResult
from wavetag.records.models import Dataset, ImportJob
from wavetag.records.refusals import NOTHING_IMPORTED, STOPPED, WORKER_DIED, refusal_shown
from wavetag.records.uploads import create_dataset, import_staged, new_folder

from .workers import Ticker, dead_after, queue_job

log = logging.getLogger(__name__)
Status = ImportJob.Status


def queue_import(
    dataset: Dataset,
    user: Any,
    folder: Path,
    *,
    refused: list[dict[str, str]] | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """A job importing the files staged in ``folder`` into ``dataset``; ``refused``, the
    files refused already when staged. With ``enqueue`` False it is only made (a test then
    calls :func:`execute_import`)."""
    return queue_job(
        lambda: ImportJob.objects.create(
            dataset=dataset,
            user=user if getattr(user, "pk", None) else None,
            folder=str(folder),
            refused=refused or [],
        ),
        run_import if enqueue else None,
    )


def physionet_job(
    dataset_name: str,
    database: Any,
    version: Any = None,
    records: Any = None,
    *,
    user: Any,
    enqueue: bool = True,
) -> ImportJob:
    """A job downloading ``records`` (all when None) of PhysioNet ``database`` (its
    ``version``, or the current one) from the mirror and importing them into the dataset
    ``dataset_name``, made when absent (the caller is a dataset manager).

    The database, version and records are checked against the mirror first: an unknown one
    is refused (``UnknownDatabase``, 400) before any dataset or job is made.
    """
    source = physionet.resolve(database, version, records)
    dataset = Dataset.objects.filter(name=dataset_name).first()
    if dataset is None:
        dataset = create_dataset(dataset_name)
    if dataset.tutorial:
        raise StateConflict(f"dataset {dataset.name} is the tutorial's: nothing else goes in it")
    folder = new_folder("physionet-")
    return queue_job(
        lambda: ImportJob.objects.create(
            dataset=dataset,
            user=user if getattr(user, "pk", None) else None,
            folder=str(folder),
            source=source.as_dict(),
            total=len(source.records),
        ),
        run_import if enqueue else None,
    )


@task()
def run_import(job_id: int) -> str:
    """Carry out import job ``job_id``; its row says how it went (never raises for it)."""
    return execute_import(job_id).status


def execute_import(job_id: int) -> ImportJob:
    """Claim the queued job (queued -> running), import its folder, record the outcome.

    A job already claimed or finished is left alone. Any error fails the job with a
    readable message (the traceback goes to the log); the staged folder is removed in
    every case.
    """
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now
    )
    job = ImportJob.objects.select_related("dataset", "user").get(pk=job_id)
    if not claimed:
        return job
    # The job has no reader: its refusals are kept in English and shown in the reader's
    # language when a page or the API shows the job (``describe``).
    with translation.override("en"):
        if transaction.get_connection().in_atomic_block:
            # Called inside a transaction (a test): another connection could not see the job.
            return _carry_out(job)
        with _Heartbeat(job_id):
            return _carry_out(job)


def _carry_out(job: ImportJob) -> ImportJob:
    job_id = job.pk

    def found(total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(total=total)

    def one_done(result: ImportResult) -> None:
        job.done += 1
        ImportJob.objects.filter(pk=job_id).update(done=job.done)

    def downloaded(record: str, error: str) -> None:
        job.downloaded += 1
        # A record that could not be fetched is refused, and so done with.
        job.done += bool(error)
        ImportJob.objects.filter(pk=job_id).update(downloaded=job.downloaded, done=job.done)

    try:
        if job.source.get("physionet"):
            outcome = physionet.import_download(
                physionet.Source.from_dict(job.source),
                Path(job.folder),
                job.dataset,
                job.user,
                on_downloaded=downloaded,
                on_result=one_done,
            )
        else:
            outcome = import_staged(
                Path(job.folder), job.dataset, job.user, on_found=found, on_result=one_done
            )
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        shutil.rmtree(job.folder, ignore_errors=True)
        job.status, job.error = Status.FAILED, STOPPED % {"reason": exc}
    else:
        # Files refused when the upload was staged come first, as within a request.
        job.items, job.refused = outcome.items, [*job.refused, *outcome.refused]
        job.status = Status.DONE if outcome.items else Status.FAILED
        if not outcome.items:
            job.error = NOTHING_IMPORTED
    job.finished_at = timezone.now()
    # Paths naming no record are reported without being counted as found.
    job.total = max(job.total, job.done)
    job.save(update_fields=["status", "error", "items", "refused", "total", "finished_at"])
    return job


class _Heartbeat(Ticker):
    """While the ``with`` block runs, touch import job ``job_id``'s heartbeat."""

    name = "import-heartbeat"

    def __init__(self, job_id: int) -> None:
        super().__init__()
        self.job_id = job_id

    def beat(self) -> None:
        ImportJob.objects.filter(pk=self.job_id, status=Status.RUNNING).update(
            heartbeat_at=timezone.now()
        )


def fail_dead_imports() -> int:
    """Fail the running jobs whose heartbeat is older than WORKER_DEAD_AFTER (their worker
    was killed or lost its machine) and remove their staged files; return how many.

    What the job had imported stays (each record was published whole); the records it had
    not reached were not imported: the uploader is told to send those again.
    """
    stale = timezone.now() - dead_after()
    dead = list(ImportJob.objects.filter(status=Status.RUNNING, heartbeat_at__lt=stale))
    failed = 0
    for job in dead:
        failed += ImportJob.objects.filter(
            pk=job.pk, status=Status.RUNNING, heartbeat_at__lt=stale
        ).update(
            status=Status.FAILED,
            error=WORKER_DIED % {"seconds": f"{settings.WORKER_DEAD_AFTER:g}"},
            finished_at=timezone.now(),
        )
        shutil.rmtree(job.folder, ignore_errors=True)
    return failed


def describe(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "dataset": job.dataset.name,
        "status": job.status,
        "source": _source(job),
        "total": job.total,
        "downloaded": job.downloaded,
        "done": job.done,
        "items": job.items,
        # Stored in English (the worker's), shown in the reader's language.
        "refused": [
            {"file": _file_shown(r.get("file", "")), "error": refusal_shown(r.get("error", ""))}
            for r in job.refused
        ],
        "error": refusal_shown(job.error),
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _file_shown(name: str) -> str:
    # A nameless file is named so by the upload's staging.
    return gettext("(no name)") if name == "(no name)" else name


def _source(job: ImportJob) -> dict[str, Any]:
    found = job.source.get("physionet")
    if not found:
        return {"kind": "upload"}
    return {"kind": "physionet", "database": found["database"], "version": found["version"]}
