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
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np

from wavetag.signal.io.annotations import read_annotations_beside
from wavetag.signal.io.edf_tal import TalError, parse_tals
from wavetag.signal.io.source import MAX_BLOCK_SAMPLES, Block, IntArray, Recording
from wavetag.signal.recording import AnnotationSetData, ChannelInfo, RecordError

_NUMBER_RE = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_INT_RE = re.compile(r"[-+]?\d+")
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
# Data records whose time-keeping onsets drift by more than this from a
# continuous layout betray a discontinuous file labelled EDF+C.
_CONTINUITY_TOLERANCE = 1e-3
# Annotations exactly at the end of the recording are accepted.
_END_TOLERANCE = 1e-9
_MAX_SIGNALS = 4096

# (width in bytes) of the per-signal header fields, in file order.
_SIGNAL_FIELDS = (
    ("label", 16),
    ("transducer", 80),
    ("units", 8),
    ("physical minimum", 8),
    ("physical maximum", 8),
    ("digital minimum", 8),
    ("digital maximum", 8),
    ("prefiltering", 80),
    ("samples per data record", 8),
    ("reserved", 32),
)


@dataclass(frozen=True)
class EdfSignal:
    """One signal's header, parsed and checked."""

    label: str
    units: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    samples_per_record: int
    offset: int  # position of its first sample within a data record, in samples

    @property
    def is_annotation(self) -> bool:
        return self.label in _ANNOTATION_LABELS


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


def _text(raw: bytes) -> str:
    return raw.decode("latin-1").strip()


def _number(path: str, what: str, raw: bytes) -> float:
    text = _text(raw)
    if not _NUMBER_RE.fullmatch(text):
        raise RecordError(path, f"header field '{what}' is {text!r}, not a number")
    return float(text)


def _integer(path: str, what: str, raw: bytes) -> int:
    text = _text(raw)
    if not _INT_RE.fullmatch(text):
        raise RecordError(path, f"header field '{what}' is {text!r}, not a whole number")
    return int(text)


def _read_exactly(f: object, path: str, size: int, what: str) -> bytes:
    assert hasattr(f, "read")
    data: bytes = f.read(size)
    if len(data) < size:
        raise RecordError(path, f"file is truncated inside the {what}")
    return data


def _parse_signals(path: str, block: bytes, ns: int, bdf: bool) -> list[EdfSignal]:
    fields: dict[str, list[bytes]] = {}
    position = 0
    for name, width in _SIGNAL_FIELDS:
        fields[name] = [block[position + i * width : position + (i + 1) * width] for i in range(ns)]
        position += width * ns
    limit = 2**23 if bdf else 2**15
    signals = []
    offset = 0
    for i in range(ns):
        label = _text(fields["label"][i])
        where = f"of signal {i + 1} ({label})" if label else f"of signal {i + 1}"
        count = _integer(
            path, f"samples per data record {where}", fields["samples per data record"][i]
        )
        if count <= 0:
            raise RecordError(path, f"signal {i + 1} ({label}) has {count} samples per data record")
        signal = EdfSignal(
            label=label,
            units=_text(fields["units"][i]),
            physical_min=_number(path, f"physical minimum {where}", fields["physical minimum"][i]),
            physical_max=_number(path, f"physical maximum {where}", fields["physical maximum"][i]),
            digital_min=_integer(path, f"digital minimum {where}", fields["digital minimum"][i]),
            digital_max=_integer(path, f"digital maximum {where}", fields["digital maximum"][i]),
            samples_per_record=count,
            offset=offset,
        )
        offset += count
        signals.append(signal)
        if signal.is_annotation:
            continue
        if signal.physical_min == signal.physical_max:
            raise RecordError(
                path, f"signal {i + 1} ({label}) has equal physical minimum and maximum"
            )
        if signal.digital_min >= signal.digital_max:
            raise RecordError(
                path, f"signal {i + 1} ({label}) has a digital minimum not below its maximum"
            )
        if signal.digital_min < -limit or signal.digital_max >= limit:
            raise RecordError(
                path,
                f"signal {i + 1} ({label}) has digital limits beyond what "
                f"{'24' if bdf else '16'}-bit samples can hold",
            )
    return signals


