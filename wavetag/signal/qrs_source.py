"""QRS detection on a channel of an opened record, read block by block.

:func:`detect_qrs_source` feeds :func:`~wavetag.signal.qrs.detect_qrs_chunked`
from :meth:`RecordingSource.iter_blocks`, which reads a record front to back
only; a small buffer holds the samples that the overlapping chunks read twice.
Memory stays at a few chunks of one channel whatever the record's length.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from wavetag.signal.qrs import QRSConfig, detect_qrs_chunked
from wavetag.signal.recording import ChannelInfo, RecordingSource

FloatArray = npt.NDArray[np.float64]


def to_physical(digital: npt.NDArray[np.integer], info: ChannelInfo) -> FloatArray:
    """Digital samples to physical units; the channel's invalid value becomes NaN."""
    values = (digital.astype(np.float64) - info.baseline) / info.gain
    if info.invalid is not None:
        values[digital == info.invalid] = np.nan
    return values


class _ForwardReader:
    """Serves ``read(start, stop)`` from a forward-only block iterator.

    Requests must not move backwards (``start`` never below an earlier
    ``start``), which is how :func:`detect_qrs_chunked` reads.
    """

    def __init__(self, blocks: Iterator[FloatArray]) -> None:
        self._blocks = blocks
        self._buffer = np.zeros(0)
        self._offset = 0  # absolute index of self._buffer[0]

    def __call__(self, start: int, stop: int) -> FloatArray:
        if start < self._offset:
            raise ValueError(f"read({start}, {stop}) goes back before sample {self._offset}")
        pieces = [self._buffer[start - self._offset :]]
        end = self._offset + len(self._buffer)
        while end < stop:
            block = next(self._blocks, None)
            if block is None:
                break
            pieces.append(block)
            end += len(block)
        self._buffer = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        self._offset = max(start, self._offset)
        return self._buffer[: stop - self._offset]

    def drain(self) -> None:
        """Read the rest, so that the source checks what it checks at the end."""
        for _ in self._blocks:
            pass


def detect_qrs_source(
    source: RecordingSource,
    channel: int = 0,
    config: QRSConfig | None = None,
    *,
    block_s: float = 60.0,
) -> npt.NDArray[np.int64]:
    """Detect the QRS complexes of one channel of a record.

    Parameters
    ----------
    source : RecordingSource
        An opened record (:func:`wavetag.signal.io.open_recording`).
    channel : int
        Index of the ECG channel, from 0.
    config : QRSConfig, optional
        Detector tunables.
    block_s : float
        Seconds read from the files at a time, s.

    Returns
    -------
    ndarray of int64
        Sample indices of the beats, at the channel's own sampling frequency.

    Raises
    ------
    IndexError
        If the record has no such channel.
    RecordError
        If the samples cannot be read.
    """
    if not 0 <= channel < len(source.channels):
        raise IndexError(
            f"channel {channel} does not exist (the record has {len(source.channels)})"
        )
    info = source.channels[channel]

    def blocks() -> Iterator[FloatArray]:
        for block in source.iter_blocks(block_s):
            yield to_physical(block[channel], info)

    reader = _ForwardReader(blocks())
    beats = detect_qrs_chunked(reader, info.n_samples, info.fs, config)
    reader.drain()
    return beats
