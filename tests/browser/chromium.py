"""How wavetag drives a browser, for the browser tests and the viewer benchmark alike:
Debian's chromium (never a downloaded one), headless, with these flags."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("WAVETAG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
