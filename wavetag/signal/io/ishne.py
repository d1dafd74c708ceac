"""Reader for ISHNE Holter ECG files (``.ecg``, format version 1.0).

Layout (ISHNE standard output format for Holter ECG, 1998):

- 8 bytes magic ``ISHNE1.0``;
- 2 bytes CRC (CRC-CCITT, initial value 0xFFFF, polynomial 0x1021) of the header
  that follows, fixed part and variable part together;
- 512 bytes fixed header (little-endian integers, see :data:`_FIXED`);
- the variable-length header (free text);
- the samples: signed 16-bit little-endian, leads interleaved.

Each lead has its resolution in nV per unit, so ``gain = 1e6 / resolution`` per mV.
Reading one block reads a run of consecutive frames, so a 72-h file is never in
memory whole.
"""

from __future__ import annotations

import binascii
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np

from wavetag.signal.io.annotations import read_annotations_beside
from wavetag.signal.io.paths import is_inside
from wavetag.signal.io.source import MAX_BLOCK_SAMPLES, Block, Recording
from wavetag.signal.recording import ChannelInfo, RecordError

MAGIC = b"ISHNE1.0"
FIXED_BYTES = 512
PREAMBLE_BYTES = 10  # magic and CRC
MAX_LEADS = 12
# Holter recorders sample at 128-1000 Hz; a rate outside this range is a broken header.
MAX_FS = 32768
# The variable header is free text; a huge one is a broken size field.
MAX_VAR_BYTES = 16 << 20

# struct format of the fixed header (little-endian, no padding), in file order. Resolutions
# are read unsigned, as the reference readers do, so that more than 32767 nV stays positive.
_FIXED = struct.Struct("<iiiih40s40s20shh3h3h3h3hh12h12h12Hh40sh80s80s88s")
assert _FIXED.size == FIXED_BYTES

# Lead specification codes of the standard.
LEAD_NAMES = {
    0: "unknown",
    1: "bipolar",
    2: "X",
    3: "Y",
    4: "Z",
    5: "I",
    6: "II",
    7: "III",
    8: "aVR",
    9: "aVL",
    10: "aVF",
    11: "V1",
    12: "V2",
    13: "V3",
    14: "V4",
    15: "V5",
    16: "V6",
    17: "ES",
    18: "AS",
    19: "AI",
}


@dataclass(frozen=True)
class IshneHeader:
    """The checked header of an ISHNE file."""

    var_bytes: int
    n_samples: int  # per lead
    ecg_offset: int
    version: int
    first_name: str
    last_name: str
    patient_id: str
    sex: int
    birth_date: tuple[int, int, int]  # day, month, year
    record_date: tuple[int, int, int]
    start_time: tuple[int, int, int]  # hour, minute, second
    n_leads: int
    lead_spec: tuple[int, ...]
    resolution: tuple[int, ...]  # nV per unit, one per lead
    pacemaker: int
    recorder: str
    fs: int
    var_header: str


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1").strip()


