"""Quality grade C against the MIT-BIH noise marks, a named channel, and the lead chosen.

Prints figures; asserts nothing (a bench, not a test). Every record goes through
:func:`wavetag.signal.analysis.analyze` on the waveform store, as the analysis job runs it.

    .venv/bin/python bench/bench_quality.py [--data ../shared/data]

To compare with an earlier version of the code, run this file with that version first on
``PYTHONPATH`` (parts it cannot do are reported as refused).

1. **Grades and ``~`` marks** (MIT-BIH, halves of ``bench_classes.split``). A ``~``
   annotation changes the noise state until the next one; its ``subtype`` bits say which
   signals are noisy (low nibble) and unreadable (high nibble; -1 is all of them). A
   10-s segment of a lead is *unreadable* when any of it is marked unreadable in that
   lead, *noisy* when more than half of it is marked noisy, else *clean*; the table
   counts grades by reference state. Also: ``V`` calls and ``PAUSE`` inside C segments
   of the analysed lead.
2. **Named channel**: ``edf/r01.edf`` analysed on ``Direct_1`` by name; QRS Se/+P against
   ``r01.edf.qrs`` (EC57 bxb matching, 150 ms).
3. **Lead choice** (``cinc2021``, and ``ptbdb/s0010_re``): the lead chosen, the beats it
   finds, and the beats of the lead the other leads confirm most (the 12 leads' median
   count beside it).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import wfdb  # noqa: E402
from bench_classes import DEFAULT_DATA, HALVES, split  # noqa: E402

from wavetag.signal import qrs  # noqa: E402
from wavetag.signal.agreement import match_beats  # noqa: E402
from wavetag.signal.analysis import AnalysisConfig, AnalysisResult, analyze  # noqa: E402
from wavetag.signal.io import open_recording  # noqa: E402
from wavetag.signal.leads import SampleSource, is_ecg_name, to_mv  # noqa: E402
from wavetag.signal.store import RecordStore, StoreWriter  # noqa: E402

STATES = ("clean", "noisy", "unreadable")


def stored(path: Path, root: Path) -> SampleSource:
    """The record (``NAME.hea`` or an ``.edf``) written to a fresh store, read back."""
    rec = open_recording(str(path) if path.suffix == ".edf" else str(path) + ".hea")
    key = re.sub(r"[^A-Za-z0-9_-]", "_", path.name).ljust(2, "_")
    with StoreWriter(root, key, rec.channels) as writer:
        for block in rec.iter_blocks(60.0):
            writer.append(block)
        writer.commit()
    return SampleSource.from_store(RecordStore.open(root, key))


def noise_states(path: Path, n: int, n_sig: int) -> np.ndarray:
    """Per sample and signal: 0 clean, 1 noisy, 2 unreadable, from the ``~`` marks."""
    ann = wfdb.rdann(str(path), "atr")
    marks = [
        (s, t & 0xFF)
        for s, y, t in zip(ann.sample, ann.symbol, ann.subtype, strict=True)
        if y == "~"
    ]
    out = np.zeros((n, n_sig), dtype=np.int8)
    for (a, bits), (z, _) in zip(marks, [*marks[1:], (n, 0)][: len(marks)], strict=True):
        for j in range(n_sig):
            out[a:z, j] = 2 if bits >> 4 >> j & 1 else 1 if bits >> j & 1 else 0
    return out


def grade_table(recs: list, root: Path) -> None:
    for half in HALVES:
        table: Counter[tuple[str, str]] = Counter()
        v_in_c = pauses_in_c = v_all = ref_v = ref_v_in_c = 0
        for r in recs:
            if r.half != half or r.source not in ("mitdb", "paced"):
                continue
            src = stored(r.path, root)
            res = analyze(src)
            n = res.n_samples
            state = noise_states(r.path, n, len(src.channels))
            for ch, segs in res.quality.items():
                for q in segs:
                    s = state[q.start : q.end, ch]
                    ref = 2 if (s == 2).any() else 1 if (s == 1).mean() > 0.5 else 0
                    table[(STATES[ref], q.grade)] += 1
            ann = wfdb.rdann(str(r.path), "atr")
            spans = [(q.start, q.end) for q in res.quality[res.channel.index] if q.grade == "C"]
            ref_v += sum(y == "V" for y in ann.symbol)
            ref_v_in_c += sum(
                y == "V" and any(a <= s < z for a, z in spans)
                for s, y in zip(ann.sample.tolist(), ann.symbol, strict=True)
            )
            v_in_c_r, p_r = in_poor(res)
            v_in_c, pauses_in_c = v_in_c + v_in_c_r, pauses_in_c + p_r
            v_all += sum(1 for y in res.beats.symbols if y == "V")
        print(f"\n== {half} half: MIT-BIH segment-leads by reference state and grade ==")
        print(f"{'reference':12}" + "".join(f"{g:>8}" for g in "ABC"))
        for st in STATES:
            print(f"{st:12}" + "".join(f"{table[(st, g)]:8d}" for g in "ABC"))
        print(
            f"V calls {v_all}, of them in C of the analysed lead {v_in_c}; "
            f"pauses in C {pauses_in_c}; reference V {ref_v}, of them in C {ref_v_in_c}"
        )


def in_poor(res: AnalysisResult) -> tuple[int, int]:
    segs = res.quality[res.channel.index]
    spans = [(q.start, q.end) for q in segs if q.grade == "C"]
    b = res.beats.samples
    v = sum(
        1
        for s, y in zip(b.tolist(), res.beats.symbols, strict=True)
        if y == "V" and any(a <= s < z for a, z in spans)
    )
    p = sum(
        1
        for e in res.rhythm
        if e.label == "PAUSE" and any(a < e.end and e.start < z for a, z in spans)
    )
    return v, p


def fetal(data: Path, root: Path) -> None:
    path = data / "edf" / "r01.edf"
    src = stored(path, root)
    ref = wfdb.rdann(str(path), "qrs").sample
    print("\n== edf/r01.edf on Direct_1 (by name) ==")
    try:
        res = analyze(src, conf=AnalysisConfig(channel="Direct_1"))
    except Exception as exc:  # an older version refuses the name or the channel
        print(f"refused: {type(exc).__name__}: {exc}")
        return
    m = match_beats(ref, res.beats.samples, res.fs)
    tp = len(m.pairs)
    print(
        f"channel {res.channel.index} {res.channel.name}, {len(res.beats.samples)} beats, "
        f"reference {len(ref)}; Se {100 * tp / max(m.n_ref, 1):.2f} "
        f"+P {100 * tp / max(m.n_test, 1):.2f}"
    )


def lead_choice(data: Path, root: Path, recs: list) -> None:
    """Per record: the lead chosen, its beats and how many of them the other leads
    confirm; the same for the first lead (the default before); the most any lead has
    confirmed; the leads' median count."""
    rows = [(r.path, r.half) for r in recs if r.source == "cinc2021"]
    rows.append((data / "ptbdb" / "s0010_re", "-"))
    for half in (*HALVES, "-"):
        print(f"\n== lead choice, {half if half != '-' else 'ptbdb'} ==")
        print(
            f"{'record':10} {'chosen':>7} {'beats':>5} {'conf':>4} | {'first':>5} {'beats':>5}"
            f" {'conf':>4} | {'best conf':>9} {'median':>6}  per lead"
        )
        for path, h in rows:
            if h != half:
                continue
            src = stored(path, root)
            res = analyze(src)
            found = {}
            for c in src.channels:
                if not is_ecg_name(c.name):
                    continue
                x = np.asarray(src.read(c.index, 0, c.n_samples), np.float64) * to_mv(c)
                found[c.name] = qrs.detect_qrs(x, c.fs)
            first = next(iter(found))
            chosen = res.channel.name
            conf = {k: confirmed(found, k, res.fs) for k in found}
            med = float(np.median([len(v) for v in found.values()]))
            per = " ".join(f"{k}:{len(v)}" for k, v in found.items())
            print(
                f"{path.name:10} {chosen:>7} {len(found[chosen]):5d} {conf[chosen]:4d} | "
                f"{first:>5} {len(found[first]):5d} {conf[first]:4d} | "
                f"{max(conf.values()):9d} {med:6.0f}  {per}"
            )


def confirmed(found: dict, lead: str, fs: float) -> int:
    """Beats of ``lead`` that at least half of the other leads also found (150 ms)."""
    b = found[lead]
    hits = np.zeros(len(b))
    for k, o in found.items():
        if k == lead or len(o) == 0 or len(b) == 0:
            continue
        hits += np.min(np.abs(b[:, None] - o[None, :]), axis=1) <= 0.15 * fs
    return int(np.sum(hits >= (len(found) - 1) / 2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    t = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench_quality_"))
    try:
        recs = split(args.data)
        grade_table(recs, root)
        fetal(args.data, root)
        lead_choice(args.data, root, recs)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n{time.perf_counter() - t:.0f} s; load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
