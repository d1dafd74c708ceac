"""wavetag serve [--host H] [--port P] [--threads N] [--no-worker]: the production WSGI server.

By default it also starts one background worker (``wavetag worker``) as a child process,
so that a laptop install runs analysis jobs with nothing else to start. A deployment with
several web processes passes ``--no-worker`` and runs ``wavetag worker`` on its own.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Migrate the database if needed, then serve wavetag with waitress (and a worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true", help="skip the migration step")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start a background worker (run `wavetag worker` separately)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        serve(
            opts["host"],
            opts["port"],
            opts["threads"],
            self.stdout.write,
            worker=not opts["no_worker"],
        )


class WorkerChild:
    """A ``wavetag worker`` child process, started again if it exits on its own.

    A separate process, so that analysis (CPU-bound) never slows the server's threads. It
    exits by itself if this process dies; if it dies first (its database went away for a
    moment), it is started again after a pause.
    """

    RESTART_AFTER = 5.0  # seconds

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.process = self._start()
        threading.Thread(target=self._watch, name="worker-watch", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _start(self) -> subprocess.Popen[bytes]:
        args = ["worker", "--no-migrate", "--verbosity", "0", "--parent-pid", str(os.getpid())]
        return subprocess.Popen([sys.executable, "-m", "wavetag", *args], stdin=subprocess.DEVNULL)

    def _watch(self) -> None:
        while not self.stopping.is_set():
            code = self.process.wait()
            if self.stopping.wait(self.RESTART_AFTER):
                return
            log.warning("background worker exited with status %s; starting it again", code)
            self.process = self._start()
            if self.stopping.is_set():  # stop() came while it was starting
                self.process.terminate()

    def stop(self) -> None:
        self.stopping.set()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve(host: str, port: int, threads: int, say: Any, *, worker: bool = True) -> None:
    from waitress import serve as waitress_serve

    from wavetag.wsgi import application

    child = WorkerChild() if worker else None
    shown = f"[{host}]" if ":" in host else host
    say(f"wavetag is serving on http://{shown}:{port}/  (Ctrl+C to stop)")
    if child is not None:
        say(f"background worker started (process {child.pid}); --no-worker to run it apart")
    try:
        waitress_serve(
            application,
            host=host,
            port=port,
            threads=threads,
            ident="wavetag",
            # Window responses are small; do not let waitress buffer them to disk.
            outbuf_overflow=16 * 1024 * 1024,
            _quiet=True,
        )
    finally:
        if child is not None:
            child.stop()
