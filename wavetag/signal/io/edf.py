"""Reader for EDF, EDF+C, BDF and BDF+C files.

An EDF file is a 256-byte header, 256 bytes per signal, then data records:
each record holds, signal after signal, a fixed number of little-endian
samples (16-bit in EDF, 24-bit in BDF). Reading one block means reading a run
of consecutive records, so a 72-h file is never in memory whole.

Scaling follows the EDF specification::

    physical = (digital - dmin) * (pmax - pmin) / (dmax - dmin) + pmin

expressed as ``gain = (dmax - dmin) / (pmax - pmin)`` and
``baseline = dmin - pmin * gain``, so that ``physical = (digital - baseline) / gain``
as for WFDB. The baseline is in general not a whole number.

The patient and recording identification fields and the start date are only
kept when asked for; the time of day is kept.

EDF+ annotations become one set named ``edf``: each text is a ``symbol`` (a
TAL with several texts gives several annotations at one onset), times count
from the first sample, and ``duration`` is 0 where the TAL gives none.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time

import numpy as np

from wavetag.signal.io.annotations import read_annotations_beside
from wavetag.signal.io.edf_header import EdfHeader, EdfSignal, read_edf_header
from wavetag.signal.io.edf_tal import TalError, parse_tals
from wavetag.signal.io.paths import is_inside
from wavetag.signal.io.source import MAX_BLOCK_SAMPLES, Block, IntArray, Recording
from wavetag.signal.recording import AnnotationSetData, ChannelInfo, RecordError

_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
# Data records whose time-keeping onsets drift by more than this from a
# continuous layout betray a discontinuous file labelled EDF+C.
_CONTINUITY_TOLERANCE = 1e-3
# Annotations exactly at the end of the recording are accepted.
_END_TOLERANCE = 1e-9


@dataclass
class EdfRecording(Recording):
    """A validated EDF/BDF file; see :class:`~wavetag.signal.recording.RecordingSource`."""

    header_bytes: int = 0
    n_records: int = 0
    record_duration: float = 0.0
    record_samples: int = 0
    sample_bytes: int = 2
    data_signals: tuple[EdfSignal, ...] = ()

    def _blocks(self, seconds: float) -> Iterator[Block]:
        per_block = max(
            1,
            min(round(seconds / self.record_duration), MAX_BLOCK_SAMPLES // self.record_samples),
        )
        record_bytes = self.record_samples * self.sample_bytes
        with open(self.path, "rb") as f:
            for first in range(0, self.n_records, per_block):
                count = min(self.n_records, first + per_block) - first
                f.seek(self.header_bytes + first * record_bytes)
                buffer = f.read(count * record_bytes)
                if len(buffer) < count * record_bytes:
                    raise RecordError(self.path, "file ended early (was it changed while read?)")
                yield [self._signal(buffer, count, s) for s in self.data_signals]

    def _signal(self, buffer: bytes, count: int, signal: EdfSignal) -> IntArray:
        span = slice(signal.offset, signal.offset + signal.samples_per_record)
        if self.sample_bytes == 2:
            records = np.frombuffer(buffer, "<i2").reshape(count, self.record_samples)
            return records[:, span].astype(np.int16).ravel()
        raw = np.frombuffer(buffer, np.uint8).reshape(count, self.record_samples, 3)
        triples = raw[:, span, :].reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        # Sign-extend 24 to 32 bits.
        return (value << 8) >> 8


def _start_time(raw: bytes, warnings: list[str]) -> time | None:
    text = raw.decode("latin-1").strip()
    match = re.fullmatch(r"(\d\d)[.:](\d\d)[.:](\d\d)", text)
    if match:
        h, m, s = (int(g) for g in match.groups())
        if h < 24 and m < 60 and s < 60:
            return time(h, m, s)
    warnings.append(f"start time {text!r} is not hh.mm.ss; ignored")
    return None


def _start_date(raw: bytes, recording: str) -> date | None:
    # EDF+ writes the full year in the recording field ("Startdate 02-MAR-2002 ...").
    match = re.match(r"Startdate (\d\d)-([A-Z]{3})-(\d{4})\b", recording)
    try:
        if match and match.group(2) in _MONTHS:
            return date(int(match.group(3)), _MONTHS.index(match.group(2)) + 1, int(match.group(1)))
        day, month, year = (int(x) for x in raw.decode("latin-1").strip().split("."))
        # The EDF "clipping date": two-digit years 85-99 are 1985-1999.
        return date(1900 + year if year >= 85 else 2000 + year, month, day)
    except ValueError:
        return None


def _patient_info(header: EdfHeader) -> dict[str, str]:
    info = {"patient": header.patient, "recording": header.recording}
    parts = header.patient.split()
    # EDF+ subfields: code, sex, birthdate, name ("X" when unknown).
    if header.plus and len(parts) >= 4:
        for key, value in zip(("code", "sex", "birthdate", "name"), parts[:4], strict=True):
            if value != "X":
                info[key] = value.replace("_", " ")
    return info


def _read_annotations(
    path: str, header: EdfHeader, annotation_signals: list[EdfSignal]
) -> list[tuple[float, list[tuple[float, float, str]]]]:
    """Read the TALs of every data record: (record onset, annotations) per record.

    The annotation bytes are picked out of a memory map, so that only the
    pages holding them are read when data records are large.
    """
    n_records, sample_bytes = header.n_records, header.sample_bytes
    shape = (n_records, header.record_samples * sample_bytes)
    records = np.memmap(path, np.uint8, mode="r", offset=header.header_bytes, shape=shape)
    spans = [
        (s.offset * sample_bytes, (s.offset + s.samples_per_record) * sample_bytes)
        for s in annotation_signals
    ]
    result = []
    try:
        chunk = 4096
        for first in range(0, n_records, chunk):
            parts = [np.array(records[first : first + chunk, a:b]) for a, b in spans]
            for r in range(len(parts[0])):
                onset = float("nan")
                notes: list[tuple[float, float, str]] = []
                for n, part in enumerate(parts):
                    try:
                        tals = parse_tals(part[r].tobytes())
                    except TalError as exc:
                        raise RecordError(
                            path, f"malformed annotation in data record {first + r + 1}: {exc}"
                        ) from None
                    if n == 0 and tals:
                        onset = tals[0].onset
                    for tal in tals:
                        notes.extend((tal.onset, tal.duration or 0.0, t) for t in tal.texts if t)
                result.append((onset, notes))
    finally:
        # Release the map now rather than at garbage collection (Windows
        # keeps mapped files locked).
        mapping = getattr(records, "_mmap", None)
        del records
        if mapping is not None:
            mapping.close()
    return result


def open_edf(path: str, root: str, *, keep_patient_info: bool = False) -> EdfRecording:
    """Open and validate an EDF/EDF+C/BDF/BDF+C file.

    Steps:

    1. Read and check the header (:func:`~wavetag.signal.io.edf_header.read_edf_header`).
    2. Read the EDF+ annotations (``EDF Annotations`` signal), checking that
       the data records are contiguous.
    3. Read the WFDB annotation files beside the file (``r01.edf.qrs``).

    Parameters
    ----------
    path : str
        The ``.edf``/``.bdf`` file.
    root : str
        The imported folder; the file must lie inside it.
    keep_patient_info : bool
        Keep the patient and recording fields and the start date.

    Returns
    -------
    EdfRecording

    Raises
    ------
    RecordError
        On the first problem found, in one line naming the file.
    """
    if not is_inside(path, root):
        raise RecordError(path, "lies outside the imported folder")
    header = read_edf_header(path)
    data_signals = tuple(s for s in header.signals if not s.is_annotation)
    annotation_signals = [s for s in header.signals if s.is_annotation]
    duration = header.n_records * header.record_duration
    channels = [_channel(i, s, header) for i, s in enumerate(data_signals)]
    max_fs = max(c.fs for c in channels)
    annotation_sets = []
    if annotation_signals:
        records = _read_annotations(path, header, annotation_signals)
        edf_set = _annotation_set(path, records, header, max_fs)
        if len(edf_set):
            annotation_sets.append(edf_set)
    folder, file_name = os.path.split(path)
    beside = read_annotations_beside(folder, file_name, set(), max_fs, duration)
    annotation_sets.extend(beside)

    warnings = list(header.warnings)
    start_time = _start_time(header.start_time, warnings)
    start_date = _start_date(header.start_date, header.recording) if keep_patient_info else None
    return EdfRecording(
        path=path,
        name=os.path.splitext(file_name)[0],
        format="bdf" if header.bdf else "edf",
        channels=channels,
        span=duration,
        start_time=start_time,
        start_date=datetime.combine(start_date, start_time or time(0)) if start_date else None,
        patient_info=_patient_info(header) if keep_patient_info else {},
        annotation_sets=annotation_sets,
        warnings=warnings,
        files=[path] + [os.path.join(folder, a.source) for a in beside],
        header_bytes=header.header_bytes,
        n_records=header.n_records,
        record_duration=header.record_duration,
        record_samples=header.record_samples,
        sample_bytes=header.sample_bytes,
        data_signals=data_signals,
    )


def _channel(index: int, signal: EdfSignal, header: EdfHeader) -> ChannelInfo:
    gain = (signal.digital_max - signal.digital_min) / (signal.physical_max - signal.physical_min)
    return ChannelInfo(
        index=index,
        name=signal.label,
        units=signal.units,
        fs=signal.samples_per_record / header.record_duration,
        gain=gain,
        baseline=signal.digital_min - signal.physical_min * gain,
        n_samples=header.n_records * signal.samples_per_record,
        adc_resolution=24 if header.bdf else 16,
        dtype="int32" if header.bdf else "int16",
        invalid=None,
    )


def _annotation_set(
    path: str,
    records: list[tuple[float, list[tuple[float, float, str]]]],
    header: EdfHeader,
    fs: float,
) -> AnnotationSetData:
    """Gather the EDF+ annotations, timed from the first sample."""
    record_duration, plus = header.record_duration, header.plus
    duration = header.n_records * record_duration
    origin = 0.0 if math.isnan(records[0][0]) else records[0][0]
    for number, (onset, _) in enumerate(records):
        expected = origin + number * record_duration
        if plus and not math.isnan(onset) and abs(onset - expected) > _CONTINUITY_TOLERANCE:
            raise RecordError(
                path,
                f"data record {number + 1} starts at {onset:g} s instead of {expected:g} s: "
                "the file is discontinuous, which EDF+C does not allow",
            )
    # Stable sort: annotations of one onset keep their order in the file.
    notes = sorted(
        (note for _, record_notes in records for note in record_notes), key=lambda n: n[0]
    )
    times = np.array([onset - origin for onset, _, _ in notes], dtype=np.float64)
    if len(times) and times.min() < 0:
        raise RecordError(path, f"an annotation starts {-times.min():g} s before the recording")
    if len(times) and times.max() > duration + _END_TOLERANCE:
        raise RecordError(
            path,
            f"an annotation at {times.max():.3f} s lies beyond the end of the recording "
            f"({duration:.3f} s)",
        )
    n = len(notes)
    return AnnotationSetData(
        name="edf",
        origin="reference",
        source=os.path.basename(path),
        fs=fs,
        time=times,
        sample=np.round(times * fs).astype(np.int64),
        symbol=[text for _, _, text in notes],
        aux_note=[""] * n,
        duration=np.array([d for _, d, _ in notes], dtype=np.float64),
        subtype=np.zeros(n, np.int64),
        chan=np.zeros(n, np.int64),
        num=np.zeros(n, np.int64),
    )


def read_edf_annotations(path: str, fs: float, duration: float) -> AnnotationSetData:
    """Read the EDF+ annotations of a file made for a record imported before (an
    annotations-only EDF+ file, or another recording's annotations), as one set.

    Parameters
    ----------
    path : str
        The ``.edf``/``.bdf`` file.
    fs : float
        Sampling frequency of the record (Hz), for the annotations' sample numbers.
    duration : float
        Length of the record in seconds; annotations beyond it are refused.

    Raises
    ------
    RecordError
        If the file cannot be read, holds no annotations or reaches past the record.
    """
    header = read_edf_header(path, annotations_only=True)
    annotation_signals = [s for s in header.signals if s.is_annotation]
    if not annotation_signals:
        raise RecordError(path, "holds no EDF+ annotations")
    records = _read_annotations(path, header, annotation_signals)
    # Annotations are checked against the record they go with, not this file's own data
    # records (which last 0 s in an annotations-only file, each with its own onset).
    as_record = replace(header, plus=False, record_duration=duration / header.n_records)
    return _annotation_set(path, records, as_record, fs)
