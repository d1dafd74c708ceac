"""Beat classes and rhythm of the automatic analysis on every annotated record, in two halves.

Prints figures; asserts nothing (a bench, not a test; not run in CI). Each record is read
with the importer's reader, written to a waveform store in a temporary folder and analysed
by :func:`wavetag.signal.analysis.analyze` through
:meth:`~wavetag.signal.leads.SampleSource.from_store`: the code path of the analysis job,
which detects the beats itself.

    .venv/bin/python bench/bench_classes.py [--data ../shared/data] [--half tuning|checking|both]

The split (declared before any tuning; do not tune on the checking half)
------------------------------------------------------------------------
Within each source the records are sorted by number and dealt alternately, the first to
the **tuning** half, the next to the **checking** half (:func:`split`):

- MIT-BIH (``mitdb`` and ``mitdb-ds1``, paced records apart), by record number:
  tuning 100 105 109 114 116 119 124 203 207 215 223; checking 101 106 112 115 118 122
  201 205 209 220 230.
- paced MIT-BIH records: tuning 107; checking 217.
- ``cpsc2021``, by patient (both excerpts of a patient go to one half): tuning patients 8,
  35, 92; checking 21, 84, 101.
- ``cinc2021``, by record name: E07500 tuning, E07501 checking, and so on through HR and JS.

Scores
------
- **QRS** Se and +P, EC57 bxb matching (:func:`~wavetag.signal.agreement.match_beats`,
  150 ms), over the whole record (no learning period left out) but its ventricular
  flutter or fibrillation (between the reference's ``[`` and ``]``), where EC57 does no
  beat-by-beat comparison: its flutter waves are not beats.
- **VEB** (reference ``V``, ``E``; analysis ``V``) and **SVEB** (reference ``A a J S``;
  analysis ``A``) Se and +P, gross (pooled counts) and average (mean of per-record
  figures where defined), paced records left out as in EC57. A reference beat the
  analysis missed counts against Se; an analysis ``V`` (``A``) on no reference beat
  counts against +P.
- **Paced** Se and +P (reference ``/`` and ``f``; analysis ``/``) on the paced records, and the
  records without a pacemaker (every other one, ``cinc2021`` too) where any beat is ``/``.
- **AF** Se and +P by duration on the long records (MIT-BIH, cpsc2021): time in the
  reference ``(AFIB`` episodes that the analysis calls ``(AFIB``, over the reference's AF
  time (Se) and over the analysis's (+P); ``(SVTA``, ``(AFL`` (atrial flutter), ``(B``
  (bigeminy) and ``(T`` (trigeminy) the same way.
- **10-s excerpts** of the long records (declared with the split, before tuning): up to
  :data:`EXCERPTS` excerpts of 10 s per record and rhythm, evenly spaced inside the
  reference ``(AFIB`` episodes and inside the reference ``(N`` episodes (sinus), each
  analysed alone as a 10-s record (both leads); an AF excerpt should get ``(AFIB``, a sinus
  one neither ``(AFIB`` nor ``(SVTA``. Excerpts belong to their record's half.
- **cinc2021** (10-s 12-lead records): AF reported where the SNOMED diagnoses say AF
  (164889003), and no ``(AFIB`` or ``(SVTA`` where they say a sinus rhythm (426783006,
  427084000 sinus tachycardia, 426177001 sinus bradycardia, 427393009 sinus arrhythmia).
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
from dataclasses import dataclass, field
from pathlib import Path

# One core, as the other benches quote their figures.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import wfdb  # noqa: E402

from wavetag.signal.agreement import match_beats  # noqa: E402
from wavetag.signal.analysis import AnalysisResult, analyze  # noqa: E402
from wavetag.signal.io import open_recording  # noqa: E402
from wavetag.signal.leads import SampleSource  # noqa: E402
from wavetag.signal.rhythm import RhythmEpisode, episodes_from_aux, overlap_samples  # noqa: E402
from wavetag.signal.store import RecordStore, StoreWriter  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BEATS = frozenset("N L R B A a J S V r F e j n E / f Q ?".split())
VEB, SVEB, PACED = frozenset("VE"), frozenset("AaJS"), frozenset("/f")
PACED_RECORDS = ("107", "217")
AF_DX = "164889003"
SINUS_DX = ("426783006", "427084000", "426177001", "427393009")
HALVES = ("tuning", "checking")
# Rhythms scored by duration on the long records.
EPISODE_LABELS = ("(AFIB", "(SVTA", "(AFL", "(B", "(T")
EXCERPT_S = 10.0
EXCERPTS = 3  # per record and rhythm


@dataclass(frozen=True)
class Rec:
    source: str
    path: Path
    half: str

    @property
    def name(self) -> str:
        return self.path.name


def split(data: Path) -> list[Rec]:
    """Every annotated record, with its half (the rule in the module docstring)."""

    def deal(source: str, groups: list[list[Path]]) -> list[Rec]:
        return [Rec(source, p, HALVES[i % 2]) for i, g in enumerate(groups) for p in g]

    def number(p: Path) -> int:
        return int(re.sub(r"\D", "", p.name) or 0)

    mit = sorted(
        (p.with_suffix("") for d in ("mitdb", "mitdb-ds1") for p in (data / d).glob("*.atr")),
        key=number,
    )
    out = deal("mitdb", [[p] for p in mit if p.name not in PACED_RECORDS])
    out += deal("paced", [[p] for p in mit if p.name in PACED_RECORDS])
    patients: dict[int, list[Path]] = {}
    for p in sorted((data / "cpsc2021").glob("*.atr")):
        patients.setdefault(int(p.stem.split("_")[1]), []).append(p.with_suffix(""))
    out += deal("cpsc2021", [patients[k] for k in sorted(patients)])
    cinc = sorted(p.with_suffix("") for p in (data / "cinc2021").glob("*.hea"))
    out += deal("cinc2021", [[p] for p in cinc])
    return out


def analyse(path: Path, root: Path) -> AnalysisResult:
    """Import-like: the record into a fresh store, then the job's analysis of it."""
    rec = open_recording(str(path) + ".hea")
    key = re.sub(r"[^A-Za-z0-9_-]", "_", path.name).ljust(2, "_")
    with StoreWriter(root, key, rec.channels) as writer:
        for block in rec.iter_blocks(60.0):
            writer.append(block)
        writer.commit()
    return analyze(SampleSource.from_store(RecordStore.open(root, key)))


