"""Atrial evidence for the rhythm suggestions: how regular the beats are and whether each
beat has the same atrial wave before it.

Pure functions of beat times and signal arrays (no reading, no Django): the analysis
reads the stretch it asks about and passes it in.

Atrial fibrillation is an irregular rhythm without P waves; sinus rhythm with premature
beats is irregular too, but most of its intervals sit at one length and every sinus beat
is preceded by the same P wave. Neither a 10-s record's dozen intervals nor its median
beat tells the two apart on its own; the two measures here do, together:
:func:`modal_fraction` (how many intervals sit at the usual length) and
:func:`atrial_consistency` (how alike the stretches before each QRS are).

Atrial flutter with a variable block is irregular too and has no P waves, so it passes
for AF on those two measures; what sets it apart is its atrial activity, one re-entry
circuit turning at a fixed 240-350/min, a saw-tooth whose spectrum is one narrow line
(and its harmonics), where fibrillatory waves spread their power over a band:
:func:`flutter_waves`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .filters import butter_sos, filtfilt_without_mains
from .robust import nanmedian_rows

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class AtrialConfig:
    """Tunables of the atrial measures.

    Attributes
    ----------
    modal_tolerance : float
        An RR interval within this fraction of the median RR is at the usual length.
    pre_s, post_s : float
        The atrial window of a beat: from ``pre_s`` to ``post_s`` before its R peak, s
        (the P wave of a sinus beat lies in it, from normal to first-degree-block PR).
    band_hz : (float, float)
        Band-pass before the atrial measures, Hz: baseline wander and muscle noise out.
    t_lock_margin : float
        Atrial windows that correlate more (by this much) once placed after the beat
        before them than before their own beat hold that beat's T wave, not an atrial
        wave: the consistency is lowered by the excess (:func:`atrial_consistency`).
    t_lock_from : float
        Only a consistency of at least this is so checked: a lower one shows no
        organised atrial wave already (the tests ask 0.55 or more), and the check costs
        as much again.
    qrst_s : (float, float)
        The whole complex of a beat, from this much before its R peak to this much after
        it, s: blanked for a beat unlike the others (a PVC, an artefact).
    flutter_band_hz : (float, float)
        Band-pass before the flutter measure, Hz: from 3 Hz, so that T waves (whose
        power lies below it) leave little in the spectrum.
    qrs_blank_s : float
        Within this many s of every R peak the signal is set to zero before the flutter
        measure: the QRS's broadband power out.
    flutter_hz : (float, float)
        Flutter waves' rate, Hz: 222-348/min, the rate of the typical re-entry circuit
        (fibrillatory waves are mostly faster, 6-9 Hz, and never one line).
    spectrum_hz : (float, float)
        The band of atrial activity whose power the flutter line is measured against, Hz.
    line_hz : float
        Half-width of the flutter line and of its harmonics, Hz (the waves' rate drifts a
        little over a minute).
    harmonics : int
        The line and this many multiples of it count as the saw-tooth's (its second and
        third harmonics hold a fifth of its power; a slow flutter's third lies in the
        band).
    analysis_hz : float
        The flutter measure works at about this rate (whole-sample decimation), Hz.
    """

    modal_tolerance: float = 0.06
    pre_s: float = 0.30
    post_s: float = 0.06
    band_hz: tuple[float, float] = (1.0, 30.0)
    qrst_s: tuple[float, float] = (0.12, 0.45)
    t_lock_margin: float = 0.1
    t_lock_from: float = 0.5
    flutter_band_hz: tuple[float, float] = (3.0, 30.0)
    qrs_blank_s: float = 0.06
    flutter_hz: tuple[float, float] = (3.7, 5.8)
    spectrum_hz: tuple[float, float] = (2.0, 15.0)
    line_hz: float = 0.3
    analysis_hz: float = 60.0
    harmonics: int = 3


def modal_fraction(rr: npt.ArrayLike, conf: AtrialConfig | None = None) -> float:
    """Fraction of RR intervals within ``modal_tolerance`` of the median RR.

    Parameters
    ----------
    rr : array_like of float
        RR intervals (any unit).
    conf : AtrialConfig, optional

    Returns
    -------
    float
        1 for a regular rhythm; about 0.6-0.9 for sinus rhythm with a few premature beats
        (the premature and the compensating interval are off, the rest sit together);
        well under half in atrial fibrillation, whose intervals have no usual length. NaN
        without intervals.

    Examples
    --------
    >>> modal_fraction([0.8, 0.8, 0.5, 1.1, 0.8, 0.81])
    0.6666666666666666
    """
    conf = conf or AtrialConfig()
    r = np.asarray(rr, dtype=np.float64)
    r = r[np.isfinite(r) & (r > 0)]
    if len(r) == 0:
        return float("nan")
    return float(np.mean(np.abs(r / np.median(r) - 1.0) <= conf.modal_tolerance))


def _band(x: F64, fs: float, band: tuple[float, float]) -> F64:
    hi = min(band[1], 0.45 * fs)
    sos = butter_sos(2, (band[0], hi), "band", fs)
    y = np.nan_to_num(x, nan=0.0)
    if y.shape[0] <= 3 * 2 * len(sos) + 1:
        return np.asarray(y - np.mean(y, axis=0), dtype=np.float64)
    # Mains interference leaks through the band's edge, as large as a small P wave:
    # notched, channel by channel, where it stands out (in 2 s or more: never in the
    # short stretches the length test above is for).
    if y.ndim == 1:
        return filtfilt_without_mains(sos, y, fs)
    out = np.empty(y.shape, dtype=np.float64)
    for c in range(y.shape[1]):
        out[:, c] = filtfilt_without_mains(sos, np.ascontiguousarray(y[:, c]), fs)
    return out


def atrial_consistency(
    signal: npt.ArrayLike, fs: float, beats: npt.ArrayLike, conf: AtrialConfig | None = None
) -> float:
    """How alike the atrial windows before the beats are.

    Parameters
    ----------
    signal : array_like of float
        ECG, (samples,) or (samples, leads), any unit.
    fs : float
        Sampling frequency, Hz.
    beats : array_like of int
        R peaks, samples of ``signal``.
    conf : AtrialConfig, optional

    Returns
    -------
    float
        Median correlation of each beat's atrial window with the median window (leads
        side by side), -1 to 1; NaN with fewer than three whole windows.

    Notes
    -----
    1. Band-pass ``band_hz``, so that baseline wander does not correlate everything.
    2. For each beat, ``pre_s`` to ``post_s`` before its R peak, each lead's straight-line
       trend removed (what is left of the previous T wave's slope).
    3. Correlate each window with the sample-wise median of all of them, and take the
       median: sinus beats share one P wave (about 0.9 or more, 0.7 at fast rates where
       the P meets the T), fibrillatory waves share nothing (about 0.1-0.5). A premature
       beat's window differs, but the median over the beats does not mind a few.
    4. When that is ``t_lock_from`` or more, the same stretches placed at one delay
       after the previous beat (the median RR less ``pre_s``) and correlated the same
       way: where they are alike by more than ``t_lock_margin`` beyond the first figure,
       what they share is locked to the beat before (its T wave, filling the window at
       fast rates in AF), and the figure returned is lowered by the excess. A regular
       rhythm gives both alike, and a sinus P wave, locked to its own beat, more before
       it.
    """
    conf = conf or AtrialConfig()
    x = np.asarray(signal, dtype=np.float64)
    x = x.reshape(len(x), -1)
    b = np.asarray(beats, dtype=np.int64)
    a, z = round(conf.pre_s * fs), round(conf.post_s * fs)
    b = b[(b - a >= 0) & (b - z <= len(x))]
    if len(b) < 3 or a <= z + 2:
        return float("nan")
    y = _band(x, fs, conf.band_hz)
    ahead = _window_consistency(y[b[:, None] + np.arange(-a, -z)[None, :]])
    if not ahead >= conf.t_lock_from:
        return ahead  # no organised wave to doubt (NaN too)
    # The same stretches, each placed where it lies after the beat before it: what is
    # alike there is that beat's T wave (at fast rates it fills the atrial window), not
    # a wave that comes before the next QRS. Only an irregular rhythm tells them apart.
    prev = np.asarray(beats, dtype=np.int64)
    k = np.searchsorted(prev, b) - 1
    start = prev[np.maximum(k, 0)] + int(np.median(np.diff(prev))) - a
    ok = (k >= 0) & (start >= 0) & (start + a - z <= len(y))
    if np.count_nonzero(ok) >= 3:
        behind = _window_consistency(y[start[ok][:, None] + np.arange(a - z)[None, :]])
        if behind - ahead > conf.t_lock_margin:
            return ahead - (behind - ahead)
    return ahead


def _window_consistency(w: F64) -> float:
    """Median correlation of windows (beats, samples, leads) with their sample-wise
    median, each lead's straight-line trend removed first; NaN with fewer than three."""
    t = np.arange(w.shape[1], dtype=np.float64)
    t -= t.mean()
    slope = np.einsum("s,bsl->bl", t, w) / float(t @ t)
    w = w - w.mean(axis=1, keepdims=True) - slope[:, None, :] * t[None, :, None]
    flat = w.reshape(len(w), -1)
    tmpl = np.median(flat, axis=0)
    tmpl = tmpl - tmpl.mean()
    flat = flat - flat.mean(axis=1, keepdims=True)
    den = np.linalg.norm(flat, axis=1) * float(np.linalg.norm(tmpl))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (flat @ tmpl) / den
    r = r[np.isfinite(r)]
    return float(np.median(r)) if len(r) >= 3 else float("nan")


def windowed_modal_fraction(
    rr: npt.ArrayLike,
    usable: npt.ArrayLike,
    window: int,
    conf: AtrialConfig | None = None,
    local: int = 7,
) -> F64:
    """:func:`modal_fraction` in a centred window around each interval, against the
    local rate.

    Parameters
    ----------
    rr : array_like of float
        RR intervals (any unit).
    usable : array_like of bool
        Intervals that count (between two supraventricular beats).
    window : int
        Intervals in the window.
    conf : AtrialConfig, optional
    local : int
        Each interval is compared with the median of the ``local`` usable intervals
        around it, not with the window's: a sinus rate that speeds up over a minute
        changes every interval a little, and all of them stay at their local length.

    Returns
    -------
    ndarray of float64
        Per interval, the fraction of the window's usable intervals within
        ``modal_tolerance`` of their local median; NaN where fewer than half the window
        is usable.
    """
    import warnings

    conf = conf or AtrialConfig()
    r = np.where(np.asarray(usable, dtype=bool), np.asarray(rr, dtype=np.float64), np.nan)
    n = len(r)
    if n == 0:
        return np.zeros(0)

    def centred(x: F64, k: int) -> npt.NDArray[np.float64]:
        pad = np.concatenate([np.full(k // 2, np.nan), x, np.full(k - k // 2 - 1, np.nan)])
        return np.lib.stride_tricks.sliding_window_view(pad, k)[:n]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = nanmedian_rows(centred(r, local))
        near = np.where(np.isnan(r), np.nan, (np.abs(r / ref - 1.0) <= conf.modal_tolerance))
        w = centred(near, window)
        count = np.sum(~np.isnan(w), axis=1)
        frac = np.nansum(w, axis=1) / np.maximum(count, 1)
    return np.where(count >= window // 2, frac, np.nan)


@dataclass(frozen=True)
class FlutterWaves:
    """The atrial activity of a stretch once the QRS-T complexes are taken out.

    Attributes
    ----------
    rate_hz : float
        Frequency of its largest spectral peak in ``spectrum_hz``, Hz; NaN when the
        stretch is shorter than 8 s.
    organisation : float
        Share of the power of ``spectrum_hz`` within ``line_hz`` of that peak and of its
        harmonics, 0 to 1: 0.63-0.87 for the generator's flutter saw-tooth at 250-340/min,
        0.2-0.55 for the fibrillatory waves of the tuning records (the highest, 0.5-0.55,
        a fast AF of CPSC 2021 patient 92 in 10-s excerpts).
    lead : int
        The lead it was measured in (the most organised of them).
    """

    rate_hz: float
    organisation: float
    lead: int

    def is_flutter(self, conf: AtrialConfig, organisation: float) -> bool:
        """A flutter rate, and at least ``organisation`` of the power on its line."""
        lo, hi = conf.flutter_hz
        return bool(lo <= self.rate_hz <= hi and self.organisation >= organisation)


def flutter_waves(
    signal: npt.ArrayLike, fs: float, beats: npt.ArrayLike, conf: AtrialConfig | None = None
) -> FlutterWaves:
    """Rate and organisation of the atrial activity between the beats of a stretch.

    Parameters
    ----------
    signal : array_like of float
        ECG, (samples,) or (samples, leads), any unit.
    fs : float
        Sampling frequency, Hz.
    beats : array_like of int
        R peaks, samples of ``signal`` (all of them: a beat left out is not cancelled).
    conf : AtrialConfig, optional

    Returns
    -------
    FlutterWaves
        Of the lead where the atrial activity is most organised.

    Notes
    -----
    1. Means of whole groups of samples, down to about ``analysis_hz``; band-pass
       ``flutter_band_hz``: baseline wander and most of the T wave out.
    2. Blank ``qrs_blank_s`` around every R peak, and the whole complex (``qrst_s``) of
       a beat with four times the median beat's power there (a PVC, an artefact). The
       QRS-T is not cancelled with a median complex: every conducted beat follows a
       flutter wave at the same delay, whatever the block, so the waves are locked to
       the beats and a median complex would hold them and take them away.
    3. Welch spectrum of what is left, 4-s Hann segments, 0.05-Hz bins; per lead, the
       largest peak in ``spectrum_hz`` and the share of that band's power within
       ``line_hz`` of the peak and of its ``harmonics``. A saw-tooth at one rate puts
       most of its power on that line and its harmonics; fibrillatory waves, of wandering
       rate and shape, spread it; the blanking, at irregular beats, smears into no line.
    4. The lead with the most organised activity is reported.
    """
    from scipy.signal import welch

    conf = conf or AtrialConfig()
    x = np.asarray(signal, dtype=np.float64)
    x = x.reshape(len(x), -1)
    # The atrial band lies under 15 Hz: the rest is done at about ``analysis_hz`` on means
    # of q samples (a boxcar with its first null there), a sixth of the work at 360 Hz,
    # which a day of AF judged 30 s at a time would otherwise feel.
    q = max(1, int(fs // conf.analysis_hz))
    if q > 1:
        m = len(x) // q
        x = x[: m * q].reshape(m, q, -1).mean(axis=1)
        fs = fs / q
    n = len(x)
    b = np.unique(np.asarray(beats, dtype=np.int64) // q)
    pre, post = round(conf.qrst_s[0] * fs), round(conf.qrst_s[1] * fs)
    seg = round(4.0 * fs)
    inner = b[(b - pre >= 0) & (b + post < n)]
    # Three half-overlapping segments at least: the spectrum of fewer is too noisy to
    # call one line organised (5.5 s of fast AF scored 0.66).
    if n < 2 * seg or len(inner) < 3:
        return FlutterWaves(float("nan"), 0.0, 0)
    y = _band(x, fs, conf.flutter_band_hz)
    # Whatever QRS the band leaves is blanked, with the complexes of odd beats (PVCs,
    # artefacts: four times the median beat's power near the R peak) whole.
    blank = round(conf.qrs_blank_s * fs)
    near = y[inner[:, None] + np.arange(-blank, blank)[None, :]]
    energy = np.sum(near**2, axis=(1, 2))
    odd = inner[energy > 4.0 * float(np.median(energy))]
    mask = np.ones(n, dtype=bool)
    for r in b.tolist():
        mask[max(0, r - blank) : r + blank] = False
    for r in odd.tolist():
        mask[max(0, r - pre) : r + post] = False
    res = np.where(mask[:, None], y, 0.0)
    nfft = max(seg, round(fs / 0.05))
    f, p = welch(res, fs, window="hann", nperseg=seg, noverlap=seg // 2, nfft=nfft, axis=0)
    lo, hi = conf.spectrum_hz
    band = (f >= lo) & (f <= hi)
    best = FlutterWaves(float("nan"), 0.0, 0)
    for lead in range(p.shape[1]):
        pw = p[:, lead]
        total = float(pw[band].sum())
        if total <= 0:
            continue
        peak = float(f[band][np.argmax(pw[band])])
        line = np.zeros(len(f), dtype=bool)
        for k in range(1, conf.harmonics + 1):
            line |= np.abs(f - k * peak) <= conf.line_hz
        org = float(pw[line & band].sum()) / total
        if org > best.organisation:
            best = FlutterWaves(peak, org, lead)
    return best
