"""Parser for the header of EDF and BDF files (EDF+ and BDF+ included).

The header is 256 bytes of fixed fields, then 256 bytes per signal, all
ASCII text in fixed-width fields. Every number is checked here, with one
sentence per problem naming the field, before any sample is read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import BinaryIO

from wavetag.signal.recording import RecordError

_NUMBER_RE = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_INT_RE = re.compile(r"[-+]?\d+")
_ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
_MAX_SIGNALS = 4096

# (name, width in bytes) of the per-signal header fields, in file order.
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
class EdfHeader:
    """The checked header of an EDF or BDF file."""

    bdf: bool
    plus: bool  # EDF+ / BDF+ (continuous; discontinuous files are refused)
    patient: str
    recording: str
    start_date: bytes  # raw "dd.mm.yy"
    start_time: bytes  # raw "hh.mm.ss"
    header_bytes: int
    n_records: int
    record_duration: float
    signals: list[EdfSignal]  # in file order, annotation signals included
    warnings: list[str] = field(default_factory=list)

    @property
    def sample_bytes(self) -> int:
        return 3 if self.bdf else 2

    @property
    def record_samples(self) -> int:
        return sum(s.samples_per_record for s in self.signals)


def _text(raw: bytes) -> str:
    # EDF allows printable ASCII only; files in the wild also carry Latin-1
    # (``µV``), which is kept. Control characters would break one-line
    # messages and labels, so they become ``?``.
    text = raw.decode("latin-1").strip()
    return "".join(c if c.isprintable() else "?" for c in text)


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


def read_edf_header(path: str, *, annotations_only: bool = False) -> EdfHeader:
    """Read and check the header of an EDF/BDF file, and the file's size.

    With ``annotations_only``, the file may hold annotations and no signal, with data
    records of no duration (as EDF+ allows for annotation files); otherwise both are
    refused.

    Steps:

    1. Check the version field (EDF ``0``, BDF ``\\xffBIOSEMI``) and refuse
       EDF+D/BDF+D.
    2. Parse every numeric field, checking the header size, the number and
       duration of data records, sample counts and scaling limits.
    3. Check that the file is as long as the header says.

    Parameters
    ----------
    path : str
        The ``.edf``/``.bdf`` file.

    Returns
    -------
    EdfHeader

    Raises
    ------
    RecordError
        On the first problem found, in one line naming the file.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 256:
            raise RecordError(path, f"file is {size} bytes long, too short for an EDF header")
        head = f.read(256)
        header = _parse_fixed_part(path, head, annotations_only)
        ns = _integer(path, "number of signals", head[252:256])
        if size < header.header_bytes:
            raise RecordError(path, f"file is truncated inside the signal headers ({size} bytes)")
        header.signals = _parse_signals(path, _read(f, 256 * ns), ns, header.bdf)
    if all(s.is_annotation for s in header.signals) and not annotations_only:
        raise RecordError(path, "file holds annotations only, no signals")
    record_bytes = header.record_samples * header.sample_bytes
    expected = header.header_bytes + header.n_records * record_bytes
    if size < expected:
        raise RecordError(
            path,
            f"file is truncated: the header promises {header.n_records} data records "
            f"({expected} bytes) but the file has {size} bytes",
        )
    if size > expected:
        header.warnings.append(f"{size - expected} bytes after the last data record were ignored")
    return header


def _read(f: BinaryIO, size: int) -> bytes:
    # The caller has checked the file size; a short read means it shrank.
    data = f.read(size)
    if len(data) < size:
        raise EOFError("file ended while its header was read")
    return data


def _parse_fixed_part(path: str, head: bytes, annotations_only: bool = False) -> EdfHeader:
    version = head[0:8]
    if version == b"\xffBIOSEMI":
        bdf = True
    elif version.rstrip(b" ") == b"0":
        bdf = False
    else:
        raise RecordError(
            path, f"not an EDF or BDF file (version field {version.decode('latin-1')!r})"
        )
    reserved = _text(head[192:236])
    if reserved.startswith(("EDF+D", "BDF+D")):
        raise RecordError(
            path,
            f"{reserved[:5]} (discontinuous) files are not supported; "
            "convert it to continuous pieces first",
        )
    ns = _integer(path, "number of signals", head[252:256])
    if not 0 < ns <= _MAX_SIGNALS:
        raise RecordError(path, f"header declares {ns} signals")
    header_bytes = _integer(path, "number of bytes in header", head[184:192])
    if header_bytes != 256 * (ns + 1):
        raise RecordError(
            path,
            f"header size is given as {header_bytes} bytes but {ns} signals need {256 * (ns + 1)}",
        )
    n_records = _integer(path, "number of data records", head[236:244])
    if n_records == -1:
        raise RecordError(
            path, "number of data records is -1 (unknown): the recording was not closed"
        )
    if n_records <= 0:
        raise RecordError(path, f"file holds {n_records} data records")
    record_duration = _number(path, "duration of a data record", head[244:252])
    if record_duration < 0 or (record_duration == 0 and not annotations_only):
        raise RecordError(
            path, f"data records last {record_duration:g} s; EDF signals need a positive duration"
        )
    return EdfHeader(
        bdf=bdf,
        plus=reserved.startswith(("EDF+", "BDF+")),
        patient=_text(head[8:88]),
        recording=_text(head[88:168]),
        start_date=head[168:176],
        start_time=head[176:184],
        header_bytes=header_bytes,
        n_records=n_records,
        record_duration=record_duration,
        signals=[],
    )
