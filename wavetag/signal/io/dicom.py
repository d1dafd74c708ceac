"""Reader for DICOM waveform files: 12-lead, general and ambulatory ECG.

The file is parsed with pydicom with large values left unread; the samples of
``WaveformData`` are then read straight from the file, block by block, at the
offset pydicom found, so a long ambulatory recording is never held in memory.

Each multiplex group of the ``WaveformSequence`` holds interleaved channels at
one rate. Groups of the recorded signal (originality ``ORIGINAL``) are read;
derived groups (median beats) and groups whose duration differs from the
first one are skipped with a warning, since every channel of a recording must
cover the same span.

DICOM gives ``physical = digital * sensitivity * correction + baseline``
(PS3.3 C.10.9.1.4.3); that is ``gain = 1 / (sensitivity * correction)`` and a
digital baseline of ``-baseline * gain``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

import numpy as np

from wavetag.signal.io.annotations import read_annotations_beside
from wavetag.signal.io.paths import file_size, is_inside
from wavetag.signal.io.source import MAX_BLOCK_SAMPLES, Block, IntArray, Recording, describe
from wavetag.signal.recording import ChannelInfo, RecordError

ECG_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.9.1.1": "12-lead ECG",
    "1.2.840.10008.5.1.4.1.1.9.1.2": "general ECG",
    "1.2.840.10008.5.1.4.1.1.9.1.3": "ambulatory ECG",
}
# Values larger than this stay on disk while the file is parsed.
_DEFER_BYTES = 4096
_WAVEFORM_DATA = 0x54001010

# (WaveformBitsAllocated, WaveformSampleInterpretation) -> (type in the file, type in memory)
_SAMPLE_TYPES: dict[tuple[int, str], tuple[str, Literal["int16", "int32"]]] = {
    (8, "SB"): ("i1", "int16"),
    (8, "UB"): ("u1", "int16"),
    (16, "SS"): ("i2", "int16"),
    (16, "US"): ("u2", "int32"),
    (32, "SL"): ("i4", "int32"),
}
_TEXT_TAGS = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "PatientAge")


@dataclass(frozen=True)
class _Group:
    """One multiplex group: where its samples are and how they are stored."""

    number: int
    offset: int
    n_channels: int
    n_samples: int
    fs: float
    dtype: np.dtype[Any]
    channels: tuple[int, ...]  # indices of the recording's channels


@dataclass
class DicomRecording(Recording):
    """A validated DICOM waveform; see :class:`~wavetag.signal.recording.RecordingSource`."""

    groups: tuple[_Group, ...] = ()

    def _blocks(self, seconds: float) -> Iterator[Block]:
        max_fs = max(g.fs for g in self.groups)
        width = sum(g.n_channels for g in self.groups)
        step_s = max(1, min(round(seconds * max_fs), MAX_BLOCK_SAMPLES // width)) / max_fs
        n_blocks = max(1, math.ceil(self.span / step_s - 1e-9))
        with open(self.path, "rb") as handle:
            for b in range(n_blocks):
                block: list[IntArray | None] = [None] * len(self.channels)
                for group in self.groups:
                    start = min(group.n_samples, round(b * step_s * group.fs))
                    stop = (
                        group.n_samples
                        if b == n_blocks - 1
                        else min(group.n_samples, round((b + 1) * step_s * group.fs))
                    )
                    frames = self._read(handle, group, start, stop)
                    for column, index in enumerate(group.channels):
                        dtype = self.channels[index].dtype
                        block[index] = np.ascontiguousarray(frames[:, column], dtype=dtype)
                yield [b for b in block if b is not None]

    def _read(self, handle: Any, group: _Group, start: int, stop: int) -> IntArray:
        size = group.dtype.itemsize * group.n_channels
        handle.seek(group.offset + start * size)
        count = (stop - start) * group.n_channels
        data = handle.read(count * group.dtype.itemsize)
        if len(data) != count * group.dtype.itemsize:
            raise RecordError(self.path, f"waveform data of group {group.number} is truncated")
        return np.frombuffer(data, group.dtype, count).reshape(stop - start, group.n_channels)


def is_dicom_file(path: str) -> bool:
    """True when the file carries the DICOM preamble marker ``DICM``."""
    try:
        with open(path, "rb") as f:
            f.seek(128)
            return f.read(4) == b"DICM"
    except OSError:
        return False


def _lead_name(channel: Any, number: int) -> str:
    label = str(channel.get("ChannelLabel", "") or "").strip()
    source = channel.get("ChannelSourceSequence")
    if source:
        meaning = str(source[0].get("CodeMeaning", "") or "").strip()
        # "Lead I", "Lead aVR": the lead is what annotators know, not the prefix.
        if meaning.lower().startswith("lead "):
            meaning = meaning[5:].strip()
        if meaning:
            return meaning
        code = str(source[0].get("CodeValue", "") or "").strip()
        if code and not label:
            return code
    return label or f"channel {number}"


def _number(path: str, where: str, value: Any, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(path, f"{where} is not a number ({value!r})") from None
    if not math.isfinite(number):
        raise RecordError(path, f"{where} is not a finite number ({value!r})")
    return number


def _units(channel: Any) -> str:
    units = channel.get("ChannelSensitivityUnitsSequence")
    if units:
        code = str(units[0].get("CodeValue", "") or "").strip()
        if code:
            return code
    return "mV"


def _start(ds: Any, warnings: list[str]) -> tuple[date | None, time | None]:
    text = str(ds.get("AcquisitionDateTime", "") or "").strip()
    day = text[:8] or str(ds.get("ContentDate", "") or "").strip()
    clock = text[8:14] or str(ds.get("ContentTime", "") or "").strip()[:6]
    try:
        parsed_day = datetime.strptime(day, "%Y%m%d").date() if day else None
        parsed_time = datetime.strptime(clock.ljust(6, "0"), "%H%M%S").time() if clock else None
    except ValueError:
        warnings.append(f"acquisition date/time {text or day + clock!r} is not valid; ignored")
        return None, None
    return parsed_day, parsed_time


def _locate(path: str, element: Any, sequence_tell: int | None) -> int | None:
    """The file offset of a waveform's samples.

    pydicom parses a sequence of defined length from a copy of its value, so
    the offsets of the items' elements are then relative to that value; an
    undefined-length sequence is parsed from the file itself. The candidate
    whose bytes are the element's value is the right one.
    """
    raw_tell = getattr(element, "value_tell", None)
    if raw_tell is None:
        return None
    tell = int(raw_tell)
    value = getattr(element, "value", None)
    candidates = [tell] if sequence_tell is None else [sequence_tell + tell, tell]
    if not isinstance(value, (bytes, bytearray)):
        return candidates[0]
    probe = bytes(value[:256])
    with open(path, "rb") as f:
        for offset in candidates:
            f.seek(offset)
            if f.read(len(probe)) == probe:
                return offset
    return None


def _group(
    path: str,
    number: int,
    item: Any,
    first_index: int,
    channels: list[ChannelInfo],
    sequence_tell: int | None,
) -> _Group:
    where = f"multiplex group {number}"
    n_channels = int(item.get("NumberOfWaveformChannels", 0) or 0)
    n_samples = int(item.get("NumberOfWaveformSamples", 0) or 0)
    fs = _number(path, f"{where}: sampling frequency", item.get("SamplingFrequency"), 0.0)
    if n_channels < 1 or n_samples < 1:
        raise RecordError(path, f"{where} has no channels or no samples")
    if fs <= 0:
        raise RecordError(path, f"{where}: sampling frequency must be positive")
    bits = int(item.get("WaveformBitsAllocated", 0) or 0)
    interpretation = str(item.get("WaveformSampleInterpretation", "") or "")
    stored = _SAMPLE_TYPES.get((bits, interpretation))
    if stored is None:
        raise RecordError(
            path,
            f"{where}: {bits}-bit samples of interpretation {interpretation or '?'} "
            "are not supported (8-bit SB/UB, 16-bit SS/US and 32-bit SL are)",
        )
    definitions = item.get("ChannelDefinitionSequence") or []
    if len(definitions) != n_channels:
        raise RecordError(
            path, f"{where} declares {n_channels} channels but defines {len(definitions)}"
        )
    element = item.get_item(_WAVEFORM_DATA, keep_deferred=True)
    if element is None:
        raise RecordError(path, f"{where} has no waveform data")
    length = getattr(element, "length", None)
    if length is None:
        raise RecordError(path, f"{where}: waveform data cannot be located in the file")
    offset = _locate(path, element, sequence_tell)
    if offset is None:
        raise RecordError(path, f"{where}: waveform data cannot be located in the file")
    dtype = np.dtype(stored[0]).newbyteorder("<")
    needed = n_channels * n_samples * dtype.itemsize
    if length < needed:
        raise RecordError(
            path,
            f"{where}: waveform data holds {length} bytes, fewer than the "
            f"{needed} that {n_channels} channels of {n_samples} samples need",
        )
    padding = item.get("WaveformPaddingValue")
    invalid: int | None = None
    if padding is not None:
        raw = bytes(padding) if isinstance(padding, (bytes, bytearray)) else None
        if raw is not None and len(raw) >= dtype.itemsize:
            invalid = int(np.frombuffer(raw[: dtype.itemsize], dtype)[0])
    for k, channel in enumerate(definitions):
        label = f"{where}, channel {k + 1}"
        sensitivity = _number(path, f"{label}: sensitivity", channel.get("ChannelSensitivity"), 1)
        correction = _number(
            path,
            f"{label}: correction factor",
            channel.get("ChannelSensitivityCorrectionFactor"),
            1,
        )
        baseline = _number(path, f"{label}: baseline", channel.get("ChannelBaseline"), 0)
        if sensitivity * correction == 0:
            raise RecordError(path, f"{label}: sensitivity is zero")
        gain = 1.0 / (sensitivity * correction)
        bits_stored = int(channel.get("WaveformBitsStored", bits) or bits)
        channels.append(
            ChannelInfo(
                index=first_index + k,
                name=_lead_name(channel, first_index + k + 1),
                units=_units(channel),
                fs=fs,
                gain=gain,
                baseline=-baseline * gain,
                n_samples=n_samples,
                adc_resolution=bits_stored,
                dtype=stored[1],
                invalid=invalid,
            )
        )
    return _Group(
        number=number,
        offset=int(offset),
        n_channels=n_channels,
        n_samples=n_samples,
        fs=fs,
        dtype=dtype,
        channels=tuple(range(first_index, first_index + n_channels)),
    )


def _read_dataset(path: str) -> Any:
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not is_dicom_file(path):
        raise RecordError(path, "is not a DICOM file (no DICM marker at byte 128)")
    try:
        ds = pydicom.dcmread(path, defer_size=_DEFER_BYTES)
    except InvalidDicomError as exc:
        raise RecordError(path, f"is not a valid DICOM file ({describe(exc)})") from None
    except (EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        raise RecordError(path, f"DICOM file is truncated or malformed ({describe(exc)})") from None
    return ds


def _check_complete(path: str, ds: Any) -> None:
    """Refuse a file cut short: pydicom reads what is there without complaint, and
    the elements it found promise more bytes than the file has."""
    size = file_size(path) or 0
    meta = getattr(ds, "file_meta", None)
    for dataset in (meta, ds):
        if dataset is None:
            continue
        for tag in list(dataset.keys()):
            element = dataset.get_item(tag, keep_deferred=True)
            tell = getattr(element, "value_tell", None)
            length = getattr(element, "length", None)
            if tell is None or length is None or length == 0xFFFFFFFF:
                continue
            if int(tell) + int(length) > size:
                raise RecordError(
                    path,
                    f"is truncated: element {tag} ends at byte {int(tell) + int(length)}, "
                    f"the file has {size}",
                )
    if meta is None or "TransferSyntaxUID" not in meta:
        raise RecordError(path, "is truncated or malformed: no file meta information")


def open_dicom(path: str, root: str, *, keep_patient_info: bool = False) -> DicomRecording:
    """Open and validate a DICOM ECG waveform file.

    Parameters
    ----------
    path : str
        The DICOM file.
    root : str
        The imported folder; the file must lie inside it.
    keep_patient_info : bool
        Keep the patient's name, identifier, birth date, sex and age and the
        acquisition date.

    Raises
    ------
    RecordError
        Not DICOM, not an ECG waveform, unsupported sample encoding, or data
        shorter than its header says.
    """
    if not is_inside(path, root):
        raise RecordError(path, "lies outside the imported folder")
    ds = _read_dataset(path)
    _check_complete(path, ds)
    syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")
    if syntax not in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1"):
        raise RecordError(
            path, f"transfer syntax {syntax or '(none)'} is not supported (little endian only)"
        )
    sop_class = str(ds.get("SOPClassUID", "") or "")
    sequence_tell = getattr(ds.get_item(0x54000100, keep_deferred=True), "value_tell", None)
    sequence = ds.get("WaveformSequence")
    if not sequence:
        raise RecordError(path, "is a DICOM file without a waveform (no WaveformSequence)")
    if sop_class not in ECG_SOP_CLASSES:
        raise RecordError(
            path, f"SOP class {sop_class or '(none)'} is not a 12-lead, general or ambulatory ECG"
        )
    warnings: list[str] = []
    channels: list[ChannelInfo] = []
    groups: list[_Group] = []
    for number, item in enumerate(sequence, start=1):
        originality = str(item.get("WaveformOriginality", "ORIGINAL") or "ORIGINAL")
        label = str(item.get("MultiplexGroupLabel", "") or f"group {number}")
        if originality != "ORIGINAL":
            warnings.append(f"multiplex group {number} ({label}) is {originality}; skipped")
            continue
        before = len(channels)
        group = _group(path, number, item, before, channels, sequence_tell)
        if groups and abs(group.n_samples / group.fs - groups[0].n_samples / groups[0].fs) > (
            1 / group.fs
        ):
            del channels[before:]
            warnings.append(f"multiplex group {number} ({label}) covers a different span; skipped")
            continue
        groups.append(group)
    if not groups:
        raise RecordError(path, "has no original waveform data (only derived groups)")
    size = file_size(path) or 0
    for group in groups:
        end = group.offset + group.n_channels * group.n_samples * group.dtype.itemsize
        if end > size:
            raise RecordError(
                path,
                f"is truncated: multiplex group {group.number} needs {end} bytes, "
                f"the file has {size}",
            )
    day, clock = _start(ds, warnings)
    patient_info: dict[str, str] = {}
    if keep_patient_info:
        for tag in _TEXT_TAGS:
            value = str(ds.get(tag, "") or "").strip()
            if value:
                patient_info[tag] = value
    # The samples pydicom read with the sequence are dropped here: blocks are
    # read from the file, so only one copy ever exists, and only while opening.
    del ds, sequence
    span = groups[0].n_samples / groups[0].fs
    folder, file_name = os.path.split(path)
    name = os.path.splitext(file_name)[0]
    beside = read_annotations_beside(folder, file_name, set(), max(c.fs for c in channels), span)
    return DicomRecording(
        path=path,
        name=name,
        format="dicom",
        channels=channels,
        span=span,
        comments=[f"DICOM {ECG_SOP_CLASSES[sop_class]}"],
        start_time=clock,
        start_date=datetime.combine(day, clock or time(0)) if day and keep_patient_info else None,
        patient_info=patient_info,
        annotation_sets=beside,
        warnings=warnings,
        files=[path] + [os.path.join(folder, a.source) for a in beside],
        groups=tuple(groups),
    )
