"""Butterworth filter designs, computed once per band and rate; mains interference found
and notched.

``scipy.signal.butter`` takes a millisecond or two per call (pole placement, bilinear
transform, pairing into sections), and the analysis asks for the same few designs over
and over: a 72-h Holter is graded and band-passed half an hour at a time, its rhythm
checked run by run. The designs are cached here; the filtering itself stays with scipy.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@lru_cache(maxsize=64)
def butter_sos(order: int, cutoff: float | tuple[float, float], btype: str, fs: float) -> F64:
    """``scipy.signal.butter(order, cutoff, btype=btype, fs=fs, output="sos")``, the same
    array for the same arguments (shared between callers: do not modify it).

    Examples
    --------
    >>> butter_sos(2, (1.0, 40.0), "bandpass", 400.0).shape
    (2, 6)
    """
    # Imported here: scipy.signal takes ~1.4 s to import, and the web process imports
    # the signal modules (for their small helpers) but never filters.
    from scipy.signal import butter

    sos: F64 = butter(order, cutoff, btype=btype, fs=fs, output="sos")
    return sos


MAINS_HZ = (50.0, 60.0)


def mains_lines(x: F64, fs: float, share: float = 0.03, piece_s: float = 10.0) -> list[float]:
    """The mains frequencies (near 50 or 60 Hz) whose line stands out in ``x``.

    Read off the spectrum of ``piece_s`` from the middle of ``x`` (Hann window): a line is
    the largest bin within 1 Hz of the nominal frequency (mains drifts) whose amplitude is
    at least ``share`` of the piece's range (about the QRS height, so that the test does
    not depend on the gain) and whose power is ten times the median bin's around it (1.5
    to 5 Hz either side): the ECG's own spectrum is smooth there. The lines of MIT-BIH's
    records (0.01-0.015 mV, about 1 % of the QRS) pass neither. Returns the line
    frequencies found, Hz.
    """
    n = min(len(x), round(piece_s * fs))
    if n < round(2 * fs):
        return []
    a = (len(x) - n) // 2
    piece = x[a : a + n]
    lo, hi = float(piece.min()), float(piece.max())
    w = _hann(n)
    spec = np.abs(np.fft.rfft((piece - piece.mean()) * w)) * (2.0 / w.sum())
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    out = []
    for f0 in MAINS_HZ:
        if f0 + 5.0 >= 0.5 * fs:
            continue
        near = np.flatnonzero(np.abs(freqs - f0) <= 1.0)
        around = np.flatnonzero((np.abs(freqs - f0) <= 5.0) & (np.abs(freqs - f0) > 1.5))
        k = near[np.argmax(spec[near])]
        line = float(spec[k])
        if line > 0 and line >= share * (hi - lo) and line**2 >= 10 * np.median(spec[around] ** 2):
            out.append(float(freqs[k]))
    return out


@lru_cache(maxsize=16)
def _hann(n: int) -> F64:
    w: F64 = np.hanning(n)
    return w


def without_mains(sos: F64, x: F64, fs: float) -> F64:
    """``sos`` with a notch section added for each mains line of ``x`` (1-D), if any."""
    lines = mains_lines(x, fs)
    return np.vstack([sos, *(notch_sos(f, fs) for f in lines)]) if lines else sos


def filtfilt_without_mains(sos: F64, x: F64, fs: float) -> F64:
    """``x`` (1-D) filtered forward and back through ``sos`` and a notch at each of its
    mains lines (:func:`without_mains`)."""
    from scipy.signal import sosfiltfilt

    return np.asarray(sosfiltfilt(without_mains(sos, x, fs), x), dtype=np.float64)


def notch_sos(f0: float, fs: float, q: float = 30.0) -> F64:
    """A second-order notch at ``f0`` Hz (quality factor ``q``) as one sos section."""
    from scipy.signal import iirnotch, tf2sos

    b, a = iirnotch(f0, q, fs=fs)
    return np.asarray(tf2sos(b, a), dtype=np.float64)
