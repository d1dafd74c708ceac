"""Rhythm suggestions against synthetic records (whose rhythm the generator knows)
and against the reference rhythm annotations of MIT-BIH 106 (bigeminy).

With reference beat codes the tests score :func:`rhythm_episodes` alone; with codes of the
classifier they run the whole analysis (:func:`wavetag.signal.analysis.analyze`, what the
analysis job runs) on the reference beat positions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.analysis import analyze
from wavetag.signal.beats import classify_beats
from wavetag.signal.intervals import delineate
from wavetag.signal.leads import SampleSource
from wavetag.signal.rhythm import (
    RhythmEpisode,
    episodes_from_aux,
    overlap_samples,
    rhythm_episodes,
)
from wavetag.signal.synth import Episode, RecordSpec, SyntheticRecord, synthesize

FS = 360.0


def length(eps: list[RhythmEpisode], label: str) -> int:
    return sum(e.end - e.start for e in eps if e.label == label)


def reference_episodes(rec: SyntheticRecord) -> list[RhythmEpisode]:
    ann = rec.annotation_sets[0]
    plus = [i for i, s in enumerate(ann.symbol) if s == "+"]
    return episodes_from_aux(ann.sample[plus], [ann.aux_note[i] for i in plus], rec.n_samples)


@pytest.fixture(scope="module")
def holter() -> SyntheticRecord:
    spec = RecordSpec(
        "rhythm",
        900.0,
        FS,
        ("MLII", "V1"),
        seed=5,
        heart_rate=72.0,
        pvc_per_hour=30.0,
        pac_per_hour=20.0,
        episodes=(
            Episode("bigeminy", 100.0, 45.0),
            Episode("vt", 250.0, 5.0, rate=160.0),
            Episode("pause", 400.0, 2.6),
            Episode("afib", 500.0, 200.0, rate=110.0),
        ),
        fmt="212",
        ecg_gain=200.0,
    )
    return synthesize(spec)


def beats_of(rec: SyntheticRecord) -> tuple[np.ndarray, list[str]]:
    ann = rec.annotation_sets[0]
    keep = np.isin(ann.symbol, ["N", "V", "A"])
    return ann.sample[keep], [s for s, k in zip(ann.symbol, keep, strict=True) if k]


def analysed(x: np.ndarray, beats: np.ndarray, names: tuple[str, ...]) -> list[RhythmEpisode]:
    """The rhythm of the whole analysis of ``x`` (channels ``names``) on ``beats``."""
    x = x.reshape(len(x), -1)
    signals = {n: x[:, i] for i, n in enumerate(names)}
    return analyze(SampleSource.from_arrays(signals, {n: FS for n in names}), beats=beats).rhythm


class TestSyntheticHolter:
    @pytest.mark.parametrize("source", ["reference", "classified"])
    def test_episodes_match_the_generator(self, holter: SyntheticRecord, source: str) -> None:
        beats, symbols = beats_of(holter)
        x = holter.physical()
        if source == "classified":
            ours = analysed(x, beats, ("MLII", "V1"))
        else:
            ours = rhythm_episodes(beats, FS, symbols, holter.n_samples, signal=x)
        ref = reference_episodes(holter)
        for label in ("(B", "(VT", "(AFIB"):
            both = overlap_samples(ours, ref, label)
            assert both >= 0.9 * length(ref, label), label
            assert both >= 0.9 * length(ours, label), label
        pauses = [e for e in ours if e.label == "PAUSE"]
        assert len(pauses) == 1
        assert pauses[0].start / FS == pytest.approx(399.4, abs=1.0)
        assert (pauses[0].end - pauses[0].start) / FS == pytest.approx(2.6, abs=0.01)

    def test_rhythm_episodes_tile_the_record(self, holter: SyntheticRecord) -> None:
        beats, symbols = beats_of(holter)
        eps = [
            e for e in rhythm_episodes(beats, FS, symbols, holter.n_samples) if e.label != "PAUSE"
        ]
        assert eps[0].start == 0 and eps[-1].end == holter.n_samples
        assert all(a.end == b.start for a, b in zip(eps, eps[1:], strict=False))
        assert all(a.label != b.label for a, b in zip(eps, eps[1:], strict=False))

    def test_sinus_rates(self) -> None:
        spec = RecordSpec(
            "rates",
            600.0,
            FS,
            ("MLII",),
            seed=2,
            heart_rate=50.0,
            episodes=(Episode("tachy", 200.0, 300.0, rate=125.0),),
        )
        rec = synthesize(spec)
        beats, symbols = beats_of(rec)
        eps = rhythm_episodes(beats, FS, symbols, rec.n_samples)
        labels = [e.label for e in eps]
        assert "(SBR" in labels and "(SVTA" in labels
        tachy = [e for e in eps if e.label == "(SVTA"]
        # The plateau of the exertion ramp (about 275-425 s) is tachycardia.
        assert any(e.start / FS < 300 and e.end / FS > 400 for e in tachy)
        assert length(eps, "(AFIB") == 0

    @pytest.mark.parametrize("seed", [4, 6, 9])
    def test_sinus_with_ectopy_has_no_af(self, seed: int) -> None:
        spec = RecordSpec(
            "nsr", 600.0, FS, ("MLII",), seed=seed, heart_rate=75.0, pac_per_hour=60.0
        )
        rec = synthesize(spec)
        beats, _ = beats_of(rec)
        eps = analysed(rec.physical(), beats, ("MLII",))
        assert [e.label for e in eps] == ["(N"]

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_af_episode(self, seed: int) -> None:
        spec = RecordSpec(
            "af",
            400.0,
            FS,
            ("MLII", "V1"),
            seed=seed,
            heart_rate=70.0,
            pvc_per_hour=60.0,
            episodes=(Episode("afib", 100.0, 200.0, rate=float(80 + 20 * seed)),),
        )
        rec = synthesize(spec)
        beats, _ = beats_of(rec)
        ours = analysed(rec.physical(), beats, ("MLII", "V1"))
        ref = reference_episodes(rec)
        both = overlap_samples(ours, ref, "(AFIB")
        assert len([e for e in ours if e.label == "(AFIB"]) == 1
        assert both >= 0.9 * length(ref, "(AFIB") and both >= 0.9 * length(ours, "(AFIB")


def train(pattern: str, rr_s: float, v_coupling: float = 0.6) -> tuple[np.ndarray, list[str]]:
    """Beat times for a beat-code string: V beats come early, then a pause."""
    t, times = 1.0, []
    for i, s in enumerate(pattern):
        times.append(t)
        nxt = pattern[i + 1] if i + 1 < len(pattern) else "N"
        if nxt == "V" and s != "V":
            t += rr_s * v_coupling
        elif s == "V" and nxt != "V":
            t += rr_s * (2 - v_coupling)
        else:
            t += rr_s
    return np.round(np.array(times) * FS).astype(np.int64), list(pattern)


class TestPatterns:
    def test_trigeminy(self) -> None:
        beats, sym = train("N" * 20 + "NNV" * 6 + "N" * 20, 0.8)
        eps = rhythm_episodes(beats, FS, sym)
        tri = [e for e in eps if e.label == "(T"]
        assert len(tri) == 1
        assert tri[0].start == beats[20]

    def test_bigeminy_needs_three_cycles(self) -> None:
        beats, sym = train("N" * 20 + "NV" * 2 + "N" * 20, 0.8)
        assert all(e.label != "(B" for e in rhythm_episodes(beats, FS, sym))
        beats, sym = train("N" * 20 + "NV" * 3 + "N" * 20, 0.8)
        assert any(e.label == "(B" for e in rhythm_episodes(beats, FS, sym))

    def test_vt_and_slow_ventricular_run(self) -> None:
        fast, sym = train("N" * 20 + "VVVVV" + "N" * 20, 0.8, v_coupling=0.45)
        # Four RR intervals of 0.36 s inside the run: 167 bpm.
        fast[21:25] = fast[20] + np.arange(1, 5) * round(0.36 * FS)
        fast[25:] = fast[24] + round(1.2 * FS) + np.arange(20) * round(0.8 * FS)
        assert any(e.label == "(VT" for e in rhythm_episodes(fast, FS, sym))
        slow = np.arange(45) * round(0.8 * FS)  # 75 bpm, idioventricular
        assert any(e.label == "(IVR" for e in rhythm_episodes(slow, FS, sym))

    def test_two_vs_are_a_couplet_not_a_run(self) -> None:
        beats, sym = train("N" * 20 + "VV" + "N" * 20, 0.8)
        labels = {e.label for e in rhythm_episodes(beats, FS, sym)}
        assert "(VT" not in labels and "(IVR" not in labels

    def test_paced(self) -> None:
        beats = np.arange(60) * round(0.85 * FS)
        eps = rhythm_episodes(beats, FS, ["/"] * 60)
        assert [e.label for e in eps] == ["(P"]

    def test_empty(self) -> None:
        assert rhythm_episodes([], FS, []) == []


@pytest.fixture(scope="module")
def rec106(data_dir: Path) -> tuple[np.ndarray, np.ndarray, list[str], list]:
    path = str(data_dir / "mitdb" / "106")
    ann = wfdb.rdann(path, "atr")
    keep = np.isin(ann.symbol, list("NLRBAaJSVrFejnE/fQ"))
    plus = [i for i, s in enumerate(ann.symbol) if s == "+"]
    ref = episodes_from_aux(ann.sample[plus], [ann.aux_note[i] for i in plus], 650000)
    symbols = [s for s, k in zip(ann.symbol, keep, strict=True) if k]
    return wfdb.rdrecord(path).p_signal, ann.sample[keep], symbols, ref


class TestMitdb106:
    @pytest.mark.parametrize("source", ["reference", "classified"])
    def test_bigeminy_episodes(self, rec106: tuple, source: str) -> None:
        x, beats, symbols, ref = rec106
        if source == "classified":
            ours = analysed(x, beats, ("MLII", "V1"))
        else:
            ours = rhythm_episodes(beats, FS, symbols, len(x), signal=x)
        both = overlap_samples(ours, ref, "(B")
        se, pp = both / length(ref, "(B"), both / length(ours, "(B")
        print(
            f"\n106 bigeminy ({source} beat codes): {length(ref, '(B') / FS:.0f} s in the"
            f" reference, {length(ours, '(B') / FS:.0f} s suggested; Se {se:.3f} +P {pp:.3f}"
        )
        assert se >= 0.9 and pp >= 0.9
        assert overlap_samples(ours, ref, "(VT") > 0
        assert length(ours, "(AFIB") == 0


class TestPiecewisePWave:
    def test_a_p_wave_callback_gives_the_episodes_of_the_whole_signal(self) -> None:
        spec = RecordSpec(
            "af",
            400.0,
            FS,
            ("MLII", "V1"),
            seed=2,
            heart_rate=70.0,
            episodes=(Episode("afib", 100.0, 200.0, rate=120.0),),
        )
        rec = synthesize(spec)
        beats, _ = beats_of(rec)
        x = rec.physical()
        symbols = classify_beats(x, FS, beats).symbols
        whole = rhythm_episodes(beats, FS, symbols, rec.n_samples, signal=x)
        asked: list[int] = []

        def p_wave(run: np.ndarray) -> bool:
            # Only the run's stretch of signal, with a margin: what a piecewise reader has.
            asked.append(len(run))
            lo, hi = int(run[0]) - int(2 * FS), int(run[-1]) + int(2 * FS)
            return delineate(x[lo:hi], FS, run - lo).pr_ms is not None

        piecewise = rhythm_episodes(beats, FS, symbols, rec.n_samples, p_wave=p_wave)
        assert asked and piecewise == whole
        assert any(e.label == "(AFIB" for e in whole)
        # A P wave found everywhere vetoes every AF run: the callback decides.
        no_p = rhythm_episodes(beats, FS, symbols, rec.n_samples, p_wave=lambda run: True)
        assert all(e.label != "(AFIB" for e in no_p)
