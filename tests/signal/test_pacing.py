"""Paced records at other sampling rates and through narrower recorders: the pacing spikes
are found from the slope of the raw signal over spans set in seconds, so a record resampled
from 360 Hz keeps its paced beats (``/``) and its paced rhythm (``(P``, never ``(IVR``); a
spike smeared by an analogue recorder's band limit (60-100 Hz), which passes the strict
spike tests in only some beats, still makes its cluster paced when a share of the beats
carry it at one delay before the QRS; records without a pacemaker get no ``/``, through the
same recorders.

The whole analysis runs as the job runs it, detecting the beats itself. 107 lies in the
tuning half of ``bench/bench_classes.py`` and 217 in its checking half: its paced beats are
mostly missed at every rate (a known gap, marked below), but its rhythm is still paced. 124
and 203 (tuning half, no pacemaker) are the records whose QRS notches come nearest to a
smeared spike.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import wfdb
from scipy.signal import resample_poly

from wavetag.signal.agreement import match_beats
from wavetag.signal.analysis import AnalysisResult, analyze
from wavetag.signal.beats import BeatConfig, paced_clusters
from wavetag.signal.leads import SampleSource
from wavetag.signal.rhythm import rhythm_episodes
from wavetag.signal.synth.recorder import recorded as recorder

BEAT_SYMBOLS = list("NLRBAaJSVrFejnE/fQ")
PACED = ("/", "f")
RECORDS = {"107": "mitdb/107", "217": "mitdb-ds1/217"}
RATES = (400, 500)


def paced_se(result: AnalysisResult, ref: np.ndarray, symbols: list[str]) -> float:
    """Paced beats (reference ``/`` or ``f``) the analysis calls ``/``, of all of them
    (missed beats count against it)."""
    m = match_beats(ref, result.beats.samples, result.fs)
    found = result.beats.symbols
    tp = sum(1 for i, j in m.pairs.tolist() if symbols[i] in PACED and found[j] == "/")
    return tp / sum(s in PACED for s in symbols)


def analyse(x: np.ndarray, names: list[str], fs: float) -> AnalysisResult:
    return analyze(
        SampleSource.from_arrays(
            {n: x[:, i] for i, n in enumerate(names)}, {n: float(fs) for n in names}
        )
    )


# (rate Hz, band limit Hz, noise mV): 107 through narrower recorders.
RECORDERS = [(250, 60, 0.0), (250, 100, 0.0), (500, 60, 0.0), (1000, 60, 0.0), (500, 60, 0.03)]


@pytest.fixture(scope="module")
def recorded(data_dir: Path) -> dict[tuple[int, int, float], tuple[AnalysisResult, float]]:
    """107 through each recorder of :data:`RECORDERS`: the analysis, paced Se."""
    rec = wfdb.rdrecord(str(data_dir / RECORDS["107"]))
    ann = wfdb.rdann(str(data_dir / RECORDS["107"]), "atr")
    keep = np.isin(ann.symbol, BEAT_SYMBOLS)
    symbols = [s for s, k in zip(ann.symbol, keep, strict=True) if k]
    out = {}
    for rate, band, noise in RECORDERS:
        r = analyse(
            recorder(rec.p_signal, rec.fs, rate, band_hz=band, noise_mv=noise), rec.sig_name, rate
        )
        ref = np.round(ann.sample[keep] * rate / rec.fs).astype(np.int64)
        out[rate, band, noise] = (r, paced_se(r, ref, symbols))
    return out


class TestPacingThroughNarrowerRecorders:
    @pytest.mark.parametrize("recording", RECORDERS)
    def test_107_paced_beats(self, recorded: dict, recording: tuple[int, int, float]) -> None:
        r, se = recorded[recording]
        print(f"\n107 {recording}: paced Se {se:.4f}, {dict(Counter(r.beats.symbols))}")
        assert se >= 0.95

    @pytest.mark.parametrize("record", ["124", "203"])
    @pytest.mark.parametrize(
        "recording", [(360, None, 0.0), (250, 60, 0.0), (500, 40, 0.0), (1000, None, 0.0)]
    )
    def test_no_pacing_without_a_pacemaker(
        self, data_dir: Path, record: str, recording: tuple[int, int | None, float]
    ) -> None:
        rec = wfdb.rdrecord(str(data_dir / "mitdb-ds1" / record))
        rate, band, noise = recording
        x = recorder(np.nan_to_num(rec.p_signal), rec.fs, rate, band_hz=band, noise_mv=noise)
        symbols = analyse(x, rec.sig_name, rate).beats.symbols
        assert symbols.count("/") == 0

    @pytest.mark.parametrize("gain", [0.5, 2.0])
    def test_no_pacing_at_another_gain(self, data_dir: Path, gain: float) -> None:
        # A spike is a slope in mV/s: a larger QRS makes steeper notches, not a pacemaker.
        rec = wfdb.rdrecord(str(data_dir / "mitdb-ds1" / "203"))
        x = gain * np.nan_to_num(rec.p_signal)
        symbols = analyse(x, rec.sig_name, rec.fs).beats.symbols
        assert symbols.count("/") == 0 and symbols.count("V") > 400


def spikes_of(
    n: int, strict_share: float, soft_share: float, delay_s: float, jitter_s: float
) -> np.ndarray:
    """:func:`pacing_spikes`-like rows for a cluster of ``n`` beats: the first shares
    pass the strict (40 mV/s) and the lenient (20 mV/s) test, at ``delay_s`` give or
    take up to ``jitter_s`` (evenly spread)."""
    out = np.zeros((n, 3))
    out[:, 2] = np.nan
    soft = round(soft_share * n)
    out[:soft, 1] = 20.0
    out[:soft, 2] = delay_s + np.linspace(-jitter_s, jitter_s, soft)
    out[: round(strict_share * n), 0] = 40.0
    return out


class TestPacedClusters:
    """The cluster rule alone, on spikes given as :func:`pacing_spikes` gives them."""

    def judge(self, *clusters: tuple[np.ndarray, bool]) -> list[bool]:
        spikes = np.concatenate([c for c, _ in clusters])
        labels = np.concatenate([np.full(len(c), k) for k, (c, _) in enumerate(clusters)])
        sizes = np.array([len(c) for c, _ in clusters])
        wide = np.array([w for _, w in clusters])
        return paced_clusters(spikes, labels, sizes, wide, 360.0, BeatConfig()).tolist()

    def test_median_spike(self) -> None:
        assert self.judge((spikes_of(100, 0.6, 0.6, -0.02, 0.0), True)) == [True]

    def test_a_share_at_one_delay(self) -> None:
        assert self.judge((spikes_of(100, 0.15, 0.6, -0.02, 0.002), True)) == [True]

    def test_a_share_anywhere_is_noise(self) -> None:
        assert self.judge((spikes_of(100, 0.15, 0.6, -0.05, 0.04), True)) == [False]

    def test_lenient_spikes_alone_are_a_notch(self) -> None:
        # An initial r wave of a wide QRS: lenient at one delay, never strict.
        assert self.judge((spikes_of(100, 0.0, 0.8, -0.03, 0.002), True)) == [False]

    def test_a_narrow_cluster_of_spiky_beats_is_no_pacemaker(self) -> None:
        # MIT-BIH 203 at twice its gain: 12 narrow beats whose median passes the strict
        # test made the record paced, and 221 beats of it /.
        spiky = (spikes_of(12, 0.6, 0.6, -0.02, 0.002), False)
        assert self.judge(spiky) == [False]
        # In a record with a wide paced cluster it is that pacemaker's (fusion).
        paced = (spikes_of(100, 0.6, 0.6, -0.02, 0.002), True)
        assert self.judge(paced, spiky) == [True, True]

    def test_two_spikes_in_fifteen_beats_are_too_few(self) -> None:
        # A noisy record's artefacts at the start of a wide QRS (MIT-BIH 203 at 1000 Hz).
        few = spikes_of(15, 2 / 15, 0.6, -0.02, 0.002)
        assert self.judge((few, True)) == [False]
        # Where a pacemaker is seen, a small cluster's shares are enough.
        paced = (spikes_of(100, 0.6, 0.6, -0.02, 0.002), True)
        assert self.judge(paced, (few, True)) == [True, True]

    def test_narrow_cluster_is_not_paced_from_a_share(self) -> None:
        assert self.judge((spikes_of(100, 0.15, 0.6, -0.02, 0.002), False)) == [False]

    def test_a_paced_cluster_vouches_for_one_at_its_delay(self) -> None:
        paced = (spikes_of(100, 0.6, 0.6, -0.02, 0.002), True)
        assert self.judge(paced, (spikes_of(50, 0.0, 0.3, -0.022, 0.002), True)) == [True, True]
        assert self.judge(paced, (spikes_of(50, 0.0, 0.3, -0.06, 0.002), True)) == [True, False]
        assert self.judge((spikes_of(50, 0.0, 0.3, -0.022, 0.002), True)) == [False]


@pytest.fixture(scope="module")
def resampled(data_dir: Path) -> dict[tuple[str, int], tuple[AnalysisResult, float]]:
    """(record, rate) -> the analysis of the record resampled to that rate, paced Se."""
    out = {}
    for name, path in RECORDS.items():
        rec = wfdb.rdrecord(str(data_dir / path))
        ann = wfdb.rdann(str(data_dir / path), "atr")
        keep = np.isin(ann.symbol, BEAT_SYMBOLS)
        symbols = [s for s, k in zip(ann.symbol, keep, strict=True) if k]
        for fs in RATES:
            q = Fraction(fs) / Fraction(rec.fs)
            x = resample_poly(rec.p_signal, q.numerator, q.denominator, axis=0)
            source = SampleSource.from_arrays(
                {n: x[:, i] for i, n in enumerate(rec.sig_name)},
                {n: float(fs) for n in rec.sig_name},
            )
            r = analyze(source)
            ref = np.round(ann.sample[keep] * float(q)).astype(np.int64)
            out[name, fs] = (r, paced_se(r, ref, symbols))
    return out


class TestPacingAtOtherRates:
    @pytest.mark.parametrize("fs", RATES)
    def test_107_paced_beats(self, resampled: dict, fs: int) -> None:
        r, se = resampled["107", fs]
        print(f"\n107 at {fs} Hz: paced Se {se:.4f}, {dict(Counter(r.beats.symbols))}")
        assert se >= 0.95
        n_paced = r.beats.symbols.count("/")
        assert n_paced >= 0.95 * len(r.beats.symbols) - 80  # PVCs and fusion beats aside

    @pytest.mark.parametrize("record", RECORDS)
    @pytest.mark.parametrize("fs", RATES)
    def test_paced_rhythm_never_idioventricular(
        self, resampled: dict, record: str, fs: int
    ) -> None:
        r, _ = resampled[record, fs]
        labels = Counter(e.label for e in r.rhythm)
        print(f"\n{record} at {fs} Hz: {dict(labels)}")
        assert labels["(P"] >= 1 and labels["(IVR"] == 0

    @pytest.mark.xfail(
        strict=True,
        reason="217 (checking half): its spikes are found in too few beats of its paced "
        "clusters, whose beats stay N or V; not tuned on, see bench/RESULTS.md",
    )
    @pytest.mark.parametrize("fs", RATES)
    def test_217_paced_beats(self, resampled: dict, fs: int) -> None:
        _, se = resampled["217", fs]
        print(f"\n217 at {fs} Hz: paced Se {se:.4f}")
        assert se >= 0.95


class TestPacedRhythm:
    def test_slow_wide_run_in_a_paced_record_is_paced(self) -> None:
        beats = np.arange(40) * 400  # 54/min at 360 Hz
        paced = ["/"] * 20 + ["V"] * 10 + ["/"] * 10
        labels = {e.label for e in rhythm_episodes(beats, 360.0, paced)}
        assert "(P" in labels and "(IVR" not in labels

    def test_without_a_pacemaker_it_stays_idioventricular(self) -> None:
        beats = np.arange(40) * 400
        sinus = ["N"] * 20 + ["V"] * 10 + ["N"] * 10
        assert "(IVR" in {e.label for e in rhythm_episodes(beats, 360.0, sinus)}
