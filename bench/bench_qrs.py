"""QRS detection: Se/+P on MIT-BIH records and samples per second, beside wfdb's gqrs and NeuroKit.

Scoring: ``wfdb.processing.compare_annotations`` against the reference ``.atr`` (beat
symbols only), 150-ms window, first and last second ignored, channel 0. Every detector
runs in this process, on the same arrays, one after the other; times are the detector
call alone (best of ``--repeat`` for wavetag). Figures only: the script fails nothing.

    python bench/bench_qrs.py [--data ../shared/data/mitdb] [--records 100 105 106 107]
                              [--holter-hours 24] [--no-gqrs] [--no-neurokit]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import wfdb
from wfdb.processing import compare_annotations, gqrs_detect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wavetag.signal.qrs import detect_qrs, detect_qrs_chunked

BEAT_SYMBOLS = frozenset("N L R B A a J S V r F e j n E / f Q ?".split())
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mitdb"

Detector = Callable[[npt.NDArray[np.float64], float], npt.NDArray[np.int64]]


@dataclass
class Tally:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    samples: int = 0
    seconds: float = 0.0
    cpu: float = 0.0

    def add(self, other: Tally) -> None:
        self.tp += other.tp
        self.fn += other.fn
        self.fp += other.fp
        self.samples += other.samples
        self.seconds += other.seconds
        self.cpu += other.cpu

    def row(self, label: str) -> str:
        se = 100.0 * self.tp / max(self.tp + self.fn, 1)
        ppv = 100.0 * self.tp / max(self.tp + self.fp, 1)
        rate = self.samples / self.seconds / 1e6 if self.seconds else float("nan")
        cpu = self.samples / self.cpu / 1e6 if self.cpu else float("nan")
        return (
            f"| {label} | {se:.2f} | {ppv:.2f} | {self.fn} | {self.fp} | {rate:.2f} | {cpu:.2f} |"
        )


def wavetag_detector(x: npt.NDArray[np.float64], fs: float) -> npt.NDArray[np.int64]:
    return detect_qrs(x, fs)


def gqrs_detector(x: npt.NDArray[np.float64], fs: float) -> npt.NDArray[np.int64]:
    return np.asarray(gqrs_detect(sig=x, fs=fs), dtype=np.int64)


def neurokit_detector() -> Detector | None:
    try:
        import neurokit2 as nk
    except ImportError:
        return None

    def detect(x: npt.NDArray[np.float64], fs: float) -> npt.NDArray[np.int64]:
        cleaned = nk.ecg_clean(x, sampling_rate=int(fs), method="neurokit")
        _, info = nk.ecg_peaks(cleaned, sampling_rate=int(fs), method="neurokit")
        return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)

    return detect


def load(data: Path, record: str) -> tuple[npt.NDArray[np.float64], float, npt.NDArray[np.int64]]:
    rec = wfdb.rdrecord(str(data / record), channels=[0])
    ann = wfdb.rdann(str(data / record), "atr")
    ref = np.array(
        [s for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym in BEAT_SYMBOLS],
        dtype=np.int64,
    )
    assert rec.p_signal is not None
    return np.ascontiguousarray(rec.p_signal[:, 0], dtype=np.float64), float(rec.fs), ref


def run(
    detector: Detector,
    x: npt.NDArray[np.float64],
    fs: float,
    ref: npt.NDArray[np.int64],
    repeat: int,
) -> Tally:
    best = best_cpu = float("inf")
    beats = np.zeros(0, np.int64)
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        beats = detector(x, fs)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu_started)
    lo, hi = int(fs), len(x) - int(fs)
    r = ref[(ref >= lo) & (ref < hi)]
    d = beats[(beats >= lo) & (beats < hi)]
    c = compare_annotations(r, d, int(0.150 * fs))
    return Tally(int(c.tp), int(c.fn), int(c.fp), len(x), best, best_cpu)


def holter(signals: list[npt.NDArray[np.float64]], fs: float, hours: float) -> None:
    """A day-long channel made by repeating the records; whole vs chunked, time and memory."""
    n = int(hours * 3600 * fs)
    base = np.concatenate(signals)
    reps = -(-n // len(base))
    x = np.tile(base, reps)[:n]
    started, cpu_started = time.perf_counter(), time.process_time()
    beats = detect_qrs_chunked(lambda a, b: x[a:b], n, fs)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    # Memory in a second run: tracing allocations slows Python down.
    tracemalloc.start()
    again = detect_qrs_chunked(lambda a, b: x[a:b], n, fs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\n{hours:g}-h channel at {fs:g} Hz ({n / 1e6:.1f} M samples, the records repeated):")
    print(
        f"- detect_qrs_chunked: {len(beats)} beats, {wall:.1f} s wall, {cpu:.1f} s CPU, "
        f"{n / wall / 1e6:.2f} M samples/s wall, {n / cpu / 1e6:.2f} M samples per CPU-second"
    )
    print(
        f"- peak memory allocated by the detector (tracemalloc): {peak / 2**20:.0f} MiB; the "
        f"signal itself, held by the caller here, is {x.nbytes / 2**20:.0f} MiB; "
        f"same beats in both runs: {np.array_equal(beats, again)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--records", nargs="+", default=["100", "105", "106", "107"])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs for wavetag")
    parser.add_argument("--holter-hours", type=float, default=24.0, help="0 to skip")
    parser.add_argument("--no-gqrs", action="store_true")
    parser.add_argument("--no-neurokit", action="store_true")
    args = parser.parse_args()

    detectors: dict[str, tuple[Detector, int]] = {"wavetag": (wavetag_detector, args.repeat)}
    if not args.no_gqrs:
        detectors["wfdb gqrs"] = (gqrs_detector, 1)
    nk = None if args.no_neurokit else neurokit_detector()
    if nk is not None:
        detectors["NeuroKit neurokit"] = (nk, 1)

    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, wfdb {wfdb.__version__}, "
        f"load average {load_avg:.2f} at the start"
    )
    totals = {name: Tally() for name in detectors}
    signals = []
    fs = 360.0
    print("\n| record / detector | Se % | +P % | FN | FP | M samples/s (wall) | M samples/CPU-s |")
    print("|---|---|---|---|---|---|---|")
    for record in args.records:
        x, fs, ref = load(args.data, record)
        signals.append(x)
        for name, (detector, repeat) in detectors.items():
            tally = run(detector, x, fs, ref, repeat)
            totals[name].add(tally)
            print(tally.row(f"{record} {name}"))
    for name, tally in totals.items():
        print(tally.row(f"**total** {name}"))

    ours = totals["wavetag"]
    print()
    for name, tally in totals.items():
        if name != "wavetag" and tally.seconds:
            print(
                f"- wavetag is {tally.seconds / ours.seconds:.1f}x as fast as {name} (wall), "
                f"{tally.cpu / ours.cpu:.1f}x (CPU)"
            )
    if args.holter_hours > 0 and signals:
        holter(signals, fs, args.holter_hours)


if __name__ == "__main__":
    main()
