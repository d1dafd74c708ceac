"""Beat classification suggestions: N, V, A, / and Q from timing and morphology.

The input is a set of beat positions (from the QRS detector or a human); the
output is one WFDB beat code per beat and the morphology cluster it belongs to,
so that a reviewer can relabel a whole cluster of similar beats at once. These
are suggestions for pre-annotation, never a diagnosis.

Morphology clusters are built incrementally (a template per cluster, a beat
joins the best-correlated template or starts a new one) on an evenly spread
sample of beats, then every beat is assigned with one matrix product, so a
24-h Holter of 100,000 beats costs about as much as its band-pass filter.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from dataclasses import asdict, dataclass, field

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from .clusters import (
    cluster_beats,
    cluster_means,
    normalise,
    normalise_in_place,
    template_correlation,
)
from .filters import butter_sos, filtfilt_without_mains
from .robust import median, median_rows, percentiles

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BeatConfig:
    """Tunables of :func:`classify_beats` (physiological, not per record).

    Attributes
    ----------
    band_hz : (float, float)
        Band-pass for morphology, Hz.
    pre_s, post_s : float
        Morphology window before and after the fiducial point, s.
    align_s : float
        Each beat is re-centred on its largest QRS energy within this many s.
    cluster_corr : float
        Correlation a beat needs with a template to join its cluster.
    cluster_amp : float
        Largest ratio between a beat's and a template's amplitude (either way).
    seed_beats : int
        Beats (evenly spread) that grow the templates before bulk assignment.
    max_clusters : int
        Clusters beyond this are not created; unmatched beats join the nearest.
    premature : float
        A beat is premature when its RR is below this fraction of the dominant
        rhythm's RR (:func:`dominant_rr`).
    compensatory : float
        (RR before + RR after) / the dominant RR at or above this is a full compensatory
        pause.
    interpolated : float
        (RR before + RR after) / the dominant RR under this: the beat splits one
        cycle and the rhythm goes on undisturbed (an interpolated beat, or none).
    early_return : float
        A premature beat of normal shape is atrial when the next RR is at
        least this many times its own (sinus acceleration keeps it short).
    wide_ms : float
        QRS width from which a cluster counts as wide, ms.
    extra_width_ms : float
        How much wider than the dominant cluster a ventricular cluster is, ms.
    v_corr : float
        Template correlation with the dominant cluster below which a wide
        cluster is ventricular.
    v_corr_early : (float, float)
        A wide cluster without the dominant P wave that comes a little early (median
        prematurity under the first) is ventricular below the second correlation: the
        timing is evidence too, and one bound alone made a cluster of late-coupled PVCs
        at the bound ``V`` or ``N`` by the recorder's sampling rate.
    similar_corr : float
        A premature cluster correlating less than this with the dominant
        template (or clearly wider) is ventricular, otherwise atrial.
    q_corr : float
        A small cluster whose template correlates less than this with every
        large cluster's template holds unknown (Q) beats.
    small_cluster : int
        Clusters with fewer members than this are judged beat by beat.
    spike_slope : float
        Pacing spike: a deflection that rises above (or falls below) both
        neighbours ``spike_half_s`` away at least this steeply, mV/s, before the
        QRS (25 mV/s: 0.15 mV in 6 ms).
    spike_half_s : float
        Half-width of a pacing spike, s (at least one sample at any rate).
    spike_window_s : (float, float)
        Where a pacing spike is looked for, s before the fiducial point.
    spike_sharpness, spike_contrast : float
        How narrow and how isolated a pulse must be to count as a pacing
        spike (see :func:`pacing_spikes`).
    soft_slope, soft_sharpness : float
        The same tests, lenient: a spike smeared by a recorder's narrower band (an
        analogue Holter's 40-100 Hz) or smaller (bipolar pacing) is less steep and
        wider than the strict tests allow, mV/s and ratio.
    spike_share : (float, float, float)
        A wide cluster of ``small_cluster`` beats or more whose median fails the strict
        test is paced when at least the first share of its beats pass the strict test
        and the second share the lenient one, at one delay before the QRS
        (``spike_jitter_s``); in a record with a paced cluster, the third share passing
        the lenient test, at that cluster's delay (``spike_delay_s``), makes another
        wide cluster paced.
    spike_beats : int
        ... and at least this many of its beats pass the strict test, unless another
        cluster is paced already: two spikes in a cluster of fifteen are a noisy
        record's artefacts as readily as a pacemaker's.
    spike_jitter_s : float
        Median distance of a cluster's lenient spikes from their median position, s
        (at least one sample): a pacemaker's spike comes at one delay before the QRS it
        starts, noise and QRS notches anywhere.
    spike_delay_s : float
        How far a cluster's spike delay may lie from a paced cluster's, s.
    p_window_s : (float, float)
        The stretch before the QRS where a P wave is looked for, s before the
        fiducial point (``p_points`` evenly spaced samples of it are kept).
    p_present : float
        Correlation of a beat's pre-QRS stretch with the dominant beats' at or
        above which the beat has their P wave.
    atrial_premature : float
        A beat of normal shape is atrial when its RR is below this fraction of the
        dominant rhythm's and the next interval is longer (``early_return``).
    rhythm_share : float
        A cluster holding at least this share of the beats, on time, is never
        called ventricular from its shape alone.
    sinus_gate : (float, float)
        An interval between two normal-shaped beats within this range of the
        dominant-rhythm RR updates it (an ectopic pair or a pause does not).
    sinus_beats : int
        Intervals in the dominant-rhythm RR (their median).
    sinus_reset : int
        Consecutive regular intervals outside the gate after which the dominant
        rhythm has changed (a new rate is learnt).
    regular_before : (int, int, float)
        A beat is premature against a rhythm only where there is one: at least the first
        number of the second number of intervals before it lie within the fraction of
        the dominant RR (atrial fibrillation whose waves pass for P waves has no such
        run of intervals).
    """

    band_hz: tuple[float, float] = (1.0, 40.0)
    pre_s: float = 0.10
    post_s: float = 0.15
    align_s: float = 0.04
    cluster_corr: float = 0.90
    cluster_amp: float = 1.6
    seed_beats: int = 3000
    max_clusters: int = 60
    premature: float = 0.85
    compensatory: float = 1.85
    interpolated: float = 1.3
    early_return: float = 1.15
    wide_ms: float = 120.0
    extra_width_ms: float = 20.0
    v_corr: float = 0.75
    v_corr_early: tuple[float, float] = (0.95, 0.80)
    similar_corr: float = 0.90
    q_corr: float = 0.5
    small_cluster: int = 5
    spike_slope: float = 25.0
    spike_half_s: float = 0.006
    spike_window_s: tuple[float, float] = (0.10, 0.005)
    spike_sharpness: float = 0.6
    spike_contrast: float = 6.0
    soft_slope: float = 15.0
    soft_sharpness: float = 0.4
    spike_share: tuple[float, float, float] = (0.1, 0.5, 0.25)
    spike_beats: int = 5
    spike_jitter_s: float = 0.003
    spike_delay_s: float = 0.010
    p_window_s: tuple[float, float] = (0.30, 0.06)
    p_points: int = 25
    p_present: float = 0.6
    atrial_premature: float = 0.90
    rhythm_share: float = 0.2
    sinus_gate: tuple[float, float] = (0.8, 1.3)
    sinus_beats: int = 8
    sinus_reset: int = 12
    regular_before: tuple[int, int, float] = (3, 6, 0.12)


@dataclass
class BeatLabels:
    """Per-beat classification suggestions.

    Attributes
    ----------
    samples : ndarray of int64
        Beat positions, samples (as given).
    symbols : list of str
        WFDB beat code per beat: ``N``, ``V``, ``A``, ``/`` or ``Q``
        (:data:`wavetag.signal.vocabulary.CLASSIFIER_CODES`).
    clusters : ndarray of int64
        Morphology cluster per beat; 0 is the largest cluster.
    widths_ms : ndarray of float64
        QRS width of the beat's cluster template, ms.
    prematurity : ndarray of float64
        RR before the beat divided by the dominant rhythm's RR (1 = on time).
    correlation : ndarray of float64
        Correlation of the beat with its cluster template.
    cluster_symbols : list of str
        What each cluster suggests (``N``, ``A``, ``V`` or ``/``).
    cluster_similarity : ndarray of float64
        Correlation of each cluster template with the dominant one.
    p_wave : ndarray of float64
        Correlation of each beat's pre-QRS stretch with the dominant beats' (a
        P wave like theirs: near 1; none, or another: near 0 or below).
    """

    samples: I64
    symbols: list[str]
    clusters: I64
    widths_ms: F64
    prematurity: F64
    correlation: F64
    cluster_symbols: list[str] = field(default_factory=list)
    cluster_similarity: F64 = field(default_factory=lambda: np.zeros(0))
    p_wave: F64 = field(default_factory=lambda: np.zeros(0))

    def plainly_unlike(self, conf: BeatConfig) -> npt.NDArray[np.bool_]:
        """Per cluster: :func:`plainly_unlike` from the stored similarities and widths."""
        n_cl = len(self.cluster_similarity)
        if n_cl == 0:  # no beats
            return np.zeros(0, dtype=bool)
        widths = np.zeros(n_cl)
        widths[self.clusters] = self.widths_ms
        return plainly_unlike(
            self.cluster_similarity, widths, int(np.argmax(self.cluster_similarity)), conf
        )

    def to_dict(self) -> dict[str, object]:
        """Plain lists and numbers (JSON-ready)."""
        d = asdict(self)
        return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in d.items()}


def as_2d(signal: npt.ArrayLike) -> F64:
    """(samples, channels) float64; missing samples (NaN, as wfdb reads invalid
    values) become 0 so that one gap does not spread through the filters."""
    x = np.asarray(signal, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    return np.where(np.isfinite(x), x, 0.0) if not np.isfinite(x).all() else x


def bandpass(x: F64, fs: float, band: tuple[float, float]) -> F32:
    """Zero-phase 2nd-order Butterworth band-pass along axis 0, as float32 (of 2-D ``x``,
    each channel's column contiguous: the transpose of a (channels, samples) array).

    Parameters
    ----------
    x : ndarray of float64
        Signal, mV, shape (samples,) or (samples, channels).
    fs : float
        Sampling frequency, Hz.
    band : (float, float)
        Pass band, Hz; the upper edge is lowered to 0.45 ``fs`` if needed.
    """
    hi = min(band[1], 0.45 * fs)
    sos = butter_sos(2, (band[0], hi), "bandpass", fs)
    # A mains line above the band still leaks through its gentle edge (a third of a 50-Hz
    # line at 40 Hz) and blurs P waves and shapes: notched where it stands out.
    if x.ndim == 1:
        return np.asarray(filtfilt_without_mains(sos, x, fs), dtype=np.float32)
    # One contiguous channel at a time: filtering along axis 0 of a
    # (samples, channels) array is several times slower (strided copies). Written
    # channel-major: quality grades each channel's column, and its percentiles and
    # medians of a strided float32 column took twice as long.
    out = np.empty(x.shape[::-1], dtype=np.float32)
    for c in range(x.shape[1]):
        out[c] = filtfilt_without_mains(sos, np.ascontiguousarray(x[:, c]), fs)
    return out.T


def gather(x: npt.NDArray[np.floating], centres: I64, offsets: I64) -> npt.NDArray[np.floating]:
    """Windows around many positions at once (no loop over beats).

    Parameters
    ----------
    x : ndarray
        Signal, shape (samples,) or (samples, channels).
    centres : ndarray of int64
        Window centres, samples.
    offsets : ndarray of int64
        Offsets from the centre, samples.

    Returns
    -------
    ndarray
        ``x[centre + offset]``, shape (len(centres), len(offsets), ...);
        positions outside the signal repeat its first or last sample.
    """
    n = len(offsets)
    if (
        len(centres)
        and n
        and offsets[-1] - offsets[0] == n - 1
        and np.all(np.diff(offsets) == 1)
        and centres.min() + offsets[0] >= 0
        and centres.max() + offsets[-1] < len(x)
    ):
        # Consecutive offsets, every window inside: rows of a strided view, copied once.
        # Twenty times faster than building and clipping a (beats, offsets) index matrix.
        view = sliding_window_view(x, n, axis=0)[centres + offsets[0]]
        return np.ascontiguousarray(np.moveaxis(view, -1, 1)) if x.ndim > 1 else view
    idx = np.clip(centres[:, None] + offsets[None, :], 0, len(x) - 1)
    out: npt.NDArray[np.floating] = x[idx]
    return out


def local_rr(rr: F64, n: int) -> F64:
    """Local RR interval: the median of the ``n`` intervals before each one.

    Parameters
    ----------
    rr : ndarray of float64
        RR intervals (any unit; the result has the same).
    n : int
        Intervals in the median, beats. The first ``n`` intervals use the
        median of the first ``n + 1`` as their history.
    """
    if len(rr) == 0:
        return rr.copy()
    pad = np.concatenate([np.full(n, np.median(rr[: n + 1])), rr])
    return np.asarray(median_rows(sliding_window_view(pad, n)[: len(rr)]), dtype=np.float64)


def qrs_width_ms(template: F32, fs: float, centre: int, frac: float = 0.05) -> float:
    """QRS width of one beat template from its spatial slope.

    Parameters
    ----------
    template : ndarray of float32
        Averaged beat, mV, shape (samples, channels).
    fs : float
        Sampling frequency, Hz.
    centre : int
        Index of the fiducial point in the template, samples.
    frac : float
        Threshold as a fraction of the velocity peak above its floor.

    Returns
    -------
    float
        Width, ms.

    Notes
    -----
    1. Spatial velocity: the norm across channels of the first difference.
    2. Floor: its 10th percentile over the window (the flat parts).
    3. Onset and offset: the last and first samples, on either side of the
       velocity peak near ``centre``, where it falls below ``frac`` of the
       peak above baseline.
    """
    vel = np.sqrt(np.sum(np.diff(template, axis=0) ** 2, axis=1))
    k = max(1, round(0.008 * fs))  # 8 ms at every rate (3 samples at 360 and 400 Hz)
    vel = np.convolve(vel, np.ones(k) / k, mode="same")
    base = float(np.percentile(vel, 10))
    reach = max(1, int(0.05 * fs))
    lo, hi = max(0, centre - reach), min(len(vel), centre + reach)
    peak = lo + int(np.argmax(vel[lo:hi]))
    level = base + frac * (vel[peak] - base)
    below = vel < level
    before = np.flatnonzero(below[:peak])
    after = np.flatnonzero(below[peak:])
    on = int(before[-1]) + 1 if len(before) else 0
    off = peak + int(after[0]) if len(after) else len(vel)
    return (off - on) * 1000.0 / fs


def _shifted(w: F64, pad: int, m: int, shift: float) -> F64:
    """Columns ``pad + shift`` to ``pad + shift + m - 1`` of the windows ``w`` (beats,
    samples, channels), ``shift`` fractional: linear interpolation, so that a span set in
    seconds is the same span at every rate."""
    lo = int(np.floor(shift))
    frac = shift - lo
    a = w[:, pad + lo : pad + lo + m]
    if frac < 1e-9:
        return a
    return np.asarray(a * (1.0 - frac) + w[:, pad + lo + 1 : pad + lo + 1 + m] * frac)


def _flank_slope(w: F64, pad: int, m: int, half: float, fs: float) -> F64:
    """Slope of the gentler flank of each of the ``m`` samples from column ``pad`` of the
    windows ``w``, over ``half`` samples either side, in mV/s: positive when the sample
    stands above (or below) both neighbours, else 0."""
    mid = w[:, pad : pad + m]
    left = mid - _shifted(w, pad, m, -half)
    right = mid - _shifted(w, pad, m, half)
    same = np.sign(left) == np.sign(right)
    flank = np.where(same, np.minimum(np.abs(left), np.abs(right)), 0.0)
    return np.asarray(flank * (fs / half), dtype=np.float64)


def pacing_spikes(x: F64, fs: float, beats: I64, conf: BeatConfig) -> F64:
    """Pacing spike before each beat, from the slope of the raw signal: strict, lenient
    and where.

    Parameters
    ----------
    x : ndarray of float64
        Unfiltered ECG, mV, shape (samples, channels) (filters would smear a spike).
    fs : float
        Sampling frequency, Hz.
    beats : ndarray of int64
        QRS positions (centre of QRS energy), samples.
    conf : BeatConfig
        ``spike_*`` tunables.

    Returns
    -------
    ndarray of float64, shape (beats, 3)
        Per beat: the slope of the spike's gentler flank, mV/s, 0 where none passes
        the strict tests; the same with the lenient sharpness (``soft_sharpness``);
        where that lenient spike is, s from the fiducial point (negative: before it;
        NaN where there is none).

    Notes
    -----
    Every span is set in seconds and converted with ``fs``: the flanks are measured
    between interpolated samples ``spike_half_s`` away (never closer than one sample),
    so that the same spike gives the same slope at 360, 400 or 500 Hz (a span rounded
    to whole samples was 5.6 ms at 360 Hz and 5.0 ms at 400 Hz, and the spikes of a
    resampled record were lost).

    1. Flank slope of every sample in the window: how steeply it rises above (or
       falls below) both neighbours ``spike_half_s`` away, on the gentler side
       (:func:`_flank_slope`). QRS slopes are monotonic over such short spans and
       score low.
    2. Per beat and channel take the steepest. It is a spike when it is narrow (the
       rise over twice the span barely exceeds the rise over the span:
       ``spike_sharpness``, unlike an R wave, which keeps rising) and stands out from
       the window's other samples (``spike_contrast`` times their 75th percentile plus
       a floor of 0.01 mV over the span, unlike muscle noise) and has no second peak of
       half its slope within 25 ms (a jagged QRS or a tremor comes in trains).
    3. The steepest spike over the channels, and the steepest that passes the
       lenient sharpness with its position (a smeared spike, judged per cluster in
       :func:`paced_clusters`).
    """
    half = max(1.0, conf.spike_half_s * fs)
    a, b = round(conf.spike_window_s[0] * fs), round(conf.spike_window_s[1] * fs)
    reach = int(np.ceil(half))
    q = max(3 * reach, round(0.025 * fs))
    # Slopes are computed 25 ms beyond the search window on both sides, so that a
    # train running into the QRS is seen as one.
    offs = np.arange(-a - q, -b + q + 1, dtype=np.int64)
    search = (offs >= -a) & (offs <= -b)
    if len(beats) == 0 or not search.any():
        none = np.zeros((len(beats), 3))
        none[:, 2] = np.nan
        return none
    # One window per beat wide enough for every shifted copy, sliced (not gathered) ten times.
    pad = int(np.ceil(2 * half)) + 1
    around = np.arange(offs[0] - pad, offs[-1] + pad + 1, dtype=np.int64)
    w = np.asarray(gather(x, beats, around), dtype=np.float64)
    h = _flank_slope(w, pad, len(offs), half, fs)  # (beats, window, channels), mV/s
    # Each channel's window contiguous (beats, channels, window) for the reductions over
    # it: along the middle axis, with two channels inside, they took several times longer.
    h = np.ascontiguousarray(np.moveaxis(h, 1, -1))
    at = np.argmax(np.where(search, h, -1.0), axis=-1)  # (beats, channels)
    top = np.take_along_axis(h, at[..., None], axis=-1)[..., 0]
    # Rise over twice the span against the rise over the span (slope x span), at the
    # steepest sample only: no need for it over the whole window.
    span = at[:, None, :] + np.arange(2 * pad + 1)[None, :, None]
    steepest = np.take_along_axis(w, span, axis=1)
    wide = 2.0 * _flank_slope(steepest, pad, 1, 2 * half, fs)[:, 0, :]
    sharp = top >= conf.spike_sharpness * np.maximum(wide, 1e-9)
    floor = percentiles(h[..., search], 75)
    alone = top >= conf.spike_contrast * (floor + 0.01 * fs / half)
    # No second peak of half the slope nearby: a jagged QRS or tremor has trains of them.
    d = np.abs(np.arange(h.shape[-1]) - at[..., None])
    near = (d > reach) & (d <= q)
    second = np.where(near, h, 0.0).max(axis=-1)
    alone &= second < 0.5 * top
    out = np.zeros((len(beats), 3))
    out[:, 0] = np.where(sharp & alone, top, 0.0).max(axis=1)
    soft = np.where(alone & (top >= conf.soft_sharpness * np.maximum(wide, 1e-9)), top, 0.0)
    best = np.argmax(soft, axis=1)
    out[:, 1] = soft[np.arange(len(beats)), best]
    at_s = offs[at[np.arange(len(beats)), best]] / fs
    out[:, 2] = np.where(out[:, 1] > 0, at_s, np.nan)
    return out


def paced_clusters(
    spikes: F64,
    clusters: I64,
    sizes: I64,
    wide: npt.NDArray[np.bool_],
    fs: float,
    conf: BeatConfig,
) -> npt.NDArray[np.bool_]:
    """Which clusters are paced, from the pacing spikes of their beats.

    Parameters
    ----------
    spikes : ndarray of float64
        :func:`pacing_spikes` of every beat, shape (beats, 3).
    clusters : ndarray of int64
        Cluster of every beat.
    sizes : ndarray of int64
        Beats per cluster.
    wide : ndarray of bool
        Whether each cluster's QRS is at least ``wide_ms`` wide.
    fs : float
        Sampling frequency, Hz.
    conf : BeatConfig

    Notes
    -----
    1. Paced when the median beat passes the strict tests (``spike_slope``) and the QRS
       is wide; a narrower cluster so only in a record with a wide paced cluster (a
       noisy record's narrow cluster of a dozen spiky beats is not a pacemaker).
    2. A spike smeared by a narrow recording band, or small, passes the strict tests in
       only some beats; but a pacemaker puts it before every beat it starts, at one delay
       before the QRS. So a wide cluster of ``small_cluster`` beats or more is paced
       when ``spike_share`` of its beats pass the strict and the lenient tests (and
       ``spike_beats`` of them the strict one) and its lenient spikes lie at one delay
       (``spike_jitter_s``). Noise passes the strict
       tests in few beats and anywhere; a notch at the start of a wide QRS (an initial
       r wave) can be lenient at one delay, but is not strict.
    3. In a record with a paced cluster, another wide cluster whose lenient spikes
       come in ``spike_share`` of its beats at one delay, that of a paced cluster
       (``spike_delay_s``), is paced too: the same pacemaker, the spike too small there
       for the strict test.
    """
    n_cl = len(sizes)
    strict, soft, at = spikes[:, 0], spikes[:, 1], spikes[:, 2]
    median_spike = np.zeros(n_cl, dtype=bool)
    delay = np.full(n_cl, np.nan)
    consistent = np.zeros(n_cl, dtype=bool)
    strict_share = np.zeros(n_cl)
    strict_beats = np.zeros(n_cl)
    soft_share = np.zeros(n_cl)
    jitter = max(conf.spike_jitter_s, 1.0 / fs)
    need_strict, need_soft, need_record = conf.spike_share
    order = np.argsort(clusters, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    for k in range(n_cl):
        idx = order[bounds[k] : bounds[k + 1]]
        if len(idx) == 0:
            continue
        median_spike[k] = np.median(strict[idx]) >= conf.spike_slope
        if sizes[k] < conf.small_cluster or not wide[k]:
            continue
        hit = idx[soft[idx] >= conf.soft_slope]
        soft_share[k] = len(hit) / len(idx)
        if len(hit) < 3:
            continue
        pos = at[hit]
        delay[k] = float(np.median(pos))
        consistent[k] = float(np.median(np.abs(pos - delay[k]))) <= jitter
        strict_beats[k] = float(np.count_nonzero(strict[idx] >= conf.spike_slope))
        strict_share[k] = strict_beats[k] / len(idx)
    shares = consistent & (strict_share >= need_strict) & (soft_share >= need_soft)
    # A pacemaker makes a wide QRS: only wide clusters show that the record has one.
    paced = (median_spike & wide) | (shares & (strict_beats >= conf.spike_beats))
    if np.any(paced & (sizes >= conf.small_cluster)):
        # A pacemaker is there: a cluster of few beats needs no more than its shares, and
        # a narrower one with a spike before its median beat is its too (fusion).
        paced |= shares | median_spike
    ref = delay[paced & np.isfinite(delay)]
    if len(ref):
        near = np.abs(delay[:, None] - ref[None, :]).min(axis=1) <= conf.spike_delay_s
        paced |= consistent & near & (soft_share >= need_record)
    return paced


def classify_beats(
    signal: npt.ArrayLike, fs: float, beats: npt.ArrayLike, conf: BeatConfig | None = None
) -> BeatLabels:
    """Suggest a WFDB beat code for each beat.

    Parameters
    ----------
    signal : array_like of float
        ECG in mV, shape (samples,) or (samples, channels); all channels are
        used for morphology.
    fs : float
        Sampling frequency, Hz.
    beats : array_like of int
        Beat (R-peak) positions, samples, increasing.
    conf : BeatConfig, optional
        Tunables.

    Returns
    -------
    BeatLabels
        Symbols, clusters, widths (ms), prematurity, template correlation.

    Examples
    --------
    >>> import wfdb
    >>> rec = wfdb.rdrecord("mitdb/106")
    >>> ann = wfdb.rdann("mitdb/106", "atr")
    >>> beats = ann.sample[np.isin(ann.symbol, ["N", "V"])]  # beats, not rhythm marks
    >>> labels = classify_beats(rec.p_signal, rec.fs, beats)
    >>> labels.symbols.count("V")  # the reference has 520 PVCs
    518

    Notes
    -----
    1. Band-pass every channel and cut a window around each beat, re-centred
       on its largest QRS energy; windows are normalised to unit norm.
    2. Cluster the windows (:func:`cluster_beats`) and average each cluster
       into a template; measure the template's QRS width (:func:`qrs_width_ms`).
    3. The dominant cluster is the largest.
    4. Evidence per beat: its RR against the dominant rhythm's (:func:`dominant_rr`,
       which only normal-shaped pairs on time update, so that a run of ectopic beats
       or bigeminy does not become the reference), and whether the dominant beats'
       P wave precedes it (:func:`p_similarity`); where the dominant rhythm itself
       has no P wave (atrial fibrillation, noise: :func:`p_context`), timing is not
       trusted.
    5. Cluster label, from physiology rather than size: paced when its beats carry
       pacing spikes (:func:`paced_clusters`: its median spike reaches ``spike_slope``,
       or a share of its beats has one at one delay before the QRS); the dominant cluster
       is normal; a cluster shaped like it is atrial when its beats are premature,
       else normal; a foreign cluster (poorly correlated, or wider by
       ``extra_width_ms``) holding ``rhythm_share`` of the beats on time is a rhythm
       of its own: normal after the dominant P wave (bundle-branch block,
       pre-excitation), otherwise ``Q`` (unsettled); without P waves to judge by,
       a foreign cluster is ventricular only when plainly unlike (poorly correlated,
       or unlike and wide) and early against the beats around it
       (:func:`coupling_against_others` under ``atrial_premature``: a conducted beat
       of another shape comes at any time), or when wide, earlier still (under
       ``premature``) and followed by a full compensatory pause; with them,
       ventricular when premature, normal when on time after the dominant P wave or
       when its beats end the pause after an early beat (late, the partner of a
       bigeminy: the sinus beat the early beat skipped), ventricular when on time but
       wide and unlike without either.
    6. Beat codes: clusters of ``small_cluster`` beats or more give their
       label to their beats; a normal-shaped beat premature against the dominant
       rhythm (``atrial_premature``), after a regular stretch of it
       (:func:`regular_before`), and followed by a longer interval
       (``early_return``) is ``A``, and so is each beat of a salvo of such beats
       (:func:`early_runs`). In small clusters a premature, foreign beat
       followed by a full compensatory pause is ``V``, and so is a shape like a large
       ventricular cluster's (``similar_corr``) and unlike the dominant beat's (the
       kin of those PVCs, late-coupled), and a beat of a cluster step 5 calls
       ventricular, without a P wave in a rhythm that has them, not late, and followed
       by a full compensatory pause (a late-coupled PVC of its own shape); else a
       shape unlike every large cluster is ``Q``. Small paced clusters are ``/`` only when a large
       cluster is paced too.
    """
    conf = conf or BeatConfig()
    return label_windows(beat_windows(signal, fs, beats, conf), fs, conf)


@dataclass
class BeatWindows:
    """What classification needs of the signal around each beat (nothing else of it).

    Attributes
    ----------
    samples : ndarray of int64
        Beat positions, samples (as given).
    centre : ndarray of int64
        Each beat re-centred on its largest QRS energy, samples.
    windows : ndarray of float32
        Band-passed window around each centre, shape (beats, samples, channels).
    spikes : ndarray of float64
        Pacing spike before each beat, shape (beats, 3) (:func:`pacing_spikes`).
    before : ndarray of float32
        The band-passed stretch where a P wave would be, ``p_points`` samples of
        it, shape (beats, p_points, channels).
    """

    samples: I64
    centre: I64
    windows: F32
    spikes: F64
    before: F32


def beat_windows(
    signal: npt.ArrayLike,
    fs: float,
    beats: npt.ArrayLike,
    conf: BeatConfig | None = None,
    bp: F32 | None = None,
) -> BeatWindows:
    """Cut the classification windows of ``beats`` out of ``signal``.

    A long record is classified piecewise: the windows of each piece (read with a few
    seconds of margin, so that the band-pass filter settles) are gathered into one
    :class:`BeatWindows` and labelled once by :func:`label_windows`. ``bp``, when given,
    is ``signal`` band-passed in ``conf.band_hz`` (:func:`bandpass` of :func:`as_2d`),
    computed once for this and for quality grading.
    """
    conf = conf or BeatConfig()
    x = as_2d(signal)
    b = np.asarray(beats, dtype=np.int64)
    pre, post = round(conf.pre_s * fs), round(conf.post_s * fs)
    if len(b) == 0:
        empty = np.zeros((0, pre + post + 1, x.shape[1]), dtype=np.float32)
        none = np.zeros((0, conf.p_points, x.shape[1]), dtype=np.float32)
        return BeatWindows(b, b.copy(), empty, np.zeros((0, 3)), none)
    bp = bandpass(x, fs, conf.band_hz) if bp is None else bp
    # Channel by channel: np.sum over the short channel axis of a day's samples is twenty
    # times slower, and it adds fewer than eight values in this same order (the same bits).
    energy = bp[:, 0] * bp[:, 0]
    for c in range(1, bp.shape[1]):
        energy += bp[:, c] * bp[:, c]
    r = max(1, round(conf.align_s * fs))
    shift = np.argmax(gather(energy, b, np.arange(-r, r + 1, dtype=np.int64)), axis=1) - r
    centre = b + shift
    win = gather(bp, centre, np.arange(-pre, post + 1, dtype=np.int64))  # (n, L, ch)
    spikes = pacing_spikes(x, fs, centre, conf)
    before = gather(bp, centre, p_offsets(fs, conf))
    return BeatWindows(b, centre, np.asarray(win, dtype=np.float32), spikes, before)


def p_offsets(fs: float, conf: BeatConfig) -> I64:
    """Where the P-wave stretch is sampled, samples from the fiducial point: the same
    ``p_points`` instants at every rate, so that its memory does not grow with fs."""
    far, near = conf.p_window_s
    return np.round(np.linspace(-far, -near, conf.p_points) * fs).astype(np.int64)


def dominant_rr(beats: I64, normal: npt.NDArray[np.bool_], fs: float, conf: BeatConfig) -> F64:
    """The dominant rhythm's RR at each beat, samples: what a beat's timing is judged against.

    A median of the last intervals between two normal-shaped beats would follow the
    ectopic rhythm it is meant to expose (in a run of atrial beats, or in bigeminy,
    the local RR is the ectopic one, and nothing looks premature). So the estimate
    takes only the intervals between two normal-shaped beats that lie within
    ``sinus_gate`` of it (the rate drifts, it does not jump); when ``sinus_reset``
    regular intervals in a row fall outside, the rhythm has changed and the estimate
    restarts from them.
    """
    n = len(beats)
    if n < 2:
        return np.full(n, float(round(fs)))
    rr = np.diff(beats).astype(np.float64)
    lo, hi = conf.sinus_gate
    keep_n, reset = conf.sinus_beats, conf.sinus_reset
    first = sorted(rr[: keep_n + 1].tolist())
    est = first[len(first) // 2]
    # The kept intervals twice: in arrival order (the oldest leaves) and sorted (their
    # median by index): sorting eight numbers at every beat was most of the loop's time.
    kept: deque[float] = deque()
    ranked: list[float] = []
    outside: list[float] = []
    ok = (normal[1:] & normal[:-1]).tolist()  # intervals between two normal-shaped beats
    out = [est] * n  # a list, filled as the loop goes: numpy items cost more each
    for i, (r, both) in enumerate(zip(rr.tolist(), ok, strict=True), start=1):
        out[i] = est
        if not both:
            continue
        if lo * est <= r <= hi * est:
            kept.append(r)
            insort(ranked, r)
            if len(kept) > keep_n:
                del ranked[bisect_left(ranked, kept.popleft())]
            m = len(ranked) // 2
            est = ranked[m] if len(ranked) % 2 else 0.5 * (ranked[m - 1] + ranked[m])
            outside.clear()
            continue
        outside.append(r)
        if len(outside) >= reset:
            recent = outside[-reset:]
            mid = median(recent)
            if max(recent) - min(recent) < 0.15 * mid:
                kept = deque(recent[-keep_n:])
                ranked = sorted(kept)
                est = median(ranked)
                outside.clear()
    return np.array(out, dtype=np.float64)


def regular_before(rr: F64, sinus: F64, conf: BeatConfig) -> npt.NDArray[np.bool_]:
    """Whether enough of the intervals before each beat's own sit at the dominant RR
    (``regular_before``): the rhythm an atrial premature beat interrupts."""
    need, k, tol = conf.regular_before
    n = len(rr)
    # Interval j (ending at beat j) is before beat i's own when i - k <= j <= i - 1.
    pad = np.concatenate([np.full(k, np.nan), rr])
    prev = sliding_window_view(pad, k)[:n]  # row i: rr[i - k : i]
    with np.errstate(invalid="ignore"):
        near = np.abs(prev / sinus[:, None] - 1.0) <= tol
    # Near the record's start fewer intervals are there: the same share of them is asked.
    have = np.sum(~np.isnan(prev), axis=1)
    return np.asarray(np.sum(near, axis=1) >= np.ceil(have * need / k), dtype=bool)


P_BLOCK = 20000  # beats a block in p_similarity


def p_similarity(before: F32, dominant: npt.NDArray[np.bool_]) -> F64:
    """Correlation of each beat's pre-QRS stretch with the dominant beats' mean one.

    A conducted beat (sinus, bundle-branch block, pre-excitation) has the dominant
    beats' P wave at their PR interval: near 1. A ventricular beat has none there, an
    atrial one another: low. Noise and atrial fibrillation give low values to every
    beat, which :func:`p_context` turns into "no P wave to judge by".
    """
    n = len(before)
    if not dominant.any():
        return np.zeros(n)
    rows = before.reshape(n, -1)

    def centred(a: int) -> F64:
        flat = rows[a : a + P_BLOCK].astype(np.float64)
        flat -= flat.mean(axis=1, keepdims=True)
        return flat

    # A block of beats at a time: in float64 a 72-h Holter's stretches would take 130 MB,
    # and the dominant beats' copy as much again. The dominant rows are added in order,
    # one after another, as numpy sums a column of one array: the same mean to the bit.
    total = np.zeros(rows.shape[1])
    norms = np.empty(n)
    for a in range(0, n, P_BLOCK):
        flat = centred(a)
        norms[a : a + P_BLOCK] = np.linalg.norm(flat, axis=1)
        for row in flat[dominant[a : a + P_BLOCK]]:
            total += row
    t = total / np.count_nonzero(dominant)
    norms *= max(float(np.linalg.norm(t)), 1e-12)
    out = np.empty(n)
    for a in range(0, n, P_BLOCK):
        out[a : a + P_BLOCK] = centred(a) @ t
    return np.asarray(out / np.maximum(norms, 1e-12), dtype=np.float64)


def p_context(p_wave: F64, normal: npt.NDArray[np.bool_], beats: int, span: int = 15) -> F64:
    """Median P-wave similarity of the ``span`` normal-shaped beats around each beat:
    whether the dominant rhythm has a P wave there (sinus) or not (atrial
    fibrillation, noise), so that timing is trusted only where it means something."""
    idx = np.flatnonzero(normal)
    if len(idx) == 0:
        return np.zeros(beats)
    vals = p_wave[idx]
    half = span // 2
    pad = np.concatenate([np.full(half, vals[0]), vals, np.full(half, vals[-1])])
    med = np.empty(len(vals))
    for a in range(0, len(vals), 50000):
        block = sliding_window_view(pad[a : a + 50000 + 2 * half], span)
        med[a : a + len(block)] = median_rows(block)
    at = np.clip(np.searchsorted(idx, np.arange(beats)), 0, len(idx) - 1)
    return np.asarray(med[at], dtype=np.float64)


def early_runs(
    normal_shape: npt.NDArray[np.bool_],
    prem: F64,
    rr: F64,
    nxt: F64,
    p_rhythm: npt.NDArray[np.bool_],
    steady: npt.NDArray[np.bool_],
    conf: BeatConfig,
) -> npt.NDArray[np.bool_]:
    """Normal-shaped beats that are atrial premature beats: one beat or a run of them,
    each premature against the dominant rhythm (``atrial_premature``) where it has P
    waves, the first after a regular stretch of it, the last followed by a longer
    interval (``early_return``): an early beat (or a salvo) the rhythm returns from, not
    the sinus rate speeding up (where the next interval stays short)."""
    cand = normal_shape & (prem < conf.atrial_premature) & p_rhythm
    if not cand.any():
        return cand
    edge = np.diff(np.concatenate([[0], cand.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1) - 1
    ok = steady[starts] & (nxt[ends] >= conf.early_return * rr[ends])
    # A lone early beat the rhythm returns from, even inside a longer run of early ones.
    out = cand & steady & (nxt >= conf.early_return * rr)
    for a, z in zip(starts[ok].tolist(), ends[ok].tolist(), strict=True):
        out[a : z + 1] = True
    return out


def coupling_against_others(rr: F64, members: npt.NDArray[np.bool_], span: int = 4) -> F64:
    """Per member (in order): its RR over the median RR of the ``span`` beats either side
    that are not members. How early the beats of a cluster come against the rhythm around
    them, where there is no sinus rate to time them against (atrial fibrillation); a run of
    members (a ventricular tachycardia) is timed against the beats around the run."""
    at = np.flatnonzero(members)
    others = rr[~members]
    if len(others) == 0:
        return np.ones(len(at))
    padded = np.pad(others, span, mode="edge")
    # Window k of the padded intervals holds the `span` others before the k-th other
    # and the `span` from it on: those around a member that comes before the k-th.
    k = np.searchsorted(np.flatnonzero(~members), at)
    around = np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * span)[k], axis=1)
    out: F64 = rr[at] / np.maximum(around, 1.0)
    return out


def wide_clusters(widths: F64, dom: int, conf: BeatConfig) -> npt.NDArray[np.bool_]:
    """Per cluster: a QRS wide in itself, or clearly wider than the dominant cluster's."""
    wide: npt.NDArray[np.bool_] = (widths >= conf.wide_ms) | (
        widths >= widths[dom] + conf.extra_width_ms
    )
    return wide


