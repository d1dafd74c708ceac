"""wavetag store-gc: delete waveform store folders that no record refers to."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wavetag.records.importer import garbage_collect


class Command(BaseCommand):
    help = "Delete store folders left by interrupted imports (run while no import is running)."

    def handle(self, *args: Any, **opts: Any) -> None:
        removed = garbage_collect()
        self.stdout.write(f"removed {len(removed)} unreferenced store folder(s)")
