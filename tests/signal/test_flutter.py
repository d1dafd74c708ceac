"""Atrial flutter with a variable block: irregular beats, as in AF, but one saw-tooth of
atrial activity at 240-350/min (:func:`wavetag.signal.atrial.flutter_waves`).

The shared data hold one stretch of reference flutter, MIT-BIH 203 (759-1075 s); its
atrial activity, once the QRS is blanked, has its line near 6.7 Hz (400/min) in V1, as
its reference AF has, and neither is organised (test below). So the generator's flutter
(waves at a fixed rate, each conducted beat after the same delay, 2:1 to 4:1) tests the
detection, and the real records test what must not become flutter: AF (203, CPSC 2021)
and sinus rhythm with ectopy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.analysis import AnalysisResult, analyze
from wavetag.signal.atrial import AtrialConfig, flutter_waves
from wavetag.signal.leads import SampleSource
from wavetag.signal.rhythm import (
    RhythmConfig,
    RhythmEpisode,
    episodes_from_aux,
    overlap_samples,
)
from wavetag.signal.synth import Episode, RecordSpec, SyntheticRecord, synthesize
from wavetag.signal.synth.spec import STANDARD_12

FS = 360.0
LIMIT = RhythmConfig().flutter_organisation
BEAT_CODES = list("NLRBAaJSVrFejnE/fQ")


def synthetic(kind: str, rate: float, seed: int) -> SyntheticRecord:
    spec = RecordSpec(
        "flutter",
        360.0,
        FS,
        ("MLII", "V1"),
        seed=seed,
        heart_rate=70.0,
        episodes=(Episode(kind, 60.0, 200.0, rate=rate),),  # type: ignore[arg-type]
        fmt="212",
        ecg_gain=200.0,
    )
    return synthesize(spec)


def analysed(x: np.ndarray, fs: float, names: list[str]) -> AnalysisResult:
    src = SampleSource.from_arrays(
        {n: x[:, i] for i, n in enumerate(names)}, {n: fs for n in names}
    )
    return analyze(src)


def reference(rec: SyntheticRecord) -> list[RhythmEpisode]:
    ann = rec.annotation_sets[0]
    plus = [i for i, s in enumerate(ann.symbol) if s == "+"]
    return episodes_from_aux(ann.sample[plus], [ann.aux_note[i] for i in plus], rec.n_samples)


def length(eps: list[RhythmEpisode], label: str) -> int:
    return sum(e.end - e.start for e in eps if e.label == label)


def record(data_dir: Path, name: str) -> tuple[wfdb.Record, wfdb.Annotation]:
    path = str(next(data_dir.glob(f"*/{name}.hea")).with_suffix(""))
    return wfdb.rdrecord(path), wfdb.rdann(path, "atr")


class TestFlutterWaves:
    @pytest.mark.parametrize("rate", [250.0, 300.0, 340.0])
    def test_saw_tooth_is_one_organised_line(self, rate: float) -> None:
        rec = synthetic("aflutter", rate, seed=3)
        ann = rec.annotation_sets[0]
        beats = ann.sample[np.isin(ann.symbol, BEAT_CODES)]
        a, z = round(90 * FS), round(150 * FS)
        inside = beats[(beats >= a) & (beats < z)] - a
        w = flutter_waves(rec.physical(a, z), FS, inside)
        assert w.rate_hz == pytest.approx(rate / 60, abs=0.1)
        assert w.is_flutter(AtrialConfig(), LIMIT)

    @pytest.mark.parametrize("seed", [3, 4, 5])
    def test_fibrillatory_waves_are_not(self, seed: int) -> None:
        rec = synthetic("afib", 100.0, seed=seed)
        ann = rec.annotation_sets[0]
        beats = ann.sample[np.isin(ann.symbol, BEAT_CODES)]
        a, z = round(90 * FS), round(150 * FS)
        inside = beats[(beats >= a) & (beats < z)] - a
        w = flutter_waves(rec.physical(a, z), FS, inside)
        assert w.organisation < 0.45
        assert not w.is_flutter(AtrialConfig(), LIMIT)

    def test_mitdb_203_af_is_not_flutter(self, data_dir: Path) -> None:
        rec, ann = record(data_dir, "203")
        beats = ann.sample[np.isin(ann.symbol, BEAT_CODES)]
        # 30-s stretches inside its reference AF (before 759 s and after 1076 s).
        for start_s in (110.0, 320.0, 540.0, 1210.0, 1400.0, 1700.0):
            a, z = round(start_s * rec.fs), round((start_s + 30) * rec.fs)
            inside = beats[(beats >= a) & (beats < z)] - a
            w = flutter_waves(rec.p_signal[a:z], rec.fs, inside)
            assert not w.is_flutter(AtrialConfig(), LIMIT), (start_s, w)


class TestFlutterEpisodes:
    @pytest.mark.parametrize(("rate", "seed"), [(300.0, 3), (260.0, 7), (330.0, 11)])
    def test_variable_block_flutter_is_called_flutter(self, rate: float, seed: int) -> None:
        rec = synthetic("aflutter", rate, seed=seed)
        r = analysed(rec.physical(), FS, ["MLII", "V1"])
        ref = reference(rec)
        assert overlap_samples(ref, r.rhythm, "(AFL") >= 0.85 * length(ref, "(AFL")
        assert length(r.rhythm, "(AFIB") == 0
        assert length(r.rhythm, "(AFL") <= 1.05 * length(ref, "(AFL")

    @pytest.mark.parametrize("seed", [3, 7])
    def test_fibrillation_stays_fibrillation(self, seed: int) -> None:
        rec = synthetic("afib", 100.0, seed=seed)
        r = analysed(rec.physical(), FS, ["MLII", "V1"])
        ref = reference(rec)
        assert length(r.rhythm, "(AFL") == 0
        assert overlap_samples(ref, r.rhythm, "(AFIB") >= 0.9 * length(ref, "(AFIB")

    @pytest.mark.parametrize("name", ["100", "114", "119", "data_8_2", "data_35_4"])
    def test_no_flutter_in_sinus_or_af_records(self, data_dir: Path, name: str) -> None:
        rec, _ = record(data_dir, name)
        r = analysed(rec.p_signal, rec.fs, rec.sig_name)
        assert length(r.rhythm, "(AFL") == 0

    def test_mitdb_203_af_is_not_called_flutter(self, data_dir: Path) -> None:
        rec, ann = record(data_dir, "203")
        r = analysed(rec.p_signal, rec.fs, rec.sig_name)
        plus = [i for i, s in enumerate(ann.symbol) if s == "+"]
        ref = episodes_from_aux(ann.sample[plus], [ann.aux_note[i] for i in plus], rec.sig_len)
        ref_af = [RhythmEpisode(e.start, e.end, "(AFL") for e in ref if e.label == "(AFIB"]
        assert overlap_samples(ref_af, r.rhythm, "(AFL") == 0

    @pytest.mark.xfail(
        strict=True,
        reason="203's reference flutter has its atrial line near 6.7 Hz (400/min) in V1 and "
        "is no more organised than its AF: nothing in the signal sets it apart here",
    )
    def test_mitdb_203_flutter_is_found(self, data_dir: Path) -> None:
        rec, ann = record(data_dir, "203")
        r = analysed(rec.p_signal, rec.fs, rec.sig_name)
        plus = [i for i, s in enumerate(ann.symbol) if s == "+"]
        ref = episodes_from_aux(ann.sample[plus], [ann.aux_note[i] for i in plus], rec.sig_len)
        assert overlap_samples(ref, r.rhythm, "(AFL") >= 0.5 * length(ref, "(AFL")


class TestTenSecondFlutter:
    def test_12_lead_flutter_is_stated_and_af_is_not_flutter(self) -> None:
        # Six 10-s 12-lead records of each; a record whose block is mostly 2:1 is regular,
        # is not judged for flutter (nor for AF), and may stay (SVTA: at most two of six.
        called = 0
        for seed in range(6):
            for kind, rate in (("aflutter", 300.0), ("afib", 110.0)):
                spec = RecordSpec(
                    "ecg12",
                    10.0,
                    500.0,
                    STANDARD_12,
                    seed=seed,
                    heart_rate=75.0,
                    episodes=(Episode(kind, 0.0, 10.0, rate=rate),),  # type: ignore[arg-type]
                    fmt="16",
                    ecg_gain=1000.0,
                )
                x = synthesize(spec).physical()
                r = analysed(x, 500.0, list(STANDARD_12))
                labels = {e.label for e in r.rhythm}
                codes = {s.code for s in r.statements}
                if kind == "afib":
                    assert "(AFL" not in labels and "atrial-flutter" not in codes
                    assert "(AFIB" in labels
                elif labels == {"(AFL"}:
                    assert "atrial-flutter" in codes
                    called += 1
                else:
                    assert "(AFIB" not in labels
        assert called >= 4
