"""wavetag serve [--host H] [--port P] [--threads N] [--processes N] [--no-worker]: the
production WSGI server.

By default it also starts one background worker (``wavetag worker``) as a child process,
so that a laptop install runs analysis jobs with nothing else to start. A deployment with
several web machines passes ``--no-worker`` and runs ``wavetag worker`` on its own.

Slow and idle clients: waitress reads requests asynchronously, so a client that sends half
a request holds a connection, not a thread. What locked everyone out was the connection
cap (waitress's default is 100) and the two minutes an idle connection is kept. Here the
cap is 1,000 connections per process (the open-file limit is raised to fit), idle and
half-sent requests are closed after 30 s, and ``--processes N`` runs N server processes on
one listening socket (the kernel shares out the connections), each restarted if it dies.
Behind a reverse proxy (see the README), the proxy buffers slow clients before they reach
wavetag at all.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from wavetag.processes import stop_process

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Migrate the database if needed, then serve wavetag with waitress (and a worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="threads per process (8)")
        parser.add_argument(
            "--processes",
            type=positive,
            default=1,
            help="server processes sharing the port, each with --threads threads (1)",
        )
        parser.add_argument(
            "--connection-limit",
            type=positive,
            default=1000,
            help="open connections per process before new ones wait (1000)",
        )
        parser.add_argument(
            "--channel-timeout",
            type=positive,
            default=30,
            help="seconds an idle connection or a half-sent request is kept (30)",
        )
        parser.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
        parser.add_argument("--no-migrate", action="store_true", help="skip the migration step")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start a background worker (run `wavetag worker` separately)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        limits = Limits(opts["threads"], opts["connection_limit"], opts["channel_timeout"])
        if opts["listen_fd"] is not None:
            # One of the processes of --processes N: serve the parent's socket, and stop
            # with the parent (a killed parent must not leave servers behind).
            parent = os.getppid()
            threading.Thread(target=exit_with, args=(parent,), daemon=True).start()
            run_waitress(limits, sockets=[socket.socket(fileno=opts["listen_fd"])])
        elif opts["processes"] > 1:
            from wavetag.web.monitoring import share_metrics_between_processes

            share_metrics_between_processes()  # one /metrics for all the processes
            serve_processes(
                opts["host"],
                opts["port"],
                opts["processes"],
                limits,
                self.stdout.write,
                worker=not opts["no_worker"],
            )
        else:
            serve(
                opts["host"],
                opts["port"],
                opts["threads"],
                self.stdout.write,
                worker=not opts["no_worker"],
                limits=limits,
            )


def exit_with(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(1.0)
    os._exit(0)


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: must be at least 1")
    return number


class Limits:
    """What one server process allows: threads, open connections, idle seconds."""

    def __init__(self, threads: int, connections: int, idle_s: int) -> None:
        self.threads = threads
        self.connections = connections
        self.idle_s = idle_s


def raise_open_files(connections: int) -> None:
    """Raise this process's soft open-file limit towards the hard one, so that the
    connection cap is reached before the file limit (each connection is a file)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = connections + 256  # the database, the store, the log
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def run_waitress(limits: Limits, **where: Any) -> None:
    from django.conf import settings
    from waitress import serve as waitress_serve

    from wavetag.wsgi import application

    raise_open_files(limits.connections)
    waitress_serve(
        application,
        threads=limits.threads,
        connection_limit=limits.connections,
        channel_timeout=limits.idle_s,
        # Look for idle connections often enough that the timeout is kept to a few seconds.
        cleanup_interval=max(1, min(10, limits.idle_s // 3)),
        backlog=2048,
        ident="wavetag",
        # Window responses are small; do not let waitress buffer them to disk.
        outbuf_overflow=16 * 1024 * 1024,
        # waitress refuses bodies over 1 GB by default; uploads are bounded by
        # WAVETAG_MAX_UPLOAD instead (plus room for the multipart framing).
        max_request_body_size=settings.MAX_UPLOAD + 1024 * 1024,
        _quiet=True,
        **where,
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
        stop_process(self.process)


def serve(
    host: str,
    port: int,
    threads: int,
    say: Any,
    *,
    worker: bool = True,
    limits: Limits | None = None,
) -> None:
    limits = limits or Limits(threads, 1000, 30)
    child = WorkerChild() if worker else None
    shown = f"[{host}]" if ":" in host else host
    say(f"wavetag is serving on http://{shown}:{port}/  (Ctrl+C to stop)")
    if child is not None:
        say(f"background worker started (process {child.pid}); --no-worker to run it apart")
    try:
        run_waitress(limits, host=host, port=port)
    finally:
        if child is not None:
            child.stop()


class ServerChild(WorkerChild):
    """One server process of ``--processes N`` on the parent's listening socket, started
    again if it dies."""

    def __init__(self, fd: int, limits: Limits) -> None:
        self.fd = fd
        self.limits = limits
        super().__init__()

    def _start(self) -> subprocess.Popen[bytes]:
        args = [
            "serve",
            "--no-migrate",
            "--no-worker",
            "--listen-fd",
            str(self.fd),
            "--threads",
            str(self.limits.threads),
            "--connection-limit",
            str(self.limits.connections),
            "--channel-timeout",
            str(self.limits.idle_s),
        ]
        return subprocess.Popen(
            [sys.executable, "-m", "wavetag", *args], stdin=subprocess.DEVNULL, pass_fds=(self.fd,)
        )


def serve_processes(
    host: str, port: int, processes: int, limits: Limits, say: Any, *, worker: bool = True
) -> None:
    """Bind once, then run ``processes`` servers on the socket until SIGTERM or Ctrl+C."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=2048)
    listener.set_inheritable(True)
    children = [ServerChild(listener.fileno(), limits) for _ in range(processes)]
    background = WorkerChild() if worker else None
    shown = f"[{host}]" if ":" in host else host
    say(f"wavetag is serving on http://{shown}:{port}/ with {processes} processes (Ctrl+C to stop)")
    if background is not None:
        say(f"background worker started (process {background.pid}); --no-worker to run it apart")
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for child in children:
            child.stop()
        if background is not None:
            background.stop()
        listener.close()
