"""Reader for HL7 annotated ECG files (aECG, XML, namespace ``urn:hl7-org:v3``).

The rhythm waveforms are the ``sequenceSet`` of the first ``series``: one
``sequence`` whose code is ``TIME_ABSOLUTE`` or ``TIME_RELATIVE`` (a ``GLIST_TS``
or ``GLIST_PQ`` whose ``increment`` is the sampling interval), then one
``sequence`` per lead (code ``MDC_ECG_LEAD_I`` ...), whose ``SLIST_PQ`` (or
``SLIST_INT``) value holds ``origin``, ``scale`` and the integer ``digits``:
``physical = origin + scale * digit``. The digits are kept as they are, so the
import is lossless; physical values are in mV.

The XML is parsed by the standard library's expat with every document type
declaration refused, so no entity (internal or external) is ever expanded.
aECG files hold seconds to minutes of signal; a file is read whole, within
:data:`MAX_BYTES`.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.parsers import expat

import numpy as np
import numpy.typing as npt

from wavetag.signal.io.annotations import read_annotations_beside
from wavetag.signal.io.paths import is_inside
from wavetag.signal.io.source import MAX_BLOCK_SAMPLES, Block, Recording
from wavetag.signal.recording import ChannelInfo, RecordError

NS = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MAX_BYTES = 256 << 20
MAX_FS = 100_000.0
_TIME_CODES = ("TIME_ABSOLUTE", "TIME_RELATIVE")
_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
_TO_MV = {"mV": 1.0, "uV": 1e-3, "µV": 1e-3, "V": 1e3, "nV": 1e-6}
_LEAD_PREFIX = "MDC_ECG_LEAD_"
_AUGMENTED = {"AVR": "aVR", "AVL": "aVL", "AVF": "aVF"}


class _Refused(Exception):
    pass


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def parse_xml(path: str) -> ET.Element:
    """Parse ``path`` into an element tree, refusing DTDs and entities.

    ElementTree's own parser cannot be told to refuse a DTD, so expat is driven
    here directly into ElementTree's tree builder.
    """
    if os.path.getsize(path) > MAX_BYTES:
        raise RecordError(path, f"XML file is larger than {MAX_BYTES >> 20} MiB")
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: Any) -> None:
        raise _Refused

    def start(tag: str, attrs: dict[str, str]) -> None:
        builder.start(_name(tag), {_name(k): v for k, v in attrs.items()})

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(_name(tag))
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        with open(path, "rb") as f:
            parser.ParseFile(f)
        root = builder.close()
    except _Refused:
        raise RecordError(
            path, "XML with a document type declaration (DTD) is refused for safety"
        ) from None
    except expat.ExpatError as exc:
        raise RecordError(path, f"is not well-formed XML ({exc})") from None
    except AssertionError:
        raise RecordError(path, "is not well-formed XML") from None
    return root


def _name(tag: str) -> str:
    return "{" + tag if "}" in tag else tag


def _value(element: ET.Element | None, what: str, path: str) -> float:
    if element is None or element.get("value") is None:
        raise RecordError(path, f"{what} is missing")
    text = element.get("value", "")
    try:
        number = float(text)
    except ValueError:
        raise RecordError(path, f"{what} {text!r} is not a number") from None
    if not np.isfinite(number):
        raise RecordError(path, f"{what} {text!r} is not a finite number")
    return number


def _lead_name(code: str) -> str:
    if code.startswith(_LEAD_PREFIX):
        short = code[len(_LEAD_PREFIX) :]
        return _AUGMENTED.get(short, short)
    return code


@dataclass
class _Lead:
    name: str
    digits: npt.NDArray[np.int64]
    gain: float  # digits per mV
    baseline: float


@dataclass
class AecgRecording(Recording):
    """A validated aECG file; see :class:`~wavetag.signal.recording.RecordingSource`."""

    samples: list[npt.NDArray[np.integer]] = field(default_factory=list)
    fs: float = 1.0

    def _blocks(self, seconds: float) -> Iterator[Block]:
        n = len(self.samples[0]) if self.samples else 0
        per_block = max(1, min(round(seconds * self.fs), MAX_BLOCK_SAMPLES))
        for first in range(0, n, per_block):
            yield [s[first : first + per_block] for s in self.samples]


def _sequence_set(root: ET.Element, path: str) -> ET.Element:
    sets = root.findall(f"{_q('component')}/{_q('series')}/{_q('component')}/{_q('sequenceSet')}")
    if not sets:
        raise RecordError(path, "has no rhythm waveforms (no series/component/sequenceSet)")
    return sets[0]


def _interval(value: ET.Element, path: str) -> float:
    increment = value.find(_q("increment"))
    step = _value(increment, "time increment", path)
    unit = increment.get("unit", "s") if increment is not None else "s"
    if unit not in _SECONDS:
        raise RecordError(path, f"time increment unit {unit!r} is not s, ms or us")
    seconds = step * _SECONDS[unit]
    if not (0 < seconds and 1 / seconds <= MAX_FS):
        raise RecordError(path, f"time increment {step:g} {unit} is not a sampling interval")
    return seconds


def _start(value: ET.Element) -> datetime | None:
    head = value.find(_q("head"))
    text = (head.get("value") or "") if head is not None else ""
    # HL7 TS: YYYYMMDDhhmmss[.fff][+zzzz]; the zone is dropped, as other formats give none.
    digits = text.split("+")[0].split("-")[0]
    try:
        return datetime.strptime(digits[:14], "%Y%m%d%H%M%S") if len(digits) >= 14 else None
    except ValueError:
        return None


def _lead(sequence: ET.Element, name: str, path: str) -> _Lead:
    value = sequence.find(_q("value"))
    if value is None:
        raise RecordError(path, f"lead {name}: no value")
    scale_el = value.find(_q("scale"))
    if scale_el is None:
        raise RecordError(path, f"lead {name}: scale is missing")
    scale = _value(scale_el, f"lead {name}: scale", path)
    if scale <= 0:
        raise RecordError(path, f"lead {name}: scale {scale:g} is not positive")
    unit = scale_el.get("unit", "uV")
    origin_el = value.find(_q("origin"))
    # SLIST_INT values may leave the origin out: it is then 0.
    origin = 0.0 if origin_el is None else _value(origin_el, f"lead {name}: origin", path)
    origin_unit = unit if origin_el is None else origin_el.get("unit", unit)
    if unit not in _TO_MV or origin_unit not in _TO_MV:
        raise RecordError(path, f"lead {name}: unit {unit!r} is not a voltage (V, mV, uV, nV)")
    digits_el = value.find(_q("digits"))
    if digits_el is None or not (digits_el.text or "").strip():
        raise RecordError(path, f"lead {name}: no digits")
    words = (digits_el.text or "").split()
    try:
        digits = np.array([int(w) for w in words], dtype=np.int64)
    except ValueError:
        bad = next(w for w in words if not w.lstrip("+-").isdigit())
        raise RecordError(path, f"lead {name}: digit {bad!r} is not an integer") from None
    scale_mv = scale * _TO_MV[unit]
    origin_mv = origin * _TO_MV[origin_unit]
    # physical = origin + scale * digit  <=>  (digit - baseline) / gain
    return _Lead(name, digits, gain=1 / scale_mv, baseline=-origin_mv / scale_mv)


def open_aecg(path: str, root: str, *, keep_patient_info: bool = False) -> AecgRecording:
    """Open and validate an HL7 aECG file.

    Parameters
    ----------
    path : str
        The ``.xml`` file.
    root : str
        The imported folder; the file must lie inside it.
    keep_patient_info : bool
        Keep the recording date (the time of day is always kept). No other
        patient data is read.

    Raises
    ------
    RecordError
        On the first problem found, in one line naming the file.
    """
    if not is_inside(path, root):
        raise RecordError(path, "lies outside the imported folder")
    tree = parse_xml(path)
    if tree.tag != _q("AnnotatedECG"):
        raise RecordError(path, f"is not an HL7 aECG file (root element {tree.tag!r})")
    sequence_set = _sequence_set(tree, path)
    interval: float | None = None
    start: datetime | None = None
    leads: list[_Lead] = []
    for sequence in sequence_set.iter(_q("sequence")):
        code_el = sequence.find(_q("code"))
        code = code_el.get("code", "") if code_el is not None else ""
        value = sequence.find(_q("value"))
        if code in _TIME_CODES and value is not None:
            if interval is None:
                interval = _interval(value, path)
                start = _start(value) if code == "TIME_ABSOLUTE" else None
            continue
        if value is not None and value.get(f"{{{XSI}}}type", "").startswith("GLIST"):
            # A time axis that is not TIME_ABSOLUTE/RELATIVE carries no lead.
            continue
        leads.append(_lead(sequence, _lead_name(code) or f"lead{len(leads) + 1}", path))
    if interval is None:
        raise RecordError(path, "has no TIME_ABSOLUTE or TIME_RELATIVE sequence")
    if not leads:
        raise RecordError(path, "has no lead waveforms")
    lengths = {len(lead.digits) for lead in leads}
    if len(lengths) > 1:
        detail = ", ".join(f"{lead.name} {len(lead.digits)}" for lead in leads)
        raise RecordError(path, f"leads have unequal numbers of samples ({detail})")
    fs = 1 / interval
    samples: list[npt.NDArray[np.integer]] = []
    channels = []
    for index, lead in enumerate(leads):
        narrow = bool(len(lead.digits) == 0 or np.abs(lead.digits).max() <= 32767)
        wide_ok = bool(np.abs(lead.digits).max() <= 2**31 - 1)
        if not wide_ok:
            raise RecordError(path, f"lead {lead.name}: digits do not fit in 32 bits")
        samples.append(lead.digits.astype(np.int16 if narrow else np.int32))
        channels.append(
            ChannelInfo(
                index=index,
                name=lead.name,
                units="mV",
                fs=fs,
                gain=lead.gain,
                baseline=lead.baseline,
                n_samples=len(lead.digits),
                adc_resolution=0,
                dtype="int16" if narrow else "int32",
            )
        )
    duration = len(leads[0].digits) / fs
    folder, file_name = os.path.split(path)
    beside = read_annotations_beside(folder, file_name, set(), fs, duration)
    return AecgRecording(
        path=path,
        name=os.path.splitext(file_name)[0],
        format="aecg",
        channels=channels,
        span=duration,
        start_time=start.time() if start else None,
        start_date=start if start and keep_patient_info else None,
        annotation_sets=beside,
        files=[path] + [os.path.join(folder, a.source) for a in beside],
        samples=samples,
        fs=fs,
    )
