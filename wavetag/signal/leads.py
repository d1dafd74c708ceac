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
_LEAD_II = re.compile(r"^(ml|lead|ecg)?ii$|^(ml|lead|ecg|d)2$", re.IGNORECASE)
_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}


def is_ecg_name(name: str) -> bool:
    return bool(_ECG_NAME.match(name.strip().replace(" ", "")))


def is_lead_ii(name: str) -> bool:
    """``II``, ``MLII``, ``lead II``, ``ECG II``, ``D2``: the rhythm strip's lead."""
    return bool(_LEAD_II.match(name.strip().replace(" ", "")))


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


def named_channel(channels: Sequence[ChannelInfo], wanted: int | str) -> ChannelInfo:
    """The channel ``wanted`` names: an index (``2``, ``"2"``) or a name (``"Direct_1"``,
    matched exactly, else ignoring case and spaces).

    Raises
    ------
    AnalysisError
        If no channel (with samples) answers to ``wanted``, or two share the name; the
        message names the ``channel`` field and lists the record's channels.
    """
    listing = ", ".join(f"{c.index} {c.name}" for c in channels) or "none"
    text = str(wanted).strip()
    if isinstance(wanted, int) or text.lstrip("-").isdigit():
        index = int(text)
        for c in channels:
            if c.index == index and c.n_samples > 0:
                return c
        raise AnalysisError(
            f"channel: the record has no channel {index} with samples (channels: {listing})"
        )
    key = text.lower().replace(" ", "")
    for match in (
        [c for c in channels if c.name == text],
        [c for c in channels if c.name.lower().replace(" ", "") == key],
    ):
        match = [c for c in match if c.n_samples > 0]
        if len(match) == 1:
            return match[0]
        if len(match) > 1:
            raise AnalysisError(
                f"channel: {len(match)} channels are named {text!r}; give its index "
                f"(channels: {listing})"
            )
    raise AnalysisError(f"channel: the record has no channel named {text!r} (channels: {listing})")


def analysed_channel(channels: Sequence[ChannelInfo], wanted: int | str | None) -> ChannelInfo:
    """The channel a run detects beats in: ``wanted`` (an index or a name,
    :func:`named_channel`) when given, else the first ECG lead (:func:`ecg_channel`).

    A channel chosen explicitly is analysed whatever its name or units (a fetal scalp
    lead called ``Direct_1``); only the default needs an ECG by name or units.

    Raises
    ------
    AnalysisError
        If ``wanted`` is no channel of the record, or one without samples.
    """
    if wanted is None:
        return ecg_channel(channels)
    return named_channel(channels, wanted)


def lead_candidates(channels: Sequence[ChannelInfo]) -> list[ChannelInfo]:
    """The channels the default lead is chosen among: the ECG leads by name sampled like
    the first of them (else the channel :func:`ecg_channel` gives, alone)."""
    first = ecg_channel(channels)
    return [
        c
        for c in channels
        if c.index == first.index
        or (is_ecg_name(c.name) and c.fs == first.fs and c.n_samples == first.n_samples)
    ]


def rhythm_lead(leads: Sequence[ChannelInfo]) -> ChannelInfo:
    """Lead II (``II``, ``MLII``, ``lead II``, ``ECG II``, ``D2``) where ``leads`` has it, else the
    first: the rhythm strip's lead, where P waves and QRS complexes show best in most
    people."""
    for c in leads:
        if is_lead_ii(c.name):
            return c
    return leads[0]


def _agreeing(beats: list[npt.NDArray[np.int64]], tol: int) -> npt.NDArray[np.float64]:
    """Per lead, its beats that at least half of the other leads also found (within
    ``tol`` samples), minus (with three leads or more) those that none of them found."""
    n = len(beats)
    scores = np.zeros(n)
    for i, b in enumerate(beats):
        if len(b) == 0:
            continue
        found = np.zeros(len(b))
        for j, other in enumerate(beats):
            if j == i or len(other) == 0:
                continue
            k = np.clip(np.searchsorted(other, b), 1, len(other) - 1) if len(other) > 1 else 0
            near = np.minimum(np.abs(other[k] - b), np.abs(other[np.maximum(k - 1, 0)] - b))
            found += near <= tol
        scores[i] = np.sum(found >= max(1.0, (n - 1) / 2))
        if n >= 3:
            # A beat no other lead found is noise; with one other lead it may as well
            # be a beat that lead missed.
            scores[i] -= np.sum(found == 0)
    return scores