def plainly_unlike(
    similarity: F64, widths: F64, dom: int, conf: BeatConfig
) -> npt.NDArray[np.bool_]:
    """Per cluster: a shape plainly unlike the dominant cluster ``dom`` (poorly correlated,
    or unlike and wide), the only evidence of a ventricular beat where there are no P waves
    (atrial fibrillation, no sinus rhythm to time a beat against)."""
    wide = wide_clusters(widths, dom, conf)
    plain: npt.NDArray[np.bool_] = (similarity < conf.q_corr) | ((similarity < conf.v_corr) & wide)
    return plain


def intervals(beats: I64, fs: float) -> tuple[F64, F64]:
    """The RR interval before and after each beat, samples (before the first: the one
    after it, or a second; after the last: the one before it)."""
    n = len(beats)
    rr = np.diff(beats, prepend=beats[0] - (beats[1] - beats[0] if n > 1 else round(fs)))
    rr = rr.astype(np.float64)
    return rr, np.append(rr[1:], rr[-1])


def label_windows(w: BeatWindows, fs: float, conf: BeatConfig | None = None) -> BeatLabels:
    """Beat codes and clusters from the windows of every beat of a record (steps 2-5 of
    :func:`classify_beats`). The windows are normalised in place: ``w`` is used up."""
    conf = conf or BeatConfig()
    b = w.samples
    n = len(b)
    if n == 0:
        e = np.zeros(0)
        return BeatLabels(b, [], b.copy(), e, e.copy(), e.copy(), [])
    wshape = w.windows.shape[1:]
    pre = round(conf.pre_s * fs)
    z, amp, offset = normalise_in_place(w.windows.reshape(n, -1))
    clusters = cluster_beats(z, amp, conf)
    corr = template_correlation(z, clusters)

    n_cl = int(clusters.max()) + 1
    sizes = np.bincount(clusters, minlength=n_cl)
    templates = [t.reshape(wshape) for t in cluster_means(z, amp, offset, clusters, n_cl)]
    del z
    widths = np.array([qrs_width_ms(t, fs, pre) for t in templates])
    dom = int(np.argmax(sizes))
    tz, _ = normalise(np.stack([t.reshape(-1) for t in templates]))
    corr_dom = tz @ tz[dom]
    paced_cl = paced_clusters(w.spikes, clusters, sizes, widths >= conf.wide_ms, fs, conf)

    rr, nxt = intervals(b, fs)
    # A shape "foreign" to the dominant beat: poorly correlated or clearly wider.
    foreign_cl = (corr_dom < conf.similar_corr) | (widths >= widths[dom] + conf.extra_width_ms)
    wide_cl = wide_clusters(widths, dom, conf)
    plain_cl = plainly_unlike(corr_dom, widths, dom, conf)
    normal = ~foreign_cl[clusters]
    sinus = dominant_rr(b, normal, fs, conf)
    prem = rr / np.maximum(sinus, 1.0)
    comp = (rr + nxt) / np.maximum(sinus, 1.0)
    is_prem = prem < conf.premature
    prev_prem = np.append(np.inf, prem[:-1])
    ends_pause = (prev_prem < conf.premature) & (prev_prem + prem >= conf.compensatory)
    p_wave = p_similarity(w.before, clusters == dom)
    # Where the dominant rhythm shows a P wave, timing and P waves can decide; where it
    # does not (atrial fibrillation, a junctional rhythm, noise) only the shape can.
    p_rhythm = p_context(p_wave, normal, n) >= conf.p_present
    between_normal = np.r_[False, normal[:-1]] & np.r_[normal[1:], False]
    shape: list[str] = []
    artefact_cl = np.zeros(n_cl, dtype=bool)
    for k in range(n_cl):
        members = clusters == k
        if paced_cl[k]:
            shape.append("/")
        elif k == dom:
            shape.append("N")
        elif not foreign_cl[k]:
            timed = members & p_rhythm
            early_cl = timed.any() and np.median(prem[timed]) < conf.premature
            shape.append("A" if early_cl else "N")
        elif sizes[k] >= conf.rhythm_share * n and np.median(prem[members]) >= conf.premature:
            # A fifth of the record, on time: a rhythm of its own (bundle-branch block,
            # pre-excitation, a second dominant shape) is conducted unless shown
            # otherwise; with the dominant P wave before it, it is; without, unsettled.
            shape.append("N" if np.median(p_wave[members]) >= conf.p_present else "Q")
        elif np.mean(p_rhythm[members]) < 0.5:
            # No P waves to judge by: ventricular only when the shape says so plainly
            # and the beats come early against the irregular rhythm around them (a
            # conducted beat of another shape comes at any time), or when a wide shape
            # comes earlier still and a full compensatory pause follows: the sinus node
            # went on undisturbed, where noise hides its P waves.
            coupling = float(np.median(coupling_against_others(rr, members)))
            early = plain_cl[k] and coupling < conf.atrial_premature
            pvc_timing = (
                wide_cl[k]
                and coupling < conf.premature
                and np.median(comp[members]) >= conf.compensatory
            )
            shape.append("V" if early or pvc_timing else "N")
        elif (
            widths[k] < widths[dom] - conf.extra_width_ms
            and np.median(prem[members]) < conf.premature
            and np.median(comp[members]) < conf.interpolated
            and np.mean(between_normal[members]) >= 0.5
        ):
            # Unlike the dominant beat, early, narrower than it, alone between two
            # normal-shaped beats, and the rhythm goes on as if it were not there: no
            # ventricular beat (those are wide, and the sinus beat after one is skipped
            # or reset; a salvo's beats split cycles too, but follow each other). A
            # deflection the detector took for a beat (an electrode pop): unclassified.
            shape.append("Q")
            artefact_cl[k] = True
        elif np.median(prem[members]) < conf.premature:
            shape.append("V")
        elif np.median(p_wave[members]) >= conf.p_present:
            # On time, after the dominant beats' P wave: conducted (a bundle-branch
            # block, pre-excitation), however unlike the dominant QRS it looks.
            shape.append("N")
        elif np.mean(ends_pause[members]) >= 0.5:
            # Late, ending the pause after an early beat: the sinus beat the early
            # beat reset or skipped (the partner of a bigeminy), conducted whatever its
            # shape (a bundle-branch block the dominant beats do not have).
            shape.append("N")
        elif wide_cl[k] and corr_dom[k] < (
            conf.v_corr_early[1] if np.median(prem[members]) < conf.v_corr_early[0] else conf.v_corr
        ):
            # On time, wide, unlike, and not after the dominant P wave: a ventricular
            # rhythm, or late-coupled beats that come before the P wave is conducted
            # (a little early: less unlike will do).
            shape.append("V")
        else:
            shape.append("N")

    artefact = artefact_cl[clusters]
    if artefact.any():
        # The other beats timed without them: the sinus beat after an electrode pop is
        # not early, nor is the pop a beat the rhythm returns from.
        keep = np.flatnonzero(~artefact)
        rr[keep], nxt[keep] = intervals(b[keep], fs)
        prem = rr / np.maximum(sinus, 1.0)
        comp = (rr + nxt) / np.maximum(sinus, 1.0)
        is_prem = prem < conf.premature
    cl_shape = np.array(shape)[clusters]
    small = sizes[clusters] < conf.small_cluster
    foreign = foreign_cl[clusters]
    sym = np.full(n, "N", dtype="<U1")
    # Premature and followed by a longer interval: an early beat, not the
    # sinus rate speeding up (where the next interval stays short).
    # Against a regular rhythm before it: in atrial fibrillation every interval differs
    # (coarse fibrillatory waves can pass for the dominant P wave).
    steady = regular_before(rr, sinus, conf)
    sym[early_runs(cl_shape == "N", prem, rr, nxt, p_rhythm, steady, conf)] = "A"
    sym[(cl_shape == "A") & ~small & p_rhythm & steady] = "A"
    sym[(cl_shape == "V") & ~small] = "V"
    sym[(cl_shape == "Q") & ~small] = "Q"
    # A rare shape like none of the common ones, without the timing of a PVC.
    large = sizes >= conf.small_cluster
    best_large = (tz @ tz[large].T).max(axis=1) if large.any() else np.ones(n_cl)
    sym[small & (best_large[clusters] < conf.q_corr)] = "Q"
    # A few beats shaped like a large ventricular cluster, and unlike the dominant beat,
    # are more of its kind, however they are timed (late-coupled PVCs).
    if large.any():
        like = tz @ tz[large].T
        nearest = np.flatnonzero(large)[np.argmax(like, axis=1)]
        kin_v = (np.array(shape)[nearest] == "V") & (like.max(axis=1) >= conf.similar_corr)
        kin_v &= corr_dom < conf.similar_corr
        sym[small & kin_v[clusters]] = "V"
    sym[small & is_prem & foreign & (comp >= conf.compensatory)] = "V"
    # A rare shape that the timing and P waves call ventricular (no dominant P wave
    # before it in a rhythm that has them, not late, and a full compensatory pause
    # after it): a late-coupled PVC. Noise splits an interval; it does not do that.
    sym[
        small
        & (cl_shape == "V")
        & p_rhythm
        & (p_wave < conf.p_present)
        & (prem < 1.0)
        & (comp >= conf.compensatory)
    ] = "V"
    # An isolated spiky beat in a record without a paced cluster is noise, not pacing.
    paced_record = bool(np.any((np.array(shape) == "/") & (sizes >= conf.small_cluster)))
    sym[(cl_shape == "/") & (~small | paced_record)] = "/"
    return BeatLabels(
        samples=b,
        symbols=sym.tolist(),
        clusters=clusters,
        widths_ms=widths[clusters].astype(np.float64),
        prematurity=prem,
        correlation=corr.astype(np.float64),
        cluster_symbols=shape,
        cluster_similarity=corr_dom.astype(np.float64),
        p_wave=p_wave,
    )
