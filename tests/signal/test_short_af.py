"""Atrial fibrillation on a 10-s record: irregular intervals and no common atrial wave before
the beats. No 10-s 12-lead record of the shared data has AF, so 10-s excerpts of the AF
episodes of CPSC 2021 (leads I and II, 200 Hz) and MIT-BIH 203 (MLII and V1, 360 Hz) stand
for one, each analysed alone as a record; the sinus 10-s 12-lead records of CinC 2021 and
sinus excerpts of the same long records must get neither AF nor SVTA."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.analysis import AnalysisResult, analyze
from wavetag.signal.atrial import atrial_consistency, modal_fraction
from wavetag.signal.leads import SampleSource
from wavetag.signal.rhythm import rhythm_episodes


def excerpt(data_dir: Path, record: str, start_s: float) -> tuple[np.ndarray, float, list[str]]:
    path = str(next(data_dir.glob(f"*/{record}.hea")).with_suffix(""))
    fs = wfdb.rdheader(path).fs
    a = round(start_s * fs)
    rec = wfdb.rdrecord(path, sampfrom=a, sampto=a + round(10 * fs))
    return rec.p_signal, fs, rec.sig_name


def analysed(x: np.ndarray, fs: float, names: list[str]) -> AnalysisResult:
    src = SampleSource.from_arrays(
        {n: x[:, i] for i, n in enumerate(names)}, {n: fs for n in names}
    )
    return analyze(src)


def af_fraction(r: AnalysisResult) -> float:
    return sum(e.end - e.start for e in r.rhythm if e.label == "(AFIB") / r.n_samples


# Inside the reference (AFIB episodes (s from the record's start); several were called
# (N or (SVTA before a short record was judged as a whole.
AF_EXCERPTS = [
    ("data_8_2", 34.9),
    ("data_8_2", 102.7),
    ("data_8_3", 43.7),
    ("data_92_12", 16.1),
    ("data_92_19", 80.9),
    ("data_92_19", 296.9),
    ("203", 244.8),
    ("203", 1083.5),
]
# Sinus: CinC 2021 10-s 12-lead records whose diagnoses say sinus rhythm, tachycardia or
# bradycardia (E07508 and JS20009 are sinus tachycardia, formerly (SVTA; JS20011 has PACs),
# and sinus stretches of the long records.
SINUS_RECORDS = ["E07500", "E07502", "E07508", "HR06000", "HR06004", "JS20009", "JS20011"]
SINUS_EXCERPTS = [("data_92_19", 127.6), ("data_92_12", 35.7), ("100", 300.0), ("215", 308.8)]


class TestTenSecondAF:
    @pytest.mark.parametrize(("record", "start_s"), AF_EXCERPTS)
    def test_af_excerpt_is_called_af(self, data_dir: Path, record: str, start_s: float) -> None:
        x, fs, names = excerpt(data_dir, record, start_s)
        r = analysed(x, fs, names)
        assert af_fraction(r) >= 0.9, [e.label for e in r.rhythm]
        assert all(e.label != "(SVTA" for e in r.rhythm)

    @pytest.mark.parametrize("record", SINUS_RECORDS)
    def test_sinus_12_lead_record_has_no_af_or_svta(self, data_dir: Path, record: str) -> None:
        path = data_dir / "cinc2021" / record
        dx = next(c for c in wfdb.rdheader(str(path)).comments if c.startswith("Dx"))
        assert "164889003" not in dx
        rec = wfdb.rdrecord(str(path))
        r = analysed(rec.p_signal, rec.fs, rec.sig_name)
        assert {e.label for e in r.rhythm} & {"(AFIB", "(SVTA"} == set()

    @pytest.mark.parametrize(("record", "start_s"), SINUS_EXCERPTS)
    def test_sinus_excerpt_has_no_af_or_svta(
        self, data_dir: Path, record: str, start_s: float
    ) -> None:
        x, fs, names = excerpt(data_dir, record, start_s)
        r = analysed(x, fs, names)
        assert {e.label for e in r.rhythm} & {"(AFIB", "(SVTA"} == set()


class TestAtrialMeasures:
    def test_af_has_no_common_atrial_wave_sinus_has(self, data_dir: Path) -> None:
        for record, start_s, lo, hi in (("data_8_2", 34.9, -1, 0.5), ("100", 300.0, 0.9, 1)):
            x, fs, names = excerpt(data_dir, record, start_s)
            beats = analysed(x, fs, names).beats.samples
            assert lo <= atrial_consistency(x, fs, beats) <= hi, record

    def test_modal_fraction(self, data_dir: Path) -> None:
        x, fs, names = excerpt(data_dir, "data_8_2", 34.9)
        af = analysed(x, fs, names).beats.samples
        x, fs, names = excerpt(data_dir, "100", 300.0)
        sinus = analysed(x, fs, names).beats.samples
        assert modal_fraction(np.diff(af)) < 0.5 < 0.9 <= modal_fraction(np.diff(sinus))

    def test_without_the_signal_the_intervals_decide(self) -> None:
        # Twelve intervals with no usual length: AF on beat times alone; a common atrial
        # wave (the callback) vetoes it.
        rr = np.array([0.62, 0.95, 0.71, 1.10, 0.55, 0.84, 0.66, 1.02, 0.78, 0.58, 0.91, 0.7])
        beats = np.round(np.cumsum(np.r_[0.5, rr]) * 250).astype(np.int64)
        sym = ["N"] * len(beats)
        assert [e.label for e in rhythm_episodes(beats, 250.0, sym)] == ["(AFIB"]
        vetoed = rhythm_episodes(beats, 250.0, sym, atrial=lambda run: 0.95)
        assert all(e.label != "(AFIB" for e in vetoed)