@dataclass
class Count:
    """True positives, reference and test counts of one class on one record."""

    tp: int = 0
    ref: int = 0
    test: int = 0

    def add(self, o: Count) -> None:
        self.tp, self.ref, self.test = self.tp + o.tp, self.ref + o.ref, self.test + o.test

    @property
    def se(self) -> float | None:
        return self.tp / self.ref if self.ref else None

    @property
    def ppv(self) -> float | None:
        return self.tp / self.test if self.test else None


def class_count(
    ref_sym: list[str],
    test_sym: list[str],
    pairs: np.ndarray,
    ref_cls: frozenset[str],
    test_code: str,
) -> Count:
    tp = sum(1 for i, j in pairs.tolist() if ref_sym[i] in ref_cls and test_sym[j] == test_code)
    return Count(tp, sum(s in ref_cls for s in ref_sym), test_sym.count(test_code))


@dataclass
class Scores:
    qrs: Count = field(default_factory=Count)
    classes: dict[str, Count] = field(default_factory=dict)
    # Per rhythm label: seconds in the reference, in the analysis, in both.
    episodes: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    labels: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def outside_vf(samples: np.ndarray, marks: np.ndarray, sym: list[str]) -> np.ndarray:
    """Which of ``samples`` lie outside the reference's ventricular flutter or
    fibrillation: from each ``[`` to the next ``]`` (or the record's end)."""
    out = np.ones(len(samples), dtype=bool)
    start = None
    for at, s in zip(marks.tolist(), sym, strict=True):
        if s == "[" and start is None:
            start = at
        elif s == "]" and start is not None:
            out &= (samples < start) | (samples > at)
            start = None
    if start is not None:
        out &= samples < start
    return out


