"""Heart-rate statistics and median-beat intervals.

Ground truth for intervals comes from the synthetic generator, which knows the
PR interval, QRS onset and QT it drew for each patient; real 12-lead records
(PTB, PTB-XL) are checked against physiological ranges.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
import wfdb.processing

from wavetag.signal.intervals import Intervals, delineate, hr_stats
from wavetag.signal.synth import STANDARD_12, Episode, RecordSpec, SyntheticRecord, synthesize


class TestHrStats:
    def test_regular_rhythm(self) -> None:
        beats = np.arange(0, 60 * 360, 360)  # 60 bpm at 360 Hz
        s = hr_stats(beats, 360.0)
        assert s.mean_hr == pytest.approx(60.0)
        assert s.min_hr == pytest.approx(60.0) and s.max_hr == pytest.approx(60.0)
        assert s.sdnn_ms == pytest.approx(0.0) and s.rmssd_ms == pytest.approx(0.0)
        assert s.n_nn == len(beats) - 1

    def test_known_variability(self) -> None:
        rr = np.tile([800.0, 900.0], 50)  # ms at 1000 Hz
        beats = np.concatenate([[0], np.cumsum(rr)]).astype(np.int64)
        s = hr_stats(beats, 1000.0)
        assert s.rmssd_ms == pytest.approx(100.0)
        assert s.sdnn_ms == pytest.approx(np.std(rr, ddof=1))
        assert s.mean_hr == pytest.approx(60000.0 / 850.0)

    def test_ectopic_intervals_are_not_nn(self) -> None:
        rr = np.full(40, 1000.0)
        rr[20], rr[21] = 600.0, 1400.0  # a PVC with its compensatory pause
        beats = np.concatenate([[0], np.cumsum(rr)]).astype(np.int64)
        symbols = ["N"] * len(beats)
        symbols[21] = "V"
        s = hr_stats(beats, 1000.0, symbols)
        assert s.n_nn == len(rr) - 2
        assert s.sdnn_ms == pytest.approx(0.0) and s.rmssd_ms == pytest.approx(0.0)
        # One early beat does not set the maximum heart rate.
        assert s.max_hr is not None and s.max_hr < 65

    def test_too_few_beats(self) -> None:
        s = hr_stats([100], 360.0)
        assert s.mean_hr is None and s.sdnn_ms is None

    def test_mitdb_100(self, data_dir: Path) -> None:
        ann = wfdb.rdann(str(data_dir / "mitdb" / "100"), "atr")
        keep = np.isin(ann.symbol, ["N", "A", "V"])
        s = hr_stats(
            ann.sample[keep], 360.0, [y for y, k in zip(ann.symbol, keep, strict=True) if k]
        )
        assert s.mean_hr is not None and 70 < s.mean_hr < 80  # 2273 beats in 30 min
        assert s.sdnn_ms is not None and 10 < s.sdnn_ms < 150
        assert s.rmssd_ms is not None and 5 < s.rmssd_ms < 100


def synthetic(seed: int, **kw: object) -> tuple[SyntheticRecord, np.ndarray]:
    spec = RecordSpec("iv", 30.0, 500.0, STANDARD_12, seed=seed, noise=0.6, **kw)  # type: ignore[arg-type]
    rec = synthesize(spec)
    ann = rec.annotation_sets[0]
    return rec, ann.sample[np.isin(ann.symbol, ["N"])]


def truth(rec: SyntheticRecord, rr_s: float) -> dict[str, float]:
    """The generator's own intervals, ms (see synth.morphology.TemplateBank.waves)."""
    m = rec.morphology
    pr = m.pr * float(np.clip(rr_s, 0.4, 1.6)) ** 0.2
    qrs_end = max(w.center + 3 * w.width for w in m.qrs)  # last QRS wave at 3 SD
    return {
        "pr": pr * 1000,
        "qrs_on": -m.qrs_onset * 1000,
        "qrs": (m.qrs_onset + qrs_end) * 1000,
        "qt": m.qtc * rr_s ** (1 / 3) * 1000,
    }


