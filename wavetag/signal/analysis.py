"""One call for the whole automatic analysis of an ECG record.

:func:`analyze` takes the channels, their sampling rates and the beat
positions (from the QRS detector or a human) and returns beat labels with
morphology clusters, heart-rate statistics, median-beat intervals, rhythm
episodes and per-segment signal quality, as one :class:`AnalysisResult` that
turns into plain lists and numbers for storage.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .beats import BeatConfig, BeatLabels, classify_beats
from .intervals import HeartRateStats, IntervalConfig, Intervals, delineate, hr_stats
from .quality import QualityConfig, SegmentQuality, segment_quality
from .rhythm import RhythmConfig, RhythmEpisode, rhythm_episodes


@dataclass(frozen=True)
class AnalysisConfig:
    """The tunables of every stage."""

    beats: BeatConfig = BeatConfig()
    intervals: IntervalConfig = IntervalConfig()
    rhythm: RhythmConfig = RhythmConfig()
    quality: QualityConfig = QualityConfig()


@dataclass
class AnalysisResult:
    """Everything :func:`analyze` found.

    Attributes
    ----------
    primary : str
        Channel whose samples the beat positions count.
    fs : float
        Its sampling frequency, Hz.
    morphology_channels : list of str
        Channels used for beat shapes and intervals (those sampled like the primary).
    beats : BeatLabels
        Beat codes, clusters, widths.
    hr : HeartRateStats
    intervals : Intervals
    rhythm : list of RhythmEpisode
        Episodes in the primary channel's samples.
    quality : dict of str -> list of SegmentQuality
        Per channel, in that channel's samples.
    timings_s : dict of str -> float
        Wall time of each stage, s.
    cpu_s : dict of str -> float
        Processor time of each stage (this process, all threads), s: what a
        stage costs when the machine is shared.
    """

    primary: str
    fs: float
    morphology_channels: list[str]
    beats: BeatLabels
    hr: HeartRateStats
    intervals: Intervals
    rhythm: list[RhythmEpisode]
    quality: dict[str, list[SegmentQuality]]
    timings_s: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Plain dicts, lists, strings and numbers (JSON-ready)."""
        return {
            "primary": self.primary,
            "fs": self.fs,
            "morphology_channels": list(self.morphology_channels),
            "beats": self.beats.to_dict(),
            "hr": self.hr.to_dict(),
            "intervals": self.intervals.to_dict(),
            "rhythm": [e.to_dict() for e in self.rhythm],
            "quality": {k: [s.to_dict() for s in v] for k, v in self.quality.items()},
            "timings_s": dict(self.timings_s),
            "cpu_s": dict(self.cpu_s),
        }


