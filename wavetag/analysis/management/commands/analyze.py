"""wavetag analyze [RECORD...] [--dataset D] [--wait]: the automatic analysis of records."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.errors import WavetagError
from wavetag.records.models import Record
from wavetag.signal.vocabulary import CLASSIFIER_NAMES

from ...jobs import execute_run
from ...models import RunStatus
from ...services import request_analysis


def find_records(names: list[str], dataset: str | None) -> list[Record]:
    """Records named ``NAME`` or ``DATASET/NAME`` (all of ``dataset``, or all, when none)."""
    qs = Record.objects.select_related("dataset").order_by("dataset__name", "name")
    if dataset:
        qs = qs.filter(dataset__name=dataset)
        if not qs.exists():
            raise CommandError(f"--dataset: no records in a dataset named {dataset!r}")
    if not names:
        return list(qs)
    found: list[Record] = []
    for name in names:
        matches = list(qs.filter(name=name))
        if not matches and "/" in name and not dataset:
            ds, _, rest = name.partition("/")
            matches = list(qs.filter(dataset__name=ds, name=rest))
        if not matches:
            raise CommandError(
                f"no record {name!r}" + (f" in dataset {dataset}" if dataset else "")
            )
        if len(matches) > 1:
            sets = ", ".join(r.dataset.name for r in matches)
            raise CommandError(f"record {name!r} is in several datasets ({sets}): use --dataset")
        found.extend(matches)
    return found


def summary_lines(result: dict[str, Any]) -> str:
    """Beat counts, rhythm and heart rate of a finished run, two indented lines."""
    # In the clinical order (N, V, A, paced, unknown), not the stored one: PostgreSQL's
    # jsonb keeps object keys in its own order.
    stored = result.get("counts", {})
    names = [n for n in CLASSIFIER_NAMES.values() if n in stored] + sorted(
        set(stored) - set(CLASSIFIER_NAMES.values())
    )
    counts = ", ".join(f"{n} {stored[n]}" for n in names)
    rhythm = ", ".join(
        f"{r['label']} {r['seconds']:.0f} s" for r in result.get("rhythm_summary", [])
    )
    hr = result.get("hr") or {}
    mean_hr = f"{hr['mean_hr']:.0f} bpm" if hr.get("mean_hr") is not None else "unknown"
    q = result.get("quality", {}).get("counts", {})
    grades = ", ".join(f"{g} {q[g]}" for g in sorted(q))
    return (
        f"  beats: {counts}; {result.get('clusters', 0)} clusters; "
        f"mean HR {mean_hr}\n"
        f"  rhythm: {rhythm or 'none'}; quality of 10-s segments: {grades or 'none'}"
    )


class Command(BaseCommand):
    help = (
        "Queue the automatic analysis (beats, their classes, rhythm, quality, intervals) of "
        "imported records for the worker; with --wait, run it here and print beats, counts "
        "and rhythm per record."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("records", nargs="*", metavar="RECORD", help="NAME or DATASET/NAME")
        parser.add_argument("--dataset", help="only records of this dataset")
        parser.add_argument("--wait", action="store_true", help="run now instead of queueing")
        parser.add_argument(
            "--channel",
            metavar="N|NAME",
            help="index or name of the channel to detect beats in, analysed whatever its "
            "name (default: the ECG lead where the QRS is detected best)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        records = find_records(list(opts["records"]), opts["dataset"])
        if not records:
            raise CommandError("no records to analyse: import some first (wavetag import)")
        failed = 0
        for record in records:
            label = f"{record.dataset.name}/{record.name}"
            try:
                run = request_analysis(
                    record, None, enqueue=not opts["wait"], channel=opts["channel"]
                )
            except WavetagError as exc:
                self.stderr.write(f"{label}: {exc}")
                failed += 1
                continue
            if not opts["wait"]:
                self.stdout.write(f"{label}: queued as run {run.pk} (wavetag worker runs it)")
                continue
            run = execute_run(run.pk)
            if run.status == RunStatus.DONE:
                self.stdout.write(
                    f"{label}: {run.beats} beats in {run.seconds or 0:.1f} s "
                    f"(set {run.set_name}, channel {run.channel})"
                )
                self.stdout.write(summary_lines(run.result or {}))
            else:
                self.stderr.write(f"{label}: failed: {run.error}")
                failed += 1
        if failed:
            raise CommandError(f"{failed} of {len(records)} records not analysed")
