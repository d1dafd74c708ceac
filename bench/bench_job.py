"""The whole automatic analysis job on long Holters: wall time, peak memory, accuracy.

Run: ``.venv/bin/python bench/bench_job.py [--hours 24 72] [--markdown FILE]``

Prints figures and ratios; nothing fails on a missed target. Steps, per record:

1. A synthetic 3-lead Holter at 360 Hz (format 212) written with :mod:`wavetag.signal.synth`,
   with its reference beats and rhythm (reused from ``bench/out/`` while its spec holds).
2. ``wavetag import`` into a fresh WAVETAG_HOME (a child process).
3. The baseline, in the same run: ``wfdb.rdrecord`` of the whole record, physical values, in
   a child process: what any tool pays only to hold the record in memory.
4. ``wavetag analyze NAME --wait`` in a child process: the job the worker runs
   (:func:`wavetag.signal.analysis.analyze` on the store, the pipeline that
   ``bench_analysis.py`` and the accuracy tests run in memory: QRS detection, beat classes
   and morphology clusters, heart rate, intervals, rhythm, signal quality) and the
   automatic annotation set written to the database. Wall time and peak
   RSS of the process, and the time the run reports for itself.
5. The automatic beats scored against the generator's reference beats (bxb matching,
   150 ms): sensitivity and positive predictivity.

Target (issue 5): a 72-h record never blocks a request (the job runs in the worker); here
the figure is the job's memory, which must stay well inside a laptop's (≤ 1.5 GB, as for
imports) and grow with the record no faster than the record itself.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from bench_foundation import (  # noqa: E402
    Table,
    machine,
    make_record,
    met,
    ratio,
    report,
    run_child,
    wavetag,
    wavetag_env,
)

LEADS, FS = 3, 360.0
PEAK_LIMIT = 1.5e9

RDRECORD = "import sys, wfdb; r = wfdb.rdrecord(sys.argv[1]); print(r.p_signal.shape)"

# Reference and automatic beats of the imported record, matched in a child process with
# Django set up (the bench process stays free of Django and its database).
SCORE = """
import json, sys, django
django.setup()
import numpy as np
from wavetag.records.models import AnnotationSet, Annotation
from wavetag.signal.agreement import match_beats
BEATS = list("NLRBAaJSVrFejnE/fQ")
def beats(origin):
    s = AnnotationSet.objects.filter(record__name=sys.argv[1], origin=origin).latest("id")
    rows = Annotation.objects.filter(annotation_set=s, symbol__in=BEATS, beat=None)
    return np.array(sorted(rows.values_list("sample", flat=True)))
ref, auto = beats("reference"), beats("automatic")
m = match_beats(ref, auto, fs=float(sys.argv[2]), window_s=0.150)
print(json.dumps({"ref": len(ref), "auto": len(auto), "se": m.sensitivity, "ppv": m.ppv}))
"""


def bench_record(hours: float, out: Path, regenerate: bool, tables: dict[str, Table]) -> None:
    base = make_record(out, hours, LEADS, FS, regenerate)
    home = Path(tempfile.mkdtemp(prefix="job-", dir=out))
    env = wavetag_env(home)
    env.setdefault("DJANGO_SETTINGS_MODULE", "wavetag.settings")
    try:
        imp_wall, imp_peak, _ = run_child(wavetag("import", str(base), "--dataset", "bench"), env)
        rd_wall, rd_peak, _ = run_child([sys.executable, "-c", RDRECORD, str(base)])
        job_wall, job_peak, text = run_child(wavetag("analyze", base.name, "--wait"), env)
        first = text.splitlines()[0] if text else ""
        reported = float(first.split(" in ")[1].split(" s")[0]) if " in " in first else job_wall
        _, _, scored = run_child([sys.executable, "-c", SCORE, base.name, str(FS)], env)
        score = json.loads(scored.strip().splitlines()[-1])
    finally:
        shutil.rmtree(home, ignore_errors=True)
    samples = hours * 3600 * FS * LEADS
    tables["job"].rows.append(
        [
            base.name,
            f"{hours:g} h",
            f"{samples / 1e6:.0f} M",
            f"{rd_wall:.1f} s",
            f"{rd_peak / 1e9:.2f} GB",
            f"{imp_wall:.1f} s",
            f"{job_wall:.1f} s",
            f"{reported:.1f} s",
            f"{job_peak / 1e9:.2f} GB",
            ratio(job_wall / rd_wall),
            f"{job_peak / rd_peak:.2f}x",
            f"{hours * 3600 / job_wall:.0f}x",
        ]
    )
    tables["score"].rows.append(
        [
            base.name,
            str(score["ref"]),
            str(score["auto"]),
            f"{100 * score['se']:.2f} %",
            f"{100 * score['ppv']:.2f} %",
        ]
    )
    tables["targets"].rows.append(
        [
            f"job peak RSS <= 1.5 GB ({hours:g} h)",
            f"{job_peak / 1e9:.2f} GB",
            met(job_peak <= PEAK_LIMIT),
        ]
    )
    print(tables["job"].text().splitlines()[-1], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[24.0, 72.0])
    parser.add_argument("--out", default=str(REPO / "bench" / "out"), help="records folder")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the records")
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables as markdown")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    desc = machine()
    print(f"machine: {desc}")
    tables = {
        "job": Table(
            f"The whole analysis job ({LEADS} leads, {FS:g} Hz; child processes, page cache warm)",
            "record length samples rdrecord peak import job run peak "
            "job/rdrecord peak/rdrecord realtime".split(),
        ),
        "score": Table(
            "Automatic beats against the generator's reference (bxb, 150 ms)",
            "record reference automatic Se +P".split(),
        ),
        "targets": Table("Targets", "target figure status".split()),
    }
    for hours in args.hours:
        bench_record(hours, out, args.regenerate, tables)
    load = f"Load average at the end: {os.getloadavg()[0]:.2f}"
    report(list(tables.values()), desc, load, args.markdown)


if __name__ == "__main__":
    main()
