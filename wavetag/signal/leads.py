"""Which channels of a record the automatic analysis reads, and reading them in mV.

The analysis (:func:`wavetag.signal.analysis.analyze`) never holds a record: it asks a
:class:`SampleSource` for the samples it needs, a bounded piece at a time, the way
:func:`~wavetag.signal.qrs.detect_qrs_chunked` reads chunks. The same source type wraps
arrays in memory (:meth:`SampleSource.from_arrays`: tests, benchmarks) and the waveform
store (the analysis job), so that both run one and the same analysis.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .recording import ChannelInfo
from .store import RecordStore, to_physical

F64 = npt.NDArray[np.float64]

# read(channel index, first, stop): samples [first, stop) of that channel in its own
# physical units, NaN where missing; a range beyond the channel is clipped to it.
Read = Callable[[int, int, int], npt.NDArray[np.floating]]


class AnalysisError(Exception):
    """The analysis cannot go on with this record; the message is for the person who asked."""


@dataclass(frozen=True)
class SampleSource:
    """The channels of a record and a callable that reads their samples.

    Attributes
    ----------
    channels : sequence of ChannelInfo
        The record's channels; ``channels[i].index`` is ``i``.
    read : callable ``read(channel, first, stop) -> ndarray``
        Samples ``first .. stop - 1`` of channel ``channel`` in its physical units
        (``channels[channel].units``), NaN for missing samples, clipped to the channel.
    """

    channels: Sequence[ChannelInfo]
    read: Read

    @classmethod
    def from_arrays(
        cls,
        signals_by_channel: Mapping[str, npt.ArrayLike],
        fs_by_channel: Mapping[str, float],
        units: str = "mV",
    ) -> SampleSource:
        """A record held in memory: channels by name, each with its sampling frequency, Hz.

        Examples
        --------
        >>> import numpy as np
        >>> src = SampleSource.from_arrays({"II": np.zeros(3600)}, {"II": 360.0})
        >>> src.channels[0].name, src.read(0, 10, 13)
        ('II', array([0., 0., 0.]))
        """
        missing = [n for n in signals_by_channel if n not in fs_by_channel]
        if missing:
            raise ValueError(f"no sampling frequency for channel(s) {missing}")
        arrays = [np.asarray(x, dtype=np.float64) for x in signals_by_channel.values()]
        channels = [
            ChannelInfo(i, name, units, float(fs_by_channel[name]), 1.0, 0.0, len(x))
            for i, (name, x) in enumerate(zip(signals_by_channel, arrays, strict=True))
        ]

        def read(channel: int, first: int, stop: int) -> F64:
            return arrays[channel][max(0, first) : max(0, stop)]

        return cls(channels, read)

    @classmethod
    def from_store(cls, store: RecordStore) -> SampleSource:
        """A record of the waveform store, read in physical units a piece at a time (what
        the analysis job gives :func:`~wavetag.signal.analysis.analyze`)."""

        def read(channel: int, first: int, stop: int) -> npt.NDArray[np.floating]:
            return to_physical(store.read_samples(channel, first, stop), store.channels[channel])

        return cls(store.channels, read)


# Lead names of ECG channels (MLII, V5, aVR, ECG1, lead II, D2...), spaces removed.
_ECG_NAME = re.compile(
    r"^(ml)?(i{1,3}|avr|avl|avf|v[1-6]?|ecg\w*|ekg\w*|lead\w*|d[1-3])$", re.IGNORECASE
)
_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}


def is_ecg_name(name: str) -> bool:
    return bool(_ECG_NAME.match(name.strip().replace(" ", "")))


def to_mv(channel: ChannelInfo) -> float:
    """Factor from the channel's units to mV (1 for units it does not know)."""
    return _TO_MV.get(channel.units.strip().lower(), 1.0)


def ecg_channel(channels: Sequence[ChannelInfo]) -> ChannelInfo:
    """The channel to detect beats in: the first ECG lead by name, else the first in mV.

    Microvolts alone do not make an ECG (EEG and EMG are in µV too).

    Raises
    ------
    AnalysisError
        If no channel qualifies (the message names the channels).
    """
    for c in channels:
        if is_ecg_name(c.name) and c.n_samples > 0:
            return c
    for c in channels:
        if c.units.strip().lower() == "mv" and c.n_samples > 0:
            return c
    names = ", ".join(c.name for c in channels) or "none"
    raise AnalysisError(f"the record has no ECG channel to detect beats in (channels: {names})")


def analysed_channel(channels: Sequence[ChannelInfo], wanted: int | None) -> ChannelInfo:
    """The channel a run detects beats in: ``wanted`` (an index) when given, else the first
    ECG lead (:func:`ecg_channel`).

    An index, not a name: two channels of a record may carry one name (``ECG``, ``ECG``).

    Raises
    ------
    AnalysisError
        If ``wanted`` is no channel of the record, or one without samples.
    """
    if wanted is None:
        return ecg_channel(channels)
    for c in channels:
        if c.index == wanted and c.n_samples > 0:
            return c
    names = ", ".join(f"{c.index} {c.name}" for c in channels) or "none"
    raise AnalysisError(f"the record has no channel {wanted} with samples (channels: {names})")


def morphology_channels(
    channels: Sequence[ChannelInfo], primary: ChannelInfo, most: int
) -> list[ChannelInfo]:
    """``primary``, then other ECG leads sampled like it (same rate and length), up to ``most``.

    A second lead tells a PVC or a paced beat from noise far better than one; each lead
    costs ~0.4 kB a beat of classification windows.
    """
    out = [primary]
    for c in channels:
        if len(out) >= most:
            break
        same = c.fs == primary.fs and c.n_samples == primary.n_samples
        if c.index != primary.index and same and is_ecg_name(c.name):
            out.append(c)
    return out


def mv_reader(source: SampleSource, channels: Sequence[ChannelInfo]) -> Callable[[int, int], F64]:
    """``read(first, stop)``: samples [first, stop) of ``channels`` in mV, shape
    (samples, channels), clipped to the first channel's length."""
    n = channels[0].n_samples
    scales = [to_mv(c) for c in channels]

    def read(first: int, stop: int) -> F64:
        first, stop = max(0, first), min(n, stop)
        # Each channel written straight into its column: no per-channel float64 copy
        # and product, then a stack of them (a day of two channels is read three times).
        out = np.empty((max(stop - first, 0), len(channels)), dtype=np.float64)
        for j, (c, k) in enumerate(zip(channels, scales, strict=True)):
            out[:, j] = source.read(c.index, first, stop)
            if k != 1.0:
                out[:, j] *= k
        return out

    return read
