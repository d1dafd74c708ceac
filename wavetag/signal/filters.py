"""Butterworth filter designs, computed once per band and rate.

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
