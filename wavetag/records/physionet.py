"""Download PhysioNet databases: ``wavetag import --physionet`` and the import page's jobs.

``WAVETAG_PHYSIONET_URL`` points at a mirror laid out like PhysioNet (default
``https://physionet.org``): the files under ``<url>/files/``, the pages under
``<url>/content/``. Hospitals without internet access keep such a mirror; the tests serve
a local folder that way. Two layouts of the files are understood, the versioned one first:

* ``<url>/files/<db>/<version>/RECORDS`` and the files beside it (PhysioNet today); the
  current version, when not given, is the ``Version: X`` that ``<url>/content/<db>/``
  announces;
* ``<url>/files/<db>/RECORDS`` (the older flat layout, which some mirrors keep): one
  version only, which the mirror does not name.

An unknown database or version is refused (:class:`UnknownDatabase`, 400) naming it,
before anything is downloaded. Record names come from the server and end up as local
paths: they are checked (no "..", no absolute paths).

The import fills the dataset's provenance (database, version, its PhysioNet page) and
licence: the name of the link to ``view-license`` on the database's content page (as
PhysioNet shows "License (for files)"); none when the page does not say.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wavetag.errors import InvalidInput, WavetagError

from .datasets import fill_about
from .importer import ImportResult, import_paths
from .uploads import Outcome

DEFAULT_URL = "https://physionet.org"
DB_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$", re.IGNORECASE)
VERSION = re.compile(r"^\d{1,6}(\.\d{1,6}){0,3}$")
# Names that come from the server end up as local paths: no "..", no absolute paths.
SAFE_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$")
LICENCE_LINK = re.compile(
    r"""<a\b[^>]*href=["'][^"']*/view-license/[^"']*["'][^>]*>\s*([^<]{1,200}?)\s*</a>""",
    re.IGNORECASE,
)
PHYSIONET_PAGE = "https://physionet.org/content"
# RECORDS of the largest databases (MIMIC waveforms) hold ~70 000 names: a few MB.
LIST_MAX = 16 * 1024 * 1024
CHUNK = 1024 * 1024


class DownloadError(WavetagError):
    """The mirror could not be reached, or a file of it fetched; the message says which."""

    status = 502


class UnknownDatabase(InvalidInput):
    """No such database, or no such version of it, on the mirror."""


