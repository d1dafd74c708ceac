"""Reader for WFDB records (``.hea`` + signal files + annotation files).

Opening a record (:func:`open_wfdb`) parses the header strictly, checks every
signal file against it (name, place, size) and reads the annotation files;
samples are read later, block by block, by :meth:`WfdbRecording.iter_blocks`.

Samples are those of ``wfdb.rdrecord(..., physical=False, smooth_frames=False)``:
each channel keeps its own rate (record rate x samples per frame), and a
skewed channel is shifted as ``wfdb`` shifts it, its last ``skew`` frames
filled with the format's invalid value. Checksums are summed over the samples
as stored, before the shift, which is how the WFDB library computes them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

import numpy as np
import wfdb

from wavetag.signal.io.annotations import read_annotations_beside
from wavetag.signal.io.paths import file_size, member_path
from wavetag.signal.io.source import MAX_BLOCK_SAMPLES, Block, IntArray, Recording
from wavetag.signal.io.wfdb_formats import (
    COMPRESSED_FORMATS,
    INVALID_VALUE,
    NUMPY_FORMATS,
    bytes_for_samples,
    read_flat,
    sample_dtype,
    samples_in_bytes,
)
from wavetag.signal.io.wfdb_header import SignalSpec, WfdbHeader, parse_header, read_header_text
from wavetag.signal.recording import ChannelInfo, RecordError

# A FLAC-compressed file of n bytes cannot sensibly hold more samples than
# this many times n; beyond it the header's length is taken for garbage.
_MAX_COMPRESSION = 1000

_INFO_RE = re.compile(r"<?([A-Za-z][\w .-]{0,40}?)>?\s*:\s*(.+)")


@dataclass(frozen=True)
class SignalFile:
    """The signals that share one signal file, and where the file is."""

    name: str
    path: str
    fmt: str
    byte_offset: int
    signals: tuple[SignalSpec, ...]

    @property
    def samples_per_frame(self) -> int:
        return sum(s.samples_per_frame for s in self.signals)


class _FrameReader(Protocol):
    file: SignalFile

    def read(self, start: int, stop: int, keep: int) -> list[IntArray]: ...

    def close(self) -> None: ...


class _NumpyReader:
    """Reads frames of a file in a :data:`NUMPY_FORMATS` format directly."""

    def __init__(self, file: SignalFile) -> None:
        self.file = file
        self._handle: BinaryIO | None = None
        # Format 8 stores differences: the running value of each signal at
        # ``_next_frame`` carries over from one block to the next.
        self._next_frame = 0
        self._running = [s.init_value for s in file.signals]

    def read(self, start: int, stop: int, keep: int) -> list[IntArray]:
        """Samples of frames ``start`` to ``stop``, one array per signal.

        ``keep`` is how many of these frames the caller consumes; the next
        call starts there (only format 8 relies on this).
        """
        file = self.file
        if self._handle is None:
            self._handle = open(file.path, "rb")
        spf = file.samples_per_frame
        flat = read_flat(self._handle, file.fmt, file.byte_offset, start * spf, stop * spf)
        frames = flat.reshape(stop - start, spf)
        out: list[IntArray] = []
        column = 0
        for position, signal in enumerate(file.signals):
            k = signal.samples_per_frame
            samples = flat if len(file.signals) == 1 else frames[:, column : column + k].ravel()
            column += k
            if file.fmt == "8":
                samples = self._accumulate(position, samples, start, keep * k)
            out.append(samples)
        if file.fmt == "8":
            self._next_frame = start + keep
        return out

    def _accumulate(self, position: int, diffs: IntArray, start: int, kept: int) -> IntArray:
        if start == 0:
            self._running[position] = self.file.signals[position].init_value
        elif start != self._next_frame:
            raise RuntimeError("format 8 signal files can only be read in order")
        values = np.cumsum(diffs, dtype=np.int64) + self._running[position]
        if kept:
            self._running[position] = int(values[kept - 1])
        return values.astype(np.int32)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class _WfdbReader:
    """Reads frames through ``wfdb.rdrecord`` (the FLAC formats)."""

    def __init__(self, file: SignalFile, record_base: str) -> None:
        self.file = file
        self._record_base = record_base

    def read(self, start: int, stop: int, keep: int) -> list[IntArray]:
        record: Any = wfdb.rdrecord(
            self._record_base,
            sampfrom=start,
            sampto=stop,
            channels=[s.index for s in self.file.signals],
            physical=False,
            smooth_frames=False,
            ignore_skew=True,
            return_res=32,
        )
        return [np.asarray(x) for x in record.e_d_signal]

    def close(self) -> None:
        pass


@dataclass
class WfdbRecording(Recording):
    """A validated WFDB record; see :class:`~wavetag.signal.recording.RecordingSource`."""

    header: WfdbHeader | None = None
    signal_files: tuple[SignalFile, ...] = ()
    n_frames: int = 0
    verify_checksums: bool = True

    def _blocks(self, seconds: float) -> Iterator[Block]:
        assert self.header is not None
        header, n = self.header, self.n_frames
        frame_samples = sum(c.samples_per_frame for c in self.signal_files)
        step = max(1, min(round(seconds * header.fs), MAX_BLOCK_SAMPLES // frame_samples))
        record_base = self.path[: -len(".hea")]
        readers: list[_FrameReader] = [
            _NumpyReader(f) if f.fmt in NUMPY_FORMATS else _WfdbReader(f, record_base)
            for f in self.signal_files
        ]
        sums = [0] * len(self.channels)
        try:
            for start in range(0, n, step):
                stop = min(n, start + step)
                block: list[IntArray | None] = [None] * len(self.channels)
                for reader in readers:
                    signals = reader.file.signals
                    max_skew = max(s.skew for s in signals)
                    raw = reader.read(start, min(n, stop + max_skew), stop - start)
                    for signal, samples in zip(signals, raw, strict=True):
                        k = signal.samples_per_frame
                        sums[signal.index] += int(samples[: (stop - start) * k].sum(dtype=np.int64))
                        block[signal.index] = self._shifted(signal, samples, start, stop)
                yield [b for b in block if b is not None]
        finally:
            for reader in readers:
                reader.close()
        self._check_sums(sums)

    def _shifted(self, signal: SignalSpec, raw: IntArray, start: int, stop: int) -> IntArray:
        """Frames ``start`` to ``stop`` of one signal, with its skew applied."""
        channel = self.channels[signal.index]
        k, skew = signal.samples_per_frame, signal.skew
        wanted = (stop - start) * k
        part = raw[skew * k : (min(stop + skew, self.n_frames) - start) * k]
        if len(part) == wanted:
            return np.ascontiguousarray(part, dtype=channel.dtype)
        # The shift runs past the end of the file: the missing frames are
        # invalid samples. (wfdb marks only ``skew`` samples invalid even when
        # a frame holds several; the rest of its padding is zeros.)
        out = np.full(wanted, channel.invalid or 0, dtype=channel.dtype)
        out[: len(part)] = part
        return out

    def _check_sums(self, sums: Sequence[int]) -> None:
        assert self.header is not None
        bad = [
            f"{s.index} ({s.description})"
            for s in self.header.signals
            if s.checksum is not None and (sums[s.index] - s.checksum) % 65536
        ]
        if not bad:
            return
        files = ", ".join(sorted({f.name for f in self.signal_files}))
        which = f"signal {bad[0]}" if len(bad) == 1 else f"signals {', '.join(bad)}"
        message = (
            f"checksum mismatch for {which}: {files} does not hold the samples the header describes"
        )
        if self.verify_checksums:
            raise RecordError(self.path, message)
        self._warn(message + " (imported anyway)")


def _group_signal_files(header: WfdbHeader, root: str) -> list[SignalFile]:
    path = header.path
    groups: dict[str, list[SignalSpec]] = {}
    for signal in header.signals:
        groups.setdefault(signal.file_name, []).append(signal)
    files = []
    for name, signals in groups.items():
        if name == "~":
            raise RecordError(path, "records without a signal file ('~') are not supported")
        file_path = member_path(path, name, root, "signal file")
        if name.lower().endswith(".hea"):
            raise RecordError(path, f"signal file {name} is a header, not a signal file")
        formats = sorted({s.fmt for s in signals})
        if len(formats) > 1:
            raise RecordError(
                path, f"signals in {name} use different formats ({', '.join(formats)})"
            )
        files.append(
            SignalFile(name, file_path, formats[0], signals[0].byte_offset, tuple(signals))
        )
    return files


def _frames_in(header: WfdbHeader, files: list[SignalFile]) -> int:
    """Number of frames of the record, checked against every signal file's size."""
    path = header.path
    inferred: list[int] = []
    for file in files:
        size = file_size(file.path)
        if size is None:
            raise RecordError(path, f"signal file {file.name} not found")
        spf = file.samples_per_frame
        if file.fmt in COMPRESSED_FORMATS:
            if header.sig_len is None:
                raise RecordError(
                    path,
                    "the header gives no number of samples, and the compressed "
                    f"{file.name} cannot tell it",
                )
            if header.sig_len * spf > _MAX_COMPRESSION * max(size, 1):
                raise RecordError(
                    path,
                    f"the header claims {header.sig_len} samples per signal, "
                    f"far more than {file.name} ({size} bytes) can hold",
                )
            continue
        if header.sig_len is None:
            held = samples_in_bytes(file.fmt, max(0, size - file.byte_offset))
            assert held is not None
            inferred.append(held // spf)
            continue
        needed = bytes_for_samples(file.fmt, header.sig_len * spf)
        assert needed is not None
        if size < file.byte_offset + needed:
            raise RecordError(
                path,
                f"signal file {file.name} is too short: the header promises {header.sig_len} "
                f"samples per signal ({file.byte_offset + needed} bytes) but the file has "
                f"{size} bytes (truncated file, or wrong length in the header)",
            )
    if header.sig_len is not None:
        return header.sig_len
    n = min(inferred) if inferred else 0
    if n == 0:
        names = ", ".join(f.name for f in files)
        raise RecordError(path, f"the header gives no number of samples and {names} holds none")
    header.warnings.append(
        f"the header gives no number of samples; {n} inferred from the signal file size"
    )
    return n


def _channel(signal: SignalSpec, fs: float, n_frames: int) -> ChannelInfo:
    return ChannelInfo(
        index=signal.index,
        name=signal.description,
        units=signal.units,
        fs=fs * signal.samples_per_frame,
        gain=signal.gain,
        baseline=signal.baseline,
        n_samples=n_frames * signal.samples_per_frame,
        adc_resolution=signal.adc_resolution,
        dtype="int32" if sample_dtype(signal.fmt) is np.int32 else "int16",
        invalid=INVALID_VALUE[signal.fmt],
    )


def patient_info_of(comments: Sequence[str]) -> dict[str, str]:
    """The ``key: value`` header comments (age, sex, diagnosis...)."""
    info: dict[str, str] = {}
    for comment in comments:
        match = _INFO_RE.fullmatch(comment)
        if match:
            info[match.group(1).strip()] = match.group(2).strip()
    return info


def open_wfdb(
    header_path: str, root: str, *, keep_patient_info: bool = False, verify_checksums: bool = True
) -> WfdbRecording:
    """Open and validate a WFDB record of one segment.

    Steps:

    1. Parse the header strictly (:func:`~wavetag.signal.io.wfdb_header.parse_header`).
    2. Check that the header names the record its file name says.
    3. Check each signal file's name (a plain name inside the record's folder
       and ``root``), presence and size against the header's length, before
       anything is allocated.
    4. Read the annotation files beside the record.

    A multi-segment header (``NAME/N``) is not one of these:
    :func:`~wavetag.signal.io.wfdb_multi.open_any_wfdb` tells them apart.

    Parameters
    ----------
    header_path : str
        The ``.hea`` file.
    root : str
        The imported folder; no file of the record may lie outside it.
    keep_patient_info : bool
        Keep the base date and ``key: value`` header comments.
    verify_checksums : bool
        Raise on a checksum mismatch at the end of ``iter_blocks`` (True), or
        only add a warning (False).

    Returns
    -------
    WfdbRecording

    Raises
    ------
    RecordError
        On any problem, naming the file and saying what is wrong.
    """
    text = read_header_text(header_path)
    header = parse_header(header_path, text)
    file_name = os.path.basename(header_path)
    expected = file_name[: -len(".hea")]
    if header.record_name != expected:
        raise RecordError(
            header_path,
            f"the header names record {header.record_name!r} but its file is {file_name}",
        )
    files = _group_signal_files(header, root)
    n_frames = _frames_in(header, files)
    channels = [_channel(s, header.fs, n_frames) for s in header.signals]
    duration = n_frames / header.fs
    folder = os.path.dirname(header_path)
    annotation_sets = read_annotations_beside(
        folder, expected, {f.name for f in files}, header.fs, duration
    )
    patient_info = patient_info_of(header.comments) if keep_patient_info else {}
    return WfdbRecording(
        path=header_path,
        name=expected,
        format="wfdb",
        channels=channels,
        span=duration,
        comments=list(header.comments),
        start_time=header.base_time,
        start_date=header.base_datetime if keep_patient_info else None,
        patient_info=patient_info,
        annotation_sets=annotation_sets,
        warnings=list(header.warnings),
        files=[header_path]
        + [f.path for f in files]
        + [os.path.join(folder, a.source) for a in annotation_sets],
        header=header,
        signal_files=tuple(files),
        n_frames=n_frames,
        verify_checksums=verify_checksums,
    )
