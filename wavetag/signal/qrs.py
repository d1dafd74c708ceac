"""QRS detection: R-peak sample indices of one ECG channel."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from wfdb import processing


def detect_qrs(
    signal: npt.NDArray[np.floating], fs: float, config: object | None = None
) -> npt.NDArray[np.int64]:
    """Sample indices of the QRS complexes in ``signal`` (mV, one channel) sampled at ``fs`` Hz.

    wfdb's gqrs; ``config`` is accepted for the detector's tunables and not used by it.
    """
    sig = np.nan_to_num(np.asarray(signal, dtype=np.float64))
    if sig.size < 2:
        return np.zeros(0, np.int64)
    return np.asarray(processing.gqrs_detect(sig=sig, fs=fs), dtype=np.int64)
