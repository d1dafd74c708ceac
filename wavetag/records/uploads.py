"""Datasets made and records uploaded over HTTP: the service the API (and pages) call.

Uploaded files are staged in a private folder under WAVETAG_HOME (``settings.UPLOAD_DIR``)
and imported from there by the importer the command line uses (``import_paths``), so an
upload validates, streams and publishes exactly as ``wavetag import`` does. The folder is
removed whatever happens: an upload leaves records, or nothing.

Loose files go into one folder (``files/``), where WFDB files pair up by name as they do
on disk (``100.hea`` + ``100.dat`` + ``100.atr``); each archive is unpacked into a folder
of its own (:mod:`wavetag.records.archives`). Record names are paths below those folders.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput, StateConflict, refuse_nul
from wavetag.signal.io.annotations import read_annotation_file
from wavetag.signal.io.discover import find_records
from wavetag.signal.io.edf import read_edf_annotations
from wavetag.signal.io.paths import plain_name_problem
from wavetag.signal.recording import AnnotationSetData, RecordError

from .access import MAX_ID
from .archives import ArchiveError, is_archive, unpack
from .importer import ImportResult, import_paths, insert_annotations
from .models import AnnotationSet, Dataset, ImportJob, Record
from .reasons import PROBLEMS, reason_shown

LOOSE = "files"
# An archive may unpack to this many times the upload's limit (ECG compresses ~3:1).
UNPACK_RATIO = 4
_SET_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class Upload(Protocol):
    """What is needed of an uploaded file (Django's ``UploadedFile``)."""

    name: str | None
    size: int | None

    def chunks(self) -> Iterable[bytes]: ...


@dataclass
class Outcome:
    """Records imported (``{"id", "name"}``) and files refused (``{"file", "error"}``)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    # A file refused because its annotation set exists already (the API answers 409).
    conflict: bool = False


def create_dataset(name: Any, description: Any = "") -> Dataset:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name: " + _("required, a text"))
    if not isinstance(description, str):
        raise InvalidInput("description: " + _("must be a text"))
    name = refuse_nul("name", name.strip())
    if len(name) > Dataset._meta.get_field("name").max_length or "/" in name:  # type: ignore[operator]
        raise InvalidInput("name: " + _("at most 200 characters, without '/'"))
    try:
        with transaction.atomic():
            return Dataset.objects.create(
                name=name, description=refuse_nul("description", description)
            )
    except IntegrityError:
        raise StateConflict(
            "name: " + _("a dataset named %(name)r exists already") % {"name": name}
        ) from None


def uploadable_dataset(name: str) -> Dataset:
    dataset = Dataset.objects.filter(name=name).first()
    if dataset is None:
        raise Http404(_("No dataset named %(name)s") % {"name": repr(name)})
    if dataset.tutorial:
        raise StateConflict(
            _("dataset %(name)s is the tutorial's: nothing else goes in it") % {"name": name}
        )
    return dataset


def new_folder(prefix: str) -> Path:
    """A private folder (mode 700) under UPLOAD_DIR for one upload."""
    settings.UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    sweep_uploads()
    return Path(tempfile.mkdtemp(prefix=prefix, dir=settings.UPLOAD_DIR))


def sweep_uploads(older_than_seconds: float = 24 * 3600) -> list[str]:
    """Remove what a killed server or worker left in UPLOAD_DIR (staged folders, files
    half received) once older than a day, except the folders of jobs still waiting or
    running; return the names removed."""
    root = Path(settings.UPLOAD_DIR)
    if not root.is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    active = ImportJob.Status.QUEUED, ImportJob.Status.RUNNING
    folders = ImportJob.objects.filter(status__in=active).values_list("folder", flat=True)
    kept = {Path(f).name for f in folders}
    removed = []
    for entry in root.iterdir():
        try:
            old = entry.lstat().st_mtime < cutoff
        except FileNotFoundError:
            continue
        if old and entry.name not in kept:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


def stage(files: Iterable[Upload], folder: Path) -> list[dict[str, str]]:
    """Put the uploaded files into ``folder``: archives under ``archives/``, the others
    under ``files/``; returns the files refused (bad or repeated names)."""
    refused: list[dict[str, str]] = []
    for target_dir in (folder / LOOSE, folder / "archives"):
        target_dir.mkdir(exist_ok=True)
    for upload in files:
        name = os.path.basename(upload.name or "")
        problem = plain_name_problem(name) or ("is hidden" if name.startswith(".") else None)
        if problem:
            refused.append(
                {
                    "file": name or _("(no name)"),
                    # The signal core's words, in the uploader's language.
                    "error": _("the file name %(problem)s")
                    % {"problem": _(PROBLEMS.get(problem, problem))},
                }
            )
            continue
        target = folder / ("archives" if is_archive(name) else LOOSE) / name
        if target.exists():
            refused.append({"file": name, "error": _("sent twice in one upload")})
            continue
        _save(upload, target)
    return refused


def _save(upload: Upload, target: Path) -> None:
    # A file Django already wrote to disk is linked, not copied: a Holter is gigabytes.
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        try:
            os.link(path(), target)
            return
        except OSError:
            pass
    with open(target, "xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


def import_staged(
    folder: Path,
    dataset: Dataset,
    user: Any,
    *,
    on_found: Callable[[int], None] | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
) -> Outcome:
    """Unpack the archives staged in ``folder`` and import every record found into
    ``dataset``; the folder is removed afterwards, whatever happens.

    Each record is refused or imported on its own (the importer publishes each one in a
    transaction); a loose file that goes with no record is refused by name.
    """
    outcome = Outcome()
    try:
        roots: dict[Path, str] = {}  # folder imported -> how its files are named to the user
        loose = folder / LOOSE
        if loose.is_dir() and any(loose.iterdir()):
            roots[loose] = ""
        archives = folder / "archives"
        for archive in sorted(archives.iterdir()) if archives.is_dir() else []:
            into = folder / f"unpacked-{len(roots)}"
            into.mkdir()
            try:
                unpack(archive, into, settings.MAX_UPLOAD * UNPACK_RATIO)
            except ArchiveError as exc:
                outcome.refused.append({"file": archive.name, "error": str(exc)})
                continue
            finally:
                archive.unlink()
            roots[into] = archive.name + ": "
        if not roots:
            return outcome
        refs, _skipped = find_records([str(r) for r in roots])
        if on_found is not None:
            on_found(len(refs))
        if loose in roots:
            outcome.refused += _unmatched(loose, {r.name for r in refs if Path(r.root) == loose})
        results = import_paths(
            [str(r) for r in roots], dataset.name, user=user, on_result=on_result
        )
        for result in results:
            if result.status == "imported":
                outcome.items.append({"id": result.record_id, "name": result.name})
            elif Path(result.path) == loose:
                continue  # no record among the loose files: each was refused above
            elif Path(result.path) in roots:
                shown = roots[Path(result.path)].removesuffix(": ")
                outcome.refused.append({"file": shown, "error": _("holds no record")})
            else:
                file, error = _shown(result, roots)
                if result.status == "skipped":
                    error = _("already in dataset %(dataset)s") % {"dataset": dataset.name}
                else:
                    # The signal core words its reasons in English (it never imports
                    # Django): the common ones are shown in the reader's language.
                    error = _("%(file)s cannot be read: %(reason)s") % {
                        "file": file,
                        "reason": reason_shown(error),
                    }
                outcome.refused.append({"file": file, "error": error})
        return outcome
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _unmatched(loose: Path, names: set[str]) -> list[dict[str, str]]:
    # Record files are named after their record: 100.hea, 100.dat, 100.atr, r01.edf.qrs.
    return [
        {
            "file": p.name,
            "error": _("goes with no record uploaded (send its .hea or .edf too)"),
        }
        for p in sorted(loose.iterdir())
        if p.name.split(".", 1)[0] not in names and not _is_record_file(p.name, names)
    ]


def _is_record_file(name: str, names: set[str]) -> bool:
    return any(name == n or name.startswith(n + ".") for n in names)


def _shown(result: ImportResult, roots: dict[Path, str]) -> tuple[str, str]:
    """(file, error) of a refused record, naming files as the user sent them, not by the
    server's folders."""
    file, message = result.path, result.message
    for root, shown in roots.items():
        prefix = str(root) + os.sep
        message = message.replace(prefix, shown)
        if file.startswith(prefix):
            file = shown + file[len(prefix) :]
    if message.startswith(file + ": "):
        message = message[len(file) + 2 :]
    return file, message


def record_for_manager(user: Any, record_id: int) -> Record:
    """The record, for a dataset manager (others were refused before: 403)."""
    record = (
        Record.objects.select_related("dataset")
        .filter(pk=record_id if 0 < record_id <= MAX_ID else 0)
        .first()
    )
    if record is None:
        raise Http404(_("No such record"))
    return record


def add_annotation_files(record: Record, paths: Iterable[tuple[str, Path]], user: Any) -> Outcome:
    """Add each file as a new annotation set of ``record``; never replace a set.

    A WFDB annotation file (``100.qrs``) becomes the set named after its extension
    (``qrs``); an EDF+ file (``r01_events.edf``) the set named after its file name
    without ``.edf`` (``r01_events``). A set of that name on the record already refuses the
    file, naming the set (``Outcome.conflict``); so does a file that cannot be read or
    reaches past the record. Items are ``{"id", "name"}`` of the sets made.
    """
    if record.dataset.tutorial:
        raise StateConflict(
            _("dataset %(name)s is the tutorial's: not changed") % {"name": record.dataset.name}
        )
    outcome = Outcome()
    channels = list(record.channels.values_list("fs", flat=True))
    # WFDB samples count frames (the lowest frequency); EDF annotations files beside a
    # recording are read at its highest, as the importer does.
    edf = record.format in {"edf", "bdf"}
    fs = (max if edf else min)(channels) if channels else 0.0
    for shown, path in paths:
        try:
            set_name = set_name_of(path.name, record.name)
            if record.annotation_sets.filter(name=set_name).exists():
                outcome.conflict = True
                raise InvalidInput(_exists(record, set_name))
            data = _read_set(path, set_name, fs, record.duration)
            with transaction.atomic():
                aset = AnnotationSet.objects.create(
                    record=record,
                    name=set_name,
                    origin=data.origin,
                    source=shown,
                    fs=data.fs or None,
                    count=len(data),
                )
                insert_annotations(aset.pk, data)
        except (RecordError, InvalidInput) as exc:
            message = str(exc).replace(str(path), shown)
            if message.startswith(shown + ": "):
                message = message[len(shown) + 2 :]
            if isinstance(exc, RecordError):
                message = _("%(file)s cannot be read: %(reason)s") % {
                    "file": shown,
                    "reason": reason_shown(message),
                }
            outcome.refused.append({"file": shown, "error": message})
            continue
        except IntegrityError:
            # The same set name added by another request at the same moment.
            outcome.conflict = True
            outcome.refused.append({"file": shown, "error": _exists(record, set_name)})
            continue
        outcome.items.append({"id": aset.pk, "name": aset.name})
    return outcome


def _exists(record: Record, set_name: str) -> str:
    return _(
        "record %(record)s has a set %(set)s already; a set is never replaced "
        "(rename the file to add it under another name)"
    ) % {"record": record.name, "set": repr(set_name)}


def set_name_of(file_name: str, record_name: str) -> str:
    """``qrs`` for ``100.qrs``; ``events`` for ``r01.events.edf`` and ``r01_events`` for
    ``r01_events.edf`` (record ``r01``)."""
    if file_name.lower().endswith((".edf", ".bdf")):
        set_name = file_name[:-4]
        base = record_name.rsplit("/", 1)[-1] + "."
        if set_name.startswith(base) and len(set_name) > len(base):
            set_name = set_name[len(base) :]
    else:
        base, dot, set_name = file_name.rpartition(".")
        if not dot or not base:
            raise InvalidInput(_("an annotation file is named <record>.<set> (100.qrs)"))
    if not _SET_NAME.match(set_name):
        raise InvalidInput(
            _("set name %(name)s: letters, digits and _ only (64 at most)")
            % {"name": repr(set_name)}
        )
    return set_name


def add_annotation_paths(dataset: Dataset, paths: Iterable[str], user: Any = None) -> Outcome:
    """``wavetag import --annotations-only``: each file (or each file in each folder) is
    added to the record of ``dataset`` it is named after (``100.qrs`` to record ``100``,
    ``r01.events.edf`` to ``r01``) as :func:`add_annotation_files` does."""
    outcome = Outcome()
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for path in files:
        stem = path.name.split(".", 1)[0]
        records = list(
            Record.objects.filter(dataset=dataset)
            .filter(Q(name=stem) | Q(name__endswith="/" + stem))
            .select_related("dataset")
        )
        if not path.is_file():
            outcome.refused.append({"file": str(path), "error": "no such file"})
        elif len(records) != 1:
            how = "no record" if not records else f"{len(records)} records"
            outcome.refused.append(
                {"file": str(path), "error": f"{how} named {stem} in dataset {dataset.name}"}
            )
        else:
            one = add_annotation_files(records[0], [(str(path), path)], user)
            outcome.items += one.items
            outcome.refused += one.refused
            outcome.conflict |= one.conflict
    return outcome


def _read_set(path: Path, set_name: str, fs: float, duration: float) -> AnnotationSetData:
    if path.name.lower().endswith((".edf", ".bdf")):
        data = read_edf_annotations(str(path), fs, duration)
    else:
        data = read_annotation_file(str(path), set_name, fs, duration)
    data.name = set_name
    return data
