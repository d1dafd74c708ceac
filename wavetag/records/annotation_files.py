"""Annotation sets as files: WFDB annotation files (``wfdb.rdann`` reads them), CSV and JSON.

WFDB files hold the standard beat and rhythm codes only; a label outside that table (an
EDF+ event, a project's own word) is written as a comment annotation (``"``) whose note
is the label, so that nothing is dropped. They hold bytes, which readers decode as
Latin-1: text outside ASCII cannot be carried faithfully, so such a set is refused as
WFDB (naming the first such label) and left to the CSV and JSON exports, which keep it.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import wfdb
from wfdb.io.annotation import ann_label_table

from wavetag.errors import InvalidInput

from .models import Annotation, AnnotationSet

WFDB_SYMBOLS = frozenset(str(s) for s in ann_label_table["symbol"])
COMMENT = '"'
CSV_COLUMNS = ["time", "sample", "symbol", "aux", "channel", "duration", "subtype", "num"]
# File extensions of recordings: a set named like one (EDF+ annotations are the set "edf")
# would be downloaded as a file that replaces the recording beside it.
RECORDING_EXTENSIONS = frozenset(
    {"edf", "bdf", "rec", "dat", "hea", "mat", "csv", "xml", "dcm", "dicom", "ecg", "scp"}
)
# Spreadsheet programs run cells starting with these as formulas. A lone "+" or "-" is a
# WFDB code (rhythm change) and runs nothing, so it is kept as it is.
_FORMULA = re.compile(r"^([=@\t\r]|[+-].)", re.DOTALL)
_NAME = re.compile(r"[^A-Za-z0-9_]")


def file_stem(aset: AnnotationSet) -> tuple[str, str]:
    """(record name, extension) for the file: ``100.atr`` for set ``atr`` of record 100;
    ``r01.edfann`` for the set ``edf`` of record r01, never the recording's own name."""
    record = _NAME.sub("_", aset.record.name.rsplit("/", 1)[-1]) or "record"
    extension = _NAME.sub("_", aset.name) or "ann"
    if extension.lower() in RECORDING_EXTENSIONS:
        extension += "ann"
    return record, extension


Row = tuple[float, int | None, str, str, int, int, int, float]


def _rows(aset: AnnotationSet) -> Iterator[Row]:
    yield from (
        Annotation.objects.filter(annotation_set=aset)
        .order_by("time", "id")
        .values_list("time", "sample", "symbol", "aux_note", "chan", "subtype", "num", "duration")
        .iterator(chunk_size=10_000)
    )


def _not_ascii(aset: AnnotationSet) -> tuple[int, float, str] | None:
    """How many labels hold text outside ASCII, with the first one's time and text."""
    count, first = 0, None
    for time, _sample, symbol, note, *_ in _rows(aset):
        text = f"{symbol} {note}".strip()
        if not text.isascii():
            count += 1
            first = first or (float(time), text)
    return (count, *first) if first else None


def _with_segment_ends(aset: AnnotationSet, fs: float) -> Iterator[Row]:
    """The set's rows plus, for each rhythm segment drawn with a length (a ``+`` row with a
    ``duration``), the rhythm change at its end back to the rhythm in effect before it:
    WFDB knows rhythm changes only. No closing change is written where another rhythm
    change starts at that very sample."""
    changes = list(
        Annotation.objects.filter(annotation_set=aset, symbol="+")
        .order_by("time", "id")
        .values_list("time", "sample", "aux_note", "chan", "duration")
    )
    if not any(d > 0 for *_, d in changes):
        yield from _rows(aset)
        return
    starts = {int(s) if s is not None else round(t * fs) for t, s, *_ in changes}
    current = "(N"
    pending: list[tuple[float, str]] = []  # (end time, rhythm it restores)
    ends: list[Row] = []
    for time, _sample, note, chan, duration in changes:
        while pending and pending[0][0] <= time:
            current = pending.pop(0)[1]
        if duration > 0:
            end = time + duration
            pending.append((end, current))
            pending.sort()
            end_sample = round(end * fs) if fs else 0
            if end_sample not in starts:
                ends.append((end, end_sample, "+", current, chan, 0, 0, 0.0))
        current = note or current
    yield from sorted([*_rows(aset), *ends], key=lambda r: r[0])


