"""wavetag store-gc [--dry-run]: delete waveform store folders that no record refers to,
naming each one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wavetag.records.importer import garbage_collect


class Command(BaseCommand):
    help = "Delete store folders left by interrupted imports (run while no import is running)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be removed; remove nothing"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        dry = opts["dry_run"]
        removed = garbage_collect(dry_run=dry)
        for key in removed:
            self.stdout.write(f"{'would remove' if dry else 'removed'} {key}")
        verb = "would remove" if dry else "removed"
        self.stdout.write(f"{verb} {len(removed)} unreferenced store folder(s)")
