"""wavetag import PATH... [--dataset NAME] | wavetag import --physionet DB [--records R...]
| wavetag import --annotations-only PATH... --dataset NAME"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.errors import WavetagError
from wavetag.records import physionet
from wavetag.records.datasets import fill_about
from wavetag.records.importer import ImportResult, import_paths
from wavetag.records.models import Dataset
from wavetag.records.uploads import add_annotation_paths
from wavetag.signal.recording import RecordingSource

# Records shorter than this import too fast for a progress bar to be worth drawing.
PROGRESS_MIN_SECONDS = 3600


class Command(BaseCommand):
    help = (
        "Import WFDB records (a .hea file, a record path without extension, or a folder "
        "searched recursively, honouring RECORDS files), EDF/EDF+/BDF, DICOM ECG (.dcm), "
        "SCP-ECG (.scp), ISHNE Holter (.ecg), HL7 aECG (.xml) and CSV files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", metavar="PATH")
        parser.add_argument("--dataset", help="dataset name (default: the folder's name)")
        parser.add_argument(
            "--physionet",
            metavar="DB",
            help="download a PhysioNet database by name (e.g. mitdb) with wfdb, then import it",
        )
        parser.add_argument(
            "--records", nargs="+", metavar="RECORD", help="with --physionet: only these records"
        )
        parser.add_argument(
            "--keep-patient-info",
            action="store_true",
            help="keep EDF patient/recording fields and recording dates (not kept by default)",
        )
        parser.add_argument(
            "--ignore-checksums",
            action="store_true",
            help="import WFDB records whose checksums do not match, with a warning",
        )
        parser.add_argument(
            "--fs",
            type=float,
            metavar="HZ",
            help="sampling rate of CSV files that have no time column",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")
        parser.add_argument(
            "--annotations-only",
            action="store_true",
            help="add annotation files (100.qrs, r01.events.edf) to the records of --dataset "
            "they are named after, as new sets; an existing set is never replaced",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        paths: list[str] = list(opts["paths"])
        if not paths and not opts["physionet"]:
            raise CommandError("give at least one PATH, or --physionet DB")
        call_command("migrate", interactive=False, verbosity=0)
        dataset = opts["dataset"]
        downloaded = None
        if opts["annotations_only"]:
            self._annotations_only(paths, dataset)
            return
        if opts["physionet"]:
            try:
                downloaded = physionet.download(opts["physionet"], opts["records"])
            except physionet.DownloadError as exc:
                raise CommandError(str(exc)) from exc
            paths.append(str(downloaded.folder))
            dataset = dataset or opts["physionet"]

        show_progress = not opts["no_progress"] and sys.stderr.isatty()
        failed = 0

        def on_result(result: ImportResult) -> None:
            nonlocal failed
            if result.status == "failed":
                failed += 1
                self.stderr.write(f"FAILED  {result.message}")
            elif result.status == "skipped":
                self.stdout.write(f"skipped {result.message}")
            else:
                self.stdout.write(f"ok      {result.message}")
            for warning in result.warnings:
                self.stderr.write(f"        warning: {warning}")

        results = import_paths(
            paths,
            dataset,
            keep_patient_info=opts["keep_patient_info"],
            verify_checksums=not opts["ignore_checksums"],
            progress=_progress_bar if show_progress else None,
            on_result=on_result,
            csv_fs=opts["fs"],
        )
        if downloaded is not None:
            self._describe(dataset, downloaded)
        done = sum(r.status == "imported" for r in results)
        skipped = sum(r.status == "skipped" for r in results)
        self.stdout.write(f"{done} imported, {skipped} skipped, {failed} failed")
        if failed or not results:
            if not results:
                self.stderr.write("no records found")
            sys.exit(1)

    def _describe(self, name: str, downloaded: physionet.Download) -> None:
        """Fill the dataset's blank provenance and licence from what PhysioNet says."""
        target = Dataset.objects.filter(name=name).first()
        if target is None:
            return
        for line in fill_about(
            target, provenance=downloaded.provenance, licence=downloaded.licence
        ):
            self.stdout.write(f"dataset {name}: {line}; change it with wavetag dataset set")
        if not target.licence:
            self.stderr.write(
                f"        warning: no licence found for {name}: set it with "
                f"wavetag dataset set {name!r} --licence TEXT"
            )

    def _annotations_only(self, paths: list[str], dataset_name: str | None) -> None:
        if not dataset_name or not paths:
            raise CommandError("--annotations-only needs PATH... and --dataset NAME")
        dataset = Dataset.objects.filter(name=dataset_name).first()
        if dataset is None:
            raise CommandError(f"no dataset named {dataset_name!r}")
        try:
            outcome = add_annotation_paths(dataset, paths)
        except WavetagError as exc:
            raise CommandError(str(exc)) from None
        for item in outcome.items:
            self.stdout.write(f"ok      set {item['name']} added")
        for refused in outcome.refused:
            self.stderr.write(f"FAILED  {refused['file']}: {refused['error']}")
        self.stdout.write(f"{len(outcome.items)} sets added, {len(outcome.refused)} refused")
        if outcome.refused or not outcome.items:
            sys.exit(1)


def _progress_bar(source: RecordingSource) -> Any:
    from tqdm import tqdm

    class _Null:
        def update(self, n: float) -> None: ...

        def close(self) -> None: ...

    if source.duration < PROGRESS_MIN_SECONDS:
        return _Null()
    return tqdm(
        total=round(source.duration),
        desc=source.name,
        unit="s",
        unit_scale=True,
        leave=False,
        file=sys.stderr,
    )
