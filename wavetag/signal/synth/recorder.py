"""A record as a narrower recorder would have made it: smaller pacing spikes, an analogue
band limit, another sampling rate, noise, mains interference, baseline wander, motion
artefact, electrode pops. The tests and benches degrade real records this way to check that
the analysis does not depend on the recorder (paced beats still found, beat classes and
rhythm unchanged)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt
from scipy.signal import butter, lfilter, medfilt, resample_poly

F64 = npt.NDArray[np.float64]


def recorded(
    x: npt.ArrayLike,
    fs: float,
    rate: int,
    band_hz: float | None = None,
    spikes: float = 1.0,
    noise_mv: float = 0.0,
    mains: tuple[float, float] | None = None,
    wander_mv: float = 0.0,
    motion_mv: float = 0.0,
    pops_mv: float = 0.0,
) -> F64:
    """``x`` (samples, channels), mV at ``fs``, as recorded at ``rate``.

    1. Smaller spikes (``spikes`` < 1): the fast part of the signal (it minus its 15-ms
       running median), where it exceeds 0.1 mV (the spikes, not the QRS), scaled.
    2. An analogue band limit: a causal 2nd-order Butterworth low-pass at ``band_hz``
       (left out at or above 0.45 ``fs``).
    3. Sampling at ``rate`` (``scipy.signal.resample_poly``).
    4. White noise of ``noise_mv`` (seeded: the same every time).
    5. Mains interference: a sine of ``mains`` = (Hz, mV amplitude) on every channel.
    6. Baseline wander: ``wander_mv`` times a 0.3-Hz sine (breathing) plus half of it
       at 0.07 Hz (movement), on every channel.
    7. Motion artefact: 2-s bursts of 1-10 Hz noise of ``motion_mv`` standard deviation
       every 30 s (an electrode moving), the same on every channel (seeded).
    8. Electrode pops: a step of ``pops_mv`` decaying over 1 s (time constant) every 60 s,
       from the first second on, on every channel.
    """
    y = np.array(x, dtype=np.float64)
    if spikes != 1.0:
        k = round(0.015 * fs) | 1
        fast = y - np.stack([medfilt(y[:, c], k) for c in range(y.shape[1])], axis=1)
        y -= (1.0 - spikes) * np.where(np.abs(fast) > 0.1, fast, 0.0)
    if band_hz and band_hz < 0.45 * fs:
        b, a = butter(2, band_hz, fs=fs)
        y = lfilter(b, a, y, axis=0)
    q = Fraction(rate) / Fraction(round(fs))
    if q != 1:
        y = resample_poly(y, q.numerator, q.denominator, axis=0)
    if noise_mv:
        y = y + np.random.default_rng(7).normal(0.0, noise_mv, y.shape)
    t = np.arange(len(y)) / rate
    if mains:
        y = y + mains[1] * np.sin(2 * np.pi * mains[0] * t)[:, None]
    if wander_mv:
        slow = np.sin(2 * np.pi * 0.3 * t) + 0.5 * np.sin(2 * np.pi * 0.07 * t + 1.0)
        y = y + wander_mv * slow[:, None]
    if motion_mv:
        burst = lfilter(
            *butter(2, (1.0, 10.0), "bandpass", fs=rate),
            np.random.default_rng(3).normal(0.0, 1.0, len(y)),
        )
        burst *= motion_mv / burst.std()
        y = y + (burst * ((t % 30.0) < 2.0))[:, None]
    if pops_mv:
        since = (t - 1.0) % 60.0
        y = y + (pops_mv * np.exp(-since) * ((since < 5.0) & (t >= 1.0)))[:, None]
    return np.asarray(y, dtype=np.float64)
