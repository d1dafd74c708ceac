"""Throughput and memory of the synthetic-record generator and its WFDB writer.

Prints figures; asserts nothing. Default: the two benchmark Holters (24 h,
12 leads at 500 Hz in format 16; 24 h, 3 leads at 360 Hz in format 212).

    .venv/bin/python bench/synth_bench.py                 # both, generate + write
    .venv/bin/python bench/synth_bench.py --hours 1 --leads 12 --fs 500 --no-write
    .venv/bin/python bench/synth_bench.py --trace-memory  # tracemalloc peak (slower)
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

from wavetag.signal.synth import holter_spec, synthesize, write_wfdb


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(hours: float, leads: int, fs: float, out: Path, write: bool, trace: bool) -> None:
    spec = holter_spec(hours=hours, leads=leads, fs=fs, seed=1)
    n = spec.n_samples * len(spec.signal_names)
    label = f"{hours:g} h, {leads} leads, {fs:g} Hz, format {spec.fmt}"
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    rec = synthesize(spec)
    t_setup = time.perf_counter() - t0
    if write:
        written = write_wfdb(out, None, rec)
    else:
        for _ in rec.iter_chunks():
            pass
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    print(f"{label}: {n / 1e6:.1f} M samples, {len(rec.beats)} beats")
    what = "generate + write" if write else "generate"
    print(f"  setup (beats, annotations)  {t_setup:7.2f} s")
    print(f"  {what:27} {elapsed:7.2f} s   {n / elapsed / 1e6:6.1f} M samples/s")
    if write:
        for f in written.files:
            print(f"  {f.name:27} {f.stat().st_size / 1e6:10.1f} MB")
    if trace:
        print(f"  tracemalloc peak            {peak / 2**20:7.1f} MiB")
    print(f"  process peak RSS            {rss_mib():7.1f} MiB (whole process, imports included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float)
    parser.add_argument("--leads", type=int)
    parser.add_argument("--fs", type=float)
    parser.add_argument(
        "--out", type=Path, help="keep the files here (default: a temporary folder)"
    )
    parser.add_argument("--no-write", action="store_true", help="render only")
    parser.add_argument("--trace-memory", action="store_true")
    args = parser.parse_args()
    cases = [(24.0, 12, 500.0), (24.0, 3, 360.0)]
    if args.hours or args.leads or args.fs:
        cases = [(args.hours or 24.0, args.leads or 12, args.fs or 500.0)]
    print(f"process RSS after imports: {rss_mib():.1f} MiB")
    for hours, leads, fs in cases:
        out = args.out or Path(tempfile.mkdtemp(prefix="synth-bench-"))
        try:
            run(hours, leads, fs, out, not args.no_write, args.trace_memory)
        finally:
            if args.out is None:
                shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
