"""Readers that turn WFDB, EDF/BDF, ISHNE, HL7 aECG and CSV files into a validated
:class:`~wavetag.signal.recording.RecordingSource`.

Typical use::

    refs, errors = find_records(["/data/mitdb"])
    for ref in refs:
        source = open_recording(ref)
        for block in source.iter_blocks(60.0):
            ...

Everything that goes wrong with a file surfaces as a
:class:`~wavetag.signal.recording.RecordError` whose text names the file and the
problem in one line; no other exception escapes for bad input.
"""

from __future__ import annotations

import os

from wavetag.signal.io.aecg import open_aecg
from wavetag.signal.io.csv_reader import open_csv
from wavetag.signal.io.dicom import open_dicom
from wavetag.signal.io.discover import RecordRef, find_records
from wavetag.signal.io.edf import open_edf
from wavetag.signal.io.ishne import open_ishne
from wavetag.signal.io.paths import is_inside
from wavetag.signal.io.scp import open_scp
from wavetag.signal.io.source import describe
from wavetag.signal.io.wfdb_multi import open_any_wfdb
from wavetag.signal.recording import RecordError, RecordingSource

__all__ = ["RecordError", "RecordRef", "find_records", "open_recording"]


def _resolve(path: str) -> RecordRef:
    if os.path.isdir(path):
        raise RecordError(path, "is a folder, not a record; list its records with find_records")
    refs, errors = find_records([path])
    if errors:
        raise errors[0]
    return refs[0]


def open_recording(
    ref_or_path: RecordRef | str | os.PathLike[str],
    *,
    keep_patient_info: bool = False,
    verify_checksums: bool = True,
    csv_fs: float | None = None,
) -> RecordingSource:
    """Open and validate one record.

    Parameters
    ----------
    ref_or_path : RecordRef or path
        A reference from :func:`find_records`, or the path of a ``.hea``
        header, of a record without extension, or of an ``.edf``/``.bdf``,
        ISHNE ``.ecg``, aECG ``.xml`` or ``.csv`` file (whose folder is then
        the imported folder).
    keep_patient_info : bool
        Keep identifying data (start date, EDF patient and recording fields,
        ``key: value`` WFDB comments in ``patient_info``). Off by default.
    verify_checksums : bool
        When True, a WFDB checksum mismatch raises at the end of
        ``iter_blocks``; when False it only adds a warning.
    csv_fs : float, optional
        Sampling rate of a CSV file without a time column (Hz); ignored for
        other formats.

    Returns
    -------
    RecordingSource
        Metadata and annotation sets read and checked; samples on demand.

    Raises
    ------
    RecordError
        For every problem with the files, including unexpected failures of
        the underlying libraries.
    """
    if isinstance(ref_or_path, RecordRef):
        ref = ref_or_path
    else:
        ref = _resolve(os.fspath(ref_or_path))
    if not is_inside(ref.path, ref.root):
        raise RecordError(ref.path, "lies outside the imported folder")
    try:
        if ref.kind == "dicom":
            return open_dicom(ref.path, ref.root, keep_patient_info=keep_patient_info)
        if ref.kind == "scp":
            return open_scp(ref.path, ref.root, keep_patient_info=keep_patient_info)
        if ref.kind == "edf":
            return open_edf(ref.path, ref.root, keep_patient_info=keep_patient_info)
        if ref.kind == "ishne":
            return open_ishne(ref.path, ref.root, keep_patient_info=keep_patient_info)
        if ref.kind == "aecg":
            return open_aecg(ref.path, ref.root, keep_patient_info=keep_patient_info)
        if ref.kind == "csv":
            return open_csv(ref.path, ref.root, fs=csv_fs)
        return open_any_wfdb(
            ref.path,
            ref.root,
            keep_patient_info=keep_patient_info,
            verify_checksums=verify_checksums,
        )
    except RecordError:
        raise
    except FileNotFoundError:
        raise RecordError(ref.path, "file not found") from None
    except PermissionError:
        raise RecordError(ref.path, "permission denied") from None
    except Exception as exc:
        raise RecordError(ref.path, f"could not be read ({describe(exc)})") from exc
