"""WFDB annotation files found beside a record (``100.atr``, ``r01.edf.qrs``).

Any file named ``<record>.<extension>`` in the record's folder is taken for an
annotation file unless it is one of the record's signal files or its extension
clearly belongs to something else (``csv``, ``png``, ...). Each becomes one
annotation set named after its extension. A file that is there but cannot be
read refuses the whole record: importing the signal without the reference
annotations the user expected would go unnoticed.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
import wfdb

from wavetag.signal.io.paths import NOT_ANNOTATION_EXTENSIONS
from wavetag.signal.io.source import describe
from wavetag.signal.recording import AnnotationSetData, Origin, RecordError

_EXTENSION_RE = re.compile(r"[A-Za-z0-9_]+")

# Outputs of QRS detectors and delineators: pre-annotations, not references.
_MACHINE_EXTENSIONS = frozenset({"ecgpuwave", "pu", "pu0", "pu1"})
_MACHINE_PREFIXES = ("gqrs", "sqrs", "wqrs", "xqrs", "jqrs")
_MACHINE_SUFFIXES = ("qrsh", "qrsl")

# Generous: a 72-h Holter with every beat labelled takes a few megabytes.
MAX_ANNOTATION_BYTES = 256 << 20

# Samples may sit exactly at the end of the record (an end-of-record mark).
_END_TOLERANCE = 1e-9


def annotation_origin(extension: str) -> Origin:
    """``"machine"`` for the output of a known detector, else ``"reference"``."""
    ext = extension.lower()
    if (
        ext in _MACHINE_EXTENSIONS
        or ext.startswith(_MACHINE_PREFIXES)
        or ext.endswith(_MACHINE_SUFFIXES)
    ):
        return "machine"
    return "reference"


def find_annotation_files(folder: str, stem: str, exclude: set[str]) -> list[tuple[str, str]]:
    """List the annotation files of a record.

    Parameters
    ----------
    folder : str
        The record's folder.
    stem : str
        What annotation file names start with: the record name (WFDB) or the
        EDF file name with its extension (``r01.edf``).
    exclude : set of str
        File names that belong to the record otherwise (signal files).

    Returns
    -------
    list of (path, extension)
        Sorted by file name.
    """
    found = []
    prefix = stem + "."
    for entry in sorted(os.listdir(folder)):
        if not entry.startswith(prefix) or entry in exclude:
            continue
        extension = entry[len(prefix) :]
        if not _EXTENSION_RE.fullmatch(extension):
            continue
        if extension.lower() in NOT_ANNOTATION_EXTENSIONS:
            continue
        path = os.path.join(folder, entry)
        if os.path.isfile(path):
            found.append((path, extension))
    return found


def check_annotation_bytes(path: str) -> None:
    """Refuse files that cannot be complete WFDB (MIT-format) annotation files.

    The format is a sequence of 16-bit words closed by a zero word; a cut file
    usually has an odd length or lacks that last word, and ``wfdb.rdann``
    reports those cases with an obscure numpy error.
    """
    size = os.path.getsize(path)
    if size > MAX_ANNOTATION_BYTES:
        raise RecordError(path, "annotation file is larger than 256 MiB")
    if size < 2:
        raise RecordError(path, "annotation file is empty")
    if size % 2:
        raise RecordError(
            path, "annotation file is truncated or not a WFDB annotation file (odd length)"
        )
    with open(path, "rb") as f:
        f.seek(size - 2)
        last = f.read(2)
    if last != b"\0\0":
        raise RecordError(
            path, "annotation file is truncated or not a WFDB annotation file (no end marker)"
        )


def read_annotation_file(
    path: str, extension: str, frame_fs: float, duration: float
) -> AnnotationSetData:
    """Read one WFDB annotation file with ``wfdb.rdann`` and check it.

    Parameters
    ----------
    path : str
        The annotation file, ``<record path>.<extension>``.
    extension : str
        Its extension; it names the set.
    frame_fs : float
        Frame rate of the record (Hz), used when the file does not state
        its own time resolution.
    duration : float
        Length of the record in seconds; annotations beyond it are refused.

    Returns
    -------
    AnnotationSetData
        The annotations, ``time = sample / fs``.

    Raises
    ------
    RecordError
        If the file is truncated, unreadable or points beyond the record.
    """
    check_annotation_bytes(path)
    record_base = path[: -len(extension) - 1]
    try:
        ann: Any = wfdb.rdann(record_base, extension)
        fs = float(ann.fs) if ann.fs else 0.0
        sample = np.asarray(ann.sample, dtype=np.int64)
        symbol = [str(s) for s in ann.symbol]
        # wfdb keeps the NUL that pads odd-length notes ("(N\x00"); WFDB does not.
        aux_note = [str(a).rstrip("\x00") for a in ann.aux_note]
        subtype = np.asarray(ann.subtype, dtype=np.int64)
        chan = np.asarray(ann.chan, dtype=np.int64)
        num = np.asarray(ann.num, dtype=np.int64)
    except Exception as exc:
        raise RecordError(
            path, f"cannot be read as a WFDB annotation file ({describe(exc)})"
        ) from None
    if not (fs > 0 and np.isfinite(fs)):
        fs = frame_fs
    times = sample / fs
    if len(sample) and sample.min() < 0:
        raise RecordError(path, f"annotation at negative sample {int(sample.min())}")
    if len(sample) and times.max() > duration + _END_TOLERANCE:
        last = int(np.argmax(times))
        raise RecordError(
            path,
            f"annotation at sample {int(sample[last])} ({times[last]:.3f} s) lies beyond "
            f"the end of the record ({duration:.3f} s)",
        )
    return AnnotationSetData(
        name=extension,
        origin=annotation_origin(extension),
        source=os.path.basename(path),
        fs=fs,
        time=times.astype(np.float64),
        sample=sample,
        symbol=symbol,
        aux_note=aux_note,
        duration=np.zeros(len(sample), np.float64),
        subtype=subtype,
        chan=chan,
        num=num,
    )


def read_annotations_beside(
    folder: str, stem: str, exclude: set[str], frame_fs: float, duration: float
) -> list[AnnotationSetData]:
    """Read every annotation file of a record (see :func:`find_annotation_files`)."""
    return [
        read_annotation_file(path, extension, frame_fs, duration)
        for path, extension in find_annotation_files(folder, stem, exclude)
    ]
