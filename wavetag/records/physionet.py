"""Download a PhysioNet database with wfdb's downloader, for ``wavetag import --physionet``.

``WAVETAG_PHYSIONET_URL`` points the downloader at a mirror laid out like
PhysioNet: ``<url>/content/<db>/`` announcing ``Version: X`` (not needed when
the version is given, as in ``mitdb/1.0.0``) and the files under
``<url>/files/<db>/<X>/`` with their ``RECORDS`` and ``ANNOTATORS`` lists.
Hospitals without internet access keep such a mirror; the tests serve a local
folder that way.
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from wavetag.errors import WavetagError

DB_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(/\d+(\.\d+)*)?$", re.IGNORECASE)
# Names that come from the server end up as local paths: no "..", no absolute paths.
SAFE_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$")


class DownloadError(WavetagError):
    """The database or a file of it could not be fetched; the message says which."""

    status = 502


@contextlib.contextmanager
def _mirror() -> Iterator[None]:
    from wfdb.io import download as wfdl

    url = os.environ.get("WAVETAG_PHYSIONET_URL", "").rstrip("/")
    saved = (wfdl.PN_CONTENT_URL, wfdl.config.db_index_url)
    if url:
        wfdl.PN_CONTENT_URL = url + "/content/"
        wfdl.config.db_index_url = url + "/files/"
    try:
        yield
    finally:
        wfdl.PN_CONTENT_URL, wfdl.config.db_index_url = saved


def _safe(name: str, what: str) -> str:
    if not SAFE_PATH.match(name) or ".." in name.split("/"):
        raise DownloadError(f"--physionet: the server listed an unsafe {what} name {name!r}")
    return name


def download(db: str, records: list[str] | None = None) -> Path:
    """Fetch the records and annotation files of PhysioNet database ``db``.

    1. find the current version (unless given as ``db/version``);
    2. read the ``RECORDS`` list (or take ``records``) and each record's header
       to learn its signal files;
    3. read the ``ANNOTATORS`` list and fetch the annotation files that exist;
    4. download every file into ``WAVETAG_HOME/downloads/<db>/``; partial files resume.
    """
    if not DB_NAME.match(db):
        raise DownloadError(f"--physionet: {db!r} is not a PhysioNet database name (e.g. mitdb)")
    from wfdb.io import download as wfdl
    from wfdb.io.record import rdheader

    name, _, version = db.partition("/")
    folder = Path(settings.HOME) / "downloads" / name
    try:
        # wfdb prints a line per step; the import prints its own summary.
        with _mirror(), contextlib.redirect_stdout(io.StringIO()):
            version = version or wfdl.get_version(name)
            db_dir = f"{name}/{version}"
            wanted = records or wfdl.get_record_list(db_dir)
            files: list[str] = []
            for rec in wanted:
                rec = _safe(rec.strip(), "record")
                subdir, base = posixpath.split(rec)
                header = rdheader(base, pn_dir=posixpath.join(db_dir, subdir))
                files.append(rec + ".hea")
                for signal_file in sorted(set(getattr(header, "file_name", None) or [])):
                    files.append(posixpath.join(subdir, _safe(signal_file, "signal file")))
            annotators = wfdl.get_annotators(db_dir, "all") or []
            for rec in wanted:
                for ext in annotators:
                    candidate = f"{rec.strip()}.{_safe(ext, 'annotator')}"
                    if _exists(db_dir, candidate):
                        files.append(candidate)
            for rel in files:
                subdir, base = posixpath.split(rel)
                (folder / subdir).mkdir(parents=True, exist_ok=True)
                wfdl.dl_pn_file((base, subdir, db_dir, str(folder), True, False))
    except DownloadError:
        raise
    except Exception as exc:  # wfdb raises many types for network and HTTP errors
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DownloadError(f"--physionet {db}: download failed: {reason}") from exc
    (folder / "RECORDS").write_text("".join(r.strip() + "\n" for r in wanted))
    return folder


def _exists(db_dir: str, rel: str) -> bool:
    from wfdb.io import _url
    from wfdb.io import download as wfdl

    try:
        _url.openurl(posixpath.join(wfdl.config.db_index_url, db_dir, rel), check_access=True)
    except FileNotFoundError:
        return False
    return True