class TestSyntheticIntervals:
    @pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
    def test_known_intervals(self, seed: int) -> None:
        rec, beats = synthetic(seed, heart_rate=float(60 + 5 * seed))
        iv = delineate(rec.physical(), rec.fs, beats)
        assert iv.rr_ms is not None
        t = truth(rec, iv.rr_ms / 1000)
        assert iv.pr_ms is not None and iv.qrs_ms is not None and iv.qt_ms is not None
        print(
            f"\nseed {seed}: PR {iv.pr_ms:.0f}/{t['pr']:.0f} QRS {iv.qrs_ms:.0f}/{t['qrs']:.0f}"
            f" QT {iv.qt_ms:.0f}/{t['qt']:.0f} ms (measured/true)"
        )
        assert abs(iv.pr_ms - t["pr"]) <= 20
        assert abs(iv.qrs_ms - t["qrs"]) <= 15
        assert abs(iv.qt_ms - t["qt"]) <= 30
        assert iv.qrs_on is not None and abs(iv.qrs_on - t["qrs_on"]) <= 12

    def test_qtc_formulas(self) -> None:
        rec, beats = synthetic(2, heart_rate=90.0)
        iv = delineate(rec.physical(), rec.fs, beats)
        assert iv.qt_ms is not None and iv.rr_ms is not None
        rr = iv.rr_ms / 1000
        assert iv.qtc_bazett_ms == pytest.approx(iv.qt_ms / np.sqrt(rr))
        assert iv.qtc_fridericia_ms == pytest.approx(iv.qt_ms / rr ** (1 / 3))
        # Above 60 bpm both corrections lengthen QT, Bazett more.
        assert iv.qt_ms < iv.qtc_fridericia_ms < iv.qtc_bazett_ms  # type: ignore[operator]

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_no_p_wave_in_atrial_fibrillation(self, seed: int) -> None:
        rec, beats = synthetic(seed, episodes=(Episode("afib", 0.0, 30.0, rate=100.0),))
        iv = delineate(rec.physical(), rec.fs, beats)
        assert iv.pr_ms is None and iv.p_on is None
        assert iv.qrs_ms is not None and 80 < iv.qrs_ms < 140
        assert iv.qt_ms is not None

    def test_single_lead(self) -> None:
        rec, beats = synthetic(3)
        lead_ii = rec.physical()[:, STANDARD_12.index("II")]
        iv = delineate(lead_ii, rec.fs, beats)
        assert iv.qrs_ms is not None and 60 < iv.qrs_ms < 140
        assert iv.pr_ms is not None and 100 < iv.pr_ms < 220

    def test_too_few_beats(self) -> None:
        assert delineate(np.zeros(5000), 500.0, [1000, 2000]) == Intervals(n_beats=0)


def plausible(iv: Intervals) -> None:
    assert iv.qrs_ms is not None and 60 <= iv.qrs_ms <= 160
    assert iv.qt_ms is not None and 280 <= iv.qt_ms <= 500
    assert iv.qtc_bazett_ms is not None and 330 <= iv.qtc_bazett_ms <= 560
    assert iv.pr_ms is None or 100 <= iv.pr_ms <= 240
    assert iv.t_peak is not None and iv.t_end is not None and iv.qrs_off is not None
    assert iv.qrs_off < iv.t_peak < iv.t_end


class TestRealRecords:
    def test_ptb_s0010(self, data_dir: Path) -> None:
        rec = wfdb.rdrecord(str(data_dir / "ptbdb" / "s0010_re"))
        x = rec.p_signal[:, :12]  # the 12 standard leads (not Frank)
        beats = wfdb.processing.gqrs_detect(x[:, 0], fs=rec.fs)
        iv = delineate(x, rec.fs, beats)
        print(f"\ns0010_re: {iv}")
        plausible(iv)
        assert iv.pr_ms is not None  # sinus rhythm
        assert iv.hr is not None and 60 < iv.hr < 100

    def test_ptbxl_00001(self, data_dir: Path) -> None:
        rec = wfdb.rdrecord(str(data_dir / "ptbxl" / "00001_lr"))
        beats = wfdb.processing.gqrs_detect(rec.p_signal[:, 0], fs=rec.fs)
        iv = delineate(rec.p_signal, rec.fs, beats)
        print(f"\n00001_lr: {iv}")
        plausible(iv)

    def test_mitdb_106_normal_beats_only(self, data_dir: Path) -> None:
        path = str(data_dir / "mitdb" / "106")
        ann = wfdb.rdann(path, "atr")
        keep = np.isin(ann.symbol, ["N", "V"])
        symbols = [y for y, k in zip(ann.symbol, keep, strict=True) if k]
        iv = delineate(wfdb.rdrecord(path).p_signal, 360.0, ann.sample[keep], symbols)
        plausible(iv)
        # Averaging only N beats keeps the narrow sinus QRS despite 520 PVCs.
        assert iv.qrs_ms is not None and iv.qrs_ms < 110

    def test_paced_rhythm_has_no_p_wave(self, data_dir: Path) -> None:
        path = str(data_dir / "mitdb" / "107")
        ann = wfdb.rdann(path, "atr")
        keep = np.isin(ann.symbol, ["/", "V"])
        symbols = [y for y, k in zip(ann.symbol, keep, strict=True) if k]
        iv = delineate(wfdb.rdrecord(path).p_signal, 360.0, ann.sample[keep], symbols)
        assert iv.n_beats > 100 and iv.hr is not None and 60 < iv.hr < 80
        assert iv.pr_ms is None and iv.p_on is None
