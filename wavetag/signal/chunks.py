"""Run a beat detector over a channel of any length, one overlapping chunk at a time.

A 72-h Holter at 1 kHz holds 260 million samples per channel; a detector given all of
them at once needs gigabytes. :func:`detect_in_chunks` reads a bounded chunk at a time,
with some signal before and after it so that the detector sees each beat with its
context, and joins the chunks' beats so that none is lost or counted twice at a border.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Reader = Callable[[int, int], npt.NDArray[np.floating]]
Detector = Callable[[npt.NDArray[np.floating], float], npt.NDArray[np.int64]]
Progress = Callable[[int, int], None]

CHUNK_SECONDS = 300.0
OVERLAP_SECONDS = 10.0
# Closer than this, two detections are one beat seen twice (no heart beats at 500/min);
# far below any detector's own refractory period, so no two real beats are merged.
SAME_BEAT_SECONDS = 0.12


def detect_in_chunks(
    read: Reader,
    n_samples: int,
    fs: float,
    detect: Detector,
    *,
    chunk_seconds: float = CHUNK_SECONDS,
    overlap_seconds: float = OVERLAP_SECONDS,
    on_progress: Progress | None = None,
) -> npt.NDArray[np.int64]:
    """Beat sample indices of a whole channel, detected chunk by chunk.

    Parameters
    ----------
    read : callable
        ``read(first, stop)`` returns samples ``[first, stop)`` of the channel (mV).
    n_samples : int
        Length of the channel in samples.
    fs : float
        Sampling frequency (Hz).
    detect : callable
        ``detect(signal, fs)`` returns beat indices within ``signal``.
    chunk_seconds, overlap_seconds : float
        Length of a chunk, and of the signal read before and after it (s).
    on_progress : callable, optional
        Called as ``on_progress(done, n_samples)`` after each chunk.

    Returns
    -------
    ndarray of int64
        Sorted beat indices into the channel.

    Notes
    -----
    1. Chunk ``[s, e)`` is detected within ``[s - overlap, e + overlap)``.
    2. Its beats from ``s - SAME_BEAT`` up to ``e`` are candidates: a beat on the border
       may be placed just before ``s`` by this chunk and just after it by the previous one.
    3. A candidate closer than ``SAME_BEAT_SECONDS`` to the last kept beat is the same
       beat, already kept: it is dropped. So a border beat is kept exactly once, whichever
       chunk placed it on which side.

    Memory is bounded by one chunk plus its overlaps, whatever ``n_samples``.
    """
    if not fs > 0:
        raise ValueError(f"fs must be positive, not {fs}")
    chunk = max(1, round(chunk_seconds * fs))
    overlap = max(0, round(overlap_seconds * fs))
    same = max(1, round(SAME_BEAT_SECONDS * fs))
    kept: list[npt.NDArray[np.int64]] = []
    last = -(1 << 62)
    for start in range(0, n_samples, chunk):
        end = min(start + chunk, n_samples)
        first, stop = max(0, start - overlap), min(n_samples, end + overlap)
        found = np.asarray(detect(read(first, stop), fs), dtype=np.int64) + first
        found = np.sort(found[(found >= start - same) & (found < end)])
        found = found[found > last + same]
        if found.size:
            # Beats within one chunk come from one detector pass: only the border check
            # above is needed, not one between neighbours.
            kept.append(found)
            last = int(found[-1])
        # Detectors built of objects (wfdb's gqrs) leave reference cycles holding a
        # chunk's arrays: without this, memory grows with the record (~2 MB per chunk).
        # They are young, so the cheap collection of the younger generations frees them.
        gc.collect(1)
        if on_progress is not None:
            on_progress(end, n_samples)
    return np.concatenate(kept) if kept else np.zeros(0, np.int64)
