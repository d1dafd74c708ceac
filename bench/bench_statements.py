"""12-lead statements of the automatic analysis against the SNOMED diagnoses of cinc2021.

Prints figures; asserts nothing (a bench, not a test; not run in CI). Each record goes
through the importer's reader, a waveform store and :func:`wavetag.signal.analysis.analyze`
(the analysis job's path, as in ``bench_classes.py``), and its ``statements`` are compared
with the codes of its header's ``# Dx:`` line.

    .venv/bin/python bench/bench_statements.py [--data ../shared/data] [--half tuning|checking|both]
        [--show] [--extra ptbdb/s0010_re ptbxl/00001_lr]

The split is ``bench_classes.split``'s (declared before tuning): the cinc2021 records sorted
by name and dealt alternately, E07500 to the **tuning** half, E07501 to the **checking**
half, and so on through HR and JS. Thresholds were chosen on the tuning half only.

Per statement and half: the records whose Dx has the code and how many of them got the
statement (agreement on positives), and the records without the code that got it anyway
(false statements). The analysis does not know the patient's sex, so the QTc limit is the
single 460 ms one and Cornell the men's.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from collections import defaultdict
from pathlib import Path

from bench_classes import DEFAULT_DATA, HALVES, analyse, split

# Statement code -> the SNOMED CT codes that say it (any of them).
DX: dict[str, tuple[str, ...]] = {
    "sinus-rhythm": ("426783006",),
    "sinus-tachycardia": ("427084000",),
    "sinus-bradycardia": ("426177001",),
    "atrial-fibrillation": ("164889003",),
    "av-block-1": ("270492004",),
    "rbbb": ("59118001", "713427006"),
    "incomplete-rbbb": ("713426002",),
    "lbbb": ("164909002", "733534002"),
    "ivcd": ("698252002",),
    "left-axis-deviation": ("39732003",),
    "right-axis-deviation": ("47665007",),
    # 55827005 "left ventricular high voltage" (the Chapman/Ningbo records' code): the
    # voltage criteria themselves.
    "lvh": ("164873001", "55827005"),
    "long-qtc": ("111975006",),
    "low-voltage": ("251146004",),
    # ST changes, ST depression, ST elevation: any ST statement agrees with any of them.
    "st": ("55930002", "429622005", "164931005"),
}


def dx_codes(path: Path) -> set[str]:
    for line in path.with_suffix(".hea").read_text().splitlines():
        if line.startswith("# Dx:") or line.startswith("#Dx:"):
            return {c.strip() for c in line.split(":", 1)[1].split(",")}
    return set()


def said(codes: list[str]) -> set[str]:
    out = set(codes)
    if {"st-elevation", "st-depression"} & out:
        out.add("st")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = os.environ.get("WAVETAG_TEST_DATA")
    ap.add_argument("--data", type=Path, default=Path(data) if data else DEFAULT_DATA)
    ap.add_argument("--half", choices=(*HALVES, "both"), default="both")
    ap.add_argument("--show", action="store_true", help="each record's statements")
    ap.add_argument("--extra", nargs="*", default=["ptbdb/s0010_re", "ptbxl/00001_lr"])
    args = ap.parse_args()
    recs = [r for r in split(args.data) if r.source == "cinc2021"]
    halves = HALVES if args.half == "both" else (args.half,)
    print(f"python {platform.python_version()}, {platform.machine()}")
    # per half, per statement: [Dx+ records, of them stated, Dx- records, of them stated]
    table: dict[str, dict[str, list[int]]] = {h: defaultdict(lambda: [0, 0, 0, 0]) for h in halves}
    with tempfile.TemporaryDirectory() as root:
        for r in recs:
            if r.half not in halves:
                continue
            res = analyse(r.path, Path(root))
            codes = said([s.code for s in res.statements])
            dx = dx_codes(r.path)
            for st, snomed in DX.items():
                pos = bool(dx & set(snomed))
                row = table[r.half][st]
                row[0 if pos else 2] += 1
                row[1 if pos else 3] += st in codes
            if args.show:
                iv = res.intervals
                print(
                    f"{r.half[:5]} {r.name}: Dx {','.join(sorted(dx))} | QRS {iv.qrs_ms} "
                    f"PR {iv.pr_ms} QTcB {iv.qtc_bazett_ms and round(iv.qtc_bazett_ms)} | "
                    + "; ".join(f"{s.code} ({s.evidence})" for s in res.statements)
                )
        for h in halves:
            n = sum(1 for r in recs if r.half == h)
            print(f"\n{h} half ({n} records)")
            print(f"{'statement':22} {'Dx+ stated':>12} {'Dx- stated':>12}")
            for st in DX:
                pos, tp, neg, fp = table[h][st]
                print(f"{st:22} {f'{tp}/{pos}':>12} {f'{fp}/{neg}':>12}")
        print("\nsanity (not in either half)")
        for extra in args.extra:
            p = args.data / extra
            res = analyse(p, Path(root))
            iv = res.intervals
            print(
                f"{extra}: QRS {iv.qrs_ms} PR {iv.pr_ms} QTcB "
                f"{iv.qtc_bazett_ms and round(iv.qtc_bazett_ms)} | "
                + "; ".join(f"{s.text} ({s.evidence})" for s in res.statements)
            )


if __name__ == "__main__":
    main()