def analyze(
    signals_by_channel: Mapping[str, npt.ArrayLike],
    fs_by_channel: Mapping[str, float],
    beats: npt.ArrayLike,
    primary: str | None = None,
    conf: AnalysisConfig | None = None,
) -> AnalysisResult:
    """Analyse an ECG record from its channels and beat positions.

    Parameters
    ----------
    signals_by_channel : mapping of str to array_like of float
        ECG channels in mV, by name.
    fs_by_channel : mapping of str to float
        Sampling frequency of each channel, Hz.
    beats : array_like of int
        Beat (R-peak) positions in samples of the primary channel (sorted,
        duplicates and positions outside the record dropped).
    primary : str, optional
        The channel the beats refer to (default: the first one).
    conf : AnalysisConfig, optional

    Returns
    -------
    AnalysisResult

    Examples
    --------
    >>> import wfdb
    >>> rec = wfdb.rdrecord("mitdb/100")
    >>> beats = wfdb.processing.xqrs_detect(rec.p_signal[:, 0], rec.fs, verbose=False)
    >>> result = analyze(
    ...     {n: rec.p_signal[:, i] for i, n in enumerate(rec.sig_name)},
    ...     {n: rec.fs for n in rec.sig_name},
    ...     beats,
    ... )
    >>> [e.label for e in result.rhythm]
    ['(N']

    Notes
    -----
    1. Morphology channels: the primary and every channel with its sampling
       rate and length, stacked.
    2. Signal quality of every channel, with the beats rescaled to its rate.
    3. Beat codes and clusters (:func:`~wavetag.signal.beats.classify_beats`);
       a lone ``V`` that is not early, where no morphology channel is graded
       A, becomes ``Q`` (an artefact distorts a beat's shape, not its timing).
    4. Heart-rate statistics and median-beat intervals.
    5. Rhythm episodes; premature narrow beats inside atrial fibrillation
       are the rhythm itself, not atrial premature beats, so ``A`` becomes
       ``N`` there.
    """
    conf = conf or AnalysisConfig()
    if not signals_by_channel:
        raise ValueError("no channel to analyse")
    names = list(signals_by_channel)
    primary = primary or names[0]
    if primary not in signals_by_channel:
        raise ValueError(f"primary channel {primary!r} is not among the channels")
    missing = [n for n in names if n not in fs_by_channel]
    if missing:
        raise ValueError(f"no sampling frequency for channel(s) {missing}")
    fs = float(fs_by_channel[primary])
    arrays = {n: np.asarray(signals_by_channel[n], dtype=np.float64) for n in names}
    length = len(arrays[primary])
    morph = [n for n in names if fs_by_channel[n] == fs and len(arrays[n]) == length]
    x = np.stack([arrays[n] for n in morph], axis=1)
    # In order, once each, inside the record: what every stage assumes.
    b = np.unique(np.asarray(beats, dtype=np.int64))
    b = b[(b >= 0) & (b < length)]
    clock = _Clock()

    with clock("quality"):
        quality = {}
        for n in names:
            fs_n = float(fs_by_channel[n])
            b_n = b if fs_n == fs else np.round(b * (fs_n / fs)).astype(np.int64)
            quality[n] = segment_quality(arrays[n], fs_n, b_n, conf.quality)
    with clock("beats"):
        labels = classify_beats(x, fs, b, conf.beats)
        distrust_noise(labels, b, [quality[n] for n in morph], conf.beats.premature)
    with clock("intervals"):
        hr = hr_stats(b, fs, labels.symbols, conf.intervals)
        intervals = delineate(x, fs, b, labels.symbols, conf.intervals)
    with clock("rhythm"):
        rhythm = rhythm_episodes(b, fs, labels.symbols, length, x, conf.rhythm)
        for ep in rhythm:
            if ep.label == "(AFIB":
                a, z = np.searchsorted(b, [ep.start, ep.end])
                for i in range(int(a), int(z)):
                    if labels.symbols[i] == "A":
                        labels.symbols[i] = "N"
    return AnalysisResult(
        primary, fs, morph, labels, hr, intervals, rhythm, quality, clock.wall, clock.cpu
    )


def distrust_noise(
    labels: BeatLabels,
    beats: npt.NDArray[np.int64],
    quality: list[list[SegmentQuality]],
    premature: float,
) -> None:
    """Turn lone, on-time ``V`` beats into ``Q`` where no morphology channel reads well.

    An artefact that distorts one beat makes it look foreign (wide, unlike
    the dominant shape) while its timing stays sinus; a real PVC comes
    early, or in a run. Without a readable channel the shape cannot decide.
    """
    readable = np.zeros(len(beats), dtype=bool)
    for segs in quality:
        if not segs:
            continue
        starts = np.array([s.start for s in segs], dtype=np.int64)
        good = np.array([s.grade == "A" for s in segs])
        readable |= good[np.clip(np.searchsorted(starts, beats, side="right") - 1, 0, None)]
    sym = np.array(labels.symbols)
    v = sym == "V"
    lone = v & ~np.r_[False, v[:-1]] & ~np.r_[v[1:], False]
    suspect = lone & (labels.prematurity >= premature) & ~readable
    labels.symbols = np.where(suspect, "Q", sym).tolist()


class _Clock:
    """Wall and processor time per named stage."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        w, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[stage] = time.perf_counter() - w
            self.cpu[stage] = time.process_time() - c
