"""Paced beats of MIT-BIH 107 through narrower recorders: band limits, sampling rates,
smaller spikes, noise.

Prints figures; asserts nothing (a bench, not a test). 107 is the paced record of the tuning
half (``bench/bench_classes.py``); each version of it is analysed as the job analyses a
record (:func:`wavetag.signal.analysis.analyze`, detecting the beats itself) and its paced
Se is the share of reference ``/`` and ``f`` beats called ``/`` (missed beats count against).

    .venv/bin/python bench/bench_pacing.py [--data ../shared/data]

A version of the record is made the way a recorder would have made it
(:func:`wavetag.signal.synth.recorder.recorded`):

1. smaller spikes (``--spikes``): the fast part of the signal (it minus its 15-ms running
   median), where it exceeds 0.1 mV (the spikes, not the QRS), scaled;
2. an analogue band limit: a causal 2nd-order Butterworth low-pass at the given Hz;
3. sampling at the given rate (``scipy.signal.resample_poly``);
4. white noise of the given mV (seeded).
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import wfdb  # noqa: E402

from wavetag.signal.agreement import match_beats  # noqa: E402
from wavetag.signal.analysis import analyze  # noqa: E402
from wavetag.signal.leads import SampleSource  # noqa: E402
from wavetag.signal.synth.recorder import recorded  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BEATS = list("NLRBAaJSVrFejnE/fQ")
RATES = (250, 360, 400, 500, 1000)
BANDS = (None, 100.0, 60.0, 40.0)
# (spike scale, band limit Hz, noise mV) at a few rates.
HARDER = [(0.3, None, 0.0), (0.3, 60.0, 0.0), (0.3, 60.0, 0.03), (0.5, None, 0.03)]


def paced_se(x: np.ndarray, rate: int, names: list[str], ref: np.ndarray, sym: list[str]) -> str:
    source = SampleSource.from_arrays(
        {n: x[:, i] for i, n in enumerate(names)}, {n: float(rate) for n in names}
    )
    r = analyze(source)
    m = match_beats(ref, r.beats.samples, r.fs)
    found = r.beats.symbols
    tp = sum(1 for i, j in m.pairs.tolist() if sym[i] in "/f" and found[j] == "/")
    codes = dict(sorted(Counter(found).items()))
    return f"{100 * tp / sum(s in '/f' for s in sym):6.2f}  {codes}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("WAVETAG_TEST_DATA", DEFAULT_DATA))
    )
    a = p.parse_args()
    rec = wfdb.rdrecord(str(a.data / "mitdb" / "107"))
    ann = wfdb.rdann(str(a.data / "mitdb" / "107"), "atr")
    keep = np.isin(ann.symbol, BEATS)
    sym = [s for s, k in zip(ann.symbol, keep, strict=True) if k]
    x0 = np.asarray(rec.p_signal)
    print("spikes  band Hz  rate Hz  noise mV  paced Se  codes")
    runs = [(1.0, band, rate, 0.0) for band in BANDS for rate in RATES]
    runs += [(s, band, rate, noise) for s, band, noise in HARDER for rate in (250, 360, 500)]
    for spikes, band, rate, noise in runs:
        x = recorded(x0, rec.fs, rate, band, spikes, noise)
        ref = np.round(ann.sample[keep] * rate / rec.fs).astype(np.int64)
        se = paced_se(x, rate, rec.sig_name, ref, sym)
        print(f"{spikes:6.1f}  {band or '-':>7}  {rate:7d}  {noise:8.2f}  {se}", flush=True)


if __name__ == "__main__":
    main()
