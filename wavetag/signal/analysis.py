"""The automatic analysis of an ECG record, in one pipeline, reading the record piecewise.

:func:`analyze` detects the beats (or takes them), grades signal quality, labels the
beats with morphology clusters, suggests rhythm episodes and measures heart rate and
intervals, and returns one :class:`AnalysisResult`. It reads the record through a
:class:`~wavetag.signal.leads.SampleSource`, a bounded piece at a time, so that a 72-h
Holter is analysed in the memory of its beats (a classification window each), not of its
samples. The analysis job runs it on the waveform store; tests and benchmarks run it on
arrays in memory: the same code, so that what is scored is what users see.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from . import qrs
from .allocator import reuse_freed_memory
from .atrial import FlutterWaves, atrial_consistency, flutter_waves
from .beats import BeatConfig, BeatLabels, BeatWindows, bandpass, beat_windows, label_windows
from .intervals import HeartRateStats, IntervalConfig, Intervals, delineate, hr_stats
from .leads import (
    SampleSource,
    analysed_channel,
    choose_lead,
    morphology_channels,
    mv_reader,
    to_mv,
)
from .pulse import pulsed_pauses
from .qrs_features import QRSConfig
from .quality import (
    BAND_HZ,
    WANDER,
    QualityConfig,
    SegmentQuality,
    poor_beats,
    poor_spans,
    segment_quality,
)
from .recording import ChannelInfo
from .rhythm import (
    AFIB,
    AFL,
    SVTA,
    RhythmConfig,
    RhythmEpisode,
    irregular_run,
    rhythm_episodes,
)
from .statements import Statement, StatementConfig, record_statements
from .vocabulary import PAUSE, RHYTHM_CHANGE

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# Progress of the whole analysis, 0 to 1, and what it is doing.
Progress = Callable[[float, str], None]
Report = Callable[[float, str], None]  # the same, within one stage

# The stages in order, with their share of the time (for the progress bar).
STAGES: tuple[tuple[str, float], ...] = (
    ("qrs", 0.6),
    ("quality", 0.1),
    ("beats", 0.2),
    ("rhythm", 0.05),
    ("intervals", 0.05),
)


@dataclass(frozen=True)
class AnalysisConfig:
    """The tunables of every stage, and how much of the record each read takes.

    Attributes
    ----------
    qrs, quality, beats, rhythm, intervals
        Tunables of the QRS detector and of each stage.
    chunk_s : float
        Seconds of signal per read for beat classification: a 72-h record is read in
        bounded memory, and the progress bar moves every few seconds of work.
    qrs_chunk_s : float
        Seconds of the analysed channel per read for beat detection. Each read takes
        20 s of context either side for the filters, filtered and searched again:
        7 % more work with 10-min reads, 2 % with 30-min ones (a few tens of MB of
        work arrays at 400 Hz, well under the peak of the later stages). The beats do
        not depend on it (the detector's chunks give the beats of a whole-signal run).
    margin_s : float
        Seconds read on either side of a classification chunk: the band-pass filter
        settles within it, so pieces give the windows of a whole-signal run.
    quality_chunk_s : float
        Seconds per read for quality grading (rounded to whole segments); a grade
        compares a segment with its neighbours within the read.
    af_check_s : float
        An irregular run is not called AF when the median beat of its first this many
        seconds has a P wave (a day-long AF is not read whole for it).
    interval_s : float
        Intervals are measured on the median beat of this much clean signal.
    morphology_channels : int
        ECG channels whose beat shapes are compared (the analysed one first).
    channel : int or str, optional
        Index or name of the channel to detect beats in, analysed whatever its name;
        by default the ECG lead where the QRS is detected best
        (:func:`~wavetag.signal.leads.choose_lead`).
    lead_sample_s : float
        Seconds of each ECG lead read to choose the default lead (0: the first ECG lead
        by name, else the first channel in mV).
    """

    qrs: QRSConfig = QRSConfig()
    quality: QualityConfig = QualityConfig()
    beats: BeatConfig = BeatConfig()
    rhythm: RhythmConfig = RhythmConfig()
    intervals: IntervalConfig = IntervalConfig()
    statements: StatementConfig = StatementConfig()
    chunk_s: float = 600.0
    qrs_chunk_s: float = 1800.0
    margin_s: float = 10.0
    quality_chunk_s: float = 1800.0
    af_check_s: float = 1800.0
    interval_s: float = 120.0
    morphology_channels: int = 2
    channel: int | str | None = None
    lead_sample_s: float = 120.0


@dataclass
class AnalysisResult:
    """Everything :func:`analyze` found.

    Attributes
    ----------
    channel : ChannelInfo
        The ECG channel analysed: the beats count its samples.
    morphology_channels : list of str
        Channels used for beat shapes, quality and intervals (the analysed one first).
    beats : BeatLabels
        Beat positions, codes, clusters, widths.
    quality : dict of int -> list of SegmentQuality
        Per morphology channel, by channel index (two channels may share a name).
    rhythm : list of RhythmEpisode
        Episodes, then pauses, in samples.
    hr : HeartRateStats
    intervals : Intervals
        Measured on the median beat of ``interval_window``.
    interval_window : (int, int)
        The cleanest stretch of the record, samples [first, stop).
    timings_s, cpu_s : dict of str -> float
        Wall and processor time (this process, all threads) of each stage, s.
    statements : list of Statement
        Diagnostic statements of ``interval_window`` (12-lead and fewer).
    """

    channel: ChannelInfo
    morphology_channels: list[str]
    beats: BeatLabels
    quality: dict[int, list[SegmentQuality]]
    rhythm: list[RhythmEpisode]
    hr: HeartRateStats
    intervals: Intervals
    interval_window: tuple[int, int]
    timings_s: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)

    @property
    def primary(self) -> str:
        return self.channel.name

    @property
    def fs(self) -> float:
        return self.channel.fs

    @property
    def n_samples(self) -> int:
        return self.channel.n_samples

    def rhythm_changes(self) -> list[tuple[int, str, str]]:
        """(sample, symbol, aux note) of a rhythm-change annotation at each episode's
        start; pauses are events, not rhythms, and get none."""
        return [(e.start, RHYTHM_CHANGE, e.label) for e in self.rhythm if e.label != PAUSE]

    def to_dict(self) -> dict[str, object]:
        """Plain dicts, lists, strings and numbers (JSON-ready)."""
        return {
            "primary": self.primary,
            "fs": self.fs,
            "n_samples": self.n_samples,
            "morphology_channels": list(self.morphology_channels),
            "beats": self.beats.to_dict(),
            "hr": self.hr.to_dict(),
            "intervals": self.intervals.to_dict(),
            "interval_window": list(self.interval_window),
            "rhythm": [e.to_dict() for e in self.rhythm],
            "quality": {str(k): [s.to_dict() for s in v] for k, v in self.quality.items()},
            "timings_s": dict(self.timings_s),
            "cpu_s": dict(self.cpu_s),
            "statements": [x.to_dict() for x in self.statements],
        }


class StageError(Exception):
    """A stage of the analysis failed: ``stage`` names it, ``error`` is what it raised."""

    def __init__(self, stage: str, error: Exception) -> None:
        super().__init__(f"the {stage} stage failed: {type(error).__name__}: {error}")
        self.stage = stage
        self.error = error


def analyze(
    source: SampleSource,
    *,
    beats: npt.ArrayLike | None = None,
    conf: AnalysisConfig | None = None,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Analyse the ECG of a record, reading it a bounded piece at a time.

    Parameters
    ----------
    source : SampleSource
        The record's channels and their reader (the store, or arrays in memory).
    beats : array_like of int, optional
        Beat (R-peak) positions in samples of the analysed channel, to use instead of
        detecting them (sorted, duplicates and positions outside the record dropped).
    conf : AnalysisConfig, optional
    progress : callable ``progress(fraction, message)``, optional
        Told how far the whole analysis is (0 to 1) and what it is doing, every read.

    Returns
    -------
    AnalysisResult

    Raises
    ------
    AnalysisError
        If the record has no ECG channel.
    StageError
        If a stage raised; its ``error`` is what it raised.

    Examples
    --------
    >>> import wfdb
    >>> rec = wfdb.rdrecord("mitdb/100")
    >>> source = SampleSource.from_arrays(
    ...     {n: rec.p_signal[:, i] for i, n in enumerate(rec.sig_name)},
    ...     {n: rec.fs for n in rec.sig_name},
    ... )
    >>> [e.label for e in analyze(source).rhythm]
    ['(N']

    Notes
    -----
    1. **Channels**: beats are detected in ``conf.channel`` when given (an index or a
       name), else in the ECG lead where a bounded sample of the leads finds the QRS
       best (:func:`pick_channel`); beat shapes, quality
       and intervals use it and up to ``morphology_channels - 1`` other ECG leads
       sampled like it.
    2. **qrs**: :func:`~wavetag.signal.qrs.detect_qrs_chunked`, ``chunk_s`` at a time
       (or the given beats, cleaned).
    3. **quality**: every 10-s segment of each morphology channel graded A, B or C
       (:func:`grade_quality`); the classification windows of most beats are cut from
       the same read and band-pass (a 72-h record is read and filtered once for both).
       Where the analysed lead is graded C and another A or B, the beats are detected
       in that one, if they fit the rhythm around better (:func:`fill_from_other_leads`;
       not with given beats, nor when ``conf.channel`` names the channel).
    4. **beats**: codes and morphology clusters from each beat's window, the rest of
       them read around their beats (:func:`classify`); a lone, on-time ``V`` where no
       channel reads well becomes ``Q`` (:func:`distrust_noise`), and so does every ``V``
       in a segment of the analysed lead graded C.
    5. **rhythm**: episodes from beat times and codes (:func:`find_rhythm`); ``A``
       inside atrial fibrillation or flutter becomes ``N``, so does a ``V`` there whose
       shape is not plainly unlike the dominant beat's, and ``N`` inside a regular
       ``(SVTA`` becomes ``A``; no pause overlapping a C segment of the analysed lead,
       nor one through which a pleth or arterial-pressure channel keeps beating
       (:func:`~wavetag.signal.pulse.pulsed_pauses`).
    6. **intervals**: heart rate over the record, intervals on the median beat of its
       cleanest ``interval_s`` (:func:`measure`), with the codes of step 5.
    """
    conf = conf or AnalysisConfig()
    # Chunk after chunk reuses the heap instead of faulting in fresh pages (see allocator).
    reuse_freed_memory()
    primary = pick_channel(source, conf)
    morph = morphology_channels(source.channels, primary, conf.morphology_channels)
    read = mv_reader(source, morph)
    # Quality grades one channel at a time (filters, percentiles, medians of its column):
    # its reads keep each channel contiguous.
    read_columns = mv_reader(source, morph, channel_major=True)
    stage = _Stages(progress)

    with stage("qrs") as report:
        b = detect_beats(source, primary, conf, report) if beats is None else clean(beats, primary)
    windows = empty_windows(b, len(morph), morph[0].fs, conf.beats)
    with stage("quality") as report:
        quality = grade_quality(read_columns, morph, b, conf, report, windows)
        if beats is None and conf.channel is None:
            # Where the analysed lead is unreadable and another is not, that one's beats
            # (not when the run names its channel: then the beats are that channel's).
            filled = fill_from_other_leads(source, primary, morph, b, quality, conf)
            if len(filled) != len(b) or not np.array_equal(filled, b):
                windows = carried_windows(windows, b, filled)
                b = filled
    with stage("beats") as report:
        labels = classify(read, morph, b, conf, report, windows)
        del windows  # used up by the labelling: its memory (256 MB for 72 h) goes now
        distrust_noise(labels, b, list(quality.values()), conf.beats.premature)
        # An unreadable stretch of the analysed lead gives no PVC counts (nor VT from them).
        v_poor = poor_beats(quality[primary.index], b) & (np.array(labels.symbols) == "V")
        labels.symbols = np.where(v_poor, "Q", labels.symbols).tolist()
        report(1.0, f"{len(labels.symbols)} beats classified")
    with stage("rhythm") as report:
        rhythm = find_rhythm(read, primary, labels, conf, report)
        # Beats missed in an unreadable stretch are no pause.
        poor = poor_spans(quality[primary.index])
        rhythm = [e for e in rhythm if e.label != PAUSE or not _overlaps(e, poor)]
        # Nor is an ECG gap that the pleth or the arterial line beats through.
        beating = pulsed_pauses(source, primary, rhythm, conf.rhythm.pause_s)
        rhythm = [e for e in rhythm if e not in beating]
    with stage("intervals") as report:
        # Every ECG lead sampled like the analysed one: a bundle branch block widens the
        # QRS in some leads only, and the statements read each lead by name.
        leads = morphology_channels(source.channels, primary, len(source.channels))
        read_all = mv_reader(source, leads)
        hr, intervals, window = measure(read_all, primary, labels, quality[primary.index], conf)
        said = describe(read_all, leads, labels, rhythm, intervals, window, conf)
        report(1.0, "intervals measured")
    return AnalysisResult(
        primary,
        [c.name for c in morph],
        labels,
        quality,
        rhythm,
        hr,
        intervals,
        window,
        stage.wall,
        stage.cpu,
        said,
    )


def pick_channel(source: SampleSource, conf: AnalysisConfig) -> ChannelInfo:
    """The channel to detect beats in: ``conf.channel`` (an index or a name) when given,
    else the ECG lead whose beats the other leads confirm best, from ``lead_sample_s`` of
    each (:func:`~wavetag.signal.leads.choose_lead`; the job calls this to name the
    channel on the run before the analysis starts).

    Raises
    ------
    AnalysisError
        If the named channel is not the record's, or no channel is an ECG.
    """
    if conf.channel is not None or conf.lead_sample_s <= 0:
        return analysed_channel(source.channels, conf.channel)

    def detect(x: F64, fs: float) -> I64:
        return qrs.detect_qrs(x, fs, config=conf.qrs)

    return choose_lead(source, detect, sample_s=conf.lead_sample_s)


def clean(beats: npt.ArrayLike, channel: ChannelInfo) -> I64:
    """In order, once each, inside the record: what every stage assumes."""
    b = np.unique(np.asarray(beats, dtype=np.int64))
    return b[(b >= 0) & (b < channel.n_samples)]


def detect_beats(
    source: SampleSource, channel: ChannelInfo, conf: AnalysisConfig, report: Report
) -> I64:
    """QRS detection over the whole channel, ``qrs_chunk_s`` at a time.

    The detector's own chunked reader gives exactly the beats of a whole-signal run
    (chunk borders neither lose nor double a beat); each read reports progress.
    """
    scale = to_mv(channel)
    total = max(channel.n_samples, 1)

    def read(first: int, stop: int) -> F64:
        report(
            min(stop / total, 1.0),
            f"detecting beats: {_clock(stop / channel.fs)} of {_clock(total / channel.fs)}",
        )
        # A product, so a copy: the detector never works on the caller's array.
        return np.asarray(source.read(channel.index, first, stop), dtype=np.float64) * scale

    beats = qrs.detect_qrs_chunked(
        read, channel.n_samples, channel.fs, config=conf.qrs, chunk_s=conf.qrs_chunk_s
    )
    report(1.0, f"{len(beats)} beats found")
    return beats


def fill_from_other_leads(
    source: SampleSource,
    primary: ChannelInfo,
    morph: list[ChannelInfo],
    beats: I64,
    quality: dict[int, list[SegmentQuality]],
    conf: AnalysisConfig,
) -> I64:
    """The beats, with those of each stretch where the analysed lead is graded C and
    another morphology lead A or B detected in that lead instead.

    A lead that falls off or is swamped for a minute (a Holter electrode, a patient
    turning over) leaves the beats another lead still shows; a cardiologist reads them
    there. The other lead is read with ``margin_s`` either side, so that the detector's
    levels settle before the stretch; a beat it finds within the detector's
    ``refractory_s`` of a beat kept outside the stretch is that beat, seen in the other
    lead. Its beats are taken only where they fit the rhythm around the stretch better
    than the analysed lead's (fewer intervals too short or too long for it: a lead graded
    A or B can be noisy too).

    Returns ``beats`` itself when no stretch qualifies.
    """
    prim = quality.get(primary.index, [])
    # The morphology leads are sampled like the analysed one (same rate and length), so
    # their segments line up with its own.
    others = [c for c in morph if c.index != primary.index]
    if not others or not any(q.grade == "C" for q in prim):
        return beats
    # Per unreadable segment of the analysed lead, the first other lead graded A there,
    # else the first graded B; consecutive segments with one choice make one stretch.
    stretches: list[tuple[int, int, ChannelInfo]] = []
    for k, q in enumerate(prim):
        if q.grade != "C":
            continue
        graded = [
            (c, quality[c.index][k].grade if k < len(quality[c.index]) else "C") for c in others
        ]
        best = next((c for want in "AB" for c, g in graded if g == want), None)
        if best is None:
            continue
        if stretches and stretches[-1][1] == q.start and stretches[-1][2] is best:
            stretches[-1] = (stretches[-1][0], q.end, best)
        else:
            stretches.append((q.start, q.end, best))
    if not stretches:
        return beats
    fs, n = primary.fs, primary.n_samples
    pad = round(conf.margin_s * fs)
    near = round(conf.qrs.refractory_s * fs)
    # Each stretch judged against the analysed lead's own beats around it; the beats taken
    # are spliced in once, at the end (a day of noisy segments makes many stretches).
    pieces: list[I64] = []
    last = 0
    for start, end, c in stretches:
        i0, i1, j0, j1 = np.searchsorted(beats, [start, end, start - pad, end + pad])
        around = np.concatenate([np.diff(beats[j0:i0]), np.diff(beats[i1:j1])])
        if len(around) < 4:
            continue
        usual = float(np.median(around))
        lo, hi = max(0, start - pad), min(n, end + pad)

        def read(first: int, stop: int, c: ChannelInfo = c, lo: int = lo) -> F64:
            return np.asarray(source.read(c.index, lo + first, lo + stop), np.float64) * to_mv(c)

        # Read piecewise, as the analysed lead is: a lead may be off for hours.
        got = lo + qrs.detect_qrs_chunked(
            read, hi - lo, fs, config=conf.qrs, chunk_s=conf.qrs_chunk_s
        )
        got = got[(got >= start) & (got < end)]
        ends = (beats[max(0, i0 - 1) : i0], beats[i1 : i1 + 1])
        edges = np.concatenate(ends)
        if len(edges) and len(got):
            got = got[np.min(np.abs(got[:, None] - edges[None, :]), axis=1) > near]
        if _odd_intervals(got, ends, usual) < _odd_intervals(beats[i0:i1], ends, usual):
            pieces += [beats[last:i0], got]
            last = i1
    if not pieces:
        return beats
    return np.concatenate([*pieces, beats[last:]]).astype(np.int64)


def _odd_intervals(run: I64, ends: tuple[I64, I64], usual: float) -> int:
    """Beats a run seems to miss or to hold too many, with the beats either side of it:
    each interval under 0.6 of the ``usual`` one counts one, each over 1.5 of it the
    beats that would fit in it."""
    rr = np.diff(np.concatenate([ends[0], run, ends[1]])).astype(np.float64) / usual
    return int(np.sum(rr < 0.6) + np.sum(np.maximum(np.round(rr[rr > 1.5]) - 1, 1)))


def carried_windows(windows: BeatWindows, old: I64, new: I64) -> BeatWindows:
    """``windows`` of the beats ``old``, rearranged in place for the beats ``new``: the
    windows of beats in both carried over, those of new beats left for :func:`classify`
    to cut (``centre`` -1).

    In place, within the spare rows :func:`empty_windows` leaves (rows moved in bounded
    blocks): a 72-h record's windows take 256 MB, and a copy would raise the analysis's
    peak by that much for a few beats filled in. More new beats than spare rows are
    copied.
    """
    n_old, n_new = len(old), len(new)
    at = np.minimum(np.searchsorted(old, new), max(n_old - 1, 0))
    src = np.where(old[at] == new, at, -1) if n_old else np.full(n_new, -1, np.int64)
    rows = np.arange(n_new)
    forward = np.flatnonzero((src >= 0) & (src > rows))
    backward = np.flatnonzero((src >= 0) & (src < rows))[::-1]
    for name in ("centre", "windows", "spikes", "before"):
        arr = getattr(windows, name)
        base = arr.base if isinstance(arr.base, np.ndarray) else arr
        if base.shape[1:] != arr.shape[1:] or base.shape[0] < max(n_old, n_new):
            base = np.concatenate(
                [arr, np.zeros((max(0, n_new - n_old), *arr.shape[1:]), arr.dtype)]
            )
        # Rows moving towards the start first, in order, then those moving towards the
        # end, from the end: no row is written before it is read.
        for dst in (forward, backward):
            for i in range(0, len(dst), 4096):
                block = dst[i : i + 4096]
                base[block] = base[src[block]]
        setattr(windows, name, base[:n_new])
    windows.centre[np.flatnonzero(src < 0)] = -1
    windows.samples = new
    return windows


def empty_windows(beats: I64, channels: int, fs: float, bc: BeatConfig) -> BeatWindows:
    """The classification windows of every beat, to be filled in place (``centre`` -1
    until a beat's window is cut)."""
    length = round(bc.pre_s * fs) + round(bc.post_s * fs) + 1
    n = len(beats)
    # A few spare rows behind each array (zeros: pages never touched cost nothing), for
    # beats another lead fills in (:func:`carried_windows`).
    spare = n + n // 100 + 16
    return BeatWindows(
        beats,
        np.full(spare, -1, np.int64)[:n],
        np.zeros((spare, length, channels), np.float32)[:n],
        np.zeros((spare, 3))[:n],
        np.zeros((spare, bc.p_points, channels), np.float32)[:n],
    )


def grade_quality(
    read: Callable[[int, int], F64],
    morph: list[ChannelInfo],
    beats: I64,
    conf: AnalysisConfig,
    report: Report,
    windows: BeatWindows | None = None,
) -> dict[int, list[SegmentQuality]]:
    """Quality of every 10-s segment of each morphology channel, by channel index (``read``
    gives them in this order, the analysed one first), a bounded read at a time.

    With ``windows`` (and the beat band that of quality), the classification windows of
    the beats more than ``margin_s`` inside each read are cut from the same band-passed
    signal and filled in: one read and one filter pass of the record serve both stages.
    Further in than that, the filter has settled, so they are the windows
    :func:`classify` cuts; the others are left to it.
    """
    fs, n = morph[0].fs, morph[0].n_samples
    seg = max(1, round(conf.quality.segment_s * fs))
    step = seg * max(1, round(conf.quality_chunk_s / conf.quality.segment_s))
    out: dict[int, list[SegmentQuality]] = {c.index: [] for c in morph}
    share = windows is not None and tuple(conf.beats.band_hz) == BAND_HZ
    guard = round(conf.margin_s * fs)
    for first in range(0, n, step):
        stop = min(n, first + step)
        a, z = np.searchsorted(beats, [first, stop])
        x = read(first, stop)
        bp = None
        if share and windows is not None:
            # Missing samples as 0, as segment_quality and beat_windows take them (copied
            # only when some are missing: a Holter's reads mostly are complete).
            finite = np.isfinite(x)
            if not finite.all():
                x = np.where(finite, x, 0.0)
            bp = bandpass(x, fs, BAND_HZ)
            inner_lo = first + guard if first > 0 else 0
            inner_hi = stop - guard if stop < n else n
            i, k = np.searchsorted(beats, [inner_lo, inner_hi])
            if k > i:
                part = beat_windows(x, fs, beats[i:k] - first, conf.beats, bp=bp)
                windows.centre[i:k] = part.centre + first
                windows.windows[i:k] = part.windows
                windows.spikes[i:k] = part.spikes
                windows.before[i:k] = part.before
        for j, c in enumerate(morph):
            band = None if bp is None else bp[:, j]
            for q in segment_quality(x[:, j], fs, beats[a:z] - first, conf.quality, band):
                q.start += first
                q.end += first
                out[c.index].append(q)
        report(stop / max(n, 1), f"grading signal quality: {_clock(stop / fs)}")
    return out


def classify(
    read: Callable[[int, int], F64],
    morph: list[ChannelInfo],
    beats: I64,
    conf: AnalysisConfig,
    report: Report,
    windows: BeatWindows | None = None,
) -> BeatLabels:
    """Beat codes and morphology clusters from the morphology channels (``read`` gives
    them in this order, the analysed one first).

    1. Read the morphology channels ``chunk_s`` at a time (with ``margin_s`` either
       side) and keep only the classification window of each beat in it: memory grows
       with the beats, not the samples. Beats whose window :func:`grade_quality`
       already cut (``centre`` not -1 in ``windows``) are not read again: then only the
       stretches around the other beats are, ``margin_s`` either side.
    2. Label all the windows at once (clusters span the whole record).
    """
    fs, n_samples = morph[0].fs, morph[0].n_samples
    bc = conf.beats
    chunk = max(1, round(conf.chunk_s * fs))
    margin = round(conf.margin_s * fs)
    # Filled in place, chunk by chunk: the record's windows exist once, never twice.
    if windows is None:
        windows = empty_windows(beats, len(morph), fs, bc)
    todo = np.flatnonzero(windows.centre < 0)
    at = beats[todo]
    # Stretches of beats still to cut (apart by more than a margin), a chunk at most each.
    ends = np.append(np.flatnonzero(np.diff(at) > margin) + 1, len(todo))
    i = 0
    for end in ends.tolist():
        while i < end:
            j = min(int(np.searchsorted(at, at[i] + chunk)), end)
            lo = max(0, int(at[i]) - margin)
            part = beat_windows(read(lo, int(at[j - 1]) + margin + 1), fs, at[i:j] - lo, bc)
            windows.centre[todo[i:j]] = part.centre + lo
            windows.windows[todo[i:j]] = part.windows
            windows.spikes[todo[i:j]] = part.spikes
            windows.before[todo[i:j]] = part.before
            report(
                0.8 * int(at[j - 1]) / max(n_samples, 1),
                f"classifying beats: {_clock(at[j - 1] / fs)}",
            )
            i = j
    report(0.8, "grouping beats by shape")
    return label_windows(windows, fs, bc)


def distrust_noise(
    labels: BeatLabels,
    beats: I64,
    quality: list[list[SegmentQuality]],
    premature: float,
) -> None:
    """Turn lone, on-time ``V`` beats into ``Q`` where no morphology channel reads well.

    An artefact that distorts one beat makes it look foreign (wide, unlike
    the dominant shape) while its timing stays sinus; a real PVC comes
    early, or in a run. Without a readable channel the shape cannot decide.
    A segment graded B for baseline wander alone reads well: the shapes are
    taken above the wander (the beat band starts at 1 Hz).
    """
    readable = np.zeros(len(beats), dtype=bool)
    for segs in quality:
        if not segs:
            continue
        starts = np.array([s.start for s in segs], dtype=np.int64)
        good = np.array([s.grade == "A" or s.reasons == [WANDER] for s in segs])
        readable |= good[np.clip(np.searchsorted(starts, beats, side="right") - 1, 0, None)]
    sym = np.array(labels.symbols)
    v = sym == "V"
    lone = v & ~np.r_[False, v[:-1]] & ~np.r_[v[1:], False]
    suspect = lone & (labels.prematurity >= premature) & ~readable
    labels.symbols = np.where(suspect, "Q", sym).tolist()


def find_rhythm(
    read: Callable[[int, int], F64],
    channel: ChannelInfo,
    labels: BeatLabels,
    conf: AnalysisConfig,
    report: Report,
) -> list[RhythmEpisode]:
    """Rhythm episodes from beat times and codes; an irregular run with a P wave in its
    median beat is not AF.

    Narrow premature beats inside atrial fibrillation or flutter are the rhythm itself,
    not atrial premature beats: ``A`` there becomes ``N`` (in ``labels``). Without P waves
    an early beat's timing says nothing, so a ``V`` there stays one only when its shape is
    plainly unlike the dominant beat's (as :func:`~wavetag.signal.beats.label_windows`
    judges where the dominant rhythm shows no P wave); else it is ``N``. The beats of a
    regular ``(SVTA`` are ectopic, however on time against each other: ``N`` there
    becomes ``A``.
    """
    fs, beats = channel.fs, labels.samples
    margin = round(2.0 * fs)  # a median-beat window and its filter edges

    def stretch(run: I64) -> tuple[F64, I64]:
        run = run[run < run[0] + round(conf.af_check_s * fs)]
        lo = max(0, int(run[0]) - margin)
        return read(lo, int(run[-1]) + margin), run - lo

    def p_wave(run: I64) -> bool:
        x, at = stretch(run)
        return delineate(x, fs, at, conf=conf.intervals).pr_ms is not None

    def atrial(run: I64) -> float:
        x, at = stretch(run)
        return atrial_consistency(x, fs, at)

    def flutter(run: I64) -> FlutterWaves:
        # From the first beat to the last, not beyond: beats outside the run are not
        # given, and their QRS would stay in the spectrum.
        lo = int(run[0])
        return flutter_waves(read(lo, int(run[-1]) + 1), fs, run - lo)

    rhythm = rhythm_episodes(
        beats,
        fs,
        labels.symbols,
        channel.n_samples,
        conf=conf.rhythm,
        p_wave=p_wave,
        atrial=atrial,
        flutter=flutter,
    )
    plain = labels.plainly_unlike(conf.beats)
    spans = [(ep, *np.searchsorted(beats, [ep.start, ep.end])) for ep in rhythm]
    # A tachycardia holding most of the record's beats is its own rhythm: a sinus
    # tachycardia whose P wave the median beat does not show (noise, a P on the T wave),
    # far likelier than a record of ectopic beats; its beats keep their codes.
    svta_beats = sum(int(z - a) for ep, a, z in spans if ep.label == SVTA)
    ectopic_svta = svta_beats <= 0.5 * len(beats)
    for ep, a, z in spans:
        if ep.label in (AFIB, AFL):
            for i in range(int(a), int(z)):
                if labels.symbols[i] == "A":
                    labels.symbols[i] = "N"
                elif labels.symbols[i] == "V" and not plain[labels.clusters[i]]:
                    labels.symbols[i] = "N"
        elif ep.label == SVTA and ectopic_svta and _regular(beats[a:z], conf.rhythm):
            # A regular supraventricular tachycardia that is not sinus (the rhythm stage
            # keeps (SVTA for those without a sinus P wave or with an abrupt onset) is a
            # run of ectopic supraventricular beats, however on time against each other.
            # An irregular one may be AF the rhythm stage did not call: left alone.
            for i in range(int(a), int(z)):
                if labels.symbols[i] == "N":
                    labels.symbols[i] = "A"
    changes = sum(1 for e in rhythm if e.label != PAUSE)
    report(1.0, f"{changes} rhythm episodes")
    return rhythm


def _regular(run: I64, conf: RhythmConfig) -> bool:
    """A run of beats the rhythm stage's irregularity test finds regular, every interval
    counted (at least three of them)."""
    rr = np.diff(run).astype(np.float64)
    if len(rr) < 3:
        return False
    return irregular_run(rr, np.ones(len(rr), dtype=bool), conf) is False


def clean_stretch(
    quality: list[SegmentQuality], channel: ChannelInfo, seconds: float
) -> tuple[int, int]:
    """The ``seconds`` of signal with the most segments graded A (the earliest such)."""
    n = channel.n_samples
    if not quality:
        return 0, min(n, round(seconds * channel.fs))
    seg = quality[0].end - quality[0].start
    k = max(1, round(seconds * channel.fs / max(seg, 1)))
    good = np.array([q.grade == "A" for q in quality], dtype=np.int64)
    sums = np.convolve(good, np.ones(min(k, len(good)), dtype=np.int64), mode="valid")
    i = int(np.argmax(sums))
    return quality[i].start, min(n, quality[i].start + k * seg)


def measure(
    read: Callable[[int, int], F64],
    channel: ChannelInfo,
    labels: BeatLabels,
    quality: list[SegmentQuality],
    conf: AnalysisConfig,
) -> tuple[HeartRateStats, Intervals, tuple[int, int]]:
    """HR and RR statistics over the record; PR, QRS, QT, QTc on the median beat of its
    cleanest ``interval_s`` (and that stretch)."""
    fs, beats, symbols = channel.fs, labels.samples, labels.symbols
    hr = hr_stats(beats, fs, symbols, conf.intervals)
    first, stop = clean_stretch(quality, channel, conf.interval_s)
    a, z = np.searchsorted(beats, [first, stop])
    x = read(first, stop)
    intervals = delineate(x, fs, beats[a:z] - first, symbols[a:z], conf.intervals)
    return hr, intervals, (first, stop)


def _overlaps(ep: RhythmEpisode, spans: list[tuple[int, int]]) -> bool:
    return any(a < ep.end and ep.start < z for a, z in spans)


def describe(
    read: Callable[[int, int], F64],
    leads: list[ChannelInfo],
    labels: BeatLabels,
    rhythm: list[RhythmEpisode],
    intervals: Intervals,
    window: tuple[int, int],
    conf: AnalysisConfig,
) -> list[Statement]:
    """Diagnostic statements of the stretch the intervals were measured on, under the
    rhythm that covers most of it."""
    first, stop = window
    a, z = np.searchsorted(labels.samples, [first, stop])
    cover: dict[str, int] = {}
    for e in rhythm:
        if e.label != PAUSE:
            cover[e.label] = cover.get(e.label, 0) + max(0, min(e.end, stop) - max(e.start, first))
    label = max(cover, key=lambda k: cover[k]) if cover else None
    return record_statements(
        read(first, stop),
        leads[0].fs,
        [c.name for c in leads],
        labels.samples[a:z] - first,
        labels.symbols[a:z],
        intervals,
        label,
        conf=conf.statements,
        interval_conf=conf.intervals,
    )


def _clock(seconds: float) -> str:
    """``1:05:09`` or ``5:09``: where a stage is in the record."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Stages:
    """Runs each stage: its wall and processor time, its share of the progress, and its
    name on a failure (for the person who asked)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.weights = dict(STAGES)
        self.total = sum(self.weights.values()) or 1.0
        self.done = 0.0
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def report(self, weight: float) -> Report:
        """A stage's own 0-1 progress as its share of the whole analysis."""
        base, progress = self.done, self.progress

        def within(fraction: float, message: str) -> None:
            if progress is not None:
                progress((base + weight * fraction) / self.total, message)

        return within

    @contextmanager
    def __call__(self, name: str) -> Iterator[Report]:
        w, c = time.perf_counter(), time.process_time()
        weight = self.weights[name]
        try:
            yield self.report(weight)
        except Exception as exc:
            raise StageError(name, exc) from exc
        finally:
            self.wall[name] = time.perf_counter() - w
            self.cpu[name] = time.process_time() - c
            self.done += weight
