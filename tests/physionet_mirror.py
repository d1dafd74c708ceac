"""A PhysioNet-like mirror of MIT-BIH records from $WAVETAG_TEST_DATA, served on loopback:
``mitdb`` in the versioned layout (``files/mitdb/1.0.0/``, with its content pages) and
``nsrdb`` in the older flat one (``files/nsrdb/``, no pages), both holding 100 and 105."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LICENCE = "Open Data Commons Attribution License v1.0"


def build(root: Path, data_dir: Path) -> Path:
    (root / "content/mitdb/1.0.0").mkdir(parents=True)
    (root / "content/mitdb/index.html").write_text("<p>Version: 1.0.0</p>")
    (root / "content/mitdb/1.0.0/index.html").write_text(
        f'<p><a href="/content/mitdb/view-license/1.0.0/">{LICENCE}</a></p>'
    )
    for files in (root / "files/mitdb/1.0.0", root / "files/nsrdb"):
        files.mkdir(parents=True)
        (files / "RECORDS").write_text("100\n105\n")
        (files / "ANNOTATORS").write_text("atr\treference beat annotations\n")
        for rec in ("100", "105"):
            for ext in ("hea", "dat", "atr"):
                (files / f"{rec}.{ext}").symlink_to(data_dir / "mitdb" / f"{rec}.{ext}")
    return root


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP; yields its URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
