"""Strict parser for WFDB header (``.hea``) files.

The ``wfdb`` package parses headers with permissive regular expressions: a
negative sampling frequency silently becomes 250 Hz, a missing signal line
raises ``IndexError`` and a non-numeric field a bare ``HeaderSyntaxError``. The
importer needs one clear sentence per problem, so headers are parsed here,
field by field, following the WFDB ``header(5)`` specification:

    record line:  NAME[/NSEG] NSIG [FS[/COUNTER[(BASE)]] [NSAMP [TIME [DATE]]]]
    signal line:  FILE FMT[xSPF][:SKEW][+OFFSET] [GAIN[(BASELINE)][/UNITS]
                  [ADCRES [ADCZERO [INITVAL [CHECKSUM [BLOCKSIZE [DESCRIPTION]]]]]]]

Defaults mirror ``wfdb`` so that values read here agree with ``wfdb.rdrecord``:
a missing or zero gain means 200 ADC units per unit, missing units mean ``mV``,
a missing baseline equals the ADC zero.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from wavetag.signal.recording import RecordError

# Larger "headers" are certainly not headers; refusing them early keeps a
# mistaken multi-gigabyte file from being read into memory as text.
MAX_HEADER_BYTES = 1 << 20

# Bits per sample of each WFDB signal file format that ``wfdb`` can read.
FORMAT_BITS = {
    "8": 8,
    "16": 16,
    "24": 24,
    "32": 32,
    "61": 16,
    "80": 8,
    "160": 16,
    "212": 12,
    "310": 10,
    "311": 10,
    "508": 8,
    "516": 16,
    "524": 24,
}

DEFAULT_FS = 250.0
DEFAULT_GAIN = 200.0

_FORMAT_RE = re.compile(r"(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_GAIN_RE = re.compile(rf"({_NUMBER})?(?:\(([-+]?\d+)\))?(?:/(\S*))?")
_FS_RE = re.compile(rf"({_NUMBER})(?:/({_NUMBER})(?:\(({_NUMBER})\))?)?")
_INT_RE = re.compile(r"[-+]?\d+")
_TIME_RE = re.compile(r"(?:(?:(\d{1,2}):)?(\d{1,2}):)?(\d{1,2})(\.\d{1,6})?")
_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{1,4})")


@dataclass(frozen=True)
class SignalSpec:
    """One signal line of a header, with WFDB defaults applied."""

    index: int
    file_name: str
    fmt: str
    samples_per_frame: int
    skew: int
    byte_offset: int
    gain: float
    baseline: int
    units: str
    adc_resolution: int
    adc_zero: int
    init_value: int
    checksum: int | None
    block_size: int
    description: str


@dataclass
class WfdbHeader:
    """A parsed single-segment WFDB header."""

    path: str
    record_name: str
    n_signals: int
    fs: float
    sig_len: int | None  # frames; None when the header leaves it out (or says 0)
    base_time: time | None
    base_date: date | None
    signals: list[SignalSpec]
    comments: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def base_datetime(self) -> datetime | None:
        if self.base_date is None:
            return None
        return datetime.combine(self.base_date, self.base_time or time(0))


def read_header_text(path: str) -> str:
    """Read a header file as text, refusing binary or oversized files.

    Parameters
    ----------
    path : str
        The ``.hea`` file.

    Returns
    -------
    str
        The decoded text (UTF-8, or Latin-1 for old headers with accented
        comments).

    Raises
    ------
    RecordError
        If the file cannot be read, is empty, too large, or holds binary data.
    """
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_HEADER_BYTES:
                raise RecordError(path, "header is larger than 1 MiB; this is not a WFDB header")
            raw = f.read()
    except OSError as exc:
        raise RecordError(path, f"cannot read header ({exc.strerror or exc})") from None
    if len(raw) > MAX_HEADER_BYTES:
        # The file grew after its size was checked (or is not a regular file).
        raise RecordError(path, "header is larger than 1 MiB; this is not a WFDB header")
    if not raw.strip():
        raise RecordError(path, "header file is empty")
    if b"\0" in raw:
        raise RecordError(path, "header holds binary data; this is not a WFDB header")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_header(path: str, text: str | None = None) -> WfdbHeader:
    """Parse and check a WFDB header.

    Parameters
    ----------
    path : str
        The ``.hea`` file (named in error messages).
    text : str, optional
        Its content, when already read.

    Returns
    -------
    WfdbHeader
        The record line, signal lines and comments.

    Raises
    ------
    RecordError
        On the first syntax problem, with the line number.
    """
    if text is None:
        text = read_header_text(path)
    lines: list[tuple[int, str]] = []
    comments: list[str] = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if line.startswith("#"):
            comments.append(line.strip(" \t#"))
        elif line:
            if any(ord(c) < 32 and c != "\t" for c in line) or not line.isprintable():
                raise RecordError(
                    path, f"line {number} holds non-text characters; this is not a WFDB header"
                )
            lines.append((number, line))
    if not lines:
        raise RecordError(path, "header has no record line (only comments)")
    header = _parse_record_line(path, *lines[0])
    header.comments = comments
    signal_lines = lines[1:]
    if len(signal_lines) != header.n_signals:
        raise RecordError(
            path,
            f"header declares {header.n_signals} signal(s) "
            f"but has {len(signal_lines)} signal line(s)",
        )
    header.signals = [
        _parse_signal_line(path, index, number, line, header.warnings)
        for index, (number, line) in enumerate(signal_lines)
    ]
    return header


def _int_field(path: str, number: int, label: str, token: str, minimum: int | None = None) -> int:
    if not _INT_RE.fullmatch(token):
        raise RecordError(path, f"line {number}: {label} {token!r} is not a whole number")
    value = int(token)
    if minimum is not None and value < minimum:
        raise RecordError(path, f"line {number}: {label} {value} must be at least {minimum}")
    return value


def _parse_record_line(path: str, number: int, line: str) -> WfdbHeader:
    tokens = line.split()
    name_token = tokens[0]
    if "/" in name_token:
        raise RecordError(
            path, "multi-segment records are not supported; import the segments one by one"
        )
    if len(tokens) < 2:
        raise RecordError(path, f"line {number}: record line has no number of signals")
    if len(tokens) > 6:
        raise RecordError(path, f"line {number}: unexpected text {tokens[6]!r} in record line")
    n_signals = _int_field(path, number, "number of signals", tokens[1], minimum=0)
    if n_signals == 0:
        raise RecordError(path, "record has no signals")
    warnings: list[str] = []
    fs = DEFAULT_FS
    if len(tokens) > 2:
        match = _FS_RE.fullmatch(tokens[2])
        if match is None:
            raise RecordError(
                path, f"line {number}: sampling frequency {tokens[2]!r} is not a number"
            )
        fs = float(match.group(1))
        if not math.isfinite(fs) or fs <= 0:
            raise RecordError(
                path, f"line {number}: sampling frequency {tokens[2]} Hz must be positive"
            )
    else:
        warnings.append(
            f"no sampling frequency in the header; WFDB's default {DEFAULT_FS:g} Hz used"
        )
    sig_len: int | None = None
    if len(tokens) > 3:
        sig_len = _int_field(path, number, "number of samples", tokens[3], minimum=0) or None
    base_time = _parse_time(tokens[4], warnings) if len(tokens) > 4 else None
    base_date = _parse_date(tokens[5], warnings) if len(tokens) > 5 else None
    return WfdbHeader(
        path=path,
        record_name=name_token,
        n_signals=n_signals,
        fs=fs,
        sig_len=sig_len,
        base_time=base_time,
        base_date=base_date,
        signals=[],
        warnings=warnings,
    )


def _parse_time(token: str, warnings: list[str]) -> time | None:
    match = _TIME_RE.fullmatch(token)
    if match is not None:
        hours, minutes, seconds, fraction = match.groups()
        h, m, s = int(hours or 0), int(minutes or 0), int(seconds)
        micro = round(float(fraction) * 1e6) if fraction else 0
        if h < 24 and m < 60 and s < 60:
            return time(h, m, s, min(micro, 999_999))
    warnings.append(f"base time {token!r} is not a time of day; ignored")
    return None


def _parse_date(token: str, warnings: list[str]) -> date | None:
    match = _DATE_RE.fullmatch(token)
    if match is not None:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    warnings.append(f"base date {token!r} is not a DD/MM/YYYY date; ignored")
    return None


def _parse_signal_line(
    path: str, index: int, number: int, line: str, warnings: list[str]
) -> SignalSpec:
    tokens = line.split(None, 8)
    if len(tokens) < 2:
        raise RecordError(path, f"line {number}: signal line has no format")
    file_name, fmt_token = tokens[0], tokens[1]
    fmt_match = _FORMAT_RE.fullmatch(fmt_token)
    if fmt_match is None:
        raise RecordError(path, f"line {number}: format {fmt_token!r} is not a WFDB format")
    fmt, spf_text, skew_text, offset_text = fmt_match.groups()
    if fmt not in FORMAT_BITS:
        raise RecordError(
            path, f"line {number}: signal file format {fmt} is unknown or not supported"
        )
    spf = int(spf_text) if spf_text else 1
    if spf < 1:
        raise RecordError(path, f"line {number}: samples per frame must be at least 1")

    gain, baseline_text, units = DEFAULT_GAIN, None, "mV"
    if len(tokens) > 2:
        gain_match = _GAIN_RE.fullmatch(tokens[2])
        if gain_match is None or gain_match.group(1) is None:
            raise RecordError(path, f"line {number}: gain {tokens[2]!r} is not a number")
        gain = float(gain_match.group(1))
        if not math.isfinite(gain):
            raise RecordError(path, f"line {number}: gain {tokens[2]!r} is not a finite number")
        baseline_text = gain_match.group(2)
        units = gain_match.group(3) or "mV"
    labels = ("ADC resolution", "ADC zero", "initial value", "checksum", "block size")
    ints: list[int | None] = [None] * len(labels)
    for position, label in enumerate(labels):
        if len(tokens) > 3 + position:
            minimum = 0 if label in ("ADC resolution", "block size") else None
            ints[position] = _int_field(path, number, label, tokens[3 + position], minimum)
    adc_resolution, adc_zero, init_value, checksum, block_size = ints
    description = tokens[8].strip() if len(tokens) > 8 else ""
    if gain == 0:
        # WFDB's convention for an uncalibrated signal.
        gain = DEFAULT_GAIN
        warnings.append(
            f"signal {index} ({description or 'unnamed'}) is uncalibrated (gain 0); "
            f"{DEFAULT_GAIN:g} ADC units per {units} assumed"
        )
    if not description:
        description = f"signal {index}"
        warnings.append(f"signal {index} has no description; named {description!r}")
    if baseline_text is not None:
        baseline = int(baseline_text)
    else:
        baseline = adc_zero or 0
    return SignalSpec(
        index=index,
        file_name=file_name,
        fmt=fmt,
        samples_per_frame=spf,
        skew=int(skew_text) if skew_text else 0,
        byte_offset=int(offset_text) if offset_text else 0,
        gain=gain,
        baseline=baseline,
        units=units,
        adc_resolution=adc_resolution or 0,
        adc_zero=adc_zero or 0,
        # The WFDB specification: a missing initial value equals the ADC zero.
        init_value=init_value if init_value is not None else (adc_zero or 0),
        checksum=checksum,
        block_size=block_size or 0,
        description=description,
    )
