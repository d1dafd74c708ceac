"""Chunked beat detection: bounded reads, and no beat lost or doubled at chunk borders."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from wavetag.signal.chunks import detect_in_chunks

FS = 250.0


def true_beats(seconds: float, seed: int) -> npt.NDArray[np.int64]:
    rng = np.random.default_rng(seed)
    rr = rng.uniform(0.3, 1.2, int(seconds / 0.3) + 2)
    beats = np.cumsum(rr * FS).astype(np.int64)
    return beats[beats < seconds * FS - 3]  # room for the jitter


class EdgyDetector:
    """Finds the true beats of a window, as real detectors do, with their faults:

    - the same beat is placed a few samples differently in different windows;
    - beats within ``blind`` seconds of a window's ends are missed (no context there).

    The signal carries its own sample numbers, so the detector knows where its window is.
    """

    def __init__(self, beats: npt.NDArray[np.int64], blind: float = 1.0) -> None:
        self.beats = beats
        self.blind = round(blind * FS)
        self.longest = 0

    def __call__(self, signal: npt.NDArray[np.floating], fs: float) -> npt.NDArray[np.int64]:
        first, stop = int(signal[0]), int(signal[-1]) + 1
        self.longest = max(self.longest, len(signal))
        inside = self.beats[(self.beats >= first) & (self.beats < stop)]
        jitter = (inside * 7 + first * 13) % 7 - 3  # -3..3 samples, varies with the window
        found = inside + jitter
        edge_free = (inside >= first + self.blind) | (first == 0)
        edge_free &= (inside < stop - self.blind) | (stop == int(self.n))
        return (found[edge_free & (found >= first) & (found < stop)] - first).astype(np.int64)

    n = 0


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("chunk_seconds", [3.1, 10.0, 60.0])
def test_every_beat_once_across_chunk_borders(seed: int, chunk_seconds: float) -> None:
    seconds = 600.0
    beats = true_beats(seconds, seed)
    n = int(seconds * FS)
    detector = EdgyDetector(beats)
    detector.n = n
    signal = np.arange(n, dtype=np.float64)
    found = detect_in_chunks(
        lambda a, b: signal[a:b], n, FS, detector, chunk_seconds=chunk_seconds, overlap_seconds=2
    )
    assert len(found) == len(beats)
    assert np.all(np.abs(found - beats) <= 3)
    assert np.all(np.diff(found) > 0)
    # Memory is one chunk and its two overlaps, whatever the record's length.
    assert detector.longest <= round(chunk_seconds * FS) + 2 * round(2 * FS)


def test_progress_reaches_the_end_and_empty_channels_work() -> None:
    seen: list[tuple[int, int]] = []
    found = detect_in_chunks(
        lambda a, b: np.zeros(b - a),
        1000,
        100.0,
        lambda s, fs: np.zeros(0, np.int64),
        chunk_seconds=3,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert found.dtype == np.int64 and len(found) == 0
    assert seen[-1] == (1000, 1000) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(detect_in_chunks(lambda a, b: np.zeros(0), 0, 100.0, lambda s, fs: s)) == 0
    with pytest.raises(ValueError, match="fs must be positive"):
        detect_in_chunks(lambda a, b: np.zeros(0), 10, 0.0, lambda s, fs: s)
