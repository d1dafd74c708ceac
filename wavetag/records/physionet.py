"""Download a PhysioNet database with wfdb's downloader, for ``wavetag import --physionet``.

``WAVETAG_PHYSIONET_URL`` points the downloader at a mirror laid out like
PhysioNet: ``<url>/content/<db>/`` announcing ``Version: X`` (not needed when
the version is given, as in ``mitdb/1.0.0``) and the files under
``<url>/files/<db>/<X>/`` with their ``RECORDS`` and ``ANNOTATORS`` lists.
Hospitals without internet access keep such a mirror; the tests serve a local
folder that way.

The import fills the dataset's provenance (database, version, its PhysioNet page) and
licence: the name of the link to ``view-license`` on the database's content page (as
PhysioNet shows "License (for files)"); none when the page does not say.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from wavetag.errors import WavetagError

DB_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(/\d+(\.\d+)*)?$", re.IGNORECASE)
# Names that come from the server end up as local paths: no "..", no absolute paths.
SAFE_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$")
LICENCE_LINK = re.compile(
    r"""<a\b[^>]*href=["'][^"']*/view-license/[^"']*["'][^>]*>\s*([^<]{1,200}?)\s*</a>""",
    re.IGNORECASE,
)
PHYSIONET_PAGE = "https://physionet.org/content"


@dataclass
class Download:
    """A downloaded database: where its files are, and what the dataset should say."""

    folder: Path
    provenance: str
    licence: str


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


def download(db: str, records: list[str] | None = None) -> Download:
    """Fetch the records and annotation files of PhysioNet database ``db``.

    1. find the current version (unless given as ``db/version``);
    2. read the ``RECORDS`` list (or take ``records``) and each record's header
       to learn its signal files;
    3. read the ``ANNOTATORS`` list and fetch the annotation files that exist;
    4. download every file into ``WAVETAG_HOME/downloads/<db>/``; partial files resume;
    5. read the licence from the version's content page (best effort: a mirror may not
       keep the pages).
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
            latest = not version
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
            licence = _licence(name, version, latest)
    except DownloadError:
        raise
    except Exception as exc:  # wfdb raises many types for network and HTTP errors
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DownloadError(f"--physionet {db}: download failed: {reason}") from exc
    (folder / "RECORDS").write_text("".join(r.strip() + "\n" for r in wanted))
    # PhysioNet's page, even when a mirror served the files: a mirror's address is local
    # (and may carry credentials), and exports that name the provenance are published.
    provenance = f"PhysioNet {name} {version}, {PHYSIONET_PAGE}/{name}/{version}/"
    return Download(folder, provenance, licence)


def _licence(name: str, version: str, latest: bool) -> str:
    """The licence named on the content page of ``name/version`` (or of ``name``, which
    shows the latest version, when that is the one downloaded); "" if none says."""
    from wfdb.io import _url
    from wfdb.io import download as wfdl

    pages = [f"{name}/{version}/", *([f"{name}/"] if latest else [])]
    for page in pages:
        try:
            with _url.openurl(posixpath.join(wfdl.PN_CONTENT_URL, page), "rb") as f:
                text = f.read(2_000_000).decode("utf-8", "replace")
        except Exception:  # no page, no licence: the import goes on
            continue
        found = LICENCE_LINK.search(text)
        if found:
            return " ".join(html.unescape(found.group(1)).split())
    return ""


def _exists(db_dir: str, rel: str) -> bool:
    from wfdb.io import _url
    from wfdb.io import download as wfdl

    try:
        _url.openurl(posixpath.join(wfdl.config.db_index_url, db_dir, rel), check_access=True)
    except FileNotFoundError:
        return False
    return True
