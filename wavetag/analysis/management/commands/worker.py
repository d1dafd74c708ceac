"""wavetag worker [--batch] [--interval S]: run the background jobs (automatic analysis,
release bundles, large uploads' imports).

The database worker of the tasks framework (``db_worker``): it claims queued jobs from the
database one at a time, so several workers on several machines can share one queue.
Each worker is named ``host:pid``, keeps a heartbeat in the database, and fails the runs
of workers that died (see :mod:`wavetag.analysis.workers`).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from ...workers import Presence, worker_id


def _exit_with_parent(parent_pid: int) -> None:
    """Stop (gracefully, as on Ctrl+C) once the process that started us is gone.

    A server killed outright cannot stop its worker itself; the worker notices instead.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Command(BaseCommand):
    help = (
        "Run background jobs (automatic analysis, release bundles, uploads) from the database "
        "queue until stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="run the jobs queued now, then exit"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between looks at an empty queue"
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after N jobs")
        parser.add_argument("--no-migrate", action="store_true", help="skip the migration step")
        # Set by `wavetag serve` for its own worker: exit when the server does.
        parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if opts["parent_pid"]:
            _exit_with_parent(opts["parent_pid"])
        name = worker_id()
        worker_opts: dict[str, Any] = {
            "worker_id": name,
            "batch": opts["batch"],
            "interval": opts["interval"],
            "reload": False,
            "startup_delay": False,
            "verbosity": opts["verbosity"],
            "stdout": self.stdout,
            "stderr": self.stderr,
        }
        if opts["max_tasks"]:
            worker_opts["max_tasks"] = opts["max_tasks"]
        # db_worker takes over SIGINT/SIGTERM for a graceful stop; give them back after, for
        # a caller running it in its own process (tests, an embedding program).
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            with Presence(name):
                call_command("db_worker", **worker_opts)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
