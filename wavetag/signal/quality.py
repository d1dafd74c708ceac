"""Signal quality per fixed segment and channel: A (good), B (medium), C (poor).

A: rhythm and morphology can be read. B: the rhythm can be read, the
morphology cannot be trusted (noise, wander, brief clipping, beats unlike one
another). C: not even the rhythm (flat line, saturation, heavy noise, or a
swing that swamps the QRS complexes for a second or more). Beats in a C
segment are not trusted to be ectopic, and a pause there is no finding
(:func:`poor_beats`, :func:`poor_spans`). Every
measure is computed for all segments at once from a few whole-channel passes
and per-segment reductions, so a 24-h channel costs a few filter passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from .beats import bandpass, gather
from .filters import butter_sos, without_mains
from .robust import order_statistics, percentiles

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
FArr = npt.NDArray[np.floating]


# Band of the signal whose range, artefacts and beat shapes are graded, Hz.
BAND_HZ = (1.0, 40.0)
# The reason a segment is B for baseline wander (below BAND_HZ: the shapes read well).
WANDER = "baseline wander"


@dataclass(frozen=True)
class QualityConfig:
    """Tunables of :func:`segment_quality`.

    Attributes
    ----------
    segment_s : float
        Segment length, s.
    flat_run_s : float
        Runs of identical samples at least this long count as flat line, s.
    flat_fraction : float
        Share of flat-line samples that makes a segment C: a second of lead-off
        hides beats and would read as a pause (no MIT-BIH record of the tuning
        half holds a single run of ``flat_run_s``).
    min_amplitude_mv : float
        A segment whose 1-40 Hz signal spans less than this (1st to 99th
        percentile) is flat, mV.
    clip_fraction_b, clip_fraction_c : float
        Share of samples held at the channel's extreme value (in runs of 3 or
        more) from which a segment is B or C.
    hf_hz : float
        High-frequency noise band starts here, Hz.
    hf_ratio_b, hf_ratio_c : float
        Robust standard deviation of the signal above ``hf_hz`` (1.4826 x
        median absolute value) over the 1-40 Hz range, from which a segment
        is B or C. Mains interference (a 50 or 60 Hz line, :func:`mains_lines`)
        is taken out first: a notch filter removes it.
    amplitude_ratio_b, artefact_qrs_ratio : float
        Artefact (a segment is B): with beats, the largest 1-40 Hz excursion
        between QRS complexes is over ``amplitude_ratio_b`` times the
        channel's median of that excursion and twice it is over
        ``artefact_qrs_ratio`` times the channel's median QRS range; without
        beats, the segment's 1-40 Hz range is over ``amplitude_ratio_b``
        times the channel's median range.
    wander_ratio_b : float
        Baseline excursion (range of 0.5-s medians) over the 1-40 Hz range,
        from which a segment is B.
    sqi_b, sqi_c : float
        Beat SQI (:func:`beat_sqi`) below which a segment is B or C.
    swamp_block_s : float
        Block length for the swamped-signal measure, s.
    swamp_ratio : float
        A block is swamped when its raw range (no filter: the swings that make a
        stretch unreadable are slow as well as fast) is over this many times the
        channel's median QRS range.
    swamp_s_c : float
        Seconds of swamped blocks from which a segment is C. Tuned on the
        tuning half of MIT-BIH against the ``~`` unreadable marks (see
        ``bench/RESULTS.md``): 2.5 and 1.5 s make 5 of the 12 marked
        segment-leads C and 2 of 4207 clean ones; 1 s makes 8 of 12 but 26 clean
        (10 of them in a lead with large PVCs, whose calls C would suppress).
    """

    segment_s: float = 10.0
    flat_run_s: float = 0.2
    flat_fraction: float = 0.1
    min_amplitude_mv: float = 0.05
    clip_fraction_b: float = 0.002
    clip_fraction_c: float = 0.05
    hf_hz: float = 40.0
    hf_ratio_b: float = 0.04
    hf_ratio_c: float = 0.12
    amplitude_ratio_b: float = 1.5
    artefact_qrs_ratio: float = 1.0
    wander_ratio_b: float = 1.0
    sqi_b: float = 0.95
    sqi_c: float = 0.6
    swamp_block_s: float = 0.5
    swamp_ratio: float = 2.5
    swamp_s_c: float = 1.5


@dataclass
class SegmentQuality:
    """Quality of one segment of one channel.

    Attributes
    ----------
    start, end : int
        Samples (end exclusive).
    grade : str
        ``A``, ``B`` or ``C``.
    reasons : list of str
        Which measures lowered the grade.
    amplitude_mv, flat_fraction, clip_fraction, hf_ratio, wander_ratio : float
        The measures (see :class:`QualityConfig`).
    artefact_ratio : float
        Largest excursion between beats relative to the channel's usual one
        (with beats), or the 1-40 Hz range relative to the channel's usual one.
    sqi : float or None
        Beat-template correlation (None without beats in the segment).
    swamped_s : float
        Seconds of the segment whose raw range swamps the QRS complexes (s).
    """

    start: int
    end: int
    grade: str
    reasons: list[str]
    amplitude_mv: float
    flat_fraction: float
    clip_fraction: float
    hf_ratio: float
    wander_ratio: float
    sqi: float | None
    artefact_ratio: float = 1.0
    swamped_s: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _held_runs(x: F64, shortest: int) -> tuple[I64, I64]:
    """First sample and length of every run of at least ``shortest`` (2 or more)
    identical samples, in order.

    Found from the repeats alone (``x[i] == x[i + 1]``), which are few in a live signal:
    no per-sample array of run lengths (half a day of int64 per 30-min read) is built.
    """
    same = np.flatnonzero(x[1:] == x[:-1])
    if len(same) == 0:
        return same, same
    # A run of L samples is L - 1 repeats in a row.
    first = np.flatnonzero(np.diff(same, prepend=same[0] - 2) != 1)
    lengths = np.diff(first, append=len(same)) + 1
    keep = lengths >= shortest
    return same[first][keep], lengths[keep]


def _run_samples(starts: I64, lengths: I64, bounds: I64) -> F64:
    """Per segment (``bounds`` its first samples, then the end), how many of its samples
    lie in the given runs (disjoint, in order)."""
    if len(starts) == 0:
        return np.zeros(len(bounds) - 1)
    ends = starts + lengths
    total = np.concatenate([[0], np.cumsum(lengths)])
    k = np.searchsorted(starts, bounds, side="left")  # runs that start before each bound
    # Only the last of them can reach past the bound: its samples beyond are not before it.
    beyond = np.where(k > 0, np.maximum(ends[np.maximum(k - 1, 0)] - bounds, 0), 0)
    return np.diff(total[k] - beyond).astype(np.float64)


def _blockwise(x: FArr, size: int, fn: Callable[[FArr], FArr]) -> F64:
    """``fn`` over consecutive blocks of ``size`` samples (the last may be
    shorter); ``fn`` maps (..., size) to (k, ...). Returns (k, blocks)."""
    full = len(x) // size
    parts = [np.asarray(fn(x[: full * size].reshape(full, size)), dtype=np.float64)]
    if len(x) > full * size:
        tail = np.asarray(fn(x[full * size :][None, :]), dtype=np.float64)
        parts.append(tail.reshape(len(parts[0]), 1))
    return np.concatenate(parts, axis=1)


def _row_medians(v: FArr) -> FArr:
    """The median of each row of a 2-D array without NaN (equal to ``np.median(v, axis=-1)``).

    One partition at the upper middle and the largest value below it (a sort for short
    rows, a bracketing for long ones: :func:`~wavetag.signal.robust.order_statistics`):
    several times faster than np.median, which partitions at both middles.
    """
    h = v.shape[-1] // 2
    if v.shape[-1] <= 400:
        # numpy's vectorised sort beats partition and maximum on rows this short (the
        # 200-sample rows of half-second medians at 400 Hz: 1.8 against 2.3 ms per 30 min).
        ranked = np.sort(v, axis=-1)
        return ranked[:, h] if v.shape[-1] % 2 else (ranked[:, h - 1] + ranked[:, h]) / 2
    if v.shape[-1] % 2:
        return order_statistics(v, [h])[h]
    middle = order_statistics(v, [h - 1, h])
    return (middle[h - 1] + middle[h]) / 2


def beat_sqi(bp: npt.NDArray[np.floating], fs: float, beats: I64, starts: I64) -> F64:
    """Beat-template agreement per segment.

    Parameters
    ----------
    bp : ndarray of float
        Band-passed (1-40 Hz) channel, mV.
    fs : float
        Sampling frequency, Hz.
    beats : ndarray of int64
        Beat positions, samples, increasing.
    starts : ndarray of int64
        First sample of each segment.

    Returns
    -------
    ndarray of float64
        Per segment, the median over its beats of the best correlation with
        another beat of the segment; NaN with fewer than three beats.

    Notes
    -----
    Each beat is compared with its most similar neighbour in the segment,
    so that multiform ectopic beats (each like its kind) score high and only
    shapes like no other (noise) score low.
    """
    out = np.full(len(starts), np.nan)
    if len(beats) == 0:
        return out
    offs = np.arange(-round(0.1 * fs), round(0.15 * fs) + 1, dtype=np.int64)
    w = np.asarray(gather(bp, beats, offs), dtype=np.float64)
    w -= w.mean(axis=1, keepdims=True)
    w /= np.maximum(np.linalg.norm(w, axis=1), 1e-9)[:, None]
    seg = np.searchsorted(starts, beats, side="right") - 1
    bounds = np.searchsorted(seg, np.arange(len(starts) + 1))
    count = np.diff(bounds)
    rows = np.flatnonzero(count >= 3)
    if len(rows) == 0:
        return out
    # All segments at once, each padded to the most beats in one (zero windows): a
    # loop over a day's segments cost more than the products themselves.
    k = count[rows]
    slot = np.arange(int(k.max()))
    real = slot[None, :] < k[:, None]  # (segments, slots)
    g = w[np.where(real, bounds[rows][:, None] + slot[None, :], 0)] * real[..., None]
    c = g @ g.transpose(0, 2, 1)  # (segments, slots, slots)
    c[:, slot, slot] = -1.0  # a beat is not its own neighbour
    c[~np.broadcast_to(real[:, None, :], c.shape)] = -np.inf
    best = c.max(axis=2)
    best[~real] = np.inf  # sorted past the real beats
    best.sort(axis=1)
    at = np.arange(len(rows))
    out[rows] = (best[at, (k - 1) // 2] + best[at, k // 2]) / 2
    return out


def _between_beats(bp: FArr, fs: float, beats: I64, seg: int) -> tuple[F64, float]:
    """Per segment, the largest 1-40 Hz excursion outside the QRS complexes
    (mV), and the channel's median QRS range (mV)."""
    n = len(bp)
    pre, post = round(0.1 * fs), round(0.15 * fs)
    inside = np.zeros(n, dtype=bool)
    inside[np.clip(beats[:, None] + np.arange(-pre, post + 1), 0, n - 1)] = True
    qrs = gather(bp, beats, np.arange(-pre, post + 1, dtype=np.int64))
    typical = float(np.median(np.ptp(qrs, axis=1)))
    outside = np.where(inside, 0.0, np.abs(bp))
    (top,) = _blockwise(outside, seg, lambda v: np.max(v, axis=-1)[None])
    return top, typical


