"""wavetag restore DIR [--force]: a backup into this (empty) home, every checksum first."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wavetag.backups.management.commands.backup import run, write_report
from wavetag.backups.services import restore


class Command(BaseCommand):
    help = (
        "Restore the backup in DIR into this home (WAVETAG_HOME, DATABASE_URL), which must be "
        "empty unless --force. Every file is checked against the manifest first; a damaged "
        "or incomplete backup changes nothing. Stop the site's servers and workers first."
    )
    # The checks would open (and so create) the SQLite database of the home being restored.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", metavar="DIR", help="a folder written by `wavetag backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the database and the store's records of a home in use",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        report = run(lambda: restore(opts["folder"], force=opts["force"]), opts["folder"])
        write_report(self, report, "restored from")