@dataclass
class Source:
    """A database (one version of it) on the mirror, and the records to take."""

    database: str
    version: str  # "" on a mirror with the flat layout
    records: list[str]
    annotators: list[str] = field(default_factory=list)
    latest: bool = False  # the version was found as the current one, not given

    @property
    def folder(self) -> str:
        """Where its files are, below ``<url>/files/``."""
        return f"{self.database}/{self.version}" if self.version else self.database

    @property
    def label(self) -> str:
        return self.folder if self.version else f"{self.database} (flat layout, no version)"

    @property
    def provenance(self) -> str:
        # PhysioNet's page, even when a mirror served the files: a mirror's address is
        # local (and may carry credentials), and exports that name the provenance are
        # published.
        if not self.version:
            return f"PhysioNet {self.database}, {PHYSIONET_PAGE}/{self.database}/"
        return f"PhysioNet {self.database} {self.version}, {PHYSIONET_PAGE}/{self.folder}/"

    def as_dict(self) -> dict[str, Any]:
        return {"physionet": asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        return cls(**data["physionet"])


@dataclass
class Download:
    """A downloaded database: where its files are, and what the dataset should say."""

    folder: Path
    provenance: str
    licence: str


def mirror_url() -> str:
    return (os.environ.get("WAVETAG_PHYSIONET_URL", "") or DEFAULT_URL).rstrip("/")


def _fetch(url: str, limit: int = LIST_MAX) -> bytes | None:
    """The file at ``url`` (at most ``limit`` bytes), or None when the server has none."""
    from wfdb.io import _url

    try:
        with _url.openurl(url, "rb") as f:
            data: bytes = f.read(limit)
            return data
    except FileNotFoundError:
        return None
    except Exception as exc:  # wfdb raises many types for network and HTTP errors
        raise DownloadError(_("download failed: %(reason)s") % {"reason": _reason(exc)}) from exc


def _exists(url: str) -> bool:
    from wfdb.io import _url

    try:
        _url.openurl(url, "rb", check_access=True)
    except FileNotFoundError:
        return False
    except Exception as exc:
        raise DownloadError(_("download failed: %(reason)s") % {"reason": _reason(exc)}) from exc
    return True


def _reason(exc: Exception) -> str:
    # The first line only: wfdb's messages carry the mirror's address, which may be private.
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.replace(mirror_url(), "<mirror>")


# What a name listed by the mirror names, and the refusal of an unsafe one.
_UNSAFE = {
    "record": gettext_noop("the server listed an unsafe record name %(name)s"),
    "annotator": gettext_noop("the server listed an unsafe annotator name %(name)s"),
    "signal file": gettext_noop("the server listed an unsafe signal file name %(name)s"),
}


def _safe(name: str, what: str) -> str:
    if not SAFE_PATH.match(name) or ".." in name.split("/"):
        raise DownloadError(_(_UNSAFE[what]) % {"name": repr(name)})
    return name


def _lines(data: bytes) -> list[str]:
    return [line.strip() for line in data.decode("utf-8", "replace").splitlines() if line.strip()]


def _current_version(database: str) -> str | None:
    page = _fetch(f"{mirror_url()}/content/{database}/", 2_000_000)
    if page is None:
        return None
    for line in page.decode("utf-8", "replace").splitlines():
        if "Version:" in line:
            found = line.split("Version:")[-1].strip().split("<")[0].strip()
            return found if VERSION.match(found) else None
    return None


def resolve(database: Any, version: Any = None, records: Any = None) -> Source:
    """The database on the mirror, with its record list (all, or ``records`` checked
    against it); :class:`UnknownDatabase` naming what the mirror does not have.

    1. check the names (a database is a slug such as ``mitdb``; a version, ``1.0.0``);
    2. with a version: ``files/<db>/<version>/RECORDS``; without: the current version that
       ``content/<db>/`` announces, then the flat ``files/<db>/RECORDS``;
    3. nothing found: an unknown version when the mirror has the database
       (``files/<db>/`` or ``content/<db>/`` exists), else an unknown database.
    """
    if not isinstance(database, str) or not DB_NAME.match(database.strip()):
        raise UnknownDatabase(
            "database: "
            + _("%(name)s is not a PhysioNet database name (mitdb)") % {"name": repr(database)}
        )
    database = database.strip().lower()
    if version is not None and not isinstance(version, str):
        raise InvalidInput("version: " + _("must be a text (1.0.0) or null"))
    version = (version or "").strip()
    if version and not VERSION.match(version):
        raise UnknownDatabase(
            "version: "
            + _("%(version)s is not a version number (1.0.0)") % {"version": repr(version)}
        )
    base = f"{mirror_url()}/files/{database}"
    found, latest = None, False
    if version:
        listed = _fetch(f"{base}/{version}/RECORDS")
    else:
        current = _current_version(database)
        listed = _fetch(f"{base}/{current}/RECORDS") if current else None
        version, latest = (current or "", True) if listed is not None else ("", False)
        if listed is None:
            listed = _fetch(f"{base}/RECORDS")
    if listed is None:
        known = _exists(f"{base}/") or _exists(f"{mirror_url()}/content/{database}/")
        if known and version:
            raise UnknownDatabase(
                "version: "
                + _("the mirror has no version %(version)s of %(database)s")
                % {"version": version, "database": database}
            )
        if known:
            raise UnknownDatabase(
                "version: "
                + _(
                    "the mirror does not say which version of %(database)s is current: "
                    "give the version"
                )
                % {"database": database}
            )
        raise UnknownDatabase(
            "database: " + _("the mirror has no database named %(name)s") % {"name": repr(database)}
        )
    found = [_safe(name, "record") for name in _lines(listed)]
    source = Source(database, version, found, latest=latest)
    notes = _fetch(f"{mirror_url()}/files/{source.folder}/ANNOTATORS")
    source.annotators = [_safe(line.split()[0], "annotator") for line in _lines(notes or b"")]
    if records is not None:
        source.records = _chosen(records, found, source)
    return source


def _chosen(records: Any, found: list[str], source: Source) -> list[str]:
    if not isinstance(records, list) or not all(isinstance(r, str) for r in records):
        raise InvalidInput("records: " + _("must be a list of record names, or null for all"))
    if not records:
        raise InvalidInput("records: " + _("choose at least one record (null for all)"))
    listed = set(found)
    chosen = list(dict.fromkeys(r.strip() for r in records))
    unknown = [r for r in chosen if r not in listed]
    if unknown:
        raise UnknownDatabase(
            "records: "
            + _("%(source)s has no record named %(name)s")
            % {"source": source.label, "name": repr(unknown[0])}
            + (" " + _("(and %(n)s more)") % {"n": len(unknown) - 1} if len(unknown) > 1 else "")
        )
    return chosen


def fetch_record(source: Source, record: str, folder: Path) -> list[str]:
    """Download one record's header, signal files and annotation files into ``folder``
    (keeping its subfolders); returns the files fetched. A missing header or signal file
    raises :class:`DownloadError` naming it; a missing annotation file is no error (the
    ANNOTATORS list names the kinds a database has, not every record has each)."""
    from wfdb.io.record import rdheader

    record = _safe(record, "record")
    subdir = posixpath.dirname(record)
    base = f"{mirror_url()}/files/{source.folder}"
    fetched = [_fetch_file(f"{base}/{record}.hea", folder / f"{record}.hea", required=True)]
    try:
        header = rdheader(str(folder / record))
    except Exception as exc:
        raise DownloadError(
            _("%(file)s: not a WFDB header (%(reason)s)")
            % {"file": f"{record}.hea", "reason": _reason(exc)}
        ) from exc
    # A multi-segment record: each segment is a record of its own beside it.
    for segment in sorted(set(getattr(header, "seg_name", None) or []) - {"~"}):
        fetched += fetch_record(source, posixpath.join(subdir, segment), folder)
    for name in sorted(set(getattr(header, "file_name", None) or [])):
        rel = posixpath.join(subdir, _safe(name, "signal file"))
        fetched.append(_fetch_file(f"{base}/{rel}", folder / rel, required=True))
    for ext in source.annotators:
        done = _fetch_file(f"{base}/{record}.{ext}", folder / f"{record}.{ext}", required=False)
        if done:
            fetched.append(done)
    return fetched


def _fetch_file(url: str, target: Path, *, required: bool) -> str:
    """Stream ``url`` into ``target`` (a ``.part`` file renamed when whole); a file already
    there is kept (a download resumed). Returns the file's name, "" when the server has
    none and it is not ``required``."""
    from wfdb.io import _url

    name = target.name
    if target.exists():
        return name
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        with _url.openurl(url, "rb") as src, open(part, "wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
    except FileNotFoundError:
        part.unlink(missing_ok=True)
        if required:
            raise DownloadError(_("%(file)s: not on the mirror") % {"file": name}) from None
        return ""
    except Exception as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(
            _("%(file)s: download failed: %(reason)s") % {"file": name, "reason": _reason(exc)}
        ) from exc
    part.replace(target)
    return name


def licence(source: Source) -> str:
    """The licence named on the content page of the version (or of the database, which
    shows the latest version, when that is the one downloaded); "" if none says."""
    pages = [f"{source.folder}/", *([f"{source.database}/"] if source.latest else [])]
    for page in pages:
        try:
            text = _fetch(f"{mirror_url()}/content/{page}", 2_000_000)
        except DownloadError:  # no page, no licence: the import goes on
            continue
        found = LICENCE_LINK.search((text or b"").decode("utf-8", "replace"))
        if found:
            return " ".join(html.unescape(found.group(1)).split())
    return ""


def download_into(
    source: Source,
    folder: Path,
    on_record: Callable[[str, str], None] | None = None,
) -> dict[str, str]:
    """Download each record of ``source`` into ``folder`` and write there the ``RECORDS``
    of those fetched whole; returns the records that failed, with the reason.
    ``on_record(record, error)`` is called after each (``error`` "" when fetched)."""
    failed: dict[str, str] = {}
    done: list[str] = []
    for record in source.records:
        try:
            fetch_record(source, record, folder)
        except DownloadError as exc:
            failed[record] = str(exc)
        else:
            done.append(record)
        if on_record is not None:
            on_record(record, failed.get(record, ""))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "RECORDS").write_text("".join(r + "\n" for r in done))
    return failed


def download(db: str, records: list[str] | None = None) -> Download:
    """Fetch the records and annotation files of PhysioNet database ``db`` (``mitdb`` or
    ``mitdb/1.0.0``) into ``WAVETAG_HOME/downloads/<db>/``, for ``wavetag import``: the
    first record that cannot be fetched stops it. Files already there are kept."""
    name, _slash, version = db.partition("/")
    try:
        source = resolve(name, version or None, records)
        folder = Path(settings.HOME) / "downloads" / name
        for record in source.records:
            fetch_record(source, record, folder)
        (folder / "RECORDS").write_text("".join(r + "\n" for r in source.records))
        return Download(folder, source.provenance, licence(source))
    except WavetagError as exc:
        raise DownloadError(f"--physionet {db}: {exc}") from exc


def import_download(
    source: Source,
    folder: Path,
    dataset: Any,
    user: Any,
    *,
    on_downloaded: Callable[[str, str], None] | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
) -> Outcome:
    """Download ``source`` into ``folder``, import what came whole into ``dataset``, and
    fill the dataset's blank provenance and licence; ``folder`` is removed afterwards.

    A record that could not be fetched is refused with the reason; the others import.
    """
    outcome = Outcome()
    try:
        failed = download_into(source, folder, on_downloaded)
        outcome.refused += [{"file": r, "error": e} for r, e in failed.items()]
        if len(failed) == len(source.records):
            return outcome
        prefix = str(folder) + os.sep
        for result in import_paths([str(folder)], dataset.name, user=user, on_result=on_result):
            if result.status == "imported":
                outcome.items.append({"id": result.record_id, "name": result.name})
            else:
                message = result.message.replace(prefix, "")
                outcome.refused.append({"file": result.name, "error": message})
        if outcome.items:
            fill_about(dataset, provenance=source.provenance, licence=licence(source))
        return outcome
    finally:
        shutil.rmtree(folder, ignore_errors=True)
