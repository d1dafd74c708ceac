"""A record's samples as WFDB files (``.hea`` + ``.dat``), exactly as they were imported.

The store keeps each channel's digital samples with its gain and baseline, so writing
them back is lossless: ``wfdb.rdrecord(..., physical=False)`` returns the very integers
the store holds, and the header carries the same gains. What a WFDB header cannot carry
is said in :attr:`SignalFiles.notes` instead of being changed silently:

- one format per ``.dat`` file: the narrowest of 212, 16, 24 and 32 that holds every
  channel's values and whose "invalid sample" value is the channel's own (MIT-BIH's 212
  comes back as 212); a channel whose invalid value no such format shares gets the
  format's, and a note;
- baselines are whole numbers in WFDB: an EDF channel's fractional baseline is rounded
  (the physical values move by less than half a digital unit), with a note;
- channels at different rates are written as frames (``samps_per_frame``) when every
  rate is a whole multiple of the slowest one; otherwise the record is refused.

The ``.dat`` file is written block by block (:func:`pack` gives the bytes ``wfdb.wrsamp``
would write, which the tests check), and the header last, by ``wfdb``, with the checksums
summed on the way: ``wfdb.wrsamp`` takes a whole record in memory, too much for a
multi-day Holter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import wfdb

from wavetag.errors import InvalidInput
from wavetag.signal.recording import ChannelInfo
from wavetag.signal.store import RecordStore

from .models import Record
from .storage import store_root

# Frames read and written at a time (even: format 212 packs samples in pairs).
BLOCK_FRAMES = 1 << 18
# (format, lowest valid value, highest value, the value that marks an invalid sample)
FORMATS = (
    ("212", -2047, 2047, -2048),
    ("16", -32767, 32767, -32768),
    ("24", -(2**23) + 1, 2**23 - 1, -(2**23)),
    ("32", -(2**31) + 1, 2**31 - 1, -(2**31)),
)


@dataclass
class SignalFiles:
    """What :func:`write_wfdb` wrote: file names (in the folder) and what changed."""

    files: list[str]
    fmt: str
    notes: list[str] = field(default_factory=list)


def _format(store: RecordStore) -> tuple[str, int, list[str]]:
    """The format for the whole record (one ``.dat`` file, one format), its invalid value,
    and notes on channels whose invalid value it does not share."""
    ranges = [store.digital_range(c.index) for c in store.channels]
    fitting = [
        f for f in FORMATS if all(r is None or (f[1] <= r[0] and r[1] <= f[2]) for r in ranges)
    ]
    if not fitting:  # cannot happen for int32 values but the sentinel; keep the widest
        fitting = [FORMATS[-1]]
    same_invalid = [
        f for f in fitting if all(c.invalid is None or c.invalid == f[3] for c in store.channels)
    ]
    fmt, _lo, _hi, invalid = (same_invalid or fitting)[0]
    notes = [
        f"channel {c.index} ({c.name}): invalid samples ({c.invalid}) written as {invalid}, "
        f"the invalid value of format {fmt}"
        for c in store.channels
        if c.invalid is not None and c.invalid != invalid
    ]
    return fmt, invalid, notes


def _frames(channels: list[ChannelInfo], record: str) -> tuple[float, list[int]]:
    """Frame rate and samples per frame of each channel."""
    base = min(c.fs for c in channels)
    spf = [c.fs / base for c in channels]
    n_frames = {c.n_samples / s for c, s in zip(channels, spf, strict=True)}
    if any(abs(s - round(s)) > 1e-9 for s in spf) or len(n_frames) > 1:
        rates = ", ".join(f"{c.fs:g}" for c in channels)
        raise InvalidInput(
            f"record {record}: its channels' rates ({rates} Hz) are not whole multiples of "
            "one frame rate with the same length, which a WFDB record cannot hold"
        )
    return base, [round(s) for s in spf]


def _samples(
    store: RecordStore, channel: ChannelInfo, invalid: int, first: int, stop: int
) -> npt.NDArray[np.int64]:
    values = store.read_samples(channel.index, first, stop).astype(np.int64)
    if channel.invalid is not None and channel.invalid != invalid:
        values[values == channel.invalid] = invalid
    return values


def pack(flat: npt.NDArray[np.int64], fmt: str) -> bytes:
    """Samples in file order as the bytes of a WFDB signal file of format ``fmt``
    (little-endian; 212 packs two 12-bit samples in three bytes, and an odd last sample in
    two, as WFDB writes it)."""
    if fmt == "212":
        n = flat.size
        v = np.append(flat, 0) if n % 2 else flat
        a, b = v[0::2] & 0xFFF, v[1::2] & 0xFFF
        out = np.empty((a.size, 3), np.uint8)
        out[:, 0] = a & 0xFF
        out[:, 1] = (a >> 8) | ((b >> 4) & 0xF0)
        out[:, 2] = b & 0xFF
        raw = out.tobytes()
        return raw[:-1] if n % 2 else raw
    if fmt == "24":
        return flat.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return flat.astype("<i2" if fmt == "16" else "<i4").tobytes()


def _stretch(
    record: Record, fs: float, total: int, seconds: tuple[float, float] | None
) -> tuple[int, int]:
    """The first frame and the number of frames of ``seconds`` (all ``total`` frames:
    None); refused when the stretch is not inside the record."""
    if seconds is None:
        return 0, total
    first, n = round(seconds[0] * fs), round((seconds[1] - seconds[0]) * fs)
    if first < 0 or n <= 0 or first + n > total:
        raise InvalidInput(
            f"record {record.name}: {seconds[0]:g} to {seconds[1]:g} s is not inside its "
            f"{total / fs:g} s"
        )
    return first, n


def write_wfdb(
    record: Record,
    folder: Path,
    name: str,
    *,
    channels: list[int] | None = None,
    seconds: tuple[float, float] | None = None,
) -> SignalFiles:
    """Write ``record`` as ``folder/name.hea`` and ``folder/name.dat``.

    ``channels`` (indices; default all) and ``seconds`` (``(start, end)`` from the start of
    the record; default all of it) cut an excerpt: the frames from ``round(start * fs)``,
    ``round((end - start) * fs)`` of them, at the frame rate ``fs`` of the channels kept.

    The samples go through in blocks of :data:`BLOCK_FRAMES` frames, so that a 72-h Holter
    takes no more memory than a 10-s strip; the header, written last, carries the checksums
    and first values summed on the way (``wfdb.wrsamp`` would need the whole record).
    """
    store = RecordStore.open(store_root(), record.store_key)
    fmt, invalid, notes = _format(store)
    kept = set(range(len(store.channels)) if channels is None else channels)
    chosen = [c for c in store.channels if c.index in kept]
    if not chosen:
        raise InvalidInput(f"record {record.name}: has no channels to write")
    fs, spf = _frames(chosen, record.name)
    notes = [n for n in notes if any(n.startswith(f"channel {c.index} (") for c in chosen)]
    first_frame, n_frames = _stretch(record, fs, chosen[0].n_samples // spf[0], seconds)
    baselines = []
    for c in chosen:
        baselines.append(round(c.baseline))
        if not math.isclose(c.baseline, round(c.baseline)):
            notes.append(
                f"channel {c.index} ({c.name}): baseline {c.baseline:g} rounded to "
                f"{round(c.baseline)} (WFDB baselines are whole numbers)"
            )
    sums, first = [0] * len(chosen), [0] * len(chosen)
    with (folder / f"{name}.dat").open("wb") as dat:
        for start in range(first_frame, first_frame + n_frames, BLOCK_FRAMES):
            stop = min(first_frame + n_frames, start + BLOCK_FRAMES)
            block = [
                _samples(store, c, invalid, start * k, stop * k)
                for c, k in zip(chosen, spf, strict=True)
            ]
            for i, values in enumerate(block):
                sums[i] += int(values.sum())
                if start == first_frame:
                    first[i] = int(values[0])
            # A frame holds each channel's samples of one frame interval in turn.
            frames = np.hstack(
                [v.reshape(stop - start, k) for v, k in zip(block, spf, strict=True)]
            )
            dat.write(pack(frames.ravel(), fmt))
    bits = int(fmt) if fmt != "212" else 12
    header = wfdb.Record(
        record_name=name,
        n_sig=len(chosen),
        fs=fs,
        sig_len=n_frames,
        file_name=[f"{name}.dat"] * len(chosen),
        fmt=[fmt] * len(chosen),
        samps_per_frame=spf,
        adc_gain=[float(c.gain) for c in chosen],
        baseline=baselines,
        units=[c.units or "NU" for c in chosen],
        # The ADC's resolution as the source gave it (MIT-BIH: 11 bits in format 212).
        adc_res=[c.adc_resolution if 0 < c.adc_resolution <= bits else bits for c in chosen],
        adc_zero=[0] * len(chosen),
        init_value=first,
        checksum=[s % 65536 for s in sums],
        block_size=[0] * len(chosen),
        sig_name=[c.name or f"channel{c.index}" for c in chosen],
    )
    header.wrheader(write_dir=str(folder), expanded=any(k != 1 for k in spf))
    return SignalFiles([f"{name}.hea", f"{name}.dat"], fmt, notes)
