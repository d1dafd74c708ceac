"""analyze(): the one analysis pipeline (the job runs it on the store), on records in memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wfdb
from scipy.signal import resample_poly

from wavetag.signal import analysis
from wavetag.signal.analysis import AnalysisConfig, StageError, analyze, distrust_noise
from wavetag.signal.beats import BeatLabels
from wavetag.signal.leads import (
    AnalysisError,
    SampleSource,
    ecg_channel,
    morphology_channels,
    mv_reader,
)
from wavetag.signal.quality import SegmentQuality
from wavetag.signal.recording import ChannelInfo
from wavetag.signal.synth import Episode, RecordSpec, synthesize

FS = 360.0


@pytest.fixture(scope="module")
def rec100(data_dir: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    path = str(data_dir / "mitdb" / "100")
    rec = wfdb.rdrecord(path)
    ann = wfdb.rdann(path, "atr")
    beats = ann.sample[np.isin(ann.symbol, list("NLRBAaJSVrFejnE/fQ"))]
    return {n: rec.p_signal[:, i] for i, n in enumerate(rec.sig_name)}, beats


def source(signals: dict[str, np.ndarray], fs: float = FS) -> SampleSource:
    return SampleSource.from_arrays(signals, {n: fs for n in signals})


class TestAnalyze:
    def test_mitdb_100(self, rec100: tuple) -> None:
        signals, beats = rec100
        r = analyze(source(signals), beats=beats)
        assert r.primary == "MLII" and r.morphology_channels == ["MLII", "V5"]
        assert len(r.beats.symbols) == len(beats)
        assert r.beats.symbols.count("A") >= 26 and r.beats.symbols.count("V") == 1
        assert r.hr.mean_hr is not None and 70 < r.hr.mean_hr < 80
        assert [e.label for e in r.rhythm] == ["(N"]
        assert set(r.quality) == {0, 1} and len(r.quality[0]) == 181
        assert r.intervals.pr_ms is not None and 120 < r.intervals.pr_ms < 220
        stages = {"qrs", "quality", "beats", "intervals", "rhythm"}
        assert set(r.timings_s) == set(r.cpu_s) == stages

    def test_detected_beats(self, rec100: tuple) -> None:
        # No beats given: the detector finds them, as in the analysis job.
        signals, beats = rec100
        r = analyze(source(signals))
        assert abs(len(r.beats.samples) - len(beats)) <= 0.01 * len(beats)
        assert r.beats.symbols.count("V") == 1 and [e.label for e in r.rhythm] == ["(N"]
        assert r.rhythm_changes() == [(0, "+", "(N")]

    def test_plain_dict(self, rec100: tuple) -> None:
        signals, beats = rec100
        d = analyze(source(signals), beats=beats).to_dict()
        again = json.loads(json.dumps(d))  # only JSON types inside
        assert again["beats"]["symbols"][:3] == ["N", "N", "N"]
        assert again["rhythm"][0] == {"start": 0, "end": 650000, "label": "(N"}
        assert again["quality"]["1"][0]["grade"] in "ABC"
        assert again["intervals"]["qrs_ms"] > 0

    def test_a_channel_at_another_rate_is_left_out(self, rec100: tuple) -> None:
        # Beat shapes, quality and intervals compare channels sample by sample: only
        # ECG leads sampled like the analysed one take part.
        signals, beats = rec100
        slow = resample_poly(signals["V5"], 5, 18)  # 100 Hz
        both = SampleSource.from_arrays(
            {"MLII": signals["MLII"], "V5": slow}, {"MLII": FS, "V5": 100.0}
        )
        r = analyze(both, beats=beats)
        alone = analyze(source({"MLII": signals["MLII"]}), beats=beats)
        assert r.morphology_channels == ["MLII"] and set(r.quality) == {0}
        assert r.beats.symbols == alone.beats.symbols

    def test_the_ecg_channel_is_found_by_name(self, rec100: tuple) -> None:
        signals, beats = rec100
        pressure = np.full(len(signals["V5"]), 90.0)
        r = analyze(source({"ABP": pressure, "V5": signals["V5"], "MLII": signals["MLII"]}))
        # Two leads: lead II (the rhythm lead), whatever their order.
        assert r.primary == "MLII" and r.morphology_channels == ["MLII", "V5"]

    def test_units_are_read_as_millivolts(self, rec100: tuple) -> None:
        signals, beats = rec100
        mv = analyze(source(signals), beats=beats)
        uv = SampleSource.from_arrays(
            {n: 1000 * x for n, x in signals.items()}, {n: FS for n in signals}, units="uV"
        )
        assert analyze(uv, beats=beats).beats.symbols == mv.beats.symbols

    def test_no_atrial_premature_beats_inside_af(self) -> None:
        spec = RecordSpec(
            "af",
            300.0,
            FS,
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
        r = analyze(source({"MLII": x[:, 0], "V1": x[:, 1]}), beats=beats)
        af = [e for e in r.rhythm if e.label == "(AFIB"]
        assert len(af) == 1
        assert af[0].start / FS == pytest.approx(60, abs=5) and af[0].end / FS == pytest.approx(
            240, abs=5
        )
        inside = (beats >= af[0].start) & (beats < af[0].end)
        assert not any(s == "A" for s, i in zip(r.beats.symbols, inside, strict=True) if i)

    def test_bad_arguments(self, rec100: tuple) -> None:
        signals, beats = rec100
        with pytest.raises(AnalysisError, match="no ECG channel.*none"):
            analyze(source({}), beats=beats)
        with pytest.raises(AnalysisError, match="no ECG channel.*PLETH"):
            analyze(SampleSource.from_arrays({"PLETH": signals["V5"]}, {"PLETH": FS}, "NU"))
        with pytest.raises(ValueError, match="sampling frequency"):
            SampleSource.from_arrays(signals, {"MLII": FS})


class TestRecords:
    def test_a_t_wave_search_ending_on_its_highest_sample(self, data_dir: Path) -> None:
        # The P-wave check of an AF run in this record met a median beat whose spatial
        # magnitude was highest on the last sample searched for a T wave: no T peak there.
        rec = wfdb.rdrecord(str(data_dir / "cpsc2021" / "data_92_19"))
        signals = {n: rec.p_signal[:, i] for i, n in enumerate(rec.sig_name)}
        r = analyze(source(signals, rec.fs))
        assert "(AFIB" in [e.label for e in r.rhythm] and r.intervals.qt_ms is not None


class TestChannels:
    def channels(self, *specs: tuple[str, str], fs: float = FS) -> list[ChannelInfo]:
        return [ChannelInfo(i, n, u, fs, 1.0, 0.0, 10) for i, (n, u) in enumerate(specs)]

    def test_the_ecg_channel_is_found_by_name_then_by_millivolts(self) -> None:
        pick = ecg_channel
        assert pick(self.channels(("ABP", "mmHg"), ("II", "mV"), ("V", "mV"))).name == "II"
        assert pick(self.channels(("PLETH", "NU"), ("ECG 1", "uV"))).name == "ECG 1"
        assert pick(self.channels(("Resp", "NU"), ("chest", "mV"))).name == "chest"
        with pytest.raises(AnalysisError, match="no ECG channel.*Fp1, Cz"):
            pick(self.channels(("Fp1", "uV"), ("Cz", "uV")))

    def test_a_record_without_ecg_says_so(self) -> None:
        with pytest.raises(AnalysisError, match="no ECG channel.*ABP, PLETH"):
            ecg_channel(self.channels(("ABP", "mmHg"), ("PLETH", "NU")))

    def test_morphology_channels_are_ecg_leads_sampled_alike(self) -> None:
        chans = self.channels(("ABP", "mmHg"), ("II", "mV"), ("chest", "mV"), ("V1", "mV"))
        chans.append(ChannelInfo(4, "V2", "mV", 500.0, 1.0, 0.0, 10))
        picked = morphology_channels(chans, chans[1], 3)
        assert [c.name for c in picked] == ["II", "V1"]
        assert [c.name for c in morphology_channels(chans, chans[1], 1)] == ["II"]

    def test_lead_ii_is_read_beside_a_lead_chosen_for_its_qrs(self) -> None:
        # The atrial tests read the morphology leads: P waves show best in lead II, and a
        # lead chosen for its QRS (aVL) may show none.
        names = "I II III aVR aVL aVF V1".split()
        chans = [ChannelInfo(i, n, "mV", 500.0, 1.0, 0.0, 5000) for i, n in enumerate(names)]
        assert [c.name for c in morphology_channels(chans, chans[4], 2)] == ["aVL", "II"]
        assert [c.name for c in morphology_channels(chans, chans[4], 3)] == ["aVL", "II", "I"]
        assert [c.name for c in morphology_channels(chans, chans[6], 2)] == ["V1", "II"]
        assert [c.name for c in morphology_channels(chans, chans[1], 2)] == ["II", "I"]
        without = [c for c in chans if c.name != "II"]
        assert [c.name for c in morphology_channels(without, without[3], 2)] == ["aVL", "I"]


class TestPiecewise:
    def test_small_reads_give_the_findings_of_large_ones(self, rec100: tuple) -> None:
        signals, _ = rec100
        spans: list[int] = []
        arrays = source(signals)

        def read(channel: int, first: int, stop: int) -> np.ndarray:
            spans.append(min(stop, len(signals["MLII"])) - first)
            return arrays.read(channel, first, stop)

        small = AnalysisConfig(chunk_s=45.0, qrs_chunk_s=45.0, quality_chunk_s=300.0)
        pieces = analyze(SampleSource(arrays.channels, read), conf=small)
        # Detection and classification: a chunk and its margins; quality: its own reads.
        assert max(spans) <= 300 * FS
        whole = analyze(
            arrays, conf=AnalysisConfig(chunk_s=4000.0, qrs_chunk_s=4000.0, quality_chunk_s=300.0)
        )
        assert np.array_equal(pieces.beats.samples, whole.beats.samples)
        assert pieces.beats.symbols == whole.beats.symbols
        assert np.array_equal(pieces.beats.clusters, whole.beats.clusters)
        assert pieces.rhythm == whole.rhythm and pieces.intervals == whole.intervals


class TestSharedFilter:
    def test_windows_cut_while_grading_quality_are_those_of_classification(
        self, rec100: tuple
    ) -> None:
        signals, beats = rec100
        arrays = source(signals)
        conf = AnalysisConfig(quality_chunk_s=300.0, chunk_s=120.0)
        morph = morphology_channels(arrays.channels, ecg_channel(arrays.channels), 2)
        read = mv_reader(arrays, morph)
        b = np.asarray(beats, dtype=np.int64)

        def report(fraction: float, message: str) -> None:
            pass

        shared = analysis.empty_windows(b, len(morph), FS, conf.beats)
        graded = analysis.grade_quality(read, morph, b, conf, report, shared)
        # All but the beats near the 5-min borders of the quality reads.
        assert 0.9 < (shared.centre >= 0).mean() < 1.0
        alone = analysis.grade_quality(read, morph, b, conf, report)
        assert graded == alone
        fresh = analysis.empty_windows(b, len(morph), FS, conf.beats)
        labels = analysis.classify(read, morph, b, conf, report, shared)
        expected = analysis.classify(read, morph, b, conf, report, fresh)
        np.testing.assert_array_equal(shared.centre, fresh.centre)
        np.testing.assert_allclose(shared.windows, fresh.windows, atol=1e-5)
        assert labels.symbols == expected.symbols
        assert np.array_equal(labels.clusters, expected.clusters)


class TestProgressAndFailures:
    def test_progress_grows_to_one(self, rec100: tuple) -> None:
        signals, _ = rec100
        seen: list[tuple[float, str]] = []
        analyze(
            source(signals),
            conf=AnalysisConfig(chunk_s=120.0, qrs_chunk_s=120.0),
            progress=lambda f, m: seen.append((f, m)),
        )
        fractions = [f for f, _ in seen]
        assert len(seen) > 10 and fractions == sorted(fractions)
        assert 0 < fractions[0] < 0.2 and fractions[-1] == pytest.approx(1.0)
        assert seen[0][1] == "detecting beats: 2:20 of 30:05"  # a chunk and its overlap
        assert seen[-1][1] == "intervals measured"

    @pytest.mark.parametrize(
        ("stage", "target"),
        [
            ("qrs", "qrs.detect_qrs_chunked"),
            ("beats", "label_windows"),
            ("rhythm", "rhythm_episodes"),
            ("intervals", "delineate"),
        ],
    )
    def test_a_failing_stage_is_named(
        self, rec100: tuple, monkeypatch: pytest.MonkeyPatch, stage: str, target: str
    ) -> None:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise ValueError("no good")

        module, _, name = target.rpartition(".")
        monkeypatch.setattr(getattr(analysis, module) if module else analysis, name, broken)
        signals, _ = rec100
        with pytest.raises(StageError) as failed:
            analyze(source({"MLII": signals["MLII"][: 60 * 360]}))
        assert failed.value.stage == stage and isinstance(failed.value.error, ValueError)


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
        r = analyze(source(signals), beats=messy)
        assert np.array_equal(r.beats.samples, beats)
