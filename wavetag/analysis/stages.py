"""The steps of the automatic analysis, in order. Each is a small function over a context.

A run goes through ``STAGES`` one after another; each stage reads what the ones before
it left in the :class:`Context` and adds its own (beats, their labels, rhythm marks...).
Every stage reads the store a bounded piece at a time, so a 72-h Holter is analysed
in the memory of its beats (a classification window each), not of its samples.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from wavetag.signal import qrs
from wavetag.signal.analysis import distrust_noise
from wavetag.signal.beats import BeatConfig, BeatLabels, BeatWindows, beat_windows, label_windows
from wavetag.signal.intervals import HeartRateStats, Intervals, delineate, hr_stats
from wavetag.signal.quality import QualityConfig, SegmentQuality, segment_quality
from wavetag.signal.recording import ChannelInfo
from wavetag.signal.rhythm import RhythmEpisode, rhythm_episodes
from wavetag.signal.store import RecordStore, to_physical

# Progress within a stage, 0 to 1, and what it is doing.
Report = Callable[[float, str], None]


class AnalysisError(Exception):
    """A run cannot go on; the message is for the person who asked for it."""


@dataclass
class Mark:
    """An annotation that is not a beat: a rhythm change, a noise segment, a note."""

    sample: int
    symbol: str
    aux_note: str = ""


@dataclass
class Context:
    store: RecordStore
    channel: ChannelInfo  # the ECG channel analysed
    beats: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    symbols: list[str] = field(default_factory=list)  # one per beat
    marks: list[Mark] = field(default_factory=list)
    labels: BeatLabels | None = None
    quality: list[SegmentQuality] = field(default_factory=list)  # of the channel analysed
    quality_by_channel: dict[str, list[SegmentQuality]] = field(default_factory=dict)
    rhythm: list[RhythmEpisode] = field(default_factory=list)
    hr: HeartRateStats | None = None
    intervals: Intervals | None = None
    interval_window: tuple[int, int] = (0, 0)
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Context, Report], None]
    # Share of the run's time, for the progress bar.
    weight: float


_ECG_NAME = re.compile(
    r"^(ml)?(i{1,3}|avr|avl|avf|v[1-6]?|ecg\w*|ekg\w*|lead\w*|d[1-3])$", re.IGNORECASE
)
_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}


def ecg_channel(channels: list[ChannelInfo]) -> ChannelInfo:
    """The channel to detect beats in: the first ECG lead by name, else the first in mV.

    Microvolts alone do not make an ECG (EEG and EMG are in µV too).
    """
    for c in channels:
        if _ECG_NAME.match(c.name.strip().replace(" ", "")) and c.n_samples > 0:
            return c
    for c in channels:
        if c.units.strip().lower() == "mv" and c.n_samples > 0:
            return c
    names = ", ".join(c.name for c in channels) or "none"
    raise AnalysisError(f"the record has no ECG channel to detect beats in (channels: {names})")


# Seconds of signal per read: a 72-h record is detected in bounded memory, and the
# progress bar moves every few seconds of work.
CHUNK_SECONDS = 600.0


def detect_beats(ctx: Context, report: Report) -> None:
    """QRS detection over the whole channel, a bounded chunk at a time.

    The detector's own chunked reader gives exactly the beats of a whole-signal run
    (chunk borders neither lose nor double a beat); each read reports progress.
    """
    info = ctx.channel
    scale = _TO_MV.get(info.units.strip().lower(), 1.0)
    total = max(info.n_samples, 1)

    def read(first: int, stop: int) -> npt.NDArray[np.floating]:
        report(
            min(stop / total, 1.0),
            f"detecting beats: {_clock(stop / info.fs)} of {_clock(total / info.fs)}",
        )
        return to_physical(ctx.store.read_samples(info.index, first, stop), info) * scale

    ctx.beats = qrs.detect_qrs_chunked(read, info.n_samples, info.fs, chunk_s=CHUNK_SECONDS)
    report(1.0, f"{len(ctx.beats)} beats found")


def _clock(seconds: float) -> str:
    """``1:05:09`` or ``5:09``: where the detection is in the record."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# Seconds of signal a beat's classification window may need around a read: the