def score_long(rec: Rec, r: AnalysisResult) -> Scores:
    ann = wfdb.rdann(str(rec.path), "atr")
    sym = list(ann.symbol)
    is_beat = np.array([s in BEATS for s in sym]) & outside_vf(ann.sample, ann.sample, sym)
    ref = ann.sample[is_beat]
    ref_sym = [s for s, b in zip(sym, is_beat, strict=True) if b]
    test, test_sym = r.beats.samples, list(r.beats.symbols)
    vf = ~outside_vf(test, ann.sample, sym)
    if vf.any():
        test, test_sym = test[~vf], [s for s, v in zip(test_sym, vf, strict=True) if not v]
    m = match_beats(ref, test, r.fs)
    out = Scores(Count(m.n_matched, m.n_ref, m.n_test))
    for name, cls, code in (("VEB", VEB, "V"), ("SVEB", SVEB, "A"), ("paced", PACED, "/")):
        out.classes[name] = class_count(ref_sym, test_sym, m.pairs, cls, code)
    plus = [i for i, s in enumerate(sym) if s == "+"]
    ref_eps = episodes_from_aux(ann.sample[plus], [ann.aux_note[i] for i in plus], r.n_samples)
    for label in EPISODE_LABELS:
        out.episodes[label] = (
            _length(ref_eps, label) / r.fs,
            _length(r.rhythm, label) / r.fs,
            overlap_samples(ref_eps, r.rhythm, label) / r.fs,
        )
    out.labels = Counter(e.label for e in r.rhythm)
    return out


def reference_episodes(path: Path) -> list[RhythmEpisode]:
    """The rhythm episodes of a record's ``.atr`` (none when it has no rhythm labels)."""
    ann = wfdb.rdann(str(path), "atr")
    n = wfdb.rdheader(str(path)).sig_len
    plus = [i for i, s in enumerate(ann.symbol) if s == "+"]
    return episodes_from_aux(ann.sample[plus], [ann.aux_note[i] for i in plus], n)


def excerpt_starts(eps: list[RhythmEpisode], label: str, fs: float) -> list[int]:
    """Where the 10-s excerpts of one rhythm start: up to :data:`EXCERPTS`, evenly spread
    over the record's ``label`` time, each inside one episode with 1 s to spare."""
    span = round(EXCERPT_S * fs)
    pad = round(fs)
    fits = [e for e in eps if e.label == label and e.end - e.start >= span + 2 * pad]
    room = [(e.start + pad, e.end - pad - span) for e in fits]
    total = sum(z - a for a, z in room)
    if not room:
        return []
    out = []
    for k in range(EXCERPTS):
        at = total * (k + 0.5) / EXCERPTS
        for a, z in room:
            if at <= z - a:
                out.append(int(a + at))
                break
            at -= z - a
    return sorted(set(out))


def excerpt_labels(path: Path, start: int) -> tuple[list[str], float]:
    """Rhythm labels of a 10-s excerpt analysed alone, and the fraction called ``(AFIB``."""
    hdr = wfdb.rdheader(str(path))
    stop = start + round(EXCERPT_S * hdr.fs)
    x = wfdb.rdrecord(str(path), sampfrom=start, sampto=stop).p_signal
    names = [f"{n}" for n in hdr.sig_name]
    source = SampleSource.from_arrays(
        {n: x[:, i] for i, n in enumerate(names)}, {n: hdr.fs for n in names}
    )
    r = analyze(source)
    af = _length(r.rhythm, "(AFIB") / max(r.n_samples, 1)
    return [e.label for e in r.rhythm], af


