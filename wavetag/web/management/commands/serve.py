"""wavetag serve [--host H] [--port P] [--threads N]: the production WSGI server."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate the database if needed, then serve wavetag with waitress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true", help="skip the migration step")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        serve(opts["host"], opts["port"], opts["threads"], self.stdout.write)


def serve(host: str, port: int, threads: int, say: Any) -> None:
    from waitress import serve as waitress_serve

    from wavetag.wsgi import application

    shown = f"[{host}]" if ":" in host else host
    say(f"wavetag is serving on http://{shown}:{port}/  (Ctrl+C to stop)")
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
