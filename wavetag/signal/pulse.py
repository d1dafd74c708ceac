"""Pulses in a pulsatile channel (plethysmogram, arterial pressure): the heart's beats seen
from the circulation, to check a pause that the ECG alone suggests.

A monitor's ECG loses beats to a loose electrode or motion far more often than the heart
stops. When the plethysmogram or the arterial line keeps beating through an ECG gap, the
gap is the ECG's, not a pause. Pure functions (no reading, no Django): the analysis reads
a few seconds around each candidate pause and passes them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .filters import butter_sos
from .leads import SampleSource
from .recording import ChannelInfo
from .rhythm import RhythmEpisode
from .vocabulary import PAUSE

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# Channel names of pulsatile signals: PLETH, PPG, SpO2 wave, ABP, ART, AOBP, FAP (femoral),
# UAP (umbilical): spaces, digits and separators ignored.
_PULSE_NAME = re.compile(r"^(pleth\w*|ppg\w*|spo2|abp|art\w*|aobp|fap|uap|ibp)$", re.IGNORECASE)
# Pressure channels in mmHg that do not pulse with each beat (central venous, cuff,
# intracranial, airway...): named, so that mmHg alone does not make a pulse.
_NOT_PULSE = re.compile(r"^(cvp|nbp\w*|icp|paw|ip|cpp)$", re.IGNORECASE)


def is_pulsatile(channel: ChannelInfo) -> bool:
    """Whether a channel shows one pulse per heartbeat: a plethysmogram or an arterial
    pressure, by name, or any other pressure in mmHg not named as a non-arterial one.

    Examples
    --------
    >>> from wavetag.signal.recording import ChannelInfo
    >>> is_pulsatile(ChannelInfo(2, "PLETH", "NU", 250.0, 1.0, 0.0, 100))
    True
    >>> is_pulsatile(ChannelInfo(3, "CVP", "mmHg", 250.0, 1.0, 0.0, 100))
    False
    """
    name = re.sub(r"[\s_\-.\d]", "", channel.name)
    if _PULSE_NAME.match(name):
        return True
    return channel.units.strip().lower() == "mmhg" and not _NOT_PULSE.match(name)


@dataclass(frozen=True)
class PulseConfig:
    """Tunables of :func:`detect_pulses` and :func:`pulse_through`.

    Attributes
    ----------
    band_hz : (float, float)
        Band-pass of the pulse wave, Hz: the baseline (breathing, posture) and noise out.
    refractory_s : float
        Shortest interval between two pulses, s (200/min).
    threshold : float
        A pulse's upstroke is a slope peak of at least this fraction of the 90th
        percentile of the slope peaks around it.
    context_s : float
        Seconds read on either side of a gap: pulses there set the scale.
    delay_s : float
        Longest delay from an ECG beat to its pulse, s (pulse transit time).
    """

    band_hz: tuple[float, float] = (0.5, 8.0)
    refractory_s: float = 0.3
    threshold: float = 0.35
    context_s: float = 5.0
    delay_s: float = 0.6


def detect_pulses(x: npt.ArrayLike, fs: float, conf: PulseConfig | None = None) -> I64:
    """Pulse upstrokes of a plethysmogram or arterial pressure.

    Parameters
    ----------
    x : array_like of float
        The pulsatile signal, any unit (NaN where missing).
    fs : float
        Sampling frequency, Hz.
    conf : PulseConfig, optional

    Returns
    -------
    ndarray of int64
        Samples of the steepest point of each upstroke.

    Notes
    -----
    1. Band-pass ``band_hz`` (zero phase); a missing stretch reads as flat, so it
       gives no pulse.
    2. The upstroke slope (first difference); its local maxima at least
       ``refractory_s`` apart (the highest of a cluster wins).
    3. Keep the maxima of at least ``threshold`` times the 90th percentile of them: a
       slope scale, not an amplitude, so gain and units do not matter, and the dicrotic
       notch's small rise is left out.
    """
    from scipy.signal import find_peaks, sosfiltfilt

    conf = conf or PulseConfig()
    y = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0)
    if len(y) < round(2 * fs):
        return np.zeros(0, np.int64)
    y = y - np.median(y)
    hi = min(conf.band_hz[1], 0.45 * fs)
    sos = butter_sos(2, (conf.band_hz[0], hi), "band", fs)
    slope = np.diff(sosfiltfilt(sos, y))
    peaks, _ = find_peaks(slope, distance=max(1, round(conf.refractory_s * fs)))
    if len(peaks) == 0:
        return np.zeros(0, np.int64)
    h = slope[peaks]
    scale = float(np.percentile(h, 90))
    if scale <= 0:
        return np.zeros(0, np.int64)
    return np.asarray(peaks[h >= conf.threshold * scale], dtype=np.int64)


def pulse_through(
    x: npt.ArrayLike,
    fs: float,
    gap: tuple[int, int],
    longest_s: float,
    conf: PulseConfig | None = None,
) -> bool:
    """Whether the pulse kept beating through an ECG gap.

    Parameters
    ----------
    x : array_like of float
        The pulsatile signal around the gap (``context_s`` either side is enough).
    fs : float
        Its sampling frequency, Hz.
    gap : (int, int)
        The gap: the last ECG beat before it and the first after it, samples of ``x``.
    longest_s : float
        A pause is an interval of this many seconds or more without a beat.
    conf : PulseConfig, optional

    Returns
    -------
    bool
        True when pulses are seen before and after the gap and inside it, with no two
        consecutive pulses ``longest_s`` or more apart from the gap's start to its end
        plus the pulse delay: the heart did not pause. False when the pulse shows the
        gap too, or shows nothing (a flat or missing channel proves nothing).
    """
    conf = conf or PulseConfig()
    p = detect_pulses(x, fs, conf)
    a, z = gap
    delay = round(conf.delay_s * fs)
    before = p[p < a + delay]
    after = p[p > z]
    inside = p[(p > a + delay) & (p < z)]
    if len(before) < 2 or len(after) < 2 or len(inside) == 0:
        return False
    # The pulses that span the gap: the last before it to the first after it.
    span = p[(p >= before[-1]) & (p <= after[0] + delay)]
    return bool(np.max(np.diff(span)) < longest_s * fs)


def pulsed_pauses(
    source: SampleSource,
    ecg: ChannelInfo,
    episodes: list[RhythmEpisode],
    pause_s: float,
    conf: PulseConfig | None = None,
) -> list[RhythmEpisode]:
    """The ``PAUSE`` episodes through which a pulsatile channel kept beating.

    Parameters
    ----------
    source : SampleSource
        The record: only ``context_s`` around each pause of each pulsatile channel
        (:func:`is_pulsatile`) is read, so memory does not grow with the record.
    ecg : ChannelInfo
        The channel whose samples the episodes count.
    episodes : list of RhythmEpisode
        Rhythm episodes and pauses.
    pause_s : float
        Shortest RR interval called a pause, s.
    conf : PulseConfig, optional

    Returns
    -------
    list of RhythmEpisode
        The pauses that one pulsatile channel or more contradicts
        (:func:`pulse_through`); the caller drops them.
    """
    conf = conf or PulseConfig()
    pulses = [c for c in source.channels if is_pulsatile(c) and c.n_samples > 0]
    out = []
    for e in (e for e in episodes if e.label == PAUSE):
        t0, t1 = e.start / ecg.fs, e.end / ecg.fs
        for c in pulses:
            lo = max(0, int((t0 - conf.context_s) * c.fs))
            hi = min(c.n_samples, int((t1 + conf.context_s) * c.fs) + 1)
            x = np.asarray(source.read(c.index, lo, hi), dtype=np.float64)
            gap = (round(t0 * c.fs) - lo, round(t1 * c.fs) - lo)
            if pulse_through(x, c.fs, gap, pause_s, conf):
                out.append(e)
                break
    return out
