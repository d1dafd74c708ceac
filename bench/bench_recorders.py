"""The tuning half's MIT-BIH records through other recorders: beat classes at other sampling
rates, through a narrower band, with more noise, at another gain, with the leads reordered,
with mains interference, baseline wander, motion artefact or electrode pops; and its CPSC
2021 records (atrial fibrillation) at other rates, band, noise, mains interference and
wander.

Prints figures; asserts nothing (a bench, not a test; not run in CI, about 2 minutes).
The analysis should not depend on the recorder: a figure that moves with the sampling rate
is a rule written in samples where it meant seconds, or a test that noise defeats. Records
the analysis meets elsewhere come at 128 Hz (Holters), 250-257 Hz (AHA, INCART), 500 and
1000 Hz (12-lead carts); MIT-BIH's are 360 Hz. Only the tuning half of
``bench/bench_classes.py``'s split is used (paced 107 apart: ``bench/bench_pacing.py``
covers it), so that the checking half stays unseen.

    .venv/bin/python bench/bench_recorders.py [--data ../shared/data] [--rates 128 1000]

Each record is made the way a recorder would have made it
(:func:`wavetag.signal.synth.recorder.recorded`: an analogue band limit, resampling,
white noise; also another gain, and the leads listed in the other order) and analysed
from arrays (:func:`~wavetag.signal.analysis.analyze`, which detects the beats itself);
the reference beats are moved to the new rate. Scores as in
``bench/bench_classes.py`` (EC57 bxb at 150 ms, gross over the records, none inside the
reference's ventricular flutter): QRS, VEB (``V`` ``E`` against ``V``), SVEB (``A a J S``
against ``A``), and beats called paced (``/``), which no record here should have.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import NamedTuple

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import wfdb  # noqa: E402
from bench_classes import (  # noqa: E402
    BEATS,
    SVEB,
    VEB,
    Count,
    _length,
    class_count,
    outside_vf,
    pct,
    reference_episodes,
    split,
)

from wavetag.signal.agreement import match_beats  # noqa: E402
from wavetag.signal.analysis import analyze  # noqa: E402
from wavetag.signal.leads import SampleSource  # noqa: E402
from wavetag.signal.rhythm import RhythmEpisode, overlap_samples  # noqa: E402
from wavetag.signal.synth.recorder import recorded  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


class Recorder(NamedTuple):
    """How a record is made (:func:`wavetag.signal.synth.recorder.recorded`): sampling rate,
    band limit, white noise, gain, leads in reverse order, mains interference (Hz, mV),
    baseline wander, motion artefact and electrode pops (mV). The defaults leave the
    record as it is."""

    rate: int
    band: float | None = None
    noise: float = 0.0
    gain: float = 1.0
    reverse: bool = False
    mains: tuple[float, float] | None = None
    wander: float = 0.0
    motion: float = 0.0
    pops: float = 0.0

    def make(self, x: np.ndarray, fs: float) -> np.ndarray:
        return recorded(
            self.gain * x,
            fs,
            self.rate,
            band_hz=self.band,
            noise_mv=self.noise,
            mains=self.mains,
            wander_mv=self.wander,
            motion_mv=self.motion,
            pops_mv=self.pops,
        )


# The first is the record as it is.
RECORDERS = [
    Recorder(360),
    Recorder(128),
    Recorder(250, band=40.0),
    Recorder(257),
    Recorder(500),
    Recorder(1000),
    Recorder(360, noise=0.05),
    Recorder(360, gain=0.5),
    Recorder(360, gain=2.0),
    Recorder(360, reverse=True),
    Recorder(360, mains=(50.0, 0.1)),
    Recorder(360, mains=(60.0, 0.1)),
    Recorder(360, mains=(50.0, 0.3)),
    Recorder(360, wander=1.0),
    Recorder(360, motion=0.3),
    Recorder(360, pops=1.0),
]


def run(recs: list, rc: Recorder) -> None:
    qrs, veb, sveb, paced = Count(), Count(), Count(), 0
    per = []
    for rec in recs:
        h = wfdb.rdrecord(str(rec.path))
        ann = wfdb.rdann(str(rec.path), "atr")
        vf = ~outside_vf(ann.sample, ann.sample, ann.symbol)
        keep = np.isin(ann.symbol, list(BEATS)) & ~vf
        ref_sym = [s for s, k in zip(ann.symbol, keep, strict=True) if k]
        x = rc.make(np.nan_to_num(np.asarray(h.p_signal)), h.fs)
        rate = rc.rate
        ref = np.round(ann.sample[keep] * rate / h.fs).astype(np.int64)
        order = range(len(h.sig_name))[::-1] if rc.reverse else range(len(h.sig_name))
        r = analyze(
            SampleSource.from_arrays(
                {h.sig_name[i]: x[:, i] for i in order}, {n: float(rate) for n in h.sig_name}
            )
        )
        # No beat-by-beat comparison inside ventricular flutter (EC57).
        out = outside_vf(r.beats.samples, np.round(ann.sample * rate / h.fs), ann.symbol)
        test, test_sym = r.beats.samples[out], np.array(r.beats.symbols)[out].tolist()
        m = match_beats(ref, test, rate)
        qrs.add(Count(m.n_matched, m.n_ref, m.n_test))
        v = class_count(ref_sym, test_sym, m.pairs, VEB, "V")
        a = class_count(ref_sym, test_sym, m.pairs, SVEB, "A")
        veb.add(v)
        sveb.add(a)
        paced += test_sym.count("/")
        per.append(f"{rec.name} V {v.tp}/{v.ref}/{v.test} A {a.tp}/{a.ref}/{a.test}")
    hum = f"{rc.mains[0]:.0f}/{rc.mains[1]:.2f}" if rc.mains else "-"
    print(
        f"{rc.rate:7d} {rc.band or '-':>7} {rc.noise:6.2f} {rc.gain:5.1f}"
        f" {'yes' if rc.reverse else '-':>5} {hum:>8} {rc.wander:6.1f} {rc.motion:6.1f}"
        f" {rc.pops:6.1f}  {pct(qrs.se)} {pct(qrs.ppv)}"
        f"  {pct(veb.se)} {pct(veb.ppv)}  {pct(sveb.se)} {pct(sveb.ppv)}  {paced:6d}",
        flush=True,
    )
    print("        per record (true/reference/called):", "; ".join(per), flush=True)


# The AF records (CPSC 2021, 200 Hz) through recorders: the same rates, a band limit, noise.
AF_RECORDERS = [
    Recorder(200),
    Recorder(128),
    Recorder(250, band=40.0),
    Recorder(360),
    Recorder(500),
    Recorder(1000),
    Recorder(200, noise=0.05),
    Recorder(200, mains=(50.0, 0.1)),
    Recorder(200, wander=1.0),
]


def run_af(recs: list, rc: Recorder) -> None:
    """AF by duration (as ``bench/bench_classes.py`` scores it) on records through one
    recorder; the reference episodes are moved to the new rate."""
    ref_s = called_s = both_s = 0.0
    per = []
    for rec in recs:
        h = wfdb.rdrecord(str(rec.path))
        x = rc.make(np.nan_to_num(np.asarray(h.p_signal)), h.fs)
        rate = rc.rate
        k = rate / h.fs
        ref = [
            RhythmEpisode(round(e.start * k), round(e.end * k), e.label)
            for e in reference_episodes(rec.path)
        ]
        r = analyze(
            SampleSource.from_arrays(
                {n: x[:, i] for i, n in enumerate(h.sig_name)},
                {n: float(rate) for n in h.sig_name},
            )
        )
        got = [e for e in r.rhythm if e.label == "(AFIB"]
        a, c = _length(ref, "(AFIB") / rate, _length(got, "(AFIB") / rate
        both = overlap_samples(ref, got, "(AFIB") / rate
        ref_s, called_s, both_s = ref_s + a, called_s + c, both_s + both
        per.append(f"{rec.name} {a:.0f}/{c:.0f}/{both:.0f}")
    se = both_s / ref_s if ref_s else None
    ppv = both_s / called_s if called_s else None
    hum = f"{rc.mains[0]:.0f}/{rc.mains[1]:.2f}" if rc.mains else "-"
    print(
        f"{rc.rate:7d} {rc.band or '-':>7} {rc.noise:6.2f} {hum:>8} {rc.wander:6.1f}"
        f"  {pct(se)} {pct(ppv)}",
        flush=True,
    )
    print("        per record (reference/called/both, s):", "; ".join(per), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("WAVETAG_TEST_DATA", DEFAULT_DATA))
    )
    p.add_argument("--rates", type=int, nargs="*", help="only the recorders at these rates")
    a = p.parse_args()
    recs = [r for r in split(a.data) if r.half == "tuning" and r.source == "mitdb"]
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"records: {' '.join(r.name for r in recs)} (tuning half, MIT-BIH, 360 Hz)")
    print(
        "rate Hz    band  noise  gain  leads reversed, mains Hz/mV, wander, motion, pops mV"
        "   QRS Se     +P  VEB Se     +P SVEB Se     +P  paced"
    )
    t0 = time.perf_counter()
    for rc in RECORDERS:
        if not a.rates or rc.rate in a.rates:
            run(recs, rc)
    af_recs = [r for r in split(a.data) if r.half == "tuning" and r.source == "cpsc2021"]
    print(f"\nrecords: {' '.join(r.name for r in af_recs)} (tuning half, CPSC 2021, 200 Hz)")
    print("rate Hz    band  noise  mains wander   AF Se     +P (by duration)")
    for rc in AF_RECORDERS:
        if not a.rates or rc.rate in a.rates:
            run_af(af_recs, rc)
    print(f"{time.perf_counter() - t0:.0f} s; load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
