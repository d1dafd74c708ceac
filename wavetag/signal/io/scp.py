"""Reader for SCP-ECG files (EN 1064 / ISO 11073-91064).

An SCP-ECG file is a 6-byte record header (CRC, size) followed by sections,
each with a 16-byte section header (CRC, number, length, versions). Section 0
points at the others; section 1 holds tagged demographic and acquisition
fields, section 3 the leads, section 6 the rhythm data. Every CRC (the file's
and each section's) is CRC-CCITT with initial value 0xFFFF, and is checked.

Rhythm data is read uncompressed or coded with the standard's default Huffman
table (section 2 holding 19999), as plain values or as first or second
differences. Custom Huffman tables, bimodal compression and reference-beat
subtraction (section 4) are refused with a "not supported yet" error.

A sample is ``AVM`` nanovolts (section 6's amplitude value multiplier), so the
gain is ``1e6 / AVM`` units per mV and the baseline 0.
"""

from __future__ import annotations

import binascii
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import BinaryIO

import numpy as np

from wavetag.signal.io.annotations import read_annotations_beside
from wavetag.signal.io.paths import file_size, is_inside
from wavetag.signal.io.source import MAX_BLOCK_SAMPLES, Block, IntArray, Recording
from wavetag.signal.recording import ChannelInfo, RecordError

SCP_EXTENSIONS = (".scp",)

_SECTION_HEADER = 16
_POINTER = 10
_CHUNK = 1 << 20
_MAX_SECTION_ID = 1023

# Lead identifiers of section 3 (EN 1064 table of lead codes), the common ones.
LEAD_NAMES = {
    1: "I", 2: "II", 3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6", 9: "V7",
    10: "V2R", 11: "V3R", 12: "V4R", 13: "V5R", 14: "V6R", 15: "V7R", 16: "X", 17: "Y",
    18: "Z", 19: "CC5", 20: "CM5", 21: "LA", 22: "RA", 23: "LL", 61: "III", 62: "aVR",
    63: "aVL", 64: "aVF", 65: "-aVR", 66: "V8", 67: "V9", 68: "V8R", 69: "V9R",
}  # fmt: skip
# Section 1 tags that identify the patient: kept only when asked for.
_PATIENT_TAGS = {
    0: "last name",
    1: "first name",
    2: "patient ID",
    3: "second last name",
    4: "age",
    5: "date of birth",
    8: "sex",
}
_SEX = {0: "unknown", 1: "male", 2: "female", 9: "unspecified"}


def crc_ccitt(handle: BinaryIO, start: int, stop: int) -> int:
    """CRC-CCITT (polynomial 0x1021, initial 0xFFFF) of bytes ``start:stop``,
    read in chunks so a large file is never held whole."""
    crc = 0xFFFF
    handle.seek(start)
    left = stop - start
    while left > 0:
        chunk = handle.read(min(_CHUNK, left))
        if not chunk:
            break
        crc = binascii.crc_hqx(chunk, crc)
        left -= len(chunk)
    return crc


@dataclass(frozen=True)
class _Lead:
    code: int
    offset: int  # file offset of its rhythm data
    n_samples: int
    n_bytes: int


# EN 1064's default Huffman table: after k leading ones (k <= 8) come a 0 and a
# sign bit for the value +-k (k = 0 is the single bit 0); nine ones and a 0
# announce an 8-bit two's-complement value, ten ones a 16-bit one.
_HUFFMAN_DEFAULT = 19999


class _HuffmanLead:
    """Decodes one lead's bit stream a block at a time."""

    def __init__(self, path: str, name: str, data: bytes) -> None:
        self.path = path
        self.name = name
        self.bits: list[int] = np.unpackbits(np.frombuffer(data, np.uint8)).tolist()
        self.pos = 0

    def take(self, n: int) -> np.ndarray:
        bits, pos, total = self.bits, self.pos, len(self.bits)
        out = np.empty(n, np.int64)
        try:
            for i in range(n):
                ones = 0
                while ones < 10 and bits[pos + ones]:
                    ones += 1
                if ones <= 8:
                    if ones == 0:
                        out[i] = 0
                        pos += 1
                        continue
                    out[i] = -ones if bits[pos + ones + 1] else ones
                    pos += ones + 2
                    continue
                width = 8 if ones == 9 else 16
                pos += 10
                if pos + width > total:
                    raise IndexError
                value = 0
                for bit in bits[pos : pos + width]:
                    value = value << 1 | bit
                out[i] = value - (1 << width) if value >> (width - 1) else value
                pos += width
        except IndexError:
            raise RecordError(
                self.path, f"section 6: Huffman data of lead {self.name} ends before its samples"
            ) from None
        self.pos = pos
        return out