def _set_fs(aset: AnnotationSet) -> float:
    if aset.fs:
        return float(aset.fs)
    channel = aset.record.channels.order_by("index").first()
    return float(channel.fs) if channel is not None else 0.0


def export_wfdb(aset: AnnotationSet) -> bytes:
    """The set as the bytes of a WFDB annotation file (written by ``wfdb.wrann``).

    Samples are at the set's frequency (the record's first channel for sets without one);
    a mark imported without a sample number (EDF+) gets the nearest sample to its time.
    A set with text outside ASCII is refused (:class:`~wavetag.errors.InvalidInput`).
    """
    found = _not_ascii(aset)
    if found is not None:
        count, at, text = found
        raise InvalidInput(
            f"format: {count} label{'s' if count > 1 else ''} of set {aset.name!r} hold text "
            f"outside ASCII (the first: {text!r} at {at:.3f} s), which a WFDB annotation file "
            "cannot carry (its readers decode bytes as Latin-1); format=csv and format=json "
            "keep it"
        )
    fs = _set_fs(aset)
    samples: list[int] = []
    symbols: list[str] = []
    aux: list[str] = []
    subtypes: list[int] = []
    chans: list[int] = []
    nums: list[int] = []
    for time, sample, symbol, note, chan, subtype, num, _duration in _with_segment_ends(aset, fs):
        if sample is None:
            sample = round(time * fs) if fs else 0
        if symbol not in WFDB_SYMBOLS or symbol == "":
            note = f"{symbol} {note}".strip()
            symbol = COMMENT
        samples.append(max(0, int(sample)))
        symbols.append(symbol)
        aux.append(note)
        subtypes.append(int(subtype))
        chans.append(int(chan))
        nums.append(int(num))
    order = np.argsort(np.asarray(samples, np.int64), kind="stable")
    record, _ = file_stem(aset)
    # wrann takes letters only as extension (a working set is named like ``atr-ann``); the
    # extension is not inside the file, so any will do here and the download names it.
    extension = "ann"
    with tempfile.TemporaryDirectory(prefix="wavetag-export-") as folder:
        if samples:
            wfdb.wrann(
                record,
                extension,
                np.asarray(samples, np.int64)[order],
                symbol=[symbols[i] for i in order],
                subtype=np.asarray(subtypes, np.int64)[order],
                chan=np.asarray(chans, np.int64)[order],
                num=np.asarray(nums, np.int64)[order],
                aux_note=[aux[i] for i in order],
                fs=fs or None,
                write_dir=folder,
            )
            return (Path(folder) / f"{record}.{extension}").read_bytes()
    # An empty set: a file holding only the end-of-file mark.
    return b"\x00\x00"


def _cell(value: str) -> str:
    return "'" + value if _FORMULA.match(value) else value


def export_csv(aset: AnnotationSet) -> str:
    """One row per annotation: time (s), sample, symbol, aux note, channel, duration (s, 0
    for a point), WFDB subtype and num."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for time, sample, symbol, note, chan, subtype, num, duration in _rows(aset):
        writer.writerow(
            [
                repr(float(time)),
                "" if sample is None else sample,
                _cell(symbol),
                _cell(note),
                chan,
                repr(float(duration)),
                subtype,
                num,
            ]
        )
    return out.getvalue()


def export_json(aset: AnnotationSet) -> dict[str, object]:
    """The set as JSON: what it is (record, its dataset with provenance and licence, name,
    origin, sampling frequency) and one item per annotation with the CSV's fields; text
    kept as it is, whatever its script."""
    items = [
        {
            "time": float(time),
            "sample": sample,
            "symbol": symbol,
            "aux": note,
            "channel": chan,
            "duration": float(duration),
            "subtype": subtype,
            "num": num,
        }
        for time, sample, symbol, note, chan, subtype, num, duration in _rows(aset)
    ]
    return {
        "record": aset.record.name,
        "dataset": aset.record.dataset.about(),
        "set": aset.name,
        "origin": aset.origin,
        "fs": _set_fs(aset) or None,
        "count": len(items),
        "items": items,
    }
