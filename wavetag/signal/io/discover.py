"""Finding the records named by a list of paths (files, record paths, folders)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from wavetag.signal.io.paths import is_inside, normalized, plain_name_problem
from wavetag.signal.io.wfdb_multi import segment_names
from wavetag.signal.recording import RecordError

EDF_EXTENSIONS = (".edf", ".bdf")
CSV_EXTENSION = ".csv"
ISHNE_EXTENSION = ".ecg"
AECG_EXTENSION = ".xml"
DICOM_EXTENSIONS = (".dcm", ".dicom")
SCP_EXTENSIONS = (".scp",)
# Single-file recordings; a record path without extension may name one.
FILE_EXTENSIONS = (
    *EDF_EXTENSIONS,
    *DICOM_EXTENSIONS,
    *SCP_EXTENSIONS,
    ISHNE_EXTENSION,
    AECG_EXTENSION,
    CSV_EXTENSION,
)
# Enough of an XML file's start to find its root element after any prolog.
_SNIFF_BYTES = 4096
Kind = Literal["wfdb", "edf", "csv", "ishne", "aecg", "dicom", "scp"]
# Files that are part of a WFDB record but are not what a user should name.
_SIGNAL_EXTENSIONS = (".dat", ".mat", ".xyz")
_MAX_RECORDS_FILE_BYTES = 16 << 20


@dataclass(frozen=True)
class RecordRef:
    """A record found on disk, not yet opened.

    Attributes
    ----------
    path : str
        The record's header (``.hea``), or its EDF/BDF, DICOM, SCP-ECG, CSV, ISHNE
        (``.ecg``) or aECG (``.xml``) file, absolute.
    name : str
        The record name (``100``, ``r01``).
    root : str
        The folder being imported; every file of the record must stay inside.
    """

    path: str
    name: str
    root: str

    @property
    def kind(self) -> Kind:
        return kind_of(self.path)

    @property
    def relpath(self) -> str:
        """The record's file relative to ``root``, with ``/`` separators."""
        return os.path.relpath(self.path, self.root).replace(os.sep, "/")


def _ref(path: str, root: str) -> RecordRef:
    base = os.path.basename(path)
    return RecordRef(path=normalized(path), name=os.path.splitext(base)[0], root=normalized(root))


def kind_of(path: str) -> Kind:
    """The reader for a record file, by its extension."""
    lower = path.lower()
    if lower.endswith(EDF_EXTENSIONS):
        return "edf"
    if lower.endswith(CSV_EXTENSION):
        return "csv"
    if lower.endswith(ISHNE_EXTENSION):
        return "ishne"
    if lower.endswith(AECG_EXTENSION):
        return "aecg"
    if lower.endswith(DICOM_EXTENSIONS):
        return "dicom"
    if lower.endswith(SCP_EXTENSIONS):
        return "scp"
    return "wfdb"


def _is_edf(name: str) -> bool:
    """EDF/BDF, or another format whose record is one file of its own extension
    (DICOM, SCP-ECG), which a folder scan takes like an EDF file."""
    return name.lower().endswith((*EDF_EXTENSIONS, *DICOM_EXTENSIONS, *SCP_EXTENSIONS))


def _segments_in(folder: str, entries: list[str]) -> set[str]:
    """Record names that are segments of a multi-segment record of this folder:
    they are read with their master header, not as records of their own."""
    names: set[str] = set()
    for entry in entries:
        if entry.endswith(".hea") and not entry.startswith("."):
            names |= segment_names(os.path.join(folder, entry))
    return names


def _is_single_file(name: str) -> bool:
    return name.lower().endswith(FILE_EXTENSIONS)


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(_SNIFF_BYTES)
    except OSError:
        return b""


def _is_recording_in_folder(folder: str, entry: str) -> bool:
    """Whether a folder scan takes a file as a record.

    Folders hold many files of these extensions that are no recordings (metadata
    tables, reports), so CSV files are taken only with their ``NAME.csv.json``
    sidecar, and ``.ecg``/``.xml`` files only when their first bytes say ISHNE
    or aECG. A file named on its own is always tried, and refused if it is none.
    """
    path = os.path.join(folder, entry)
    lower = entry.lower()
    if entry.endswith(".hea") or _is_edf(entry):
        return True
    if lower.endswith(CSV_EXTENSION):
        return os.path.isfile(path + ".json")
    if lower.endswith(ISHNE_EXTENSION):
        return _head(path).startswith(b"ISHNE1.0")
    if lower.endswith(AECG_EXTENSION):
        return b"AnnotatedECG" in _head(path)
    return False