# band-pass filter settles within it, so pieces give the windows of a whole-signal run.
MARGIN_SECONDS = 10.0
# Quality is graded per 10-s segment from reads this long (a whole number of segments);
# a grade compares a segment with its neighbours within the read.
QUALITY_CHUNK_SECONDS = 1800.0
# An irregular run is not called AF when the median beat of its first half hour has a P wave.
AF_CHECK_SECONDS = 1800.0
# Intervals are measured on the median beat of this much clean signal.
INTERVAL_SECONDS = 120.0


# ECG channels whose beat shapes are compared (the analysed one first): a second lead
# tells a PVC or a paced beat from noise far better than one; each costs ~0.4 kB a beat.
MORPHOLOGY_CHANNELS = 2


def morphology_channels(ctx: Context) -> list[ChannelInfo]:
    """The analysed channel, then other ECG leads sampled like it, up to MORPHOLOGY_CHANNELS."""
    primary = ctx.channel
    out = [primary]
    for c in ctx.store.channels:
        if len(out) >= MORPHOLOGY_CHANNELS:
            break
        same = c.fs == primary.fs and c.n_samples == primary.n_samples
        if c.index != primary.index and same and _ECG_NAME.match(c.name.strip().replace(" ", "")):
            out.append(c)
    return out


def _reader(
    ctx: Context, channels: list[ChannelInfo]
) -> Callable[[int, int], npt.NDArray[np.float64]]:
    """Samples [first, stop) of ``channels`` in mV, shape (samples, channels)."""
    n = ctx.channel.n_samples

    def read(first: int, stop: int) -> npt.NDArray[np.float64]:
        first, stop = max(0, first), min(n, stop)
        cols = [
            to_physical(ctx.store.read_samples(c.index, first, stop), c)
            * _TO_MV.get(c.units.strip().lower(), 1.0)
            for c in channels
        ]
        return np.stack(cols, axis=1).astype(np.float64, copy=False)

    return read


def grade_quality(ctx: Context, report: Report) -> None:
    """Quality of every 10-s segment of each morphology channel, a bounded read at a time."""
    info, channels = ctx.channel, morphology_channels(ctx)
    read = _reader(ctx, channels)
    conf = QualityConfig()
    seg = max(1, round(conf.segment_s * info.fs))
    step = seg * max(1, round(QUALITY_CHUNK_SECONDS / conf.segment_s))
    out: dict[str, list[SegmentQuality]] = {c.name: [] for c in channels}
    for first in range(0, info.n_samples, step):
        stop = min(info.n_samples, first + step)
        a, z = np.searchsorted(ctx.beats, [first, stop])
        x = read(first, stop)
        for j, c in enumerate(channels):
            for q in segment_quality(x[:, j], info.fs, ctx.beats[a:z] - first, conf):
                q.start += first
                q.end += first
                out[c.name].append(q)
        report(stop / max(info.n_samples, 1), f"grading signal quality: {_clock(stop / info.fs)}")
    ctx.quality_by_channel = out
    ctx.quality = out[info.name]


def classify(ctx: Context, report: Report) -> None:
    """Beat codes and morphology clusters.

    1. Read the morphology channels a chunk at a time (with a margin either side) and
       keep only the classification window of each beat in it: memory grows with the
       beats, not the samples.
    2. Label all the windows at once (clusters span the whole record).
    3. A lone, on-time ``V`` where the signal reads badly becomes ``Q``.
    """
    info, channels = ctx.channel, morphology_channels(ctx)
    read = _reader(ctx, channels)
    conf = BeatConfig()
    chunk = max(1, round(CHUNK_SECONDS * info.fs))
    margin = round(MARGIN_SECONDS * info.fs)
    n = len(ctx.beats)
    length = round(conf.pre_s * info.fs) + round(conf.post_s * info.fs) + 1
    # Filled in place, chunk by chunk: the record's windows exist once, never twice.
    windows = BeatWindows(
        ctx.beats,
        np.zeros(n, np.int64),
        np.zeros((n, length, len(channels)), np.float32),
        np.zeros(n),
    )
    for first in range(0, max(info.n_samples, 1), chunk):
        stop = min(info.n_samples, first + chunk)
        a, z = np.searchsorted(ctx.beats, [first, stop])
        if z > a:
            lo = max(0, first - margin)
            part = beat_windows(read(lo, stop + margin), info.fs, ctx.beats[a:z] - lo, conf)
            windows.centre[a:z] = part.centre + lo
            windows.windows[a:z] = part.windows
            windows.spikes[a:z] = part.spikes
        report(0.8 * stop / max(info.n_samples, 1), f"classifying beats: {_clock(stop / info.fs)}")
    report(0.8, "grouping beats by shape")
    ctx.labels = label_windows(windows, info.fs, conf)
    del windows
    graded = list(ctx.quality_by_channel.values()) or [ctx.quality]
    distrust_noise(ctx.labels, ctx.beats, graded, conf.premature)
    ctx.symbols = list(ctx.labels.symbols)
    report(1.0, f"{len(ctx.symbols)} beats classified")


