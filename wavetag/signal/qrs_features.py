"""From ECG samples to QRS candidates: the vectorised half of :mod:`wavetag.signal.qrs`.

Everything here works on whole arrays (numpy/scipy), so it runs at tens of
millions of samples per second, and it can run on overlapping chunks of a long
record: a chunk read with enough context on each side gives exactly the
candidates of the whole signal in its own span.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class QRSConfig:
    """Tunables of the QRS detector (durations in seconds, frequencies in Hz).

    The defaults are the published values of Pan & Tompkins (1985) and
    Hamilton & Tompkins (1986) where those papers give one, and generic
    physiological bounds otherwise. None was fitted to particular records.

    Attributes
    ----------
    bands_hz : tuple of (float, float)
        Pass bands of the detection filter, Hz, each tried on the whole
        signal. 5-15 Hz (Pan & Tompkins) holds most of the energy of ordinary
        complexes and little of T waves or muscle noise; 5-30 Hz keeps narrow
        complexes (fetal, paediatric, high-bandwidth monitors) whose energy
        lies above 15 Hz. The band whose beats stand out most is kept.
    fiducial_band_hz : tuple of float
        Pass band of the copy of the signal on which the R peak is placed, Hz:
        wide enough to keep the peak where it is, narrow enough to ignore
        baseline wander and to flatten pacing spikes.
    integration_s : float
        Width of the moving window of the slope envelope, s (about a QRS).
    fiducial_s : float
        Half-width of the window, around an envelope peak, in which the largest
        deflection is the fiducial point, s.
    min_separation_s : float
        Smallest distance between two candidates, s.
    refractory_s : float
        No two beats closer than this, s (200 ms: 300 beats/min).
    t_wave_s : float
        Up to this long after a beat, a bump must pass the slope test, s.
    t_wave_slope_ratio : float
        A bump within ``t_wave_s`` is a T wave when its steepest slope is below
        this fraction of the previous beat's (Pan & Tompkins: one half).
    threshold : float
        Threshold coefficient k of ``NL + k (QL - NL)`` (Hamilton & Tompkins
        tested 0.2-0.5; 0.3125 in their detector).
    searchback_rr : float
        Search back when no beat came for this many mean RR intervals (1.66).
    memory : int
        Number of recent QRS heights, noise heights and RR intervals that the
        medians and means are taken over (8).
    learn_s : float
        Seconds whose per-second largest bumps set the QRS level at the start,
        after a gap, or after a long loss of beats, s.
    relearn_s : float
        Learn the levels again when no beat has been found for this long, s.
    floor_s : float
        Half-width of the window over which the local noise floor of the
        envelope is measured, s.
    floor_percentile : float
        Percentile of the envelope taken as the noise floor (25: below the
        QRS and T bumps up to about 150 beats/min).
    min_prominence : float
        A candidate must be at least this many times the local noise floor (the
        lower quartile of the envelope around it). An ECG's QRS bumps stand
        5-50 times above the floor; bumps of stationary Gaussian noise rarely
        reach 3 (99th percentile 2.8-3.1 at 250-1000 Hz).
    searchback_prominence : float
        The same, for a bump taken back by the search-back (ratio).
    detection_hz : float
        Envelopes and their bumps are computed on every k-th sample of the
        band-passed signal, k = floor(fs / detection_hz) (1 below twice this
        rate; 0 keeps every sample): a 5-30 Hz signal loses nothing at 200 Hz,
        and a 400-Hz Holter is searched in half the work. Fiducial points are
        still taken at the full rate.
    train_s : float
        Noise gate: a beat needs ``train_count`` bumps above ``min_prominence``
        within this many seconds on either side, s.
    train_count : int
        See ``train_s`` (4: a heart at 30/min or faster gives at least that,
        stationary noise almost never).
    insertion_rr : float
        Three beats spanning less than this many local RR intervals hold one
        beat too many (ratio; a premature beat and its pause span about 2).
    insertion_height : float
        Weight of the relative bump height when choosing which of the three
        goes (0: rhythm alone).
    insertion_prominence : float
        Only a triple with a bump less prominent than this is resolved (ratio;
        twice ``min_prominence``).
    """

    bands_hz: tuple[tuple[float, float], ...] = ((5.0, 15.0), (5.0, 30.0))
    fiducial_band_hz: tuple[float, float] = (5.0, 30.0)
    integration_s: float = 0.150
    fiducial_s: float = 0.060
    min_separation_s: float = 0.100
    refractory_s: float = 0.200
    t_wave_s: float = 0.360
    t_wave_slope_ratio: float = 0.5
    threshold: float = 0.3125
    searchback_rr: float = 1.66
    memory: int = 8
    learn_s: float = 8.0
    relearn_s: float = 5.0
    floor_s: float = 2.5
    floor_percentile: float = 25.0
    min_prominence: float = 3.0
    insertion_rr: float = 1.25
    insertion_height: float = 0.5
    insertion_prominence: float = 6.0
    train_s: float = 5.0
    train_count: int = 4
    searchback_prominence: float = 2.5
    detection_hz: float = 200.0


@dataclass
class Candidates:
    """Envelope bumps, one entry each, in time order.

    Attributes
    ----------
    peak : ndarray of int64
        Sample index of the envelope maximum.
    height : ndarray of float64
        Envelope value there (RMS slope, signal units per second).
    slope : ndarray of float64
        Steepest slope of the band-passed signal near the peak (units/s).
    fiducial : ndarray of int64
        Sample index of the largest deflection near the peak: where a beat is
        reported.
    valid : ndarray of bool
        False inside a gap (NaN samples).
    prominence : ndarray of float64
        Height over the local noise floor (the lower quartile of the envelope
        within ``floor_s``), a ratio.
    gaps : ndarray of int64
        Number of gaps (NaN runs) that began before the peak; a change between
        two candidates means the levels must be learnt again.
    """

    peak: IntArray
    height: FloatArray
    slope: FloatArray
    fiducial: IntArray
    valid: BoolArray
    prominence: FloatArray
    gaps: IntArray

    def __len__(self) -> int:
        return len(self.peak)

    def slice(self, start: int, stop: int) -> Candidates:
        """Candidates ``start .. stop - 1``."""
        return Candidates(**{f.name: getattr(self, f.name)[start:stop] for f in fields(self)})

    @classmethod
    def concatenate(cls, parts: list[Candidates]) -> Candidates:
        if not parts:
            return empty_candidates()
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )


def empty_candidates() -> Candidates:
    i = np.zeros(0, np.int64)
    f = np.zeros(0, np.float64)
    b = np.zeros(0, np.bool_)
    return Candidates(i, f, f, i, b, f, i)


@lru_cache(maxsize=32)
def _band_sos(low: float, high: float, fs: float) -> npt.NDArray[np.float64]:
    nyquist = fs / 2.0
    high = min(high, 0.8 * nyquist)
    low = min(low, 0.5 * high)
    from scipy import signal  # in the functions: scipy.signal takes ~1.4 s to import

    sos = signal.butter(2, [low / nyquist, high / nyquist], btype="bandpass", output="sos")
    return np.asarray(sos, dtype=np.float64)


def _bridge_gaps(x: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Replace NaN runs by straight lines between their neighbours."""
    missing = ~np.isfinite(x)
    if not missing.any():
        return x, missing
    good = np.flatnonzero(~missing)
    if len(good) == 0:
        return np.zeros_like(x), missing
    filled = x.copy()
    filled[missing] = np.interp(np.flatnonzero(missing), good, x[good])
    return filled, missing