def excerpts(rec: Rec) -> list[tuple[str, int, list[str], float]]:
    """(reference rhythm, start, labels, AF fraction) of each excerpt of a long record."""
    eps = reference_episodes(rec.path)
    fs = wfdb.rdheader(str(rec.path)).fs
    return [
        (label, start, *excerpt_labels(rec.path, start))
        for label in ("(AFIB", "(N")
        for start in excerpt_starts(eps, label, fs)
    ]


def _length(eps: list[RhythmEpisode], label: str) -> int:
    return sum(e.end - e.start for e in eps if e.label == label)


def pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:6.2f}"


def report_half(
    half: str,
    long: dict[Rec, Scores],
    cinc: dict[Rec, tuple[list[str], list[str]]],
    cuts: dict[Rec, list[tuple[str, int, list[str], float]]],
    cinc_paced: dict[Rec, int],
) -> None:
    recs = [r for r in long if r.half == half]
    print(
        f"\n== {half} half: {len(recs)} long records,"
        f" {sum(r.half == half for r in cinc)} cinc2021 =="
    )
    print(
        f"{'record':12} {'QRS Se':>7} {'+P':>7} {'VEB Se':>7} {'+P':>7} {'SVEB Se':>7} {'+P':>7}"
        f" {'pace Se':>7} {'+P':>7} {'AF Se':>7} {'+P':>7}  rhythm labels"
    )
    for r in recs:
        s = long[r]
        v, a, p = s.classes["VEB"], s.classes["SVEB"], s.classes["paced"]
        ref, test, both = s.episodes["(AFIB"]
        af_se = both / ref if ref else None
        af_pp = both / test if test else None
        print(
            f"{r.name:12} {pct(s.qrs.se):>7} {pct(s.qrs.ppv):>7} {pct(v.se):>7} {pct(v.ppv):>7}"
            f" {pct(a.se):>7} {pct(a.ppv):>7} {pct(p.se):>7} {pct(p.ppv):>7}"
            f" {pct(af_se):>7} {pct(af_pp):>7}  {dict(s.labels)}"
        )
    qrs = Count()
    for r in recs:
        qrs.add(long[r].qrs)
    print(f"QRS gross: Se {pct(qrs.se)} +P {pct(qrs.ppv)} ({qrs.ref} reference beats)")
    for name in ("VEB", "SVEB"):
        gross, se_l, pp_l = Count(), [], []
        for r in recs:
            if r.source == "paced":
                continue
            c = long[r].classes[name]
            gross.add(c)
            if c.se is not None:
                se_l.append(c.se)
            if c.ppv is not None:
                pp_l.append(c.ppv)
        avg_se = float(np.mean(se_l)) if se_l else None
        avg_pp = float(np.mean(pp_l)) if pp_l else None
        print(
            f"{name:5} gross: Se {pct(gross.se)} +P {pct(gross.ppv)}"
            f" (tp {gross.tp}, ref {gross.ref}, test {gross.test});"
            f" average: Se {pct(avg_se)} +P {pct(avg_pp)}"
            f" (over {len(se_l)} / {len(pp_l)} records)"
        )
    paced = Count()
    for r in recs:
        if r.source == "paced":
            paced.add(long[r].classes["paced"])
    print(
        f"paced gross: Se {pct(paced.se)} +P {pct(paced.ppv)}"
        f" (tp {paced.tp}, ref {paced.ref}, test {paced.test})"
    )
    for label in EPISODE_LABELS:
        ref, test, both = (sum(long[r].episodes[label][i] for r in recs) for i in range(3))
        print(
            f"{label[1:]:5} by duration: Se {pct(both / ref if ref else None)}"
            f" +P {pct(both / test if test else None)}"
            f" (reference {ref:.0f} s, analysis {test:.0f} s, both {both:.0f} s)"
        )
    ivr = [r.name for r in recs if r.source == "paced" and long[r].labels["(IVR"]]
    print(f"paced records with (IVR: {ivr or 'none'}")
    c = {k: v for k, v in cinc.items() if k.half == half}
    # Pacing where there is no pacemaker: every record but the paced ones, 10-s ones too.
    false_paced = [
        f"{r.name} {long[r].classes['paced'].test}"
        for r in recs
        if r.source != "paced" and long[r].classes["paced"].test
    ] + [f"{k.name} {cinc_paced[k]}" for k in c if cinc_paced.get(k)]
    print(
        f"records without a pacemaker with / beats: {false_paced or 'none'}"
        f" (of {sum(r.source != 'paced' for r in recs)} long and {len(c)} cinc2021)"
    )
    af = [k for k, (dx, _) in c.items() if AF_DX in dx]
    af_hit = [k.name for k in af if "(AFIB" in c[k][1]]
    sinus = [k for k, (dx, _) in c.items() if AF_DX not in dx and any(d in dx for d in SINUS_DX)]
    wrong = [
        f"{k.name} {sorted(set(c[k][1]) & {'(AFIB', '(SVTA'})}"
        for k in sinus
        if {"(AFIB", "(SVTA"} & set(c[k][1])
    ]
    print(
        f"cinc2021: AF diagnosed in {len(af)}, reported in {len(af_hit)}; sinus {len(sinus)},"
        f" with (AFIB or (SVTA in {len(wrong)}: {wrong}"
    )
    ex = [(r, *e) for r, es in cuts.items() if r.half == half for e in es]
    af_ex = [e for e in ex if e[1] == "(AFIB"]
    af_cut_hit = [e for e in af_ex if "(AFIB" in e[3]]
    cover = float(np.mean([e[4] for e in af_ex])) if af_ex else None
    sinus_ex = [e for e in ex if e[1] == "(N"]
    bad = [
        f"{e[0].name}@{e[2]} {sorted(set(e[3]) & {'(AFIB', '(SVTA'})}"
        for e in sinus_ex
        if {"(AFIB", "(SVTA"} & set(e[3])
    ]
    missed = [f"{e[0].name}@{e[2]} {sorted(set(e[3]))}" for e in af_ex if "(AFIB" not in e[3]]
    print(
        f"10-s excerpts: AF {len(af_ex)}, (AFIB reported in {len(af_cut_hit)}"
        f" (mean time called AF {pct(cover)} %); missed: {missed}"
    )
    print(f"10-s excerpts: sinus {len(sinus_ex)}, with (AFIB or (SVTA in {len(bad)}: {bad}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("WAVETAG_TEST_DATA", DEFAULT_DATA))
    )
    p.add_argument("--half", choices=[*HALVES, "both"], default="both")
    a = p.parse_args()
    print(
        f"Python {platform.python_version()}, numpy {np.__version__},"
        f" {platform.machine()}, {os.cpu_count()} cpus"
    )
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[:3]}")
    recs = [r for r in split(a.data) if a.half in ("both", r.half)]
    long: dict[Rec, Scores] = {}
    cinc: dict[Rec, tuple[list[str], list[str]]] = {}
    cinc_paced: dict[Rec, int] = {}  # paced beats of each cinc2021 record
    cuts: dict[Rec, list[tuple[str, int, list[str], float]]] = {}
    root = Path(tempfile.mkdtemp(prefix="bench-classes-"))
    t_all = time.perf_counter()
    try:
        for rec in recs:
            t0 = time.perf_counter()
            r = analyse(rec.path, root)
            if rec.source == "cinc2021":
                comments = wfdb.rdheader(str(rec.path)).comments
                dx = next(
                    (c.split(":", 1)[1].strip().split(",") for c in comments if c.startswith("Dx")),
                    [],
                )
                cinc[rec] = (dx, [e.label for e in r.rhythm])
                cinc_paced[rec] = r.beats.symbols.count("/")
            else:
                long[rec] = score_long(rec, r)
                long[rec].seconds = time.perf_counter() - t0
                cuts[rec] = excerpts(rec)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for half in HALVES:
        if a.half in ("both", half):
            report_half(half, long, cinc, cuts, cinc_paced)
    print(f"\n{len(recs)} records in {time.perf_counter() - t_all:.0f} s")
    with open("/proc/loadavg") as f:
        print(f"load average at end: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
