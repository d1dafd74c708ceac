"""Time of each stage of the automatic analysis on synthetic 2-lead Holters.

Prints figures; asserts nothing. It runs :func:`wavetag.signal.analysis.analyze`, the
pipeline the analysis job runs on the store, here on the record in memory. By default the
analysis detects the beats itself, as the job does; with ``--beats reference`` it is given
the generator's own reference beats, so that the codes are scored on the same beats and
the figures exclude QRS detection.

    .venv/bin/python bench/bench_analysis.py              # 1 h and 24 h, 2 leads, 360 Hz
    .venv/bin/python bench/bench_analysis.py --hours 1 --beats reference
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from collections import Counter

# One core, as the figures are quoted (numpy's BLAS would otherwise use every core).
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

from wavetag.signal.agreement import match_beats  # noqa: E402
from wavetag.signal.analysis import analyze  # noqa: E402
from wavetag.signal.leads import SampleSource  # noqa: E402
from wavetag.signal.rhythm import episodes_from_aux, overlap_samples  # noqa: E402
from wavetag.signal.synth import holter_spec, synthesize  # noqa: E402


def run(hours: float, fs: float, seed: int, given: bool) -> None:
    spec = holter_spec(hours=hours, leads=2, fs=fs, seed=seed)
    t0 = time.perf_counter()
    rec = synthesize(spec)
    x = rec.physical()
    t_synth = time.perf_counter() - t0
    ann = rec.annotation_sets[0]
    beats = ann.sample[np.isin(ann.symbol, ["N", "V", "A"])]
    names = [c.name for c in rec.channels]
    source = SampleSource.from_arrays(
        {n: x[:, i] for i, n in enumerate(names)}, {n: fs for n in names}
    )
    t0, c0 = time.perf_counter(), time.process_time()
    result = analyze(source, beats=beats if given else None)
    total, total_cpu = time.perf_counter() - t0, time.process_time() - c0
    found = result.beats.samples
    t0 = time.perf_counter()
    d = result.to_dict()
    t_dict = time.perf_counter() - t0

    print(
        f"{hours:g} h, 2 leads, {fs:g} Hz: {len(x):,} samples a lead, {len(beats):,} beats"
        f" ({'given' if given else f'{len(found):,} detected'})"
    )
    print(f"  (synthesis, not timed below: {t_synth:.1f} s)")
    print(f"  {'stage':10} {'wall':>9} {'cpu':>9}")
    for stage, seconds in result.timings_s.items():
        print(f"  {stage:10} {seconds:7.2f} s {result.cpu_s[stage]:7.2f} s")
    print(
        f"  {'total':10} {total:7.2f} s {total_cpu:7.2f} s"
        f"  ({len(found) / total:,.0f} beats/s wall)"
    )
    print(f"  {'to_dict':10} {t_dict:7.2f} s")
    print(
        f"  clusters: {int(result.beats.clusters.max()) + 1}, symbols: "
        f"{dict(Counter(result.beats.symbols))}"
    )
    ref_sym = [ann.symbol[i] for i in np.flatnonzero(np.isin(ann.symbol, ["N", "V", "A"]))]
    print(f"  reference symbols: {dict(Counter(ref_sym))}")
    m = match_beats(beats, found, fs, ref_labels=ref_sym, test_labels=result.beats.symbols)
    where = "same beats as the reference" if given else "detected beats, bxb 150 ms"
    print(f"  beats: Se {m.sensitivity:.4f} +P {m.ppv:.4f} ({where})")
    for c in "VA":
        se, pp = m.class_stats(c)
        print(f"  {c}: Se {se or 0:.4f} +P {pp or 0:.4f} ({where})")
    print(f"  rhythm labels: {dict(Counter(e.label for e in result.rhythm))}")
    plus = [i for i, s in enumerate(ann.symbol) if s == "+"]
    ref = episodes_from_aux(ann.sample[plus], [ann.aux_note[i] for i in plus], rec.n_samples)
    for label in ("(B", "(VT", "(AFIB"):
        both = overlap_samples(result.rhythm, ref, label)
        n_ref = sum(e.end - e.start for e in ref if e.label == label)
        n_ours = sum(e.end - e.start for e in result.rhythm if e.label == label)
        print(
            f"  {label:6} reference {n_ref / fs:7.0f} s, suggested {n_ours / fs:7.0f} s,"
            f" overlap {both / max(n_ref, 1):.3f} of reference, {both / max(n_ours, 1):.3f} of ours"
        )
    noisy = np.zeros(rec.n_samples, dtype=bool)
    for ep in spec.episodes:
        if ep.kind in ("emg", "motion"):
            noisy[round(ep.start * fs) : round(ep.end * fs)] = True
    for index, name in enumerate(result.morphology_channels):
        segs = result.quality[index]
        in_noise = np.array([noisy[s.start : s.end].mean() > 0.5 for s in segs])
        bad = np.array([s.grade != "A" for s in segs])
        print(
            f"  quality {name}: not A in {bad[in_noise].mean():.2f} of {in_noise.sum()} segments"
            f" mostly inside EMG/motion episodes, in {bad[~in_noise].mean():.4f} of the others"
        )
    q = Counter(s.grade for s in result.quality[0])
    print(f"  quality {names[0]}: {dict(q)}; segments in dict: {len(d['quality'][names[0]])}")  # type: ignore[index]
    iv = result.intervals
    print(f"  intervals: PR {iv.pr_ms} QRS {iv.qrs_ms} QT {iv.qt_ms} QTc(F) {iv.qtc_fridericia_ms}")
    print(f"  peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, nargs="*", default=[1.0, 24.0])
    p.add_argument("--fs", type=float, default=360.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--beats",
        choices=["detected", "reference"],
        default="detected",
        help="detect the beats, as the analysis job does (default), or give the reference ones",
    )
    a = p.parse_args()
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[:3]}")
    for h in a.hours:
        run(h, a.fs, a.seed, a.beats == "reference")
    with open("/proc/loadavg") as f:
        print(f"load average at end: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
