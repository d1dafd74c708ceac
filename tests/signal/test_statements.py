"""12-lead statements on real records of the PhysioNet/CinC Challenge 2021 (``cinc2021``).

Records asserted on are named with the diagnoses of their header (SNOMED CT codes) and
the half of ``bench/bench_classes.py``'s split they belong to. E07509 and E07510 are the
same recording under two names (identical ``.mat`` files).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.analysis import AnalysisResult, analyze
from wavetag.signal.intervals import delineate, median_beat
from wavetag.signal.leads import SampleSource
from wavetag.signal.statements import (
    TEXTS,
    Statement,
    StatementConfig,
    lead_key,
    make_statements,
)


def analysed(data_dir: Path, name: str, drop: tuple[str, ...] = ()) -> AnalysisResult:
    rec = wfdb.rdrecord(str(data_dir / "cinc2021" / name))
    keep = [i for i, n in enumerate(rec.sig_name) if n not in drop]
    return analyze(
        SampleSource.from_arrays(
            {rec.sig_name[i]: rec.p_signal[:, i] for i in keep},
            {rec.sig_name[i]: rec.fs for i in keep},
        )
    )


def codes(statements: list[Statement]) -> set[str]:
    return {s.code for s in statements}


class TestLeadNames:
    @pytest.mark.parametrize(
        ("name", "key"),
        [("I", "I"), ("aVF", "AVF"), ("AVR", "AVR"), ("avl", "AVL"), ("v1", "V1"), ("V6", "V6")],
    )
    def test_standard_leads_in_any_case(self, name: str, key: str) -> None:
        assert lead_key(name) == key

    @pytest.mark.parametrize("name", ["MLII", "V7", "ECG", "vx", "PLETH"])
    def test_other_channels_are_no_standard_lead(self, name: str) -> None:
        assert lead_key(name) is None


class TestCinc2021:
    def test_rbbb_record(self, data_dir: Path) -> None:
        # E07510 (tuning half): Dx 59118001 RBBB, 426177001 sinus bradycardia.
        res = analysed(data_dir, "E07510")
        said = {s.code: s for s in res.statements}
        assert "rbbb" in said and "lbbb" not in said
        assert said["rbbb"].values["qrs_ms"] >= 120
        assert "QRS" in said["rbbb"].evidence and "V1" in said["rbbb"].evidence
        assert "sinus-bradycardia" in said
        # Measured over all twelve leads: two limb leads alone show a QRS under 100 ms.
        assert res.intervals.qrs_ms is not None and res.intervals.qrs_ms >= 120

    def test_rbbb_needs_v1(self, data_dir: Path) -> None:
        res = analysed(data_dir, "E07510", drop=("V1",))
        assert not codes(res.statements) & {"rbbb", "lbbb", "incomplete-rbbb", "lvh"}
        # What does not need V1 is still said.
        assert "sinus-bradycardia" in codes(res.statements)

    def test_sinus_tachycardia(self, data_dir: Path) -> None:
        # E07502 (tuning half): Dx 427084000 sinus tachycardia only.
        said = codes(analysed(data_dir, "E07502").statements)
        assert "sinus-tachycardia" in said
        assert not said & {"rbbb", "lbbb", "ivcd", "av-block-1", "lvh", "low-voltage"}

    def test_sinus_tachycardia_of_the_checking_half(self, data_dir: Path) -> None:
        # HR06003 (checking half): Dx 426783006, 427084000.
        said = codes(analysed(data_dir, "HR06003").statements)
        assert "sinus-tachycardia" in said and "sinus-bradycardia" not in said

    def test_normal_record_gets_no_abnormal_statement(self, data_dir: Path) -> None:
        # E07506 (tuning half): Dx 426783006 sinus rhythm only.
        said = codes(analysed(data_dir, "E07506").statements)
        assert said == {"sinus-rhythm"}

    def test_left_ventricular_high_voltage(self, data_dir: Path) -> None:
        # JS20013 (tuning half): Dx 55827005 left ventricular high voltage.
        res = analysed(data_dir, "JS20013")
        lvh = [s for s in res.statements if s.code == "lvh"]
        assert lvh and lvh[0].values["sokolow_mv"] >= 3.5

    def test_statements_are_plain_data(self, data_dir: Path) -> None:
        res = analysed(data_dir, "E07510")
        d = res.to_dict()["statements"]
        assert isinstance(d, list) and {"code", "text", "evidence", "values"} <= set(d[0])


@pytest.fixture(scope="module")
def beat(data_dir: Path) -> tuple[np.ndarray, int, float, list[str], object]:
    """Median beat of E07510 (RBBB), its R-peak index, fs, lead names and intervals."""
    rec = wfdb.rdrecord(str(data_dir / "cinc2021" / "E07510"))
    res = analysed(data_dir, "E07510")
    beats = res.beats.samples
    med, _, centre, _ = median_beat(rec.p_signal, rec.fs, beats, res.beats.symbols)
    iv = delineate(rec.p_signal, rec.fs, beats, res.beats.symbols)
    return med, centre, rec.fs, list(rec.sig_name), iv


class TestRules:
    """:func:`make_statements` on the median beat of E07510 (RBBB), its rules one by one."""

    def test_rhythm_comes_from_the_analysis(self, beat: tuple) -> None:
        med, c, fs, names, iv = beat
        assert "sinus-bradycardia" in codes(make_statements(med, c, fs, names, iv, "(N"))
        afib = codes(make_statements(med, c, fs, names, iv, "(AFIB"))
        assert "atrial-fibrillation" in afib and not any(x.startswith("sinus") for x in afib)
        assert not any(
            x.startswith("sinus") for x in codes(make_statements(med, c, fs, names, iv, None))
        )

    def test_a_paced_rhythm_says_nothing_of_the_paced_qrs(self, beat: tuple) -> None:
        med, c, fs, names, iv = beat
        said = codes(make_statements(med, c, fs, names, iv, "(P"))
        assert "paced-rhythm" in said
        assert not said & {"rbbb", "lbbb", "ivcd", "right-axis-deviation", "lvh", "low-voltage"}

    def test_axis_from_i_and_avf(self, beat: tuple) -> None:
        med, c, fs, names, iv = beat
        said = {s.code: s for s in make_statements(med, c, fs, names, iv, "(N")}
        assert (
            "right-axis-deviation" in said and said["right-axis-deviation"].values["axis_deg"] > 90
        )
        # Lead I inverted mirrors the axis about +90 degrees (+105 to +75: normal).
        flipped = med.copy()
        flipped[:, names.index("I")] *= -1
        said = codes(make_statements(flipped, c, fs, names, iv, "(N"))
        assert not said & {"right-axis-deviation", "left-axis-deviation", "extreme-axis"}
        said = codes(
            make_statements(
                med, c, fs, names, iv, "(N", conf=StatementConfig(axis_normal_deg=(-30, 120))
            )
        )
        assert not said & {"right-axis-deviation", "left-axis-deviation"}

    def test_long_qtc_limit_by_sex(self, beat: tuple) -> None:
        med, c, fs, names, iv = beat
        qtc = iv.qtc_bazett_ms
        conf = StatementConfig(qtc_long_ms=(qtc - 1, qtc + 1, qtc + 1))
        assert "long-qtc" in codes(make_statements(med, c, fs, names, iv, "(N", "M", conf))
        assert "long-qtc" not in codes(make_statements(med, c, fs, names, iv, "(N", "F", conf))
        assert "long-qtc" not in codes(make_statements(med, c, fs, names, iv, "(N", None, conf))

    def test_st_is_not_stated_in_a_wide_qrs(self, beat: tuple) -> None:
        med, c, fs, names, iv = beat
        raised = med.copy()
        j = c + round(iv.qrs_off * fs / 1000)
        raised[j + round(0.01 * fs) :, :] += 0.5  # every lead's ST far up, after the QRS
        said = codes(make_statements(raised, c, fs, names, iv, "(N"))
        assert "rbbb" in said and "st-elevation" not in said

    def test_every_code_has_a_text(self, beat: tuple) -> None:
        med, c, fs, names, iv = beat
        for s in make_statements(med, c, fs, names, iv, "(N"):
            assert s.text == TEXTS[s.code]


class TestPacedIntervals:
    def test_217_is_measured_on_its_paced_beats(self, data_dir: Path) -> None:
        # MIT-BIH 217: paced, with a few conducted (N) beats; the reference codes.
        path = str(data_dir / "mitdb-ds1" / "217")
        rec, ann = wfdb.rdrecord(path, sampto=360 * 300), wfdb.rdann(path, "atr", sampto=360 * 300)
        keep = np.isin(ann.symbol, list("N/fV"))
        symbols = [s for s, k in zip(ann.symbol, keep, strict=True) if k]
        assert 0 < symbols.count("N") < symbols.count("/")
        iv = delineate(rec.p_signal, rec.fs, ann.sample[keep], symbols)
        # The paced beats, not the nine conducted ones (whose median has a P wave).
        assert iv.n_beats > symbols.count("N") * 10
        assert iv.pr_ms is None