class _Finder:
    def __init__(self) -> None:
        self.refs: dict[str, RecordRef] = {}
        self.errors: list[RecordError] = []
        self._visited: set[str] = set()

    def add(self, path: str, root: str) -> None:
        ref = _ref(path, root)
        self.refs.setdefault(ref.path, ref)

    def path(self, given: str) -> None:
        path = normalized(given)
        if os.path.isdir(path):
            before = len(self.refs)
            self.folder(path, path)
            if len(self.refs) == before:
                self.errors.append(
                    RecordError(
                        given,
                        "no WFDB, EDF, DICOM, SCP-ECG, ISHNE, aECG or CSV records in this folder",
                    )
                )
        elif os.path.isfile(path):
            self.file(given, path)
        elif os.path.isfile(path + ".hea"):
            self.add(path + ".hea", os.path.dirname(path))
        elif any(os.path.isfile(path + ext) for ext in FILE_EXTENSIONS):
            ext = next(ext for ext in FILE_EXTENSIONS if os.path.isfile(path + ext))
            self.add(path + ext, os.path.dirname(path))
        else:
            self.errors.append(RecordError(given, "no such file, folder or record"))

    def file(self, given: str, path: str) -> None:
        root = os.path.dirname(path)
        stem, ext = os.path.splitext(path)
        if ext == ".hea" or _is_single_file(path):
            self.add(path, root)
        elif os.path.basename(path) == "RECORDS":
            self.records_file(path, root)
        elif ext.lower() in _SIGNAL_EXTENSIONS and os.path.isfile(stem + ".hea"):
            self.errors.append(
                RecordError(
                    given,
                    f"is a signal file; name its header {os.path.basename(stem)}.hea instead",
                )
            )
        else:
            self.errors.append(
                RecordError(
                    given,
                    "is not a WFDB header (.hea), an EDF/BDF, DICOM (.dcm), SCP-ECG (.scp), "
                    "ISHNE (.ecg), aECG (.xml) or CSV file, a record or a folder",
                )
            )

    def folder(self, folder: str, root: str) -> None:
        # Following links to folders is allowed, but never twice into one place.
        real = os.path.realpath(folder)
        if real in self._visited:
            return
        self._visited.add(real)
        records_file = os.path.join(folder, "RECORDS")
        if os.path.isfile(records_file):
            self.records_file(records_file, root)
            return
        try:
            entries = sorted(os.listdir(folder))
        except OSError as exc:
            self.errors.append(RecordError(folder, f"cannot be listed ({exc.strerror or exc})"))
            return
        segments = _segments_in(folder, entries)
        for entry in entries:
            if entry.startswith("."):
                continue
            path = os.path.join(folder, entry)
            if os.path.isdir(path):
                self.folder(path, root)
            elif entry.endswith(".hea") and entry[: -len(".hea")] in segments:
                continue
            elif _is_recording_in_folder(folder, entry):
                if os.path.isfile(path):
                    self.add(path, root)

    def records_file(self, records_file: str, root: str) -> None:
        """Follow a PhysioNet ``RECORDS`` file: one record (or ``folder/``) per line."""
        folder = os.path.dirname(records_file)
        try:
            if os.path.getsize(records_file) > _MAX_RECORDS_FILE_BYTES:
                raise RecordError(records_file, "RECORDS file is larger than 16 MiB")
            with open(records_file, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except UnicodeDecodeError:
            self.errors.append(RecordError(records_file, "RECORDS file is not UTF-8 text"))
            return
        except RecordError as exc:
            self.errors.append(exc)
            return
        for number, line in enumerate(lines, start=1):
            entry = line.strip()
            if not entry or entry.startswith("#"):
                continue
            self.records_entry(records_file, number, entry, folder, root)

    def records_entry(
        self, records_file: str, number: int, entry: str, folder: str, root: str
    ) -> None:
        parts = entry.rstrip("/").split("/")
        bad: str | None
        if entry.startswith(("/", "\\")) or (len(entry) > 1 and entry[1] == ":"):
            bad = "an absolute path"
        elif ".." in parts:
            bad = "it leads out of the folder"
        else:
            bad = next((p for part in parts if (p := plain_name_problem(part))), None)
        if bad is not None:
            self.errors.append(
                RecordError(records_file, f"line {number}: {entry!r} is not a record path ({bad})")
            )
            return
        path = os.path.join(folder, *parts)
        if not is_inside(path, root):
            self.errors.append(
                RecordError(records_file, f"line {number}: {entry!r} lies outside the folder")
            )
        elif os.path.isdir(path):
            self.folder(path, root)
        elif _is_single_file(path) and os.path.isfile(path):
            self.add(path, root)
        elif os.path.isfile(path + ".hea"):
            self.add(path + ".hea", root)
        elif path.endswith(".hea") and os.path.isfile(path):
            self.add(path, root)
        else:
            self.errors.append(
                RecordError(
                    records_file, f"line {number}: record {entry!r} is listed but not found"
                )
            )


def find_records(paths: list[str]) -> tuple[list[RecordRef], list[RecordError]]:
    """Find the records that a list of paths names.

    Each path may be a ``.hea`` header, a record path without extension
    (``data/mitdb/100``), an ``.edf``/``.bdf``, ISHNE ``.ecg``, aECG ``.xml``
    or ``.csv`` file, a ``RECORDS`` file, or a folder. Folders are
    searched recursively (hidden entries skipped); a folder that holds a
    PhysioNet ``RECORDS`` file lists its records (and sub-folders) there, and
    nothing else below it is searched.

    Parameters
    ----------
    paths : list of str
        What the user named.

    Returns
    -------
    refs : list of RecordRef
        Sorted by path, without duplicates (the first mention wins).
    errors : list of RecordError
        One per path (or ``RECORDS`` line) that names no record.
    """
    finder = _Finder()
    for given in paths:
        try:
            finder.path(os.fspath(given))
        except OSError as exc:
            finder.errors.append(RecordError(str(given), f"cannot be read ({exc.strerror or exc})"))
    return sorted(finder.refs.values(), key=lambda r: r.path), finder.errors
