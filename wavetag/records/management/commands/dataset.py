"""wavetag dataset show NAME | wavetag dataset set NAME [--provenance TEXT] [--licence TEXT]"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.errors import WavetagError
from wavetag.records.datasets import find_dataset, set_about


class Command(BaseCommand):
    help = (
        "Show or set a dataset's provenance (where its records come from) and licence, "
        "shown on its pages and written into every export."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="print the dataset's provenance and licence")
        show.add_argument("name")
        change = sub.add_parser("set", help="change them ('' clears one)")
        change.add_argument("name")
        change.add_argument("--provenance", metavar="TEXT", help='e.g. "PhysioNet mitdb 1.0.0"')
        change.add_argument("--licence", metavar="TEXT", help='e.g. "ODC-By 1.0"')

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            dataset = find_dataset(opts["name"])
            if opts["action"] == "set":
                if opts["provenance"] is None and opts["licence"] is None:
                    raise CommandError("give --provenance TEXT, --licence TEXT or both")
                set_about(dataset, provenance=opts["provenance"], licence=opts["licence"])
        except WavetagError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"dataset:    {dataset.name}")
        self.stdout.write(f"provenance: {dataset.provenance or '(not set)'}")
        self.stdout.write(f"licence:    {dataset.licence or '(not set)'}")