def read_ishne_header(path: str) -> IshneHeader:
    """Read and check the header; raise :class:`RecordError` naming the first problem."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        preamble = f.read(PREAMBLE_BYTES)
        if len(preamble) < 8 or preamble[:8] != MAGIC:
            raise RecordError(path, "is not an ISHNE Holter file (no ISHNE1.0 magic number)")
        fixed = f.read(FIXED_BYTES)
        if len(preamble) < PREAMBLE_BYTES or len(fixed) < FIXED_BYTES:
            raise RecordError(path, "ISHNE header is truncated")
        v = _FIXED.unpack(fixed)
        var_bytes, n_samples, var_offset, ecg_offset = v[0], v[1], v[2], v[3]
        if not 0 <= var_bytes <= MAX_VAR_BYTES:
            raise RecordError(path, f"variable header size {var_bytes} is impossible")
        if var_offset != PREAMBLE_BYTES + FIXED_BYTES:
            raise RecordError(
                path, f"variable header offset is {var_offset}, not {PREAMBLE_BYTES + FIXED_BYTES}"
            )
        var_raw = f.read(var_bytes)
        if len(var_raw) < var_bytes:
            raise RecordError(path, "ISHNE variable header is truncated")
    (crc,) = struct.unpack("<H", preamble[8:10])
    computed = binascii.crc_hqx(fixed + var_raw, 0xFFFF)
    if crc != computed:
        raise RecordError(
            path, f"header checksum (CRC) is {crc:#06x} but the header gives {computed:#06x}"
        )
    n_leads = v[22]
    if not 1 <= n_leads <= MAX_LEADS:
        raise RecordError(path, f"number of leads is {n_leads}, not 1 to {MAX_LEADS}")
    fs = v[61]
    if not 0 < fs <= MAX_FS:
        raise RecordError(path, f"sampling rate {fs} Hz is not a positive rate up to {MAX_FS} Hz")
    resolution = tuple(v[47 : 47 + n_leads])
    for lead, res in enumerate(resolution):
        if res <= 0:
            raise RecordError(path, f"lead {lead + 1}: resolution {res} nV is not positive")
    if ecg_offset < var_offset + var_bytes:
        raise RecordError(path, f"ECG data offset {ecg_offset} lies inside the header")
    if n_samples <= 0:
        raise RecordError(path, f"number of samples per lead is {n_samples}")
    needed = ecg_offset + n_samples * n_leads * 2
    if size < needed:
        raise RecordError(
            path,
            f"file is truncated: {n_samples} samples x {n_leads} leads need {needed} bytes, "
            f"the file has {size}",
        )
    return IshneHeader(
        var_bytes=var_bytes,
        n_samples=n_samples,
        ecg_offset=ecg_offset,
        version=v[4],
        first_name=_text(v[5]),
        last_name=_text(v[6]),
        patient_id=_text(v[7]),
        sex=v[8],
        birth_date=(v[10], v[11], v[12]),
        record_date=(v[13], v[14], v[15]),
        start_time=(v[19], v[20], v[21]),
        n_leads=n_leads,
        lead_spec=tuple(v[23 : 23 + n_leads]),
        resolution=resolution,
        pacemaker=v[59],
        recorder=_text(v[60]),
        fs=fs,
        var_header=_text(var_raw),
    )


@dataclass
class IshneRecording(Recording):
    """A validated ISHNE file; see :class:`~wavetag.signal.recording.RecordingSource`."""

    data_offset: int = 0
    n_frames: int = 0
    n_leads: int = 1
    fs: float = 1.0

    def _blocks(self, seconds: float) -> Iterator[Block]:
        per_block = max(1, min(round(seconds * self.fs), MAX_BLOCK_SAMPLES // self.n_leads))
        frame_bytes = 2 * self.n_leads
        with open(self.path, "rb") as f:
            for first in range(0, self.n_frames, per_block):
                count = min(self.n_frames, first + per_block) - first
                f.seek(self.data_offset + first * frame_bytes)
                buffer = f.read(count * frame_bytes)
                if len(buffer) < count * frame_bytes:
                    raise RecordError(self.path, "file ended early (was it changed while read?)")
                frames = np.frombuffer(buffer, "<i2").reshape(count, self.n_leads)
                yield [frames[:, lead].astype(np.int16) for lead in range(self.n_leads)]


def _date(day_month_year: tuple[int, int, int]) -> date | None:
    day, month, year = day_month_year
    try:
        return date(year, month, day)
    except ValueError:
        return None


def open_ishne(path: str, root: str, *, keep_patient_info: bool = False) -> IshneRecording:
    """Open and validate an ISHNE Holter file.

    Parameters
    ----------
    path : str
        The ``.ecg`` file.
    root : str
        The imported folder; the file must lie inside it.
    keep_patient_info : bool
        Keep the names, ID, birth date, recording date and the variable header
        (free text that may identify the patient).

    Raises
    ------
    RecordError
        On the first problem found, in one line naming the file.
    """
    if not is_inside(path, root):
        raise RecordError(path, "lies outside the imported folder")
    header = read_ishne_header(path)
    warnings: list[str] = []
    names = []
    for lead, code in enumerate(header.lead_spec):
        name = LEAD_NAMES.get(code, f"lead{lead + 1}")
        # Two leads named alike (e.g. two generic bipolar leads) would be told apart by index only.
        names.append(name if name not in names else f"{name}_{lead + 1}")
    channels = [
        ChannelInfo(
            index=lead,
            name=names[lead],
            units="mV",
            fs=float(header.fs),
            gain=1e6 / header.resolution[lead],
            baseline=0.0,
            n_samples=header.n_samples,
            adc_resolution=16,
            dtype="int16",
        )
        for lead in range(header.n_leads)
    ]
    extra = os.path.getsize(path) - header.ecg_offset - header.n_samples * header.n_leads * 2
    if extra:
        warnings.append(f"{extra} bytes after the last sample ignored")
    hour, minute, second = header.start_time
    start_time = None
    if 0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60:
        start_time = time(hour, minute, second)
    else:
        warnings.append(f"start time {hour}:{minute}:{second} is not a time of day; ignored")
    patient_info: dict[str, str] = {}
    start_date = None
    if keep_patient_info:
        fields = {
            "first name": header.first_name,
            "last name": header.last_name,
            "id": header.patient_id,
            "sex": {1: "male", 2: "female"}.get(header.sex, ""),
            "recorder": header.recorder,
            "variable header": header.var_header,
        }
        birth = _date(header.birth_date)
        if birth:
            fields["birthdate"] = birth.isoformat()
        patient_info = {k: value for k, value in fields.items() if value}
        recorded = _date(header.record_date)
        if recorded:
            start_date = datetime.combine(recorded, start_time or time(0))
    folder, file_name = os.path.split(path)
    duration = header.n_samples / header.fs
    beside = read_annotations_beside(folder, file_name, set(), float(header.fs), duration)
    return IshneRecording(
        path=path,
        name=os.path.splitext(file_name)[0],
        format="ishne",
        channels=channels,
        span=duration,
        start_time=start_time,
        start_date=start_date,
        patient_info=patient_info,
        annotation_sets=beside,
        warnings=warnings,
        files=[path] + [os.path.join(folder, a.source) for a in beside],
        data_offset=header.ecg_offset,
        n_frames=header.n_samples,
        n_leads=header.n_leads,
        fs=float(header.fs),
    )
