"""Download a PhysioNet database with wfdb's downloader, for ``wavetag import --physionet``.

``WAVETAG_PHYSIONET_URL`` points the downloader at a mirror laid out like
PhysioNet (``<url>/content/<db>/`` announcing ``Version: X``, files under
``<url>/files/<db>/<X>/``): hospitals without internet access keep one, and the
tests serve a local folder that way.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

from django.conf import settings

DB_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9._-]+)*$", re.IGNORECASE)


class DownloadError(Exception):
    pass


def download(db: str, records: list[str] | None = None) -> Path:
    """Fetch the records (and annotation files) of PhysioNet database ``db``; return the folder."""
    if not DB_NAME.match(db) or ".." in db:
        raise DownloadError(f"--physionet: {db!r} is not a PhysioNet database name (e.g. mitdb)")
    from wfdb.io import download as wfdl
    from wfdb.io import record as wfrec

    folder = Path(settings.HOME) / "downloads" / db.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    mirror = os.environ.get("WAVETAG_PHYSIONET_URL", "").rstrip("/")
    saved = (wfdl.PN_CONTENT_URL, wfdl.config.db_index_url)
    try:
        if mirror:
            wfdl.PN_CONTENT_URL = mirror + "/content/"
            wfdl.config.db_index_url = mirror + "/files/"
        # wfdb prints a line per file; the import prints its own summary.
        with contextlib.redirect_stdout(io.StringIO()):
            wfrec.dl_database(db, str(folder), records=records or "all", annotators="all")
    except Exception as exc:  # network errors come in many types from wfdb
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DownloadError(f"--physionet {db}: download failed: {reason}") from exc
    finally:
        wfdl.PN_CONTENT_URL, wfdl.config.db_index_url = saved
    return folder
