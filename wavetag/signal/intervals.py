"""Heart rate, RR statistics and ECG intervals measured on a median beat.

Intervals are measured once per record (or segment) on the median of many
normal beats, across all leads together: QRS onset is the earliest and T end
the latest activity of the spatial (all-lead) signal, as the 12-lead
measurement programs do. A wave that cannot be found (no P wave in atrial
fibrillation or a paced rhythm) is reported as ``None``, never guessed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from .beats import as_2d, gather, local_rr
from .filters import butter_sos

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class IntervalConfig:
    """Tunables of :func:`hr_stats` and :func:`delineate`.

    Attributes
    ----------
    nn_tolerance : float
        An RR interval is normal-to-normal when within this fraction of the
        local RR (and both its beats are ``N``).
    hr_window_beats : int
        Min and max heart rate come from running means over this many RR.
    max_beats : int
        Beats (evenly spread) averaged into the median beat.
    highpass_hz : float
        Baseline removal before averaging, Hz.
    qrs_frac : float
        QRS onset/offset: where the spatial velocity falls below this
        fraction of its peak (above its floor).
    p_search_s : (float, float)
        P wave looked for this many s before QRS onset (from, to).
    p_min_mv : float
        Smallest P-wave amplitude accepted, mV.
    p_duration_s : (float, float)
        Shortest and longest P wave accepted, s.
    p_coherence : float
        The median beat's P amplitude must be at least this fraction of the
        single beats' typical P-window amplitude (P waves locked to the QRS
        survive averaging; fibrillatory waves and noise do not).
    t_min_mv : float
        Smallest T-wave amplitude accepted, mV.
    t_start_s : float
        T wave looked for from this many s after QRS offset.
    """

    nn_tolerance: float = 0.2
    hr_window_beats: int = 8
    max_beats: int = 300
    highpass_hz: float = 0.5
    qrs_frac: float = 0.03
    p_search_s: tuple[float, float] = (0.32, 0.02)
    p_min_mv: float = 0.03
    p_duration_s: tuple[float, float] = (0.04, 0.20)
    p_coherence: float = 0.5
    t_min_mv: float = 0.05
    t_start_s: float = 0.06


@dataclass
class HeartRateStats:
    """Heart rate and RR variability of a beat series.

    Attributes
    ----------
    n_beats, n_nn : int
        Beats, and normal-to-normal intervals used for SDNN and RMSSD.
    mean_hr, min_hr, max_hr : float or None
        bpm; min and max over running means of ``hr_window_beats`` RR.
    mean_rr_ms, sdnn_ms, rmssd_ms : float or None
        ms, over NN intervals.
    """

    n_beats: int
    n_nn: int
    mean_hr: float | None
    min_hr: float | None
    max_hr: float | None
    mean_rr_ms: float | None
    sdnn_ms: float | None
    rmssd_ms: float | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Intervals:
    """Fiducial points and intervals of the median beat.

    Fiducial points are in ms from the R peak (negative before it); intervals
    in ms. Any of them is None when its wave was not found.

    Attributes
    ----------
    n_beats : int
        Beats averaged.
    rr_ms, hr : float or None
        Median RR (ms) of the averaged beats and its heart rate (bpm).
    p_on, p_off, qrs_on, qrs_off, t_peak, t_end : float or None
        Fiducial points, ms from the R peak.
    pr_ms, qrs_ms, qt_ms, qtc_bazett_ms, qtc_fridericia_ms : float or None
        Intervals, ms.
    """

    n_beats: int
    rr_ms: float | None = None
    hr: float | None = None
    p_on: float | None = None
    p_off: float | None = None
    qrs_on: float | None = None
    qrs_off: float | None = None
    t_peak: float | None = None
    t_end: float | None = None
    pr_ms: float | None = None
    qrs_ms: float | None = None
    qt_ms: float | None = None
    qtc_bazett_ms: float | None = None
    qtc_fridericia_ms: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def nn_mask(beats: I64, symbols: list[str] | None, conf: IntervalConfig) -> npt.NDArray[np.bool_]:
    """Which RR intervals are normal to normal.

    Parameters
    ----------
    beats : ndarray of int64
        Beat positions, samples.
    symbols : list of str or None
        Beat codes; when given, both beats of an NN interval are ``N``.
    conf : IntervalConfig
        ``nn_tolerance``: largest deviation from the local RR, as a fraction.

    Returns
    -------
    ndarray of bool
        One flag per interval (``len(beats) - 1``).
    """
    rr = np.diff(beats).astype(np.float64)
    ok = np.abs(rr / np.maximum(local_rr(rr, 8), 1.0) - 1.0) <= conf.nn_tolerance
    if symbols is not None:
        n = np.asarray(symbols) == "N"
        ok &= n[1:] & n[:-1]
    return np.asarray(ok, dtype=np.bool_)


def hr_stats(
    beats: npt.ArrayLike,
    fs: float,
    symbols: list[str] | None = None,
    conf: IntervalConfig | None = None,
) -> HeartRateStats:
    """Heart rate and RR statistics.

    Parameters
    ----------
    beats : array_like of int
        Beat positions, samples, increasing.
    fs : float
        Sampling frequency, Hz.
    symbols : list of str, optional
        Beat codes; only intervals between two ``N`` beats are NN.
    conf : IntervalConfig, optional

    Returns
    -------
    HeartRateStats

    Notes
    -----
    1. RR intervals in ms; the mean heart rate is 60000 / mean RR over all beats.
    2. Min/max heart rate: extremes of running means of ``hr_window_beats``
       RR, so that one ectopic beat or a missed beat does not set them.
    3. NN intervals: both beats ``N`` and RR within ``nn_tolerance`` of the
       local RR; SDNN is their standard deviation, RMSSD the root mean square
       of successive differences between adjacent NN intervals.
    """
    conf = conf or IntervalConfig()
    b = np.asarray(beats, dtype=np.int64)
    if len(b) < 2:
        return HeartRateStats(len(b), 0, None, None, None, None, None, None)
    rr = np.diff(b) * 1000.0 / fs
    k = min(conf.hr_window_beats, len(rr))
    run = np.convolve(rr, np.ones(k) / k, mode="valid")
    nn = nn_mask(b, symbols, conf)
    nn_rr = rr[nn]
    both = nn[1:] & nn[:-1]
    succ = np.diff(rr)[both]
    return HeartRateStats(
        n_beats=len(b),
        n_nn=int(nn.sum()),
        mean_hr=float(60000.0 / rr.mean()),
        min_hr=float(60000.0 / run.max()),
        max_hr=float(60000.0 / run.min()),
        mean_rr_ms=float(nn_rr.mean()) if len(nn_rr) else None,
        sdnn_ms=float(nn_rr.std(ddof=1)) if len(nn_rr) > 1 else None,
        rmssd_ms=float(np.sqrt(np.mean(succ**2))) if len(succ) else None,
    )


def dominant_kind(symbols: list[str]) -> str:
    """``"/"`` when paced beats outnumber normal ones, else ``"N"``: the beats a median
    beat is made of. A paced record's intervals are those of its paced beats (the few
    conducted or fusion beats would otherwise make the median, or blur it)."""
    paced = sum(1 for s in symbols if s == "/")
    return "/" if paced > sum(1 for s in symbols if s == "N") else "N"


def median_beat(
    signal: npt.ArrayLike,
    fs: float,
    beats: npt.ArrayLike,
    symbols: list[str] | None = None,
    conf: IntervalConfig | None = None,
) -> tuple[F64, F64, int, float]:
    """Median beat of the normal, on-time beats.

    Parameters
    ----------
    signal : array_like of float
        ECG, mV, shape (samples,) or (samples, channels).
    fs : float
        Sampling frequency, Hz.
    beats : array_like of int
        Beat positions, samples (at least three).
    symbols : list of str, optional
        Beat codes; only beats of the dominant kind are used when given: paced
        (``/``) when they outnumber ``N``, else ``N`` (all beats when fewer than two
        are of that kind).
    conf : IntervalConfig, optional

    Returns
    -------
    median : ndarray of float64
        Median beat, mV, shape (samples, channels), from 0.45 s before to
        0.75 s after the R peak.
    windows : ndarray of float64
        The baseline-corrected single beats, shape (beats, samples, channels).
    centre : int
        Index of the R peak in ``median``.
    rr_s : float
        Median RR interval of the beats used, s.

    Notes
    -----
    1. Keep beats within ``nn_tolerance`` of the local RR (and of the dominant
       kind), at most ``max_beats`` of them spread evenly over the record.
    2. Cut 1-s longer windows, high-pass each at ``highpass_hz`` and trim:
       the cost does not grow with the record and the filter edges fall
       outside the beat.
    3. Take the sample-wise median.
    """
    conf = conf or IntervalConfig()
    x = as_2d(signal)
    b = np.asarray(beats, dtype=np.int64)
    if len(b) < 3:
        raise ValueError("at least three beats are needed for a median beat")
    rr = np.diff(b).astype(np.float64)
    ok = np.ones(len(b), dtype=bool)
    ok[0] = ok[-1] = False
    local = local_rr(rr, 8)
    prem = np.append(rr[0], rr) / np.maximum(np.append(local[0], local), 1.0)
    ok &= np.abs(prem - 1.0) <= conf.nn_tolerance
    if symbols is not None:
        ok &= np.asarray(symbols) == dominant_kind(symbols)
    pick = np.flatnonzero(ok)
    if len(pick) < 2:
        pick = np.arange(1, len(b) - 1)
    if len(pick) > conf.max_beats:
        pick = pick[np.linspace(0, len(pick) - 1, conf.max_beats).astype(np.int64)]
    rr_s = float(np.median(np.diff(b)[np.clip(pick - 1, 0, len(rr) - 1)]) / fs)
    # Long windows, filtered individually, then trimmed: the filter's edges fall outside.
    pad = round(1.0 * fs)
    pre, post = round(0.45 * fs), round(0.75 * fs)
    wins = gather(x, b[pick], np.arange(-pre - pad, post + pad + 1, dtype=np.int64))
    from scipy.signal import sosfiltfilt  # here: scipy.signal takes ~1.4 s to import, and

    # the web process imports this module (for its small helpers) but never filters
    sos = butter_sos(1, conf.highpass_hz, "highpass", fs)
    wins = np.asarray(sosfiltfilt(sos, wins, axis=1), dtype=np.float64)[:, pad:-pad]
    return np.median(wins, axis=0), wins, pre, rr_s


def _tangent_cross(y: F64, i_slope: int, level: float) -> float:
    """Where the tangent to ``y`` at ``i_slope`` crosses ``level`` (fractional index)."""
    d = (y[min(i_slope + 1, len(y) - 1)] - y[max(i_slope - 1, 0)]) / 2.0
    if d == 0:
        return float(i_slope)
    return float(i_slope + (level - y[i_slope]) / d)


def delineate(
    signal: npt.ArrayLike,
    fs: float,
    beats: npt.ArrayLike,
    symbols: list[str] | None = None,
    conf: IntervalConfig | None = None,
) -> Intervals:
    """P, QRS and T boundaries and the PR, QRS, QT and QTc intervals.

    Parameters
    ----------
    signal : array_like of float
        ECG in mV, shape (samples,) or (samples, channels) (e.g. 12 leads).
    fs : float
        Sampling frequency, Hz.
    beats : array_like of int
        Beat (R-peak) positions, samples.
    symbols : list of str, optional
        Beat codes; only beats of the dominant kind (``N``, or ``/`` in a paced
        record) are averaged when given.
    conf : IntervalConfig, optional

    Returns
    -------
    Intervals

    Notes
    -----
    1. Median beat of up to ``max_beats`` normal, on-time beats
       (:func:`median_beat`), baseline removed by a 0.5 Hz high-pass.
    2. QRS: the spatial velocity (norm over leads of the slope, smoothed over
       8 ms) peaks within 60 ms of the R peak; onset and offset are where it
       falls below ``qrs_frac`` of that peak above its floor.
    3. Isoelectric level per lead: the median beat just before QRS onset;
       the spatial magnitude is the norm over leads after subtracting it.
    4. T wave: the largest magnitude from ``t_start_s`` after QRS offset to
       before the next beat's P wave; T end is where the tangent at the
       steepest descent after the peak reaches the isoelectric level.
    5. P wave: the largest magnitude in ``p_search_s`` before QRS onset (and
       after the previous beat's T end), accepted when it reaches ``p_min_mv``,
       survives averaging (``p_coherence``) and lasts ``p_duration_s``;
       onset and offset by tangents as for T end.
    6. PR = QRS onset - P onset; QT = T end - QRS onset; QTc by Bazett
       (QT / sqrt(RR)) and Fridericia (QT / cbrt(RR)), RR in s.
    """
    conf = conf or IntervalConfig()
    b = np.asarray(beats, dtype=np.int64)
    if len(b) < 3:
        return Intervals(n_beats=0)
    med, wins, c, rr_s = median_beat(signal, fs, b, symbols, conf)
    ms = 1000.0 / fs
    out = Intervals(n_beats=len(wins), rr_ms=rr_s * 1000.0, hr=60.0 / rr_s)

    k = max(1, round(0.008 * fs))
    vel = np.sqrt(np.sum(np.gradient(med, axis=0) ** 2, axis=1))
    vel = np.convolve(vel, np.ones(k) / k, mode="same")
    reach = round(0.06 * fs)
    peak = c - reach + int(np.argmax(vel[c - reach : c + reach + 1]))
    floor = float(np.percentile(vel, 10))
    level = floor + conf.qrs_frac * (vel[peak] - floor)
    lim = round(0.2 * fs)
    before = np.flatnonzero(vel[peak - lim : peak] < level)
    after = np.flatnonzero(vel[peak : peak + lim] < level)
    if not len(before) or not len(after):
        return out
    on = peak - lim + int(before[-1]) + 1
    off = peak + int(after[0])
    out.qrs_on, out.qrs_off, out.qrs_ms = (on - c) * ms, (off - c) * ms, (off - on) * ms

    iso = np.median(med[max(0, on - round(0.02 * fs)) : on + 1], axis=0)
    mag = np.sqrt(np.sum((med - iso) ** 2, axis=1))
    base = float(mag[max(0, on - round(0.01 * fs))])

    t_end = _find_t(mag, base, off, c, rr_s, fs, conf)
    if t_end is not None:
        t_pk, t_e = t_end
        out.t_peak, out.t_end = (t_pk - c) * ms, (t_e - c) * ms
        out.qt_ms = (t_e - on) * ms
        out.qtc_bazett_ms = float(out.qt_ms / np.sqrt(rr_s))
        out.qtc_fridericia_ms = float(out.qt_ms / np.cbrt(rr_s))

    # The previous beat's T wave must not pass for a P wave at fast rates.
    prev_t = (t_end[1] if t_end is not None else c + 0.45 * rr_s * fs) - rr_s * fs
    p = _find_p(mag, wins, iso, base, on, max(0, int(np.ceil(prev_t))), fs, conf)
    if p is not None:
        out.p_on, out.p_off = (p[0] - c) * ms, (p[1] - c) * ms
        out.pr_ms = (on - p[0]) * ms
    return out


def _find_t(
    mag: F64, base: float, off: int, c: int, rr_s: float, fs: float, conf: IntervalConfig
) -> tuple[int, float] | None:
    """T peak index and T end (fractional index) on the spatial magnitude."""
    a = off + round(conf.t_start_s * fs)
    # The next beat's P wave begins ~0.25 s before its R peak at most rates.
    z = min(len(mag) - 2, c + round(min(0.70, max(0.3, rr_s - 0.22)) * fs))
    if z <= a + 2:
        return None
    pk = a + int(np.argmax(mag[a:z]))
    # Highest at the window's last sample: still rising into the next beat, not a T peak
    # (and no downslope after it to draw a tangent on).
    if pk >= z - 1 or mag[pk] - base < conf.t_min_mv:
        return None
    tail = mag[pk:z]
    slope = np.gradient(tail)
    i = pk + int(np.argmin(slope))
    end = _tangent_cross(mag, i, base)
    if not pk < end < len(mag):
        return None
    return pk, end


def _find_p(
    mag: F64,
    wins: F64,
    iso: F64,
    base: float,
    on: int,
    earliest: int,
    fs: float,
    conf: IntervalConfig,
) -> tuple[float, float] | None:
    """P onset and offset (fractional indices), or None when no P wave is there.

    ``earliest`` is the previous beat's T end: the search starts after it.
    """
    a = max(1, earliest, on - round(conf.p_search_s[0] * fs))
    z = on - round(conf.p_search_s[1] * fs)
    if z <= a + 2:
        return None
    pk = a + int(np.argmax(mag[a:z]))
    height = mag[pk] - base
    if height < conf.p_min_mv or pk in (a, z - 1):
        return None
    # Single beats: the typical peak magnitude in the same window.
    single = np.sqrt(np.sum((wins[:, a:z, :] - iso) ** 2, axis=2)).max(axis=1)
    if height < conf.p_coherence * (float(np.median(single)) - base):
        return None
    rise = np.gradient(mag[a : pk + 1])
    fall = np.gradient(mag[pk:z])
    p_on = _tangent_cross(mag, a + int(np.argmax(rise)), base)
    p_off = _tangent_cross(mag, pk + int(np.argmin(fall)), base)
    if not (a - 0.05 * fs) <= p_on < pk < p_off <= on:
        return None
    if not conf.p_duration_s[0] * fs <= p_off - p_on <= conf.p_duration_s[1] * fs:
        return None
    return p_on, p_off