def find_rhythm(ctx: Context, report: Report) -> None:
    """Rhythm episodes from beat times and codes; each starts with a ``+`` mark. An
    irregular run with a P wave in its median beat is not AF.

    Narrow premature beats inside atrial fibrillation are the rhythm itself: ``A`` there
    becomes ``N``, as in :func:`wavetag.signal.analysis.analyze`.
    """
    fs = ctx.channel.fs
    read = _reader(ctx, morphology_channels(ctx))
    margin = round(2.0 * fs)  # a median-beat window and its filter edges

    def p_wave(run: npt.NDArray[np.int64]) -> bool:
        # The run's first half hour is read, never the whole of a day-long AF.
        run = run[run < run[0] + round(AF_CHECK_SECONDS * fs)]
        lo = max(0, int(run[0]) - margin)
        x = read(lo, int(run[-1]) + margin)
        return delineate(x, fs, run - lo).pr_ms is not None

    ctx.rhythm = rhythm_episodes(ctx.beats, fs, ctx.symbols, ctx.channel.n_samples, p_wave=p_wave)
    for ep in ctx.rhythm:
        if ep.label == "(AFIB":
            a, z = np.searchsorted(ctx.beats, [ep.start, ep.end])
            for i in range(int(a), int(z)):
                if ctx.symbols[i] == "A":
                    ctx.symbols[i] = "N"
    ctx.marks = [Mark(ep.start, "+", ep.label) for ep in ctx.rhythm if ep.label != "PAUSE"]
    report(1.0, f"{len(ctx.marks)} rhythm episodes")


def _clean_stretch(ctx: Context, seconds: float) -> tuple[int, int]:
    """The ``seconds`` of signal with the most segments graded A (the earliest such)."""
    n = ctx.channel.n_samples
    if not ctx.quality:
        return 0, min(n, round(seconds * ctx.channel.fs))
    seg = ctx.quality[0].end - ctx.quality[0].start
    k = max(1, round(seconds * ctx.channel.fs / max(seg, 1)))
    good = np.array([q.grade == "A" for q in ctx.quality], dtype=np.int64)
    sums = np.convolve(good, np.ones(min(k, len(good)), dtype=np.int64), mode="valid")
    i = int(np.argmax(sums))
    return ctx.quality[i].start, min(n, ctx.quality[i].start + k * seg)


def measure(ctx: Context, report: Report) -> None:
    """HR and RR statistics over the record; PR, QRS, QT, QTc on the median beat of its
    cleanest two minutes."""
    fs = ctx.channel.fs
    ctx.hr = hr_stats(ctx.beats, fs, ctx.symbols)
    first, stop = _clean_stretch(ctx, INTERVAL_SECONDS)
    a, z = np.searchsorted(ctx.beats, [first, stop])
    x = _reader(ctx, morphology_channels(ctx))(first, stop)
    ctx.intervals = delineate(x, fs, ctx.beats[a:z] - first, ctx.symbols[a:z])
    ctx.interval_window = (first, stop)
    report(1.0, "intervals measured")


STAGES: list[Stage] = [
    Stage("qrs", detect_beats, weight=0.6),
    Stage("quality", grade_quality, weight=0.1),
    Stage("beats", classify, weight=0.2),
    Stage("rhythm", find_rhythm, weight=0.05),
    Stage("intervals", measure, weight=0.05),
]
