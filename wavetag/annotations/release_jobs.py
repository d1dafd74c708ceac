"""A project's release bundle built in the background, as a ``.zip`` to download.

The console and ``POST /api/v1/projects/{id}/releases`` call :func:`request_release`; the
tasks framework's worker (``wavetag worker``) runs :func:`build_release`, and tests call
:func:`execute_build` directly. The bundle is the one ``wavetag export`` writes
(:func:`wavetag.annotations.release.write_release`).

The zip is kept in the waveform store, not on the disk of the machine that built it:
every web machine reads the store (a shared folder or S3), so any of them can serve the
download. Zips live under ``releases/<build id>/``, a name :func:`~wavetag.signal.store.
list_keys` never takes for a record, so ``store-gc`` leaves them alone.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from wavetag.analysis.workers import Ticker, dead_after, queue_job
from wavetag.errors import StateConflict
from wavetag.projects.models import Project
from wavetag.records.storage import store_root
from wavetag.signal.store import as_storage, staging_folder

from .models import BuildStatus, ReleaseBuild
from .release import wavetag_version, write_release

log = logging.getLogger(__name__)

PREFIX = "releases"
CHUNK = 1 << 20  # bytes per read of a download: bounded memory whatever the zip's size
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def request_release(
    project: Project, user: Any, *, with_names: bool = False, enqueue: bool = True
) -> ReleaseBuild:
    """Queue a build of ``project``'s release bundle; refused while one is queued or running.

    The caller has checked that ``user`` is an admin of the project (only they may ask,
    and so only they may ask for the annotators' names). With ``enqueue=False`` the build
    is only created, for the caller to execute itself.
    """
    # A build whose worker died no longer blocks: it is failed here, with its reason.
    fail_dead_builds(project)
    requested_by = user if getattr(user, "pk", None) else None
    return queue_job(
        lambda: ReleaseBuild.objects.create(
            project=project,
            requested_by=requested_by,
            with_names=with_names,
            message="waiting for a worker",
        ),
        build_release if enqueue else None,
        lambda: (
            f"a release bundle of project {project.name} is already being built: "
            "wait for it to finish"
        ),
    )


def fail_dead_builds(project: Project | None = None) -> int:
    """Fail the running builds (of ``project``, or all) whose heartbeat is older than
    WORKER_DEAD_AFTER (their worker was killed, ran out of memory or lost its machine);
    return how many. Every worker's heartbeat calls it for all (see ``AnnotationsConfig``)."""
    stale = timezone.now() - dead_after()
    builds = ReleaseBuild.objects.filter(status=BuildStatus.RUNNING, heartbeat_at__lt=stale)
    if project is not None:
        builds = builds.filter(project=project)
    return builds.update(
        status=BuildStatus.FAILED,
        message=f"failed: the worker gave no sign of life for more than "
        f"{settings.WORKER_DEAD_AFTER:g} s (killed, out of memory, or its machine went "
        "down); build it again",
        finished_at=timezone.now(),
    )


class _Heartbeat(Ticker):
    """While the ``with`` block runs, touch build ``build_id``'s heartbeat."""

    name = "release-heartbeat"

    def __init__(self, build_id: int) -> None:
        super().__init__()
        self.build_id = build_id

    def beat(self) -> None:
        ReleaseBuild.objects.filter(pk=self.build_id, status=BuildStatus.RUNNING).update(
            heartbeat_at=timezone.now()
        )


@task()
def build_release(build_id: int) -> str:
    """Carry out release build ``build_id``; its row says how it went (never raises for it)."""
    return execute_build(build_id).status


def folder_name(project: Project) -> str:
    """The zip's top-level folder, and its file name without ``.zip``: the project's name
    with what a file name cannot hold replaced."""
    return _UNSAFE.sub("_", project.name).strip("_") or f"project{project.pk}"


def execute_build(build_id: int) -> ReleaseBuild:
    """Build a queued release bundle and keep it as a zip in the store.

    1. Claim the build (queued -> running); one already taken or finished is left alone.
    2. Write the bundle into a temporary folder (``write_release``), under one folder
       named after the project, and zip it, noting its size and SHA-256.
    3. Stage the zip in the store and publish it under ``releases/<build id>/`` in one
       step (a rename on a folder; on S3 an upload, in parts when large), so that no
       reader ever finds half a zip.
    4. Mark the build done with the zip's name, size and checksum, in one update.

    A failure at any step marks the build failed with a readable message (the traceback
    goes to the log), and what was stored of it is removed.
    """
    now = timezone.now()
    claimed = ReleaseBuild.objects.filter(pk=build_id, status=BuildStatus.QUEUED).update(
        status=BuildStatus.RUNNING, started_at=now, heartbeat_at=now, message="writing the bundle"
    )
    build = ReleaseBuild.objects.select_related("project").get(pk=build_id)
    if not claimed:
        return build
    if transaction.get_connection().in_atomic_block:
        # Called inside a transaction (a test): the claimed build is not visible to another
        # connection, so a heartbeat thread could not touch it.
        _carry_out(build)
    else:
        with _Heartbeat(build_id):
            _carry_out(build)
    return ReleaseBuild.objects.filter(pk=build_id).first() or build


def _carry_out(build: ReleaseBuild) -> None:
    """Steps 2 to 4 of :func:`execute_build` on the claimed ``build``."""
    build_id = build.pk
    storage = as_storage(store_root())
    final = f"{PREFIX}/{build_id}"
    staging = ""
    try:
        name = folder_name(build.project)
        with tempfile.TemporaryDirectory(prefix="wavetag-release-") as tmp:
            bundle = write_release(
                build.project,
                Path(tmp) / "bundle" / name,
                with_names=build.with_names,
                version=wavetag_version(),
            )
            ReleaseBuild.objects.filter(pk=build_id).update(message="zipping the bundle")
            zip_path = Path(tmp) / f"{name}.zip"
            _zip(bundle.out, zip_path)
            size, digest = _sha256(zip_path)
            staging = staging_folder(f"release-{build_id}")
            with (
                open(zip_path, "rb") as f,
                mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm,
                memoryview(mm) as view,
            ):
                # Mapped, not read: the zip may be larger than the memory to spare.
                storage.write(f"{staging}/{name}.zip", view)
        storage.publish(staging, final)
        done = ReleaseBuild.objects.filter(pk=build_id, status=BuildStatus.RUNNING).update(
            status=BuildStatus.DONE,
            message=f"done: {len(bundle.records)} records, {bundle.tasks} tasks",
            finished_at=timezone.now(),
            size=size,
            sha256=digest,
            storage_name=f"{final}/{name}.zip",
            file_name=f"{name}-release-{build_id}.zip",
        )
        if not done:  # deleted meanwhile (with its project), or failed as dead
            storage.delete(final)
    except (KeyboardInterrupt, SystemExit):
        # Stopped outright (a second Ctrl+C or SIGTERM): say so now, not in a minute.
        _fail(build_id, "failed: the worker was stopped during the build; build it again")
        _remove(storage, build_id, staging, final)
        raise
    except Exception as exc:
        log.exception("release build %s of project %s failed", build_id, build.project_id)
        _remove(storage, build_id, staging, final)
        _fail(build_id, _user_error(exc))


def _fail(build_id: int, message: str) -> None:
    ReleaseBuild.objects.filter(pk=build_id, status=BuildStatus.RUNNING).update(
        status=BuildStatus.FAILED, message=message[:255], finished_at=timezone.now()
    )


def _remove(storage: Any, build_id: int, *names: str) -> None:
    """Remove what a failed build stored (best effort: the failure is what to report)."""
    for name in names:
        if name:
            try:
                storage.delete(name)
            except Exception:
                log.exception("release build %s: could not remove %s", build_id, name)


def _user_error(exc: BaseException) -> str:
    """What went wrong, for the person who asked: no traceback, no internals."""
    if isinstance(exc, FileNotFoundError):
        return (
            "failed: a record's samples are missing from the waveform store "
            "(was the store moved, or a record deleted?)"
        )
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"failed: the bundle could not be written or stored ({reason})"
    if isinstance(exc, MemoryError):
        return "failed: the server ran out of memory while building the bundle"
    return f"failed unexpectedly ({type(exc).__name__}); the details are in the server log"


def _zip(folder: Path, target: Path) -> None:
    """Zip ``folder`` into ``target`` with ``folder``'s name as the one top-level folder,
    files in sorted order (the same bundle gives the same listing)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for path in files:
            z.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")


def _sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return os.path.getsize(path), digest.hexdigest()


def zip_chunks(build: ReleaseBuild) -> Iterator[bytes]:
    """The bytes of a done build's zip, read from the store a chunk at a time.

    Raises
    ------
    StateConflict
        If the build is not done (queued, running or failed).
    FileNotFoundError
        If the zip is no longer in the store (removed by hand, or a restored backup,
        which holds no release zips): build it again.
    """
    if build.status != BuildStatus.DONE or not build.storage_name or build.size is None:
        raise StateConflict(f"release build {build.pk} is {build.status}: nothing to download")
    storage = as_storage(store_root())
    size, name = build.size, build.storage_name
    # Read the first chunk now: a missing zip is an error answer, not a broken download.
    first = bytes(storage.read(name, 0, min(CHUNK, size)))

    def chunks() -> Iterator[bytes]:
        yield first
        offset = len(first)
        while offset < size:
            data = storage.read(name, offset, min(CHUNK, size - offset))
            offset += len(data)
            yield bytes(data)

    return chunks()
