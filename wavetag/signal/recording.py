"""The one in-memory description of a recording that every reader produces.

Readers (``wavetag.signal.io``) validate a file set and return a
:class:`RecordingSource`: all metadata up front, the samples on demand, block by
block, so that a 72-h Holter is never held in memory whole. The store
(``wavetag.signal.store``) consumes those blocks.

Samples travel as *digital* integers (ADC units) together with each channel's
``gain`` and ``baseline``; ``physical = (digital - baseline) / gain``. Keeping the
digital values is what makes the import lossless.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

Origin = Literal["reference", "machine"]


class RecordError(Exception):
    """A record (or one of its files) is malformed or unreadable.

    ``str(error)`` is a single line that names the offending file and says what
    is wrong, fit to show to a user as it is.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class ChannelInfo:
    """One channel (signal) of a recording.

    Attributes
    ----------
    index : int
        Position in the record, from 0.
    name : str
        Signal description from the file (e.g. ``MLII``, ``ABP``).
    units : str
        Physical units (e.g. ``mV``, ``mmHg``, ``NU``).
    fs : float
        Samples per second of *this* channel (multi-frequency records have
        channels at different rates).
    gain : float
        ADC units per physical unit.
    baseline : float
        Digital value that corresponds to 0 physical units. A whole number
        for WFDB; EDF scaling (from physical and digital limits) generally
        gives a fraction.
    n_samples : int
        Number of samples of this channel.
    adc_resolution : int
        Bits of the ADC, 0 when unknown.
    dtype : str
        ``"int16"`` or ``"int32"``: the narrowest integer type that holds every
        digital value of the source format.
    invalid : int or None
        Digital value that marks a missing sample (WFDB's "invalid sample"),
        or None when the format has none. Such samples are NaN in physical units.
    """

    index: int
    name: str
    units: str
    fs: float
    gain: float
    baseline: float
    n_samples: int
    adc_resolution: int = 0
    dtype: Literal["int16", "int32"] = "int16"
    invalid: int | None = None

    @property
    def duration(self) -> float:
        return self.n_samples / self.fs


@dataclass
class AnnotationSetData:
    """A set of annotations read from one annotation file (or EDF+ channel).

    All arrays have one entry per annotation. ``time`` (seconds from the
    start of the record) is authoritative; ``sample`` is the sample number at
    ``fs`` as written in the file (WFDB), or derived from ``time`` (EDF+).
    """

    name: str  # e.g. "atr", "qrs", "gqrsh", "edf"
    origin: Origin
    source: str  # file name the set came from
    fs: float
    time: npt.NDArray[np.float64]
    sample: npt.NDArray[np.int64]
    symbol: list[str]
    aux_note: list[str]
    duration: npt.NDArray[np.float64]  # seconds; 0 for point annotations
    subtype: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    chan: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    num: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.time)


class RecordingSource(Protocol):
    """A validated recording whose samples can be read block by block.

    Opening a source (``wavetag.signal.io.open_recording``) has already checked
    everything that can be checked without reading all samples: files exist and
    stay inside the imported folder, sizes match the header, frequencies are
    positive, lengths are sane. Checks that need every sample (WFDB checksums)
    run while blocks are read, and raise :class:`RecordError` from
    :meth:`iter_blocks` at the end.
    """

    path: str  # the file the user named (header, or the recording's one file)
    name: str  # record name, e.g. "100", "r01"
    format: str  # "wfdb" | "edf" | "bdf" | "csv" | "ishne" | "aecg" | "dicom" | "scp"
    channels: list[ChannelInfo]
    comments: list[str]  # header comments; may hold the answer, never shown to annotators
    start_time: time | None
    start_date: datetime | None  # only kept when patient info was asked for
    patient_info: dict[str, str]  # empty unless asked for
    annotation_sets: list[AnnotationSetData]
    warnings: list[str]
    files: list[str]  # every file this record was read from

    @property
    def duration(self) -> float: ...

    def iter_blocks(self, seconds: float = 60.0) -> Iterator[list[npt.NDArray[np.integer]]]:
        """Yield successive blocks of digital samples, one array per channel.

        Each block covers the same span of time for every channel (a channel at
        4x the rate gets 4x the samples). Concatenating the blocks of a channel
        gives exactly its ``n_samples`` values, in the channel's ``dtype``.
        """
        ...
