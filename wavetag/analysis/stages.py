"""The steps of the automatic analysis, in order. Each is a small function over a context.

A run goes through ``STAGES`` one after another; each stage reads what the ones before
it left in the :class:`Context` and adds its own (beats, their labels, rhythm marks...).
Beat labelling and rhythm are stages of their own so that a better classifier replaces
``label_beats`` here, and nothing else changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from wavetag.signal import qrs
from wavetag.signal.recording import ChannelInfo
from wavetag.signal.store import RecordStore, to_physical

# Progress within a stage, 0 to 1, and what it is doing.
Report = Callable[[float, str], None]


class AnalysisError(Exception):
    """A run cannot go on; the message is for the person who asked for it."""


@dataclass
class Mark:
    """An annotation that is not a beat: a rhythm change, a noise segment, a note."""

    sample: int
    symbol: str
    aux_note: str = ""


@dataclass
class Context:
    store: RecordStore
    channel: ChannelInfo  # the ECG channel analysed
    beats: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    symbols: list[str] = field(default_factory=list)  # one per beat
    marks: list[Mark] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Context, Report], None]
    # Share of the run's time, for the progress bar.
    weight: float


_ECG_NAME = re.compile(
    r"^(ml)?(i{1,3}|avr|avl|avf|v[1-6]?|ecg\w*|ekg\w*|lead\w*|d[1-3])$", re.IGNORECASE
)
_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}


def ecg_channel(channels: list[ChannelInfo]) -> ChannelInfo:
    """The channel to detect beats in: the first ECG lead by name, else the first in mV.

    Microvolts alone do not make an ECG (EEG and EMG are in µV too).
    """
    for c in channels:
        if _ECG_NAME.match(c.name.strip().replace(" ", "")) and c.n_samples > 0:
            return c
    for c in channels:
        if c.units.strip().lower() == "mv" and c.n_samples > 0:
            return c
    names = ", ".join(c.name for c in channels) or "none"
    raise AnalysisError(f"the record has no ECG channel to detect beats in (channels: {names})")


# Seconds of signal per read: a 72-h record is detected in bounded memory, and the
# progress bar moves every few seconds of work.
CHUNK_SECONDS = 600.0


def detect_beats(ctx: Context, report: Report) -> None:
    """QRS detection over the whole channel, a bounded chunk at a time.

    The detector's own chunked reader gives exactly the beats of a whole-signal run
    (chunk borders neither lose nor double a beat); each read reports progress.
    """
    info = ctx.channel
    scale = _TO_MV.get(info.units.strip().lower(), 1.0)
    total = max(info.n_samples, 1)

    def read(first: int, stop: int) -> npt.NDArray[np.floating]:
        report(
            min(stop / total, 1.0),
            f"detecting beats: {_clock(stop / info.fs)} of {_clock(total / info.fs)}",
        )
        return to_physical(ctx.store.read_samples(info.index, first, stop), info) * scale

    ctx.beats = qrs.detect_qrs_chunked(read, info.n_samples, info.fs, chunk_s=CHUNK_SECONDS)
    report(1.0, f"{len(ctx.beats)} beats found")


def _clock(seconds: float) -> str:
    """``1:05:09`` or ``5:09``: where the detection is in the record."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def label_beats(ctx: Context, report: Report) -> None:
    """Label every detected beat ``Q`` (WFDB: unclassified): found, not yet classified."""
    ctx.symbols = ["Q"] * len(ctx.beats)
    report(1.0, "labelling beats")


STAGES: list[Stage] = [
    Stage("qrs", detect_beats, weight=0.95),
    Stage("labels", label_beats, weight=0.05),
]
