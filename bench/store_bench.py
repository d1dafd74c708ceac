"""Waveform store figures: write throughput, import memory, window latency.

Run: ``.venv/bin/python bench/store_bench.py [--hours 24] [--leads 12] [--dir /tmp]``

Prints figures and ratios only; nothing here passes or fails.

1. Writes a synthetic ``leads`` x ``hours`` record at 500 Hz (int16, with a few
   invalid samples) in 60-s blocks, as the importer does, and reports samples/s
   and the peak traced memory of the writer.
2. Writes the same samples as a WFDB format-16 record and times
   ``wfdb.rdrecord`` on it (digital samples, and physical when it fits in memory):
   the import budget is twice that.
3. Times windows of 10 s, 1 min, 1 h and the whole record at ``max_points=2000``
   on channel 0, at random positions, page cache warm.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from wavetag.signal.recording import ChannelInfo
from wavetag.signal.store import RecordStore, StoreWriter, delete_record

FS = 500.0
INVALID = -32768


def blocks(n: int, leads: int, block: int) -> Iterator[list[np.ndarray]]:
    """Successive blocks, cycling over a few pre-built ones so that making them costs nothing."""
    rng = np.random.default_rng(0)
    t = np.arange(block)
    pool = []
    for k in range(7):
        wave = np.sin(t * 2 * np.pi / (400 + 10 * k)) * 1000
        lead_blocks = []
        for _ in range(leads):
            x = (wave + rng.integers(-50, 50, block)).astype(np.int16)
            x[rng.integers(0, block, 3)] = INVALID
            lead_blocks.append(x)
        pool.append(lead_blocks)
    for k, start in enumerate(range(0, n, block)):
        size = min(block, n - start)
        yield [x[:size] for x in pool[k % len(pool)]]


def write(root: Path, key: str, n: int, leads: int) -> float:
    infos = [
        ChannelInfo(i, f"lead{i}", "mV", FS, 200.0, 0, n, 16, "int16", INVALID)
        for i in range(leads)
    ]
    t0 = time.perf_counter()
    with StoreWriter(root, key, infos) as writer:
        for b in blocks(n, leads, int(60 * FS)):  # the importer's 60-s blocks
            writer.append(b)
        writer.commit()
    return time.perf_counter() - t0


def bench_write(root: Path, n: int, leads: int) -> float:
    total = n * leads
    tracemalloc.start()
    write(root, "memory", n, leads)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    delete_record(root, "memory")
    elapsed = write(root, "bench", n, leads)
    size = sum(p.stat().st_size for p in (root / "be" / "bench").iterdir())
    print(f"write: {total / 1e6:.0f} M samples in {elapsed:.2f} s")
    print(
        f"       {total / elapsed / 1e6:.0f} M samples/s, {total * 2 / elapsed / 1e6:.0f} MB/s raw"
    )
    print(f"       on disk {size / 1e6:.0f} MB = {size / (total * 2):.2f} x raw")
    print(f"       peak traced memory {peak / 1e6:.0f} MB for a {total * 2 / 1e6:.0f} MB record")
    print(
        f"       process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB"
    )
    return elapsed


def bench_rdrecord(root: Path, n: int, leads: int, write_time: float) -> None:
    import wfdb

    dat = root / "wf.dat"
    with open(dat, "wb") as f:
        for b in blocks(n, leads, int(60 * FS)):
            f.write(np.column_stack(b).astype("<i2").tobytes())
    lines = [f"wf {leads} {FS:g} {n}"]
    lines += [f"wf.dat 16 200 16 0 0 0 0 lead{i}" for i in range(leads)]
    (root / "wf.hea").write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    wfdb.rdrecord(str(root / "wf"), physical=False, return_res=16)
    digital = time.perf_counter() - t0
    print(f"wfdb.rdrecord digital: {digital:.2f} s ({n * leads / digital / 1e6:.0f} M samples/s)")
    print(f"store write / rdrecord digital = {write_time / digital:.2f}")
    if n * leads * 8 < 3e9:
        t0 = time.perf_counter()
        wfdb.rdrecord(str(root / "wf"))
        physical = time.perf_counter() - t0
        print(f"wfdb.rdrecord physical: {physical:.2f} s")
    dat.unlink()


def bench_windows(root: Path, n: int) -> None:
    store = RecordStore.open(root, "bench")
    duration = n / FS
    rng = np.random.default_rng(1)
    for label, span in [("10 s", 10.0), ("1 min", 60.0), ("1 h", 3600.0), ("all", duration)]:
        span = min(span, duration)
        times = []
        for _ in range(2000):
            start = float(rng.uniform(0, duration - span))
            t0 = time.perf_counter()
            w = store.window(0, start, start + span, 2000)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(
            f"window {label:>5}: {w.kind:6} bucket {w.bucket:6} count {w.count:5}  "
            f"median {statistics.median(times) * 1e6:6.0f} us  "
            f"p99 {times[int(len(times) * 0.99)] * 1e6:6.0f} us"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--leads", type=int, default=12)
    parser.add_argument("--dir", default=None, help="scratch folder (default: a temp folder)")
    parser.add_argument("--skip-wfdb", action="store_true")
    args = parser.parse_args()
    n = int(args.hours * 3600 * FS)
    root = Path(tempfile.mkdtemp(prefix="storebench", dir=args.dir))
    try:
        print(f"{args.leads} leads x {args.hours:g} h at {FS:g} Hz = {n * args.leads / 1e6:.0f} M")
        write_time = bench_write(root, n, args.leads)
        bench_windows(root, n)
        if not args.skip_wfdb:
            bench_rdrecord(root, n, args.leads, write_time)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
