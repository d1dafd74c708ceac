"""Ventricular beats inside atrial fibrillation. Without P waves a beat's timing says
nothing (every interval differs), so inside an episode the rhythm stage calls AF only a
shape plainly unlike the dominant one (poorly correlated, or unlike and wide) stays `V`;
a beat called `V` for being early with a near-normal shape is the fibrillation's own
(aberrant or not). CPSC 2021 patient 8 (tuning records): AF throughout, a few PVCs;
MIT-BIH 203 (tuning) and 118 (checking half, not tuned on: its figures are reported in
bench/RESULTS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wfdb

from wavetag.signal.agreement import match_beats
from wavetag.signal.analysis import analyze
from wavetag.signal.leads import SampleSource


def analysed(data_dir: Path, record: str) -> tuple[Any, Any, int]:
    """The analysis of a shared record (all its leads), its reference annotations, and
    the matching tolerance (150 ms) in samples."""
    path = str(next(data_dir.glob(f"*/{record}.hea")).with_suffix(""))
    rec = wfdb.rdrecord(path)
    names = rec.sig_name
    src = SampleSource.from_arrays(
        {n: rec.p_signal[:, i] for i, n in enumerate(names)}, {n: rec.fs for n in names}
    )
    return analyze(src), wfdb.rdann(path, "atr"), round(0.15 * rec.fs)


def v_in_af(data_dir: Path, record: str) -> tuple[int, int]:
    """Analysis V on reference V and on reference N, inside the analysis's AF."""
    r, ann, tol = analysed(data_dir, record)
    b, sym = r.beats.samples, np.array(r.beats.symbols)
    in_af = np.zeros(len(b), dtype=bool)
    for e in r.rhythm:
        if e.label == "(AFIB":
            in_af |= (b >= e.start) & (b < e.end)
    ref, ref_sym = np.asarray(ann.sample), np.asarray(ann.symbol)
    on_v = on_n = 0
    for i in np.flatnonzero(in_af & (sym == "V")):
        k = int(np.argmin(np.abs(ref - b[i])))
        if abs(int(ref[k]) - int(b[i])) <= tol:
            on_v += ref_sym[k] == "V"
            on_n += ref_sym[k] == "N"
    return on_v, on_n


class TestVentricularBeatsInAF:
    @pytest.mark.parametrize(
        ("record", "most_false", "pvcs"), [("data_8_2", 0, 3), ("data_8_3", 3, 1)]
    )
    def test_early_near_normal_beats_in_af_are_not_v(
        self, data_dir: Path, record: str, most_false: int, pvcs: int
    ) -> None:
        # Before: 1 and 5 reference-normal beats called V inside the AF of these records.
        on_v, on_n = v_in_af(data_dir, record)
        assert on_n <= most_false
        # The PVCs found (plainly unlike and wide) stay V: on lead II (analysed since
        # lead II is the default of two), 3 of 8_2's 5 and 1 of 8_3's 5 (on lead I: 2, 3).
        assert on_v == pvcs


def v_calls(data_dir: Path, record: str) -> tuple[int, int]:
    """Analysis V on reference V or E, and on other reference beats, over the record
    (EC57 bxb matching, as the bench scores it)."""
    r, ann, _ = analysed(data_dir, record)
    beat = np.isin(ann.symbol, list("NLRBAaJSVrFejnE/fQ"))
    m = match_beats(
        np.asarray(ann.sample)[beat],
        r.beats.samples,
        r.channel.fs,
        ref_labels=[s for s, k in zip(ann.symbol, beat, strict=True) if k],
        test_labels=r.beats.symbols,
    )
    on_v = {ref: n for (ref, test), n in m.confusion.items() if test == "V"}
    true = on_v.get("V", 0) + on_v.get("E", 0)
    return true, sum(on_v.values()) - true


class TestUnlikeClustersWithoutPWaves:
    """Where the rhythm shows no P waves, a cluster plainly unlike the dominant beat is
    ventricular only when its beats come early against the beats around them: a
    conducted beat of another shape (axis, aberrancy, a bundle-branch block that the P
    wave test cannot see) comes at any time."""

    def test_coupling_against_the_beats_around(self) -> None:
        from wavetag.signal.beats import coupling_against_others

        rr = np.array([100.0, 100, 60, 140, 100, 100, 60, 140, 100, 100])
        members = np.zeros(10, dtype=bool)
        members[[2, 6]] = True
        assert coupling_against_others(rr, members).tolist() == pytest.approx([0.6, 0.6])
        # A run of members is timed against the beats around the run, not itself.
        rr = np.array([100.0] * 6 + [50.0] * 6 + [100.0] * 6)
        run = rr == 50.0
        assert coupling_against_others(rr, run).tolist() == pytest.approx([0.5] * 6)
        assert coupling_against_others(rr, np.ones(18, dtype=bool)).tolist() == [1.0] * 18
        assert len(coupling_against_others(rr, np.zeros(18, dtype=bool))) == 0

    def test_on_time_clusters_in_af_are_not_v(self, data_dir: Path) -> None:
        # 203 (tuning half; AF with multiform PVCs): clusters of conducted beats plainly
        # unlike the dominant one but on time against the beats around them (0.92-0.96)
        # were V; its PVC clusters come at 0.56-0.88.
        true, false = v_calls(data_dir, "203")
        assert true >= 385  # 396 before, 389 now
        assert false <= 80  # 114 before, 71 now

    def test_a_conducted_cluster_without_a_p_wave_found(self, data_dir: Path) -> None:
        # 118 (checking half, not tuned on: right bundle-branch block and APCs): a cluster
        # of on-time conducted beats, where the P wave test found no P wave, was V.
        true, false = v_calls(data_dir, "118")
        assert true >= 14
        assert false <= 5  # 133 before

    def test_early_wide_beats_with_a_full_pause_are_v_where_noise_hides_p_waves(
        self, data_dir: Path
    ) -> None:
        # 207 (tuning half) with 0.05 mV of white noise: the P-wave test fails around a
        # cluster of 18 PVCs, early (0.48 of the beats around them), wide and followed by
        # a full compensatory pause, but not plainly unlike the dominant beat (0.80):
        # they were N. A PVC leaves the sinus node alone; a conducted beat resets it.
        from wavetag.signal.synth.recorder import recorded

        path = str(data_dir / "mitdb-ds1" / "207")
        rec, ann = wfdb.rdrecord(path), wfdb.rdann(path, "atr")
        x = recorded(np.nan_to_num(rec.p_signal), rec.fs, 360, None, 1.0, 0.05)
        names = rec.sig_name
        r = analyze(
            SampleSource.from_arrays(
                {n: x[:, i] for i, n in enumerate(names)}, {n: 360.0 for n in names}
            )
        )
        beat = np.isin(ann.symbol, list("NLRBAaJSVrFejnE/fQ"))
        m = match_beats(
            np.asarray(ann.sample)[beat],
            r.beats.samples,
            360.0,
            ref_labels=[s for s, k in zip(ann.symbol, beat, strict=True) if k],
            test_labels=r.beats.symbols,
        )
        on_v = {ref: n for (ref, test), n in m.confusion.items() if test == "V"}
        assert on_v.get("V", 0) >= 80  # of 105: 68 before, 86 now
        assert sum(on_v.values()) - on_v.get("V", 0) - on_v.get("E", 0) <= 5  # none now