def _moving_mean(x: FloatArray, width: int) -> FloatArray:
    if width <= 1:
        return x
    from scipy import ndimage

    return np.asarray(ndimage.uniform_filter1d(x, width, mode="nearest"), dtype=np.float64)


def _noise_floor(
    env: FloatArray, at: IntArray, fs: float, config: QRSConfig, first: int
) -> FloatArray:
    """Lower quartile of the envelope within +-``floor_s`` of each index ``at``.

    Computed on the envelope decimated to about 25 Hz (it is a 150-ms moving
    mean, so little is lost). The decimation grid is fixed to absolute sample
    numbers, so that a chunk gives the same floor as the whole signal.
    """
    step = max(int(fs // 25), 1)
    offset = (-first) % step
    coarse = env[offset::step]
    if len(coarse) == 0:
        return np.zeros(len(at))
    size = 2 * int(round(config.floor_s * fs / step)) + 1
    from scipy import ndimage

    floor = ndimage.percentile_filter(coarse, config.floor_percentile, size=size, mode="nearest")
    idx = np.clip((at - offset + step // 2) // step, 0, len(floor) - 1)
    return np.asarray(floor[idx], dtype=np.float64)


def _windows(values: FloatArray, centers: IntArray, half: int) -> FloatArray:
    """``values`` within +-``half`` of each centre, shape (centres, 2 half + 1); indices
    beyond the ends repeat the end values."""
    if len(centers) and centers[0] >= half and centers[-1] + half < len(values):
        # Rows of a strided view: no (centres, window) index matrix to build and clip
        # (several times faster; centres are sorted, so the ends decide).
        rows: FloatArray = sliding_window_view(values, 2 * half + 1)[centers - half]
        return rows
    offsets = np.arange(-half, half + 1)
    idx = np.clip(centers[:, None] + offsets[None, :], 0, len(values) - 1)
    picked: FloatArray = values[idx]
    return picked


def _window_max(values: FloatArray, centers: IntArray, half: int) -> FloatArray:
    """Maximum of ``values`` within +-``half`` of each centre."""
    return np.asarray(_windows(values, centers, half).max(axis=1), dtype=np.float64)


def _window_argmax(values: FloatArray, centers: IntArray, half: int) -> IntArray:
    """Index of the maximum of ``values`` within +-``half`` of each centre."""
    if len(centers) == 0:
        return centers
    at = np.argmax(_windows(values, centers, half), axis=1)
    return np.asarray(np.clip(centers - half + at, 0, len(values) - 1), np.int64)


def extract_candidates(
    x: FloatArray,
    fs: float,
    config: QRSConfig,
    *,
    first: int,
    start: int,
    stop: int,
    gap_offset: int = 0,
) -> list[Candidates]:
    """Find the envelope bumps of samples ``start .. stop - 1``, once per detection band.

    Parameters
    ----------
    x : ndarray of float64
        Samples ``first .. first + len(x) - 1`` of the channel, physical units
        (mV), NaN for missing; they may extend beyond ``start``/``stop`` as
        context for the filters.
    fs : float
        Sampling frequency, Hz.
    config : QRSConfig
        Tunables.
    first : int
        Absolute index of ``x[0]``.
    start, stop : int
        Absolute span whose candidates are returned (a candidate belongs to
        the span that holds its envelope peak).
    gap_offset : int
        Number of gaps that began before ``start`` (earlier chunks).

    Returns
    -------
    list of Candidates
        One per band of ``config.bands_hz``, with absolute sample indices.

    Notes
    -----
    1. Bridge NaN runs with straight lines; band-pass the result in the
       ``fiducial_band_hz`` band (zero phase), where fiducial points are taken.
    2. For each detection band: band-pass (zero phase; the fiducial copy is
       reused when the bands are the same), differentiate, square, take the
       ``integration_s`` moving mean and its square root: the envelope.
    3. Take envelope maxima at least ``min_separation_s`` apart.
    4. For each: its steepest band-passed slope within half an integration
       window, its prominence over the local noise floor, and its fiducial
       point, the largest absolute value of the fiducial copy within
       ``fiducial_s``.
    """
    if len(x) < 16 or stop <= start:
        return [empty_candidates() for _ in config.bands_hz]
    filled, missing = _bridge_gaps(x)
    padlen = min(len(filled) - 1, int(3 * fs))
    from scipy import signal

    fid_band = signal.sosfiltfilt(_band_sos(*config.fiducial_band_hz, fs), filled, padlen=padlen)
    fid_signal = np.abs(fid_band)
    fid_signal[missing] = -1.0
    begins = gap_starts(x, first=first, start=start, stop=stop)
    out = []
    for band in config.bands_hz:
        if tuple(band) == tuple(config.fiducial_band_hz):
            band_passed = fid_band
        else:
            band_passed = signal.sosfiltfilt(_band_sos(*band, fs), filled, padlen=padlen)
        out.append(
            _band_candidates(
                band_passed, fid_signal, missing, fs, config, first, start, stop, begins
            )
        )
        out[-1].gaps += gap_offset
    return out


def _band_candidates(
    band_passed: FloatArray,
    fid_signal: FloatArray,
    missing: BoolArray,
    fs: float,
    config: QRSConfig,
    first: int,
    start: int,
    stop: int,
    begins: IntArray,
) -> Candidates:
    # Every k-th sample, on a grid of absolute sample numbers, so that a chunk keeps the
    # samples the whole signal keeps.
    k = max(1, int(fs // config.detection_hz)) if config.detection_hz > 0 else 1
    skip = (-first) % k
    kept = np.ascontiguousarray(band_passed[skip::k])
    rate = fs / k
    slope = np.empty_like(kept)
    slope[1:] = np.diff(kept) * rate
    slope[0] = slope[1]
    width = max(int(round(config.integration_s * rate)), 1)
    env = np.sqrt(np.maximum(_moving_mean(slope * slope, width), 0.0))

    from scipy import signal

    at, _ = signal.find_peaks(env, distance=max(int(round(config.min_separation_s * rate)), 1))
    peaks = skip + k * at
    absolute = peaks + first
    inside = (absolute >= start) & (absolute < stop)
    peaks, at = peaks[inside], at[inside]
    if len(peaks) == 0:
        return empty_candidates()

    steepest = _window_max(np.abs(slope), at, width // 2)
    floor = _noise_floor(env, at, rate, config, (first + skip) // k)
    fiducial = _window_argmax(fid_signal, peaks, max(int(round(config.fiducial_s * fs)), 1))
    height = env[at]
    # Over a flat stretch the floor is 0: such a bump is infinitely prominent, and the
    # overflow to inf is the intended answer, not an error to warn about.
    with np.errstate(over="ignore"):
        prominence = height / np.maximum(floor, np.finfo(np.float64).tiny)
    return Candidates(
        peak=absolute[inside].astype(np.int64),
        height=height.astype(np.float64),
        slope=steepest,
        fiducial=(fiducial + first).astype(np.int64),
        valid=~missing[peaks] & ~missing[fiducial],
        prominence=prominence,
        gaps=np.searchsorted(begins, peaks + first, side="right").astype(np.int64),
    )


def gap_starts(x: FloatArray, *, first: int, start: int, stop: int) -> IntArray:
    """Absolute indices in ``start .. stop - 1`` where a NaN run begins.

    ``x`` holds samples from absolute index ``first``; a run already under way
    at ``start`` (its sample ``start - 1`` is NaN too) does not begin there.
    """
    missing = ~np.isfinite(x)
    if not missing.any():  # the common case: no need to look for run starts
        return np.zeros(0, dtype=np.int64)
    begins = missing & ~np.concatenate(([False], missing[:-1]))
    idx = np.flatnonzero(begins) + first
    return idx[(idx >= start) & (idx < stop)].astype(np.int64)
