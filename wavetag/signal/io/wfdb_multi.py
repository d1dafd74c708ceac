"""Multi-segment WFDB records (the MIMIC waveform database layout).

A master header ``NAME.hea`` lists segments, each an ordinary single-segment
record, and ``~`` for a gap. In the *variable* layout the first segment is a
layout header (``NAME_layout``, 0 samples) that lists every signal; each
segment then holds some of them. In the *fixed* layout every segment holds the
same signals.

The record is read as one: the union of the signals, each segment's samples
placed at its time, and the frames where a signal is absent (gaps, or
segments without it) filled with the signal's invalid value, which the store
turns into missing samples. This is what ``wfdb.rdrecord(..., m2s=True,
physical=False)`` returns, and like it a signal must keep its gain, baseline
and samples per frame in every segment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from wavetag.signal.io.annotations import read_annotations_beside
from wavetag.signal.io.paths import member_path
from wavetag.signal.io.source import MAX_BLOCK_SAMPLES, Block, IntArray, Recording
from wavetag.signal.io.wfdb_formats import INVALID_VALUE, sample_dtype
from wavetag.signal.io.wfdb_header import (
    SignalSpec,
    WfdbHeader,
    _parse_record_line,
    parse_header,
    read_header_text,
)
from wavetag.signal.io.wfdb_reader import WfdbRecording, open_wfdb, patient_info_of
from wavetag.signal.recording import ChannelInfo, RecordError

_MULTI_RE = re.compile(r"(\S+)/(\S+)")
_MAX_SEGMENTS = 100_000
# The layout header's signals carry format 0 (no data); any real format parses.
_NULL_FORMAT_RE = re.compile(r"^(\S+\s+)0(?=\s|$)", re.MULTILINE)


def record_line(text: str) -> str | None:
    """The first line of a header that is neither blank nor a comment."""
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            return line
    return None


def open_any_wfdb(
    header_path: str, root: str, *, keep_patient_info: bool = False, verify_checksums: bool = True
) -> WfdbRecording | MultiSegmentRecording:
    """Open a WFDB record, of one segment (:func:`~wavetag.signal.io.wfdb_reader.open_wfdb`)
    or of several (:func:`open_multi_segment`), as its header says."""
    text = read_header_text(header_path)
    if is_multi_segment(text):
        return open_multi_segment(
            header_path,
            text,
            root,
            keep_patient_info=keep_patient_info,
            verify_checksums=verify_checksums,
        )
    return open_wfdb(
        header_path, root, keep_patient_info=keep_patient_info, verify_checksums=verify_checksums
    )


def is_multi_segment(text: str) -> bool:
    """True when a header's record line names segments (``NAME/N``)."""
    line = record_line(text)
    return line is not None and _MULTI_RE.fullmatch(line.split()[0]) is not None


def segment_names(header_path: str) -> set[str]:
    """Names of the segments (and layout) that a master header lists; empty for
    any other header, or one that cannot be read."""
    try:
        text = read_header_text(header_path)
    except RecordError:
        return set()
    if not is_multi_segment(text):
        return set()
    lines = [ln.split() for ln in text.splitlines() if ln.strip() and not ln.strip()[0] == "#"]
    return {tokens[0] for tokens in lines[1:] if tokens[0] != "~"}


@dataclass
class _Segment:
    name: str
    n_frames: int
    recording: WfdbRecording | None  # None for a gap
    # For each channel of the record, the segment's channel index, or None.
    columns: list[int | None] = field(default_factory=list)