def _swamped(x: F64, fs: float, typical: float, n_seg: int, seg: int, conf: QualityConfig) -> F64:
    """Per segment, seconds of ``swamp_block_s`` blocks whose raw range is over
    ``swamp_ratio`` times ``typical`` (the channel's QRS range, mV)."""
    blk = max(1, round(conf.swamp_block_s * fs))
    (rng,) = _blockwise(x, blk, lambda v: np.ptp(v, axis=-1)[None])
    over = (rng > conf.swamp_ratio * typical).astype(np.float64)
    where = np.minimum(np.arange(len(rng)) * blk // seg, n_seg - 1)
    secs = np.bincount(where, weights=over, minlength=n_seg)[:n_seg] * (blk / fs)
    return np.asarray(secs, dtype=np.float64)


def segment_quality(
    signal: npt.ArrayLike,
    fs: float,
    beats: npt.ArrayLike | None = None,
    conf: QualityConfig | None = None,
    bp: npt.ArrayLike | None = None,
) -> list[SegmentQuality]:
    """Grade every ``segment_s`` segment of one channel A, B or C.

    Parameters
    ----------
    signal : array_like of float
        One channel, mV (NaN for missing samples is treated as flat).
    fs : float
        Sampling frequency, Hz.
    beats : array_like of int, optional
        Beat positions in this channel's samples, for the template
        correlation (without them that measure is skipped).
    conf : QualityConfig, optional
    bp : array_like of float, optional
        The channel band-passed in ``BAND_HZ`` (:func:`~wavetag.signal.beats.bandpass`
        of ``signal`` with missing samples as 0), when the caller has it already (the
        analysis cuts beat windows from the same pass).

    Returns
    -------
    list of SegmentQuality
        One per segment, in order; the last one may be shorter.

    Notes
    -----
    1. Flat line: share of samples in runs of identical values of
       ``flat_run_s`` or more (other than the channel's extremes), and the
       1-99 percentile range of the 1-40 Hz signal (below
       ``min_amplitude_mv`` is flat).
    2. Clipping: share of samples at the channel's minimum or maximum in runs
       of three or more (a recorder's saturation value).
    3. High-frequency noise: robust deviation above ``hf_hz`` relative to the
       1-40 Hz range. Artefact: excursions between the beats as large as a
       QRS complex and unusual for the channel (without beats: a range
       unusually large for the channel).
    4. Baseline wander: range of the 0.5-s medians relative to the 1-40 Hz range.
    5. Beat SQI: median over the segment's beats (-100 to +150 ms) of the
       correlation with the most similar other beat (:func:`beat_sqi`).
    6. Swamped: seconds of ``swamp_block_s`` blocks whose raw range is over
       ``swamp_ratio`` times the channel's median QRS range (with beats only):
       a swing or burst that hides the QRS complexes.
    7. Grade: C when flat, clipping over ``clip_fraction_c``, noise over
       ``hf_ratio_c``, SQI under ``sqi_c`` or swamped for ``swamp_s_c``; else
       B when clipping, noise,
       artefact, wander or SQI pass their B limits; else A.
    """
    conf = conf or QualityConfig()
    x = np.asarray(signal, dtype=np.float64)
    n = len(x)
    seg = max(1, round(conf.segment_s * fs))
    starts = np.arange(0, n, seg, dtype=np.int64)
    if n == 0:
        return []
    lens = np.diff(np.append(starts, n)).astype(np.float64)
    finite = np.isfinite(x)
    # Contiguous either way (the analysis passes a column of its read); copied only then.
    x = np.ascontiguousarray(x) if finite.all() else np.where(finite, x, 0.0)

    # Held at the channel's extreme value: saturation, however long; held
    # elsewhere: a flat line (leads off). A constant channel is flat.
    flat_run = max(2, round(conf.flat_run_s * fs))
    run_at, run_len = _held_runs(x, min(3, flat_run))
    top, bottom = x.max(), x.min()
    value = x[run_at]
    extreme = ((value == top) | (value == bottom)) & (top > bottom)
    bounds = np.append(starts, n)
    flat = (run_len >= flat_run) & ~extreme
    flat_frac = _run_samples(run_at[flat], run_len[flat], bounds) / lens
    clipped = (run_len >= 3) & extreme
    clip_frac = _run_samples(run_at[clipped], run_len[clipped], bounds) / lens

    bp = bandpass(x, fs, BAND_HZ) if bp is None else np.asarray(bp)
    lo, hi = _blockwise(bp, seg, lambda v: percentiles(v, [1, 99]))
    amp = hi - lo
    # Artefacts swell the range; judged against the channel's own typical range.
    art_own = amp / max(float(np.median(amp)), 1e-9)
    art_qrs = np.full(len(starts), np.inf)
    if conf.hf_hz < 0.45 * fs:
        from scipy.signal import sosfilt  # here: scipy.signal takes ~1.4 s to import, and

        # the web process imports this module (for its small helpers) but never filters
        # Mains interference is no noise that hides the beats: the viewer's notch filter
        # takes it away, and the beat shapes are read without it.
        sos = without_mains(butter_sos(2, conf.hf_hz, "highpass", fs), x, fs)
        hf = np.abs(np.asarray(sosfilt(sos, x), dtype=np.float64))
        # A median ignores the QRS complexes' own high frequencies (a tenth of the time).
        (hf_sd,) = _blockwise(hf, seg, lambda v: 1.4826 * _row_medians(v)[None])
        hf_ratio = hf_sd / np.maximum(amp, 1e-9)
    else:
        hf_ratio = np.zeros(len(starts))

    half = max(1, round(0.5 * fs))
    (med,) = _blockwise(x, half, lambda v: _row_medians(v)[None])
    first = np.searchsorted(np.arange(len(med)) * half, starts)
    wander = np.maximum.reduceat(med, first) - np.minimum.reduceat(med, first)
    wander_ratio = wander / np.maximum(amp, 1e-9)

    b = None if beats is None else np.asarray(beats, dtype=np.int64)
    sqi = beat_sqi(bp, fs, b, starts) if b is not None else np.full(len(starts), np.nan)
    if b is not None and len(b):
        # Between the beats, an artefact is as large as a QRS complex, and
        # larger than the channel usually is there (large T waves are not).
        top, typical = _between_beats(bp, fs, b, seg)
        art_qrs = 2.0 * top / max(typical, 1e-9)
        art_own = top / max(float(np.median(top)), 1e-9)
        swamped = _swamped(x, fs, typical, len(starts), seg, conf)
    else:
        swamped = np.zeros(len(starts))

    # Python floats, one list per measure: a day holds tens of thousands of segments, and
    # indexing numpy arrays for each comparison cost more than the measures themselves.
    out = []
    for s, flat_i, clip_i, amp_i, hf_i, art_q, art_o, wander_i, sqi_i, swamp_i in zip(
        starts.tolist(),
        flat_frac.tolist(),
        clip_frac.tolist(),
        amp.tolist(),
        hf_ratio.tolist(),
        art_qrs.tolist(),
        art_own.tolist(),
        wander_ratio.tolist(),
        sqi.tolist(),
        swamped.tolist(),
        strict=True,
    ):
        reasons_c, reasons_b = [], []
        if flat_i > conf.flat_fraction or amp_i < conf.min_amplitude_mv:
            reasons_c.append("flat")
        if clip_i > conf.clip_fraction_c:
            reasons_c.append("clipping")
        elif clip_i > conf.clip_fraction_b:
            reasons_b.append("clipping")
        if swamp_i >= conf.swamp_s_c:
            reasons_c.append("unreadable")
        if hf_i > conf.hf_ratio_c:
            reasons_c.append("noise")
        elif hf_i > conf.hf_ratio_b:
            reasons_b.append("noise")
        if art_q > conf.artefact_qrs_ratio and art_o > conf.amplitude_ratio_b:
            reasons_b.append("artefact")
        if wander_i > conf.wander_ratio_b:
            reasons_b.append(WANDER)
        q = None if math.isnan(sqi_i) else sqi_i
        if q is not None and q < conf.sqi_c:
            reasons_c.append("beats unlike each other")
        elif q is not None and q < conf.sqi_b:
            reasons_b.append("beats unlike each other")
        grade = "C" if reasons_c else "B" if reasons_b else "A"
        out.append(
            SegmentQuality(
                start=s,
                end=min(n, s + seg),
                grade=grade,
                reasons=reasons_c + reasons_b,
                amplitude_mv=amp_i,
                flat_fraction=flat_i,
                clip_fraction=clip_i,
                hf_ratio=hf_i,
                wander_ratio=wander_i,
                sqi=q,
                artefact_ratio=art_o,
                swamped_s=swamp_i,
            )
        )
    return out


def poor_beats(quality: Sequence[SegmentQuality], beats: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Per beat, whether it lies in a segment graded C.

    Parameters
    ----------
    quality : sequence of SegmentQuality
        The grades of one channel, in order, covering the record.
    beats : array_like of int
        Beat positions, samples of that channel.

    Returns
    -------
    ndarray of bool
    """
    b = np.asarray(beats, dtype=np.int64)
    if not quality or len(b) == 0:
        return np.zeros(len(b), dtype=bool)
    starts = np.array([q.start for q in quality], dtype=np.int64)
    poor = np.array([q.grade == "C" for q in quality])
    return np.asarray(poor[np.clip(np.searchsorted(starts, b, side="right") - 1, 0, None)])


def poor_spans(quality: Sequence[SegmentQuality]) -> list[tuple[int, int]]:
    """The stretches graded C, merged, as samples [start, end)."""
    out: list[tuple[int, int]] = []
    for q in quality:
        if q.grade != "C":
            continue
        if out and out[-1][1] >= q.start:
            out[-1] = (out[-1][0], max(out[-1][1], q.end))
        else:
            out.append((q.start, q.end))
    return out