@dataclass
class ScpRecording(Recording):
    """A validated SCP-ECG file; see :class:`~wavetag.signal.recording.RecordingSource`."""

    leads: tuple[_Lead, ...] = ()
    differences: int = 0
    huffman: bool = False
    fs: float = 0.0

    def _blocks(self, seconds: float) -> Iterator[Block]:
        n = self.leads[0].n_samples
        step = max(1, min(round(seconds * self.fs), MAX_BLOCK_SAMPLES // len(self.leads)))
        # Difference coding carries the last value (and slope) of each lead
        # from one block to the next.
        last = [0] * len(self.leads)
        slope = [0] * len(self.leads)
        with open(self.path, "rb") as handle:
            decoders: list[_HuffmanLead] = []
            if self.huffman:
                # A lead's bit stream is at most 64 KiB (its byte count is 16-bit).
                for lead, channel in zip(self.leads, self.channels, strict=True):
                    handle.seek(lead.offset)
                    data = handle.read(lead.n_bytes)
                    decoders.append(_HuffmanLead(self.path, channel.name, data))
            for start in range(0, n, step):
                stop = min(n, start + step)
                block: list[IntArray] = []
                for i, lead in enumerate(self.leads):
                    if self.huffman:
                        d = decoders[i].take(stop - start)
                    else:
                        d = self._plain(handle, lead, start, stop)
                    values, last[i], slope[i] = _undifference(
                        d, start, self.differences, last[i], slope[i]
                    )
                    block.append(values.astype(self.channels[i].dtype))
                yield block

    def _plain(self, handle: BinaryIO, lead: _Lead, start: int, stop: int) -> np.ndarray:
        handle.seek(lead.offset + 2 * start)
        raw = handle.read(2 * (stop - start))
        if len(raw) != 2 * (stop - start):
            raise RecordError(self.path, "rhythm data is truncated")
        return np.frombuffer(raw, "<i2").astype(np.int64)


def _undifference(
    d: np.ndarray, start: int, order: int, last: int, slope: int
) -> tuple[np.ndarray, int, int]:
    """Samples from (first or second) differences; ``last`` and ``slope`` are the
    value and difference before ``d[0]`` (unused at the start of the lead)."""
    if order == 0 or len(d) == 0:
        return d, last, slope
    if order == 1:
        values = np.cumsum(d) + (last if start else 0)
        return values, int(values[-1]), 0
    values = np.empty_like(d)
    head = 0
    if start == 0:
        # The first two samples are stored as they are.
        head = min(2, len(d))
        values[:head] = d[:head]
        last = int(d[head - 1])
        slope = int(d[1] - d[0]) if head == 2 else 0
    if head < len(d):
        slopes = slope + np.cumsum(d[head:])
        values[head:] = last + np.cumsum(slopes)
        slope = int(slopes[-1])
    last = int(values[-1])
    return values, last, slope


def _u16(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", data, at)[0])


def _u32(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", data, at)[0])


class _Reader:
    def __init__(self, path: str, handle: BinaryIO, size: int) -> None:
        self.path = path
        self.handle = handle
        self.size = size

    def fail(self, message: str) -> RecordError:
        return RecordError(self.path, message)

    def read(self, offset: int, length: int) -> bytes:
        self.handle.seek(offset)
        data = self.handle.read(length)
        if len(data) != length:
            raise self.fail("is truncated")
        return data

    def section(self, number: int, offset: int, length: int | None) -> tuple[int, int]:
        """Check a section's header and CRC; return its body's offset and length."""
        if offset + _SECTION_HEADER > self.size:
            raise self.fail(f"section {number} starts beyond the end of the file (truncated?)")
        head = self.read(offset, _SECTION_HEADER)
        found, declared = _u16(head, 2), _u32(head, 4)
        if found != number:
            raise self.fail(f"section {number} is not where section 0 points (found {found})")
        if declared < _SECTION_HEADER or (length is not None and declared != length):
            raise self.fail(f"section {number} has an inconsistent length ({declared} bytes)")
        if offset + declared > self.size:
            raise self.fail(
                f"section {number} runs past the end of the file (truncated: it needs "
                f"{offset + declared} bytes, the file has {self.size})"
            )
        if crc_ccitt(self.handle, offset + 2, offset + declared) != _u16(head, 0):
            raise self.fail(f"section {number} fails its CRC check (corrupted)")
        return offset + _SECTION_HEADER, declared - _SECTION_HEADER


def _pointers(reader: _Reader) -> dict[int, tuple[int, int]]:
    """Section 0: the offset and length of every section present."""
    body, length = reader.section(0, 6, None)
    data = reader.read(body, length)
    found: dict[int, tuple[int, int]] = {}
    for at in range(0, length - _POINTER + 1, _POINTER):
        number, size, index = _u16(data, at), _u32(data, at + 2), _u32(data, at + 6)
        if size == 0 or number == 0:
            continue
        if number > _MAX_SECTION_ID or index < 1:
            raise reader.fail(f"section 0 holds an invalid pointer (section {number})")
        found[number] = (index - 1, size)
    return found


def _text(value: bytes) -> str:
    return value.split(b"\0", 1)[0].decode("latin-1").strip()


def _demographics(
    data: bytes, keep: bool, warnings: list[str]
) -> tuple[dict[str, str], date | None, time | None]:
    info: dict[str, str] = {}
    day: date | None = None
    clock: time | None = None
    at = 0
    while at + 3 <= len(data):
        tag, length = data[at], _u16(data, at + 1)
        value = data[at + 3 : at + 3 + length]
        at += 3 + length
        if tag == 255:
            break
        try:
            if tag == 25 and length >= 4:
                day = date(_u16(value, 0), value[2], value[3])
            elif tag == 26 and length >= 3:
                clock = time(value[0], value[1], value[2])
        except ValueError:
            warnings.append(f"section 1: acquisition date or time (tag {tag}) is not valid")
        if not keep or tag not in _PATIENT_TAGS or not value:
            continue
        if tag == 8:
            info[_PATIENT_TAGS[tag]] = _SEX.get(value[0], str(value[0]))
        elif tag == 5 and length >= 4:
            info[_PATIENT_TAGS[tag]] = f"{_u16(value, 0):04d}-{value[2]:02d}-{value[3]:02d}"
        elif tag == 4 and length >= 2:
            info[_PATIENT_TAGS[tag]] = str(_u16(value, 0))
        elif tag in (0, 1, 2, 3):
            info[_PATIENT_TAGS[tag]] = _text(value)
    return {k: v for k, v in info.items() if v}, day, clock


def open_scp(path: str, root: str, *, keep_patient_info: bool = False) -> ScpRecording:
    """Open and validate an SCP-ECG file.

    Parameters
    ----------
    path : str
        The SCP-ECG file.
    root : str
        The imported folder; the file must lie inside it.
    keep_patient_info : bool
        Keep names, identifier, age, birth date and sex (section 1) and the
        acquisition date.

    Raises
    ------
    RecordError
        On a bad CRC (naming the section), a truncated file, a missing section 3
        or 6, or a compression that is not supported yet.
    """
    if not is_inside(path, root):
        raise RecordError(path, "lies outside the imported folder")
    size = file_size(path)
    if size is None:
        raise RecordError(path, "file not found")
    if size < 6 + _SECTION_HEADER:
        raise RecordError(path, f"is too short ({size} bytes) to be an SCP-ECG file")
    with open(path, "rb") as handle:
        reader = _Reader(path, handle, size)
        head = reader.read(0, 22)
        if head[16:22] != b"SCPECG" or _u16(head, 8) != 0:
            raise reader.fail("is not an SCP-ECG file (no section 0 with 'SCPECG' at byte 16)")
        declared = _u32(head, 2)
        if declared > size:
            raise reader.fail(f"is truncated: the file declares {declared} bytes and has {size}")
        if declared < size:
            raise reader.fail(f"declares {declared} bytes but has {size}")
        if crc_ccitt(handle, 2, size) != _u16(head, 0):
            sections = _pointers(reader)  # names the corrupted section when one fails
            for number, (offset, length) in sorted(sections.items()):
                reader.section(number, offset, length)
            raise reader.fail("fails the CRC check of the whole file (corrupted)")
        sections = _pointers(reader)
        bodies = {n: reader.section(n, *sections[n]) for n in sorted(sections)}
        for number, what in ((3, "lead definition"), (6, "rhythm data")):
            if number not in bodies:
                raise reader.fail(f"has no section {number} ({what})")
        huffman = 2 in bodies
        if huffman:
            tables = reader.read(bodies[2][0], min(2, bodies[2][1]))
            if len(tables) < 2 or _u16(tables, 0) != _HUFFMAN_DEFAULT:
                raise reader.fail(
                    "rhythm data coded with custom Huffman tables (section 2) is not supported yet"
                )
        warnings: list[str] = []
        info: dict[str, str] = {}
        day: date | None = None
        clock: time | None = None
        if 1 in bodies:
            info, day, clock = _demographics(reader.read(*bodies[1]), keep_patient_info, warnings)
        leads_data = reader.read(*bodies[3])
        if len(leads_data) < 2:
            raise reader.fail("section 3 is empty")
        n_leads, flags = leads_data[0], leads_data[1]
        if flags & 1 or 4 in bodies:
            raise reader.fail("reference-beat-subtracted rhythm data is not supported yet")
        if n_leads == 0 or len(leads_data) < 2 + 9 * n_leads:
            raise reader.fail(f"section 3 is too short for its {n_leads} lead(s)")
        spans = [
            (_u32(leads_data, 2 + 9 * i), _u32(leads_data, 6 + 9 * i), leads_data[10 + 9 * i])
            for i in range(n_leads)
        ]
        if len({(a, b) for a, b, _ in spans}) != 1 or spans[0][1] < spans[0][0]:
            raise reader.fail("leads that do not share one span of samples are not supported")
        n_samples = spans[0][1] - spans[0][0] + 1
        rhythm_offset, rhythm_length = bodies[6]
        rhythm = reader.read(rhythm_offset, min(rhythm_length, 6 + 2 * n_leads))
        if len(rhythm) < 6 + 2 * n_leads:
            raise reader.fail("section 6 is too short for its lead table")
        avm, interval, differences, bimodal = (
            _u16(rhythm, 0),
            _u16(rhythm, 2),
            rhythm[4],
            rhythm[5],
        )
        if bimodal:
            raise reader.fail("bimodally compressed rhythm data is not supported yet")
        if differences > 2:
            raise reader.fail(f"section 6: difference encoding {differences} is not valid")
        if avm == 0 or interval == 0:
            raise reader.fail("section 6: amplitude multiplier or sample interval is zero")
        byte_counts = [_u16(rhythm, 6 + 2 * i) for i in range(n_leads)]
        offset = rhythm_offset + 6 + 2 * n_leads
        leads: list[_Lead] = []
        for (_, _, code), count in zip(spans, byte_counts, strict=True):
            if not huffman and count != 2 * n_samples:
                raise reader.fail(
                    f"section 6: lead {LEAD_NAMES.get(code, code)} holds {count} bytes, "
                    f"not the {2 * n_samples} of {n_samples} uncompressed samples"
                )
            leads.append(_Lead(code, offset, n_samples, count))
            offset += count
        if offset > rhythm_offset + rhythm_length:
            raise reader.fail("section 6 is shorter than its leads' data")
    fs = 1e6 / interval
    channels = [
        ChannelInfo(
            index=i,
            name=LEAD_NAMES.get(lead.code, f"lead {lead.code}"),
            units="mV",
            fs=fs,
            gain=1e6 / avm,
            baseline=0.0,
            n_samples=n_samples,
            adc_resolution=16,
            dtype="int32" if differences or huffman else "int16",
            invalid=None,
        )
        for i, lead in enumerate(leads)
    ]
    span = n_samples / fs
    folder, file_name = os.path.split(path)
    beside = read_annotations_beside(folder, file_name, set(), fs, span)
    return ScpRecording(
        path=path,
        name=os.path.splitext(file_name)[0],
        format="scp",
        channels=channels,
        span=span,
        start_time=clock,
        start_date=datetime.combine(day, clock or time(0)) if day and keep_patient_info else None,
        patient_info=info if keep_patient_info else {},
        annotation_sets=beside,
        warnings=warnings,
        files=[path] + [os.path.join(folder, a.source) for a in beside],
        leads=tuple(leads),
        differences=differences,
        huffman=huffman,
        fs=fs,
    )
