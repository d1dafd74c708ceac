"""The evidence beat classes are decided on: the dominant rhythm's RR, the P wave before
each beat, and a conducted rhythm of its own that is never called ventricular.

Records: MIT-BIH 100 and 119 (tuning half, see bench/bench_classes.py), and 230 (checking
half: intermittent pre-excitation, wide beats on time after a P wave), whose figures are
reported in bench/RESULTS.md and were not tuned on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.agreement import match_beats
from wavetag.signal.analysis import analyze
from wavetag.signal.beats import BeatConfig, dominant_rr, p_context
from wavetag.signal.leads import SampleSource

BEATS = list("NLRBAaJSVrFejnE/fQ")


def analysed(data_dir: Path, folder: str, record: str, given: bool):
    path = str(data_dir / folder / record)
    rec = wfdb.rdrecord(path)
    ann = wfdb.rdann(path, "atr")
    keep = np.isin(ann.symbol, BEATS)
    x = rec.p_signal
    source = SampleSource.from_arrays(
        {rec.sig_name[0]: x[:, 0], rec.sig_name[1]: x[:, 1]},
        {rec.sig_name[0]: rec.fs, rec.sig_name[1]: rec.fs},
    )
    beats = ann.sample[keep] if given else None
    symbols = [s for s, k in zip(ann.symbol, keep, strict=True) if k]
    return analyze(source, beats=beats), symbols


class TestDominantRR:
    conf = BeatConfig()

    def test_bigeminy_is_judged_against_the_sinus_rate_before_it(self) -> None:
        # 20 sinus beats at 1 s, then 30 pairs of a premature beat (0.6 s) and a
        # compensatory pause (1.4 s): the local median becomes 1.0 of a mixture, but only
        # normal-shaped pairs count, and there are none in bigeminy.
        rr = [1000] * 20 + [600, 1400] * 30
        beats = np.cumsum([0, *rr]).astype(np.int64)
        normal = np.ones(len(beats), dtype=bool)
        normal[21::2] = False  # the premature beats have another shape
        est = dominant_rr(beats, normal, 1000.0, self.conf)
        assert np.allclose(est[21::2], 1000.0)
        prem = np.diff(beats, prepend=beats[0] - 1000) / est
        assert (prem[21::2] < 0.7).all()

    def test_a_run_of_atrial_beats_stays_premature(self) -> None:
        # Eight normal-shaped beats at 0.55 s inside a sinus rhythm at 0.9 s: the
        # run does not become the reference it is judged against.
        rr = [900] * 15 + [550] * 8 + [900] * 10
        beats = np.cumsum([0, *rr]).astype(np.int64)
        est = dominant_rr(beats, np.ones(len(beats), dtype=bool), 1000.0, self.conf)
        prem = np.diff(beats, prepend=beats[0] - 900) / est
        assert (prem[16:24] < 0.65).all()
        assert np.allclose(prem[25:], 1.0)

    def test_a_lasting_change_of_rate_is_learnt(self) -> None:
        rr = [1000] * 15 + [600] * 40
        beats = np.cumsum([0, *rr]).astype(np.int64)
        est = dominant_rr(beats, np.ones(len(beats), dtype=bool), 1000.0, self.conf)
        assert est[-1] == 600.0
        # ... after sinus_reset regular intervals, not at the first one.
        assert est[17] == 1000.0

    def test_short_inputs(self) -> None:
        assert (
            dominant_rr(np.array([5], dtype=np.int64), np.ones(1, bool), 250.0, self.conf)[0]
            == 250.0
        )
        assert len(dominant_rr(np.zeros(0, np.int64), np.ones(0, bool), 250.0, self.conf)) == 0


class TestPWave:
    def test_sinus_beats_have_the_dominant_p_wave_and_pvcs_do_not(self, data_dir: Path) -> None:
        # 119: sinus rhythm with ventricular bigeminy and trigeminy (444 V).
        r, symbols = analysed(data_dir, "mitdb-ds1", "119", given=True)
        sym = np.array(symbols)
        pw = r.beats.p_wave
        assert np.median(pw[sym == "N"]) > 0.85
        assert np.median(pw[sym == "V"]) < 0.4

    def test_the_dominant_rhythm_has_p_waves_in_sinus_rhythm(self, data_dir: Path) -> None:
        r, symbols = analysed(data_dir, "mitdb", "100", given=True)
        normal = np.array(symbols) == "N"
        ctx = p_context(r.beats.p_wave, normal, len(normal))
        assert np.mean(ctx >= BeatConfig().p_present) > 0.95


class TestConductedRhythm:
    def test_pre_excited_beats_are_not_ventricular(self, data_dir: Path) -> None:
        # 230: intermittent pre-excitation (WPW); the reference has one PVC among 2,256
        # beats. The wide pre-excited beats come on time: once all called V with 81
        # idioventricular episodes.
        r, symbols = analysed(data_dir, "mitdb-ds1", "230", given=False)
        assert symbols.count("V") == 1
        assert r.beats.symbols.count("V") <= 10
        assert not any(e.label == "(IVR" for e in r.rhythm)


@pytest.fixture(scope="module")
def pvcs_109(data_dir: Path) -> tuple[int, int, np.ndarray]:
    """109's reference PVCs called V, other reference beats called V, and the call of
    each PVC found (EC57 bxb matching at 150 ms, as the bench scores it)."""
    path = str(data_dir / "mitdb-ds1" / "109")
    r, _ = analysed(data_dir, "mitdb-ds1", "109", given=False)
    ann = wfdb.rdann(path, "atr")
    keep = np.isin(ann.symbol, BEATS)
    ref_sym = np.asarray(ann.symbol)[keep]
    m = match_beats(
        ann.sample[keep],
        r.beats.samples,
        360.0,
        ref_labels=ref_sym.tolist(),
        test_labels=r.beats.symbols,
    )
    found = m.confusion.get(("V", "V"), 0)
    false = sum(k for (ref, test), k in m.confusion.items() if test == "V" and ref != "V")
    i, j = m.pairs.T
    called = np.asarray(r.beats.symbols)[j[ref_sym[i] == "V"]]
    return found, false, called


class TestSmallVentricularClusters:
    def test_a_few_beats_shaped_like_a_ventricular_cluster_are_ventricular(
        self, pvcs_109: tuple[int, int, np.ndarray]
    ) -> None:
        # 109 (left bundle-branch block, 38 PVCs): a few late-coupled PVCs fall into small
        # clusters of their own, shaped like the large PVC cluster and unlike the dominant
        # beat; not premature enough for the lone-PVC rule, they were called N.
        found, false, _ = pvcs_109
        assert found >= 26  # 23 before
        assert false == 0

    def test_late_coupled_pvcs_of_their_own_shape_are_ventricular(
        self, pvcs_109: tuple[int, int, np.ndarray]
    ) -> None:
        # The rest of 109's missed PVCs: clusters of one to four beats, like no large
        # cluster, 0.85-0.96 of the sinus interval early, no P wave, a full compensatory
        # pause after them. They were N (27 of 38 found); 36 now, none of them N.
        found, false, called = pvcs_109
        assert found >= 35
        assert false == 0
        assert "N" not in set(called.tolist())


class TestLateCoupledClusters:
    @pytest.mark.parametrize("rate", [128, 1000])
    def test_a_cluster_of_late_coupled_pvcs_does_not_depend_on_the_sampling_rate(
        self, data_dir: Path, rate: int
    ) -> None:
        # 223 holds a cluster of about 60 PVCs (and a few fusion beats), wide, without the
        # dominant P wave, 0.92 of the sinus interval early, whose template correlates
        # 0.75 with the dominant one: the very bound of a wide on-time cluster. Recorded
        # at 360 Hz it was V; resampled to 128 or 1000 Hz, N (and 13 of its beats A).
        from wavetag.signal.synth.recorder import recorded

        path = str(data_dir / "mitdb-ds1" / "223")
        rec, ann = wfdb.rdrecord(path), wfdb.rdann(path, "atr")
        keep = np.isin(ann.symbol, BEATS)
        ref_sym = np.asarray(ann.symbol)[keep]
        x = recorded(np.nan_to_num(rec.p_signal), rec.fs, rate)
        r = analyze(
            SampleSource.from_arrays(
                {n: x[:, i] for i, n in enumerate(rec.sig_name)},
                {n: float(rate) for n in rec.sig_name},
            )
        )
        ref = np.round(ann.sample[keep] * rate / rec.fs).astype(np.int64)
        m = match_beats(
            ref, r.beats.samples, rate, ref_labels=ref_sym.tolist(), test_labels=r.beats.symbols
        )
        pvcs = int(np.count_nonzero(ref_sym == "V"))
        found = m.confusion.get(("V", "V"), 0)
        false = sum(k for (a, t), k in m.confusion.items() if t == "V" and a not in "VF")
        false_a = sum(k for (a, t), k in m.confusion.items() if t == "A" and a == "V")
        assert found >= 0.95 * pvcs, (found, pvcs)  # 0.87-0.88 before
        assert false <= 5, false
        assert false_a <= 2, false_a  # 13-14 before
