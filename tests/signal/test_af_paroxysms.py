"""Atrial fibrillation found whole in long records (tuning records). Paroxysms of a few dozen
beats (CPSC 2021 patient 92): found, and found to their edges. Before, a 20-beat paroxysm was kept
out by the P wave its median beat seemed to show, and the episodes ended where the centred
irregularity window first held half regular intervals (a third of an 18-s paroxysm). AF
with frequent multiform PVCs (MIT-BIH 203): the stretches where ventricular beats left too
few intervals between supraventricular beats to judge the rhythm were called sinus. A fast
run too short for the AF window that is irregular from beat to beat is AF, not (SVTA."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.analysis import analyze
from wavetag.signal.leads import SampleSource
from wavetag.signal.rhythm import (
    RhythmEpisode,
    episodes_from_aux,
    overlap_samples,
    rhythm_episodes,
)


def af_se_ppv(data_dir: Path, record: str) -> tuple[float, float, list[RhythmEpisode]]:
    path = str(next(data_dir.glob(f"*/{record}.hea")).with_suffix(""))
    rec = wfdb.rdrecord(path)
    names = rec.sig_name
    src = SampleSource.from_arrays(
        {n: rec.p_signal[:, i] for i, n in enumerate(names)}, {n: rec.fs for n in names}
    )
    found = analyze(src).rhythm
    ann = wfdb.rdann(path, "atr")
    plus = [i for i, s in enumerate(ann.symbol) if s == "+"]
    ref = episodes_from_aux(ann.sample[plus], [ann.aux_note[i] for i in plus], rec.sig_len)
    both = overlap_samples(ref, found, "(AFIB")
    ref_len = sum(e.end - e.start for e in ref if e.label == "(AFIB")
    found_len = sum(e.end - e.start for e in found if e.label == "(AFIB")
    return both / max(ref_len, 1), both / max(found_len, 1), found


class TestParoxysms:
    @pytest.mark.parametrize(("record", "least_se"), [("data_92_12", 0.65), ("data_92_19", 0.8)])
    def test_paroxysm_found_to_its_edges(
        self, data_dir: Path, record: str, least_se: float
    ) -> None:
        # Before: 32 % and 52 % of the reference AF time. Analysed on lead II since lead II
        # is the default of two: 67 % and 81 % (on lead I 82 % and 79 %, 92_12's with a
        # false beat of lead I that made its paroxysm irregular enough).
        se, ppv, _ = af_se_ppv(data_dir, record)
        assert se >= least_se
        assert ppv >= 0.9

    def test_twenty_beat_paroxysm_is_af(self, data_dir: Path) -> None:
        # The reference AF of 74.4-92.1 s, missed whole before.
        _, _, found = af_se_ppv(data_dir, "data_92_19")
        fs = 200.0
        assert any(e.label == "(AFIB" and e.start < 85 * fs and e.end > 80 * fs for e in found)

    def test_af_goes_on_through_ventricular_ectopy(self, data_dir: Path) -> None:
        # Before: 83 % of 203's reference AF (its flutter, 759-1075 s, is called AF and
        # counts against +P: 81 %).
        se, ppv, _ = af_se_ppv(data_dir, "203")
        assert se >= 0.93
        assert ppv >= 0.8


def short_run(rr_run: np.ndarray, fs: float = 200.0) -> list[tuple[str, float, float]]:
    """Episodes (label, start s, end s) of 60 sinus beats at 75/min, the run, 60 more."""
    rng = np.random.default_rng(3)
    sinus = [np.full(60, 0.8) + rng.normal(0, 0.01, 60) for _ in range(2)]
    b = np.round(np.cumsum(np.concatenate([sinus[0], rr_run, sinus[1]])) * fs).astype(np.int64)
    eps = rhythm_episodes(b, fs, ["N"] * len(b), int(b[-1]) + round(fs))
    return [(e.label, e.start / fs, e.end / fs) for e in eps]


class TestShortFastRuns:
    def test_an_irregular_run_of_sixteen_beats_is_af(self) -> None:
        # At 140/min, intervals varying by 15 % (lognormal): the centred window of 32
        # beats stays half regular, and the rate alone called it (SVTA.
        rr = 0.43 * np.exp(np.random.default_rng(3).normal(0, 0.15, 16))
        labels = [label for label, _, _ in short_run(rr)]
        assert labels == ["(N", "(AFIB", "(N"]

    def test_a_regular_run_stays_svta(self) -> None:
        rr = np.full(16, 0.43) + np.random.default_rng(3).normal(0, 0.005, 16)
        labels = [label for label, _, _ in short_run(rr)]
        assert labels == ["(N", "(SVTA", "(N"]


class TestTwoLengths:
    def test_intervals_at_two_lengths_are_no_af(self, data_dir: Path) -> None:
        # data_35_4 (CPSC 2021, no AF): intervals of 1.0 s and 1.5 s in no fixed order
        # (blocked premature beats, or an atrial bigeminy that comes and goes), irregular
        # from beat to beat, its P waves hard to see: 115 s were AF, and at some sampling
        # rates not (a P-wave test at its bound). AF's intervals spread over every length.
        _, _, found = af_se_ppv(data_dir, "data_35_4")
        assert not [e for e in found if e.label == "(AFIB"]

    def test_the_measure(self) -> None:
        from wavetag.signal.rhythm import RhythmConfig, _two_lengths

        conf = RhythmConfig()
        rng = np.random.default_rng(5)
        two = rng.choice([1.0, 1.5], 60) * (1 + rng.normal(0, 0.02, 60))
        spread = 0.8 * np.exp(rng.normal(0, 0.2, 60))  # AF-like
        assert _two_lengths(two, conf)
        assert not _two_lengths(spread, conf)
        assert not _two_lengths(two[:15], conf)  # too few to tell from chance

    def test_a_paroxysm_is_still_af(self) -> None:
        # 60 sinus beats, 40 AF intervals (lognormal, 20 %), 60 sinus beats.
        rr = 0.8 * np.exp(np.random.default_rng(3).normal(0, 0.2, 40))
        labels = [label for label, _, _ in short_run(rr)]
        assert labels == ["(N", "(AFIB", "(N"]
