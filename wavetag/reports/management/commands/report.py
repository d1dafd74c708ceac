"""wavetag report RECORD --out FILE.pdf: a record's report as PDF, as the API makes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.analysis.management.commands.analyze import find_records

from ...record import record_report


class Command(BaseCommand):
    help = (
        "Write the report of one record (heart rate, beats, rhythm, pauses, quality, "
        "intervals and 10-s strips of the findings) as PDF. The command line sees every "
        "annotation set: the labels are the final human set if there is one, else the "
        "automatic set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("record", metavar="RECORD", help="NAME or DATASET/NAME")
        parser.add_argument("--dataset", help="the dataset, when several hold the name")
        parser.add_argument("--out", required=True, metavar="FILE.pdf", help="file to write")

    def handle(self, *args: Any, **opts: Any) -> None:
        (record,) = find_records([opts["record"]], opts["dataset"])
        out = Path(opts["out"])
        if not out.parent.is_dir():
            raise CommandError(f"--out: no folder {out.parent}")
        pdf = record_report(record, None)
        # Written beside, then renamed: a reader never sees half a report under the name.
        partial = out.with_name(out.name + ".partial")
        partial.write_bytes(pdf)
        partial.replace(out)
        self.stdout.write(f"{record.dataset.name}/{record.name}: report written to {out}")
