"""analyze(): every stage on one record, and the plain-dict form."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import wfdb
from scipy.signal import resample_poly

from wavetag.signal.analysis import analyze, distrust_noise
from wavetag.signal.beats import BeatLabels
from wavetag.signal.quality import SegmentQuality
from wavetag.signal.synth import Episode, RecordSpec, synthesize


@pytest.fixture(scope="module")
def rec100(data_dir: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    path = str(data_dir / "mitdb" / "100")
    rec = wfdb.rdrecord(path)
    ann = wfdb.rdann(path, "atr")
    beats = ann.sample[np.isin(ann.symbol, list("NLRBAaJSVrFejnE/fQ"))]
    return {n: rec.p_signal[:, i] for i, n in enumerate(rec.sig_name)}, beats


class TestAnalyze:
    def test_mitdb_100(self, rec100: tuple) -> None:
        signals, beats = rec100
        r = analyze(signals, {n: 360.0 for n in signals}, beats)
        assert r.primary == "MLII" and r.morphology_channels == ["MLII", "V5"]
        assert len(r.beats.symbols) == len(beats)
        assert r.beats.symbols.count("A") >= 26 and r.beats.symbols.count("V") == 1
        assert r.hr.mean_hr is not None and 70 < r.hr.mean_hr < 80
        assert [e.label for e in r.rhythm] == ["(N"]
        assert set(r.quality) == {"MLII", "V5"} and len(r.quality["MLII"]) == 181
        assert r.intervals.pr_ms is not None and 120 < r.intervals.pr_ms < 220
        assert set(r.timings_s) == set(r.cpu_s) == {"beats", "intervals", "rhythm", "quality"}

    def test_plain_dict(self, rec100: tuple) -> None:
        signals, beats = rec100
        d = analyze(signals, {n: 360.0 for n in signals}, beats).to_dict()
        again = json.loads(json.dumps(d))  # only JSON types inside
        assert again["beats"]["symbols"][:3] == ["N", "N", "N"]
        assert again["rhythm"][0] == {"start": 0, "end": 650000, "label": "(N"}
        assert again["quality"]["V5"][0]["grade"] in "ABC"
        assert again["intervals"]["qrs_ms"] > 0

    def test_channel_at_another_rate(self, rec100: tuple) -> None:
        signals, beats = rec100
        slow = resample_poly(signals["V5"], 5, 18)  # 100 Hz
        r = analyze({"MLII": signals["MLII"], "V5": slow}, {"MLII": 360.0, "V5": 100.0}, beats)
        assert r.morphology_channels == ["MLII"]
        assert len(r.quality["V5"]) == 181
        assert r.quality["V5"][-1].end == len(slow)
        grades = "".join(s.grade for s in r.quality["V5"])
        assert grades.count("A") / len(grades) >= 0.9

    def test_no_atrial_premature_beats_inside_af(self) -> None:
        spec = RecordSpec(
            "af",
            300.0,
            360.0,
            ("MLII", "V1"),
            seed=8,
            episodes=(Episode("afib", 60.0, 180.0, rate=115.0),),
            fmt="212",
            ecg_gain=200.0,
        )
        rec = synthesize(spec)
        ann = rec.annotation_sets[0]
        beats = ann.sample[np.isin(ann.symbol, ["N", "V", "A"])]
        x = rec.physical()
        r = analyze({"MLII": x[:, 0], "V1": x[:, 1]}, {"MLII": 360.0, "V1": 360.0}, beats)
        af = [e for e in r.rhythm if e.label == "(AFIB"]
        assert len(af) == 1
        assert af[0].start / 360 == pytest.approx(60, abs=5) and af[0].end / 360 == pytest.approx(
            240, abs=5
        )
        inside = (beats >= af[0].start) & (beats < af[0].end)
        assert not any(s == "A" for s, i in zip(r.beats.symbols, inside, strict=True) if i)

    def test_bad_arguments(self, rec100: tuple) -> None:
        signals, beats = rec100
        with pytest.raises(ValueError, match="no channel"):
            analyze({}, {}, beats)
        with pytest.raises(ValueError, match="primary"):
            analyze(signals, {n: 360.0 for n in signals}, beats, primary="II")
        with pytest.raises(ValueError, match="sampling frequency"):
            analyze(signals, {"MLII": 360.0}, beats)


class TestDistrustNoise:
    def make(self, symbols: str, prem: list[float]) -> BeatLabels:
        n = len(symbols)
        z = np.zeros(n)
        return BeatLabels(
            samples=np.arange(n) * 360,
            symbols=list(symbols),
            clusters=np.zeros(n, dtype=np.int64),
            widths_ms=z,
            prematurity=np.asarray(prem, dtype=np.float64),
            correlation=z,
        )

    def segs(self, grades: str) -> list[SegmentQuality]:
        return [
            SegmentQuality(i * 3600, (i + 1) * 3600, g, [], 1.0, 0.0, 0.0, 0.0, 0.0, None)
            for i, g in enumerate(grades)
        ]

    def test_lone_on_time_v_in_noise_becomes_q(self) -> None:
        #            beat:  0    1    2    3    4    5    6    7    8    9    10   11
        labels = self.make("NVNNVNNNVVVN", [1, 1.0, 1, 1, 0.6, 1, 1, 1, 0.6, 1, 1, 1])
        beats = labels.samples
        # Beats 0-9 lie in the first segment (noisy), 10-11 in the second.
        distrust_noise(labels, beats, [self.segs("B" + "A")], premature=0.85)
        # 1: lone and on time -> Q; 4: early -> V; 8-10: a run -> V.
        assert "".join(labels.symbols) == "NQNNVNNNVVVN"

    def test_one_readable_channel_is_enough(self) -> None:
        labels = self.make("NVN", [1, 1, 1])
        distrust_noise(labels, labels.samples, [self.segs("C"), self.segs("A")], 0.85)
        assert labels.symbols == ["N", "V", "N"]


class TestBeatInput:
    def test_unsorted_duplicated_and_outside_beats(self, rec100: tuple) -> None:
        signals, beats = rec100
        messy = np.concatenate([beats[::-1], beats[:10], [-5, 10**9]])
        r = analyze(signals, {n: 360.0 for n in signals}, messy)
        assert np.array_equal(r.beats.samples, beats)
