"""wavetag serve [--host H] [--port P] [--threads N] [--no-worker]: the production WSGI server.

By default it also starts one background worker (``wavetag worker``) as a child process,
so that a laptop install runs analysis jobs with nothing else to start. A deployment with
several web processes passes ``--no-worker`` and runs ``wavetag worker`` on its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


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


def start_worker() -> subprocess.Popen[bytes]:
    """A ``wavetag worker`` child: a separate process, so that analysis (CPU-bound) never
    slows the server's threads. It exits by itself if this process dies."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wavetag",
            "worker",
            "--no-migrate",
            "--verbosity",
            "0",
            "--parent-pid",
            str(os.getpid()),
        ],
        stdin=subprocess.DEVNULL,
    )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def serve(host: str, port: int, threads: int, say: Any, *, worker: bool = True) -> None:
    from waitress import serve as waitress_serve

    from wavetag.wsgi import application

    child = start_worker() if worker else None
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
            stop_worker(child)