def choose_lead(
    source: SampleSource,
    detect: Callable[[F64, float], npt.NDArray[np.int64]],
    sample_s: float = 120.0,
    pieces: int = 4,
    keep: float = 0.95,
) -> ChannelInfo:
    """The ECG lead where the QRS complexes are detected best, from a bounded sample.

    Parameters
    ----------
    source : SampleSource
    detect : callable ``detect(signal_mv, fs) -> beats``
        The QRS detector the analysis uses.
    sample_s : float
        Seconds read per lead in all, s: a 10-s record is read whole, a 72-h Holter
        costs the same as a 2-min one.
    pieces : int
        The sample is this many stretches spread evenly over the record (a Holter's
        first minutes alone may be the electrodes settling).
    keep : float
        The default lead (:func:`rhythm_lead`: lead II where the record has it, else the
        first ECG lead) stays unless another scores more than ``1 / keep`` times its
        score.

    Returns
    -------
    ChannelInfo

    Notes
    -----
    1. Detect beats in each piece of each candidate lead (:func:`lead_candidates`).
    2. Score each lead by agreement: beats that at least half of the other leads also
       found within 150 ms, minus beats no other lead found. A lead that misses beats
       (a small QRS in lead I) or adds them (noise) scores low; with two leads the
       agreement is symmetric and the default stays.
    3. The best-scoring lead, unless the default lead comes within ``keep`` of it.
    """
    cands = lead_candidates(source.channels)
    # The default first: with two leads the scores tie, and which of MLII and V1 a record
    # lists first (MIT-BIH 114 lists V5 first) must not decide the analysis.
    default = rhythm_lead(cands)
    cands.remove(default)
    cands.insert(0, default)
    first = cands[0]
    if len(cands) == 1:
        return first
    fs, n = first.fs, first.n_samples
    piece = max(1, round(sample_s * fs / pieces))
    if piece * pieces >= n or pieces < 2:
        firsts, piece = [0], min(n, piece * max(pieces, 1))
    else:
        firsts = [round(k * (n - piece) / (pieces - 1)) for k in range(pieces)]
    tol = round(0.15 * fs)
    scores = np.zeros(len(cands))
    for a in firsts:
        found = [
            np.asarray(
                detect(np.asarray(source.read(c.index, a, a + piece), np.float64) * to_mv(c), fs),
                dtype=np.int64,
            )
            for c in cands
        ]
        scores += _agreeing(found, tol)
    best = int(np.argmax(scores))
    return first if scores[0] >= keep * scores[best] else cands[best]


def morphology_channels(
    channels: Sequence[ChannelInfo], primary: ChannelInfo, most: int
) -> list[ChannelInfo]:
    """``primary``, then other ECG leads sampled like it (same rate and length), up to ``most``:
    lead II first (:func:`rhythm_lead`), then in the record's order.

    A second lead tells a PVC or a paced beat from noise far better than one; each lead
    costs ~0.4 kB a beat of classification windows. Lead II comes next when the QRS was
    detected best elsewhere because the atrial tests read these leads: P waves show best
    there (aVL, chosen for its QRS, may show none).
    """
    same = [
        c
        for c in channels
        if c.index != primary.index
        and c.fs == primary.fs
        and c.n_samples == primary.n_samples
        and is_ecg_name(c.name)
    ]
    if same:
        first = rhythm_lead(same)
        if is_lead_ii(first.name):
            same.remove(first)
            same.insert(0, first)
    return [primary, *same][: max(most, 1)]


def mv_reader(
    source: SampleSource, channels: Sequence[ChannelInfo], *, channel_major: bool = False
) -> Callable[[int, int], F64]:
    """``read(first, stop)``: samples [first, stop) of ``channels`` in mV, shape
    (samples, channels), clipped to the first channel's length.

    ``channel_major``: each channel's column contiguous in memory (the transpose of a
    (channels, samples) array), for callers that work a channel at a time; the same
    values.
    """
    n = channels[0].n_samples
    scales = [to_mv(c) for c in channels]

    def read(first: int, stop: int) -> F64:
        first, stop = max(0, first), min(n, stop)
        # Each channel written straight into its column: no per-channel float64 copy
        # and product, then a stack of them (a day of two channels is read three times).
        shape = (max(stop - first, 0), len(channels))
        out = np.empty(shape[::-1]).T if channel_major else np.empty(shape)
        for j, (c, k) in enumerate(zip(channels, scales, strict=True)):
            out[:, j] = source.read(c.index, first, stop)
            if k != 1.0:
                out[:, j] *= k
        return out

    return read