def _start_time(raw: bytes, warnings: list[str]) -> time | None:
    text = _text(raw)
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
        day, month, year = (int(x) for x in _text(raw).split("."))
        # The EDF "clipping date": two-digit years 85-99 are 1985-1999.
        return date(1900 + year if year >= 85 else 2000 + year, month, day)
    except ValueError:
        return None


def _patient_info(patient: str, recording: str, plus: bool) -> dict[str, str]:
    info = {"patient": patient, "recording": recording}
    parts = patient.split()
    if plus and len(parts) >= 4:
        for key, value in zip(("code", "sex", "birthdate", "name"), parts[:4], strict=True):
            if value != "X":
                info[key] = value.replace("_", " ")
    return info


def _read_annotations(
    path: str,
    f: object,
    header_bytes: int,
    n_records: int,
    record_samples: int,
    sample_bytes: int,
    annotation_signals: list[EdfSignal],
) -> list[tuple[float, list[tuple[float, float, str]]]]:
    """Read the TALs of every data record: (record onset, annotations) per record."""
    assert hasattr(f, "seek") and hasattr(f, "read")
    record_bytes = record_samples * sample_bytes
    chunk = max(1, (8 << 20) // record_bytes)
    result = []
    for first in range(0, n_records, chunk):
        count = min(n_records, first + chunk) - first
        f.seek(header_bytes + first * record_bytes)
        raw = np.frombuffer(_read_exactly(f, path, count * record_bytes, "data records"), np.uint8)
        records = raw.reshape(count, record_bytes)
        for r in range(count):
            onset = float("nan")
            notes: list[tuple[float, float, str]] = []
            for n, signal in enumerate(annotation_signals):
                start = signal.offset * sample_bytes
                data = records[r, start : start + signal.samples_per_record * sample_bytes]
                try:
                    tals = parse_tals(data.tobytes())
                except TalError as exc:
                    raise RecordError(
                        path, f"malformed annotation in data record {first + r + 1}: {exc}"
                    ) from None
                if n == 0 and tals:
                    onset = tals[0].onset
                for tal in tals:
                    notes.extend((tal.onset, tal.duration or 0.0, t) for t in tal.texts if t)
            result.append((onset, notes))
    return result


def open_edf(path: str, root: str, *, keep_patient_info: bool = False) -> EdfRecording:
    """Open and validate an EDF/EDF+C/BDF/BDF+C file.

    Steps:

    1. Check the version field (EDF ``0``, BDF ``\\xffBIOSEMI``) and refuse EDF+D.
    2. Parse every numeric header field, checking header size, record count,
       record duration, sample counts and scaling limits.
    3. Check that the file is as long as the header says.
    4. Read the EDF+ annotations (``EDF Annotations`` signal) and the WFDB
       annotation files beside the file (``r01.edf.qrs``).

    Parameters
    ----------
    path : str
        The ``.edf``/``.bdf`` file.
    root : str
        The imported folder (annotation files beside the file must be in it).
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
    size = os.path.getsize(path)
    warnings: list[str] = []
    with open(path, "rb") as f:
        if size < 256:
            raise RecordError(path, f"file is {size} bytes long, too short for an EDF header")
        head = f.read(256)
        version = head[0:8]
        if version == b"\xffBIOSEMI":
            bdf = True
        elif version.rstrip(b" ") == b"0":
            bdf = False
        else:
            raise RecordError(
                path, f"not an EDF or BDF file (version field {version.decode('latin-1')!r})"
            )
        kind = "BDF" if bdf else "EDF"
        reserved = _text(head[192:236])
        plus = reserved.startswith(("EDF+", "BDF+"))
        if reserved.startswith(("EDF+D", "BDF+D")):
            raise RecordError(
                path,
                f"{kind}+D (discontinuous) files are not supported; "
                "convert it to continuous pieces first",
            )
        ns = _integer(path, "number of signals", head[252:256])
        if not 0 < ns <= _MAX_SIGNALS:
            raise RecordError(path, f"header declares {ns} signals")
        header_bytes = _integer(path, "number of bytes in header", head[184:192])
        if header_bytes != 256 * (ns + 1):
            raise RecordError(
                path,
                f"header size is given as {header_bytes} bytes but {ns} signals "
                f"need {256 * (ns + 1)}",
            )
        n_records = _integer(path, "number of data records", head[236:244])
        if n_records == -1:
            raise RecordError(
                path, "number of data records is -1 (unknown): the recording was not closed"
            )
        if n_records <= 0:
            raise RecordError(path, f"file holds {n_records} data records")
        record_duration = _number(path, "duration of a data record", head[244:252])
        if record_duration <= 0:
            raise RecordError(
                path,
                f"data records last {record_duration:g} s; EDF signals need a positive duration",
            )
        if size < header_bytes:
            raise RecordError(path, f"file is truncated inside the signal headers ({size} bytes)")
        all_signals = _parse_signals(
            path, _read_exactly(f, path, 256 * ns, "signal headers"), ns, bdf
        )
        data_signals = tuple(s for s in all_signals if not s.is_annotation)
        annotation_signals = [s for s in all_signals if s.is_annotation]
        if not data_signals:
            raise RecordError(path, "file holds annotations only, no signals")
        sample_bytes = 3 if bdf else 2
        record_samples = sum(s.samples_per_record for s in all_signals)
        expected = header_bytes + n_records * record_samples * sample_bytes
        if size < expected:
            raise RecordError(
                path,
                f"file is truncated: the header promises {n_records} data records "
                f"({expected} bytes) but the file has {size} bytes",
            )
        if size > expected:
            warnings.append(f"{size - expected} bytes after the last data record were ignored")
        records = (
            _read_annotations(
                path, f, header_bytes, n_records, record_samples, sample_bytes, annotation_signals
            )
            if annotation_signals
            else []
        )

    duration = n_records * record_duration
    channels = [_channel(i, s, record_duration, n_records, bdf) for i, s in enumerate(data_signals)]
    max_fs = max(c.fs for c in channels)
    annotation_sets = []
    if records:
        edf_set = _annotation_set(path, records, record_duration, duration, max_fs, plus)
        if len(edf_set):
            annotation_sets.append(edf_set)
    folder, file_name = os.path.split(path)
    beside = read_annotations_beside(folder, file_name, set(), max_fs, duration)
    annotation_sets.extend(beside)

    patient = _text(head[8:88])
    recording = _text(head[88:168])
    start_date = _start_date(head[168:176], recording) if keep_patient_info else None
    start_time = _start_time(head[176:184], warnings)
    return EdfRecording(
        path=path,
        name=os.path.splitext(file_name)[0],
        format="bdf" if bdf else "edf",
        channels=channels,
        span=duration,
        start_time=start_time,
        start_date=(datetime.combine(start_date, start_time or time(0)) if start_date else None),
        patient_info=_patient_info(patient, recording, plus) if keep_patient_info else {},
        annotation_sets=annotation_sets,
        warnings=warnings,
        files=[path] + [os.path.join(folder, a.source) for a in beside],
        header_bytes=header_bytes,
        n_records=n_records,
        record_duration=record_duration,
        record_samples=record_samples,
        sample_bytes=sample_bytes,
        data_signals=data_signals,
    )


def _channel(
    index: int, signal: EdfSignal, record_duration: float, n_records: int, bdf: bool
) -> ChannelInfo:
    gain = (signal.digital_max - signal.digital_min) / (signal.physical_max - signal.physical_min)
    return ChannelInfo(
        index=index,
        name=signal.label,
        units=signal.units,
        fs=signal.samples_per_record / record_duration,
        gain=gain,
        baseline=signal.digital_min - signal.physical_min * gain,
        n_samples=n_records * signal.samples_per_record,
        adc_resolution=24 if bdf else 16,
        dtype="int32" if bdf else "int16",
        invalid=None,
    )


def _annotation_set(
    path: str,
    records: list[tuple[float, list[tuple[float, float, str]]]],
    record_duration: float,
    duration: float,
    fs: float,
    plus: bool,
) -> AnnotationSetData:
    """Gather the EDF+ annotations, timed from the first sample."""
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