@dataclass
class MultiSegmentRecording(Recording):
    """A multi-segment WFDB record read as one; see
    :class:`~wavetag.signal.recording.RecordingSource`."""

    fs: float = 0.0
    samples_per_frame: tuple[int, ...] = ()
    segments: tuple[_Segment, ...] = ()

    def _blocks(self, seconds: float) -> Iterator[Block]:
        per_frame = sum(self.samples_per_frame)
        step = max(1, min(round(seconds * self.fs), MAX_BLOCK_SAMPLES // per_frame))
        for segment in self.segments:
            if segment.recording is None:
                for start in range(0, segment.n_frames, step):
                    yield self._absent_block(min(step, segment.n_frames - start))
                continue
            inner = segment.recording
            first = inner.channels[0]
            k0 = round(first.fs / self.fs)
            for block in inner.iter_blocks(step / self.fs):
                frames = len(block[0]) // k0
                out = self._absent_block(frames)
                for index, column in enumerate(segment.columns):
                    if column is None:
                        continue
                    out[index] = self._placed(index, block[column], inner.channels[column])
                yield out
            for warning in inner.warnings:
                self._warn(f"segment {segment.name}: {warning}")

    def _absent_block(self, frames: int) -> list[IntArray]:
        return [
            np.full(frames * k, c.invalid or 0, dtype=c.dtype)
            for c, k in zip(self.channels, self.samples_per_frame, strict=True)
        ]

    def _placed(self, index: int, samples: IntArray, inner: ChannelInfo) -> IntArray:
        channel = self.channels[index]
        out = np.asarray(samples).astype(channel.dtype, copy=True)
        if inner.invalid is not None and inner.invalid != channel.invalid:
            out[np.asarray(samples) == inner.invalid] = channel.invalid or 0
        return out


def _signal_key(signal: SignalSpec) -> tuple[float, float, int]:
    return (signal.gain, signal.baseline, signal.samples_per_frame)


def open_multi_segment(
    header_path: str,
    text: str,
    root: str,
    *,
    keep_patient_info: bool,
    verify_checksums: bool,
) -> MultiSegmentRecording:
    """Open and validate a multi-segment record whose master header is ``text``.

    Each segment is opened (and checked) as a record of its own; nothing is
    read from the signal files yet.
    """
    path = header_path
    lines: list[tuple[int, str]] = []
    comments: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            comments.append(line.strip(" \t#"))
        elif line:
            lines.append((number, line))
    number, first = lines[0]
    tokens = first.split()
    match = _MULTI_RE.fullmatch(tokens[0])
    assert match is not None
    name, count = match.groups()
    if not count.isdigit() or not 1 <= int(count) <= _MAX_SEGMENTS:
        raise RecordError(path, f"line {number}: number of segments {count!r} is not valid")
    master = _parse_record_line(path, number, " ".join([name, *tokens[1:]]))
    expected = os.path.basename(path)[: -len(".hea")]
    if name != expected:
        raise RecordError(path, f"the header names record {name!r} but its file is {expected}.hea")
    segment_lines = lines[1:]
    if len(segment_lines) != int(count):
        raise RecordError(
            path, f"header declares {count} segment(s) but has {len(segment_lines)} segment line(s)"
        )
    entries: list[tuple[str, int]] = []
    for seg_number, line in segment_lines:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            raise RecordError(path, f"line {seg_number}: segment line must be 'NAME LENGTH'")
        entries.append((parts[0], int(parts[1])))
    variable = entries[0][1] == 0
    layout: WfdbHeader | None = None
    if variable:
        layout_path = member_path(path, entries[0][0] + ".hea", root, "layout header")
        if not os.path.isfile(layout_path):
            raise RecordError(path, f"layout header {entries[0][0]}.hea not found")
        layout_text = _NULL_FORMAT_RE.sub(r"\g<1>16", read_header_text(layout_path))
        layout = parse_header(layout_path, layout_text)
        if layout.n_signals != master.n_signals:
            raise RecordError(
                path,
                f"the header declares {master.n_signals} signals, "
                f"its layout {entries[0][0]} lists {layout.n_signals}",
            )
        entries = entries[1:]
    total = sum(n for _, n in entries)
    if master.sig_len is not None and master.sig_len != total:
        raise RecordError(
            path, f"the header gives {master.sig_len} samples but its segments add up to {total}"
        )
    segments: list[_Segment] = []
    for seg_name, n in entries:
        if seg_name == "~":
            if not variable:
                raise RecordError(path, "a fixed-layout record cannot have gaps ('~')")
            segments.append(_Segment("~", n, None))
            continue
        if n == 0:
            continue
        seg_path = member_path(path, seg_name + ".hea", root, "segment header")
        if not os.path.isfile(seg_path):
            raise RecordError(path, f"segment {seg_name} not found ({seg_name}.hea)")
        try:
            inner = open_wfdb(
                seg_path, root, keep_patient_info=False, verify_checksums=verify_checksums
            )
        except RecordError as exc:
            raise RecordError(path, f"segment {seg_name}: {exc.message}") from None
        if not isinstance(inner, WfdbRecording) or inner.header is None:
            raise RecordError(path, f"segment {seg_name} is not a single-segment record")
        seg_header = inner.header
        if seg_header.fs != master.fs:
            raise RecordError(
                path, f"segment {seg_name} is at {seg_header.fs:g} Hz, the record at {master.fs:g}"
            )
        if inner.n_frames != n:
            raise RecordError(
                path,
                f"segment {seg_name} has {inner.n_frames} samples, the master header says {n}",
            )
        segments.append(_Segment(seg_name, n, inner))
    if not any(s.recording for s in segments):
        raise RecordError(path, "no segment holds any samples")
    specs = _union(path, master, layout, segments)
    channels: list[ChannelInfo] = []
    for index, (signal, formats) in enumerate(specs):
        wide = any(sample_dtype(fmt) is np.int32 for fmt in formats)
        dtype: Literal["int16", "int32"] = "int32" if wide else "int16"
        invalid = next((v for f in formats if (v := INVALID_VALUE[f]) is not None), None)
        if invalid is None:
            # No format of this signal marks invalid samples (format 8), yet
            # gaps need a mark: the type's lowest value.
            invalid = -(2**31) if wide else -32768
        channels.append(
            ChannelInfo(
                index=index,
                name=signal.description,
                units=signal.units,
                fs=master.fs * signal.samples_per_frame,
                gain=signal.gain,
                baseline=signal.baseline,
                n_samples=total * signal.samples_per_frame,
                adc_resolution=signal.adc_resolution,
                dtype=dtype,
                invalid=invalid,
            )
        )
    folder = os.path.dirname(path)
    duration = total / master.fs
    files = [path]
    if layout is not None:
        files.append(layout.path)
    for segment in segments:
        if segment.recording is not None:
            files.extend(segment.recording.files)
    exclude = {os.path.basename(f) for f in files}
    annotation_sets = read_annotations_beside(folder, expected, exclude, master.fs, duration)
    return MultiSegmentRecording(
        path=path,
        name=expected,
        format="wfdb",
        channels=channels,
        span=duration,
        comments=comments,
        start_time=master.base_time,
        start_date=master.base_datetime if keep_patient_info else None,
        patient_info=patient_info_of(comments) if keep_patient_info else {},
        annotation_sets=annotation_sets,
        warnings=list(master.warnings) + (list(layout.warnings) if layout else []),
        files=files + [os.path.join(folder, a.source) for a in annotation_sets],
        fs=master.fs,
        samples_per_frame=tuple(s.samples_per_frame for s, _ in specs),
        segments=tuple(segments),
    )


def _union(
    path: str, master: WfdbHeader, layout: WfdbHeader | None, segments: list[_Segment]
) -> list[tuple[SignalSpec, list[str]]]:
    """The record's signals, each with the formats it has in the segments; sets
    every segment's ``columns``."""
    specs: list[SignalSpec] = []
    if layout is not None:
        specs = list(layout.signals)
    else:
        first = next(s for s in segments if s.recording is not None)
        assert first.recording is not None and first.recording.header is not None
        specs = list(first.recording.header.signals)
    names = [s.description for s in specs]
    if len(set(names)) != len(names):
        raise RecordError(path, "two signals share a name; segments cannot be matched to them")
    if layout is None and len(specs) != master.n_signals:
        raise RecordError(
            path,
            f"the header declares {master.n_signals} signals, the segments hold {len(specs)}",
        )
    found: list[SignalSpec | None] = [None] * len(specs)
    formats: list[list[str]] = [[] for _ in specs]
    for segment in segments:
        if segment.recording is None:
            continue
        header = segment.recording.header
        assert header is not None
        seg_names = [s.description for s in header.signals]
        if layout is None and seg_names != names:
            raise RecordError(
                path,
                f"segment {segment.name} holds {', '.join(seg_names)}, not the "
                f"{', '.join(names)} of a fixed layout",
            )
        segment.columns = [None] * len(specs)
        for column, signal in enumerate(header.signals):
            if signal.description not in names:
                raise RecordError(
                    path,
                    f"segment {segment.name} holds signal {signal.description!r}, "
                    "which the layout does not list",
                )
            index = names.index(signal.description)
            reference = found[index]
            if reference is None:
                found[index] = signal
            elif _signal_key(reference) != _signal_key(signal):
                raise RecordError(
                    path,
                    f"signal {signal.description!r} changes gain, baseline or samples per "
                    f"frame in segment {segment.name}; such records are not supported",
                )
            segment.columns[index] = column
            formats[index].append(signal.fmt)
    return [(found[i] or specs[i], formats[i]) for i in range(len(specs))]
