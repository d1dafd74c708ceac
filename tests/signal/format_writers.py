"""Writers of ISHNE, HL7 aECG and CSV files for the reader tests, written from the
format specifications and sharing no code with the readers."""

from __future__ import annotations

import numpy as np


def crc_ccitt(data: bytes) -> int:
    """CRC-CCITT as the ISHNE standard gives it: initial 0xFFFF, polynomial 0x1021."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def short(value: int) -> bytes:
    return int(value).to_bytes(2, "little", signed=True)


def _long(value: int) -> bytes:
    return int(value).to_bytes(4, "little", signed=True)


def _text(value: str, width: int) -> bytes:
    return value.encode("ascii").ljust(width, b"\0")


def ishne_bytes(
    samples: np.ndarray,
    fs: int,
    leads: list[int],
    resolution_nv: list[int],
    var_header: bytes = b"written by the test",
) -> bytes:
    """An ISHNE 1.0 file of ``samples`` (frames x leads, int16)."""
    n_frames, n_leads = samples.shape
    fixed = b"".join(
        [
            _long(len(var_header)),
            _long(n_frames),
            _long(522),
            _long(522 + len(var_header)),
            short(1),
            _text("Jane", 40),
            _text("Doe", 40),
            _text("P-100", 20),
            short(2),  # sex: female
            short(0),  # race
            b"".join(short(v) for v in (12, 5, 1961)),  # birth date: day, month, year
            b"".join(short(v) for v in (3, 4, 2001)),  # record date
            b"".join(short(v) for v in (3, 4, 2001)),  # file date
            b"".join(short(v) for v in (13, 45, 7)),  # start time: hour, minute, second
            short(n_leads),
            b"".join(short(v) for v in (leads + [0] * 12)[:12]),
            b"".join(short(0) for _ in range(12)),  # lead quality
            b"".join(short(v) for v in (resolution_nv + [0] * 12)[:12]),
            short(0),  # pacemaker
            _text("test recorder", 40),
            short(fs),
            _text("", 80),
            _text("", 80),
            _text("", 88),
        ]
    )
    assert len(fixed) == 512
    header = fixed + var_header
    data = samples.astype("<i2").tobytes()  # frames in rows: leads interleaved
    return b"ISHNE1.0" + crc_ccitt(header).to_bytes(2, "little") + header + data


def aecg_lead_code(name: str) -> str:
    """The HL7/MDC code of a lead name (``aVR`` -> ``MDC_ECG_LEAD_AVR``)."""
    return "MDC_ECG_LEAD_" + name.upper()


def aecg_xml(
    leads: dict[str, np.ndarray],
    interval_s: float,
    scale_uv: list[float],
    origin_uv: list[float],
    start: str = "20240131101500.000",
    value_type: str = "SLIST_PQ",
) -> str:
    """An HL7 aECG document with one rhythm series of ``leads`` (integer digits)."""
    sequences = [
        '<component><sequence><code code="TIME_ABSOLUTE" codeSystem="2.16.840.1.113883.5.4"/>'
        f'<value xsi:type="GLIST_TS"><head value="{start}"/>'
        f'<increment value="{interval_s!r}" unit="s"/></value></sequence></component>'
    ]
    for (name, digits), scale, origin in zip(leads.items(), scale_uv, origin_uv, strict=True):
        text = " ".join(str(int(d)) for d in digits)
        sequences.append(
            f'<component><sequence><code code="{aecg_lead_code(name)}" '
            'codeSystem="2.16.840.1.113883.6.24"/>'
            f'<value xsi:type="{value_type}"><origin value="{origin!r}" unit="uV"/>'
            f'<scale value="{scale!r}" unit="uV"/><digits>{text}</digits></value>'
            "</sequence></component>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<AnnotatedECG xmlns="urn:hl7-org:v3" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<id root="00000000-0000-0000-0000-000000000000"/>'
        '<code code="93000" codeSystem="2.16.840.1.113883.6.12"/>'
        '<component><series><code code="RHYTHM" codeSystem="2.16.840.1.113883.5.4"/>'
        "<component><sequenceSet>" + "".join(sequences) + "</sequenceSet></component>"
        "</series></component></AnnotatedECG>\n"
    )
