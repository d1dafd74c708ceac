"""wavetag detect-qrs PATH... --out DIR [--channel C]: QRS annotation files, no database."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.signal.io import RecordError, find_records, open_recording
from wavetag.signal.io.source import describe
from wavetag.signal.qrs_source import detect_qrs_source


class Command(BaseCommand):
    help = (
        "Detect the QRS complexes of WFDB, EDF, ISHNE, aECG and CSV records (a .hea file, a "
        "record path, or a folder) and write one WFDB annotation file DIR/<record>.qrs per record."
    )
    # Reads files and writes files only: no database, no system checks.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--out", required=True, metavar="DIR", help="folder for .qrs files")
        parser.add_argument(
            "--channel", type=int, default=0, metavar="C", help="channel index, from 0 (0)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        out: str = opts["out"]
        channel: int = opts["channel"]
        if channel < 0:
            raise CommandError(f"--channel must be 0 or more, not {channel}")
        try:
            os.makedirs(out, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"{out}: cannot create the folder ({exc.strerror or exc})") from exc
        refs, errors = find_records(list(opts["paths"]))
        failed = len(errors)
        for error in errors:
            self.stderr.write(f"FAILED  {error}")
        for ref in refs:
            try:
                line = _detect_one(ref.path, ref.name, channel, out)
            except RecordError as exc:
                failed += 1
                self.stderr.write(f"FAILED  {exc}")
            except (IndexError, ValueError, OSError) as exc:
                failed += 1
                self.stderr.write(f"FAILED  {ref.path}: {describe(exc)}")
            else:
                self.stdout.write(line)
        if failed or not refs:
            if not refs and not errors:
                self.stderr.write("no records found")
            sys.exit(1)


def _detect_one(path: str, name: str, channel: int, out: str) -> str:
    import wfdb

    started = time.perf_counter()
    source = open_recording(path)
    beats = detect_qrs_source(source, channel)
    seconds = time.perf_counter() - started
    info = source.channels[channel]
    symbols = ["N"] * len(beats)
    wfdb.wrann(
        name,
        "qrs",
        np.asarray(beats, dtype=np.int64),
        symbol=symbols,
        fs=info.fs,
        write_dir=out,
    )
    rate = info.n_samples / seconds if seconds > 0 else float("inf")
    return (
        f"{name}: {len(beats)} beats in channel {channel} ({info.name}), "
        f"{info.duration:.1f} s of signal, {seconds:.2f} s, {rate / 1e6:.1f} M samples/s "
        f"-> {os.path.join(out, name + '.qrs')}"
    )
