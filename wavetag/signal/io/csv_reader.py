"""Reader for waveforms in CSV files: one row per sample, one column per channel.

What the file says:

- an optional header row; a cell such as ``II (mV)`` or ``II [mV]`` names the
  channel and its units. A second row of text under it is read as the units
  (PhysioBank ATM exports: ``'Elapsed time','MLII'`` then ``'hh:mm:ss.mmm','mV'``);
- a time column, named ``time``, ``t``, ``elapsed time``, ``seconds`` or
  ``timestamp`` (seconds, or ``ms`` in its units, or ``h:mm:ss.fff`` text), from
  which the sampling rate is derived. Without a named time column and without a
  given rate, the first column is taken as time if it increases;
- cells separated by commas (or, when the first row has none, tabs or semicolons).

What it cannot say is given beside it, in ``NAME.csv.json`` (``{"fs": 500,
"units": {"II": "mV"}}``, or ``"units": "mV"`` for every column), or as
``open_recording(..., csv_fs=500)`` (``wavetag import --fs 500``). Units default
to mV, as in WFDB, with a warning.

Samples are stored as integers: each column's gain is ``10 ** decimals``, with the
most decimals written in that column, so every value comes back exactly as its
text. Opening reads the whole file once (every row is checked: column count,
numbers, regular time); blocks are then parsed again on demand, so memory stays
bounded for any length.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wavetag.signal.io.annotations import read_annotations_beside
from wavetag.signal.io.paths import is_inside
from wavetag.signal.io.source import MAX_BLOCK_SAMPLES, Block, Recording
from wavetag.signal.recording import ChannelInfo, RecordError

TIME_NAMES = frozenset({"time", "t", "elapsed time", "seconds", "timestamp", "time_s", "sec"})
MAX_FS = 100_000.0
MAX_COLUMNS = 1024
MAX_SIDECAR_BYTES = 1 << 20
INT32_MAX = 2**31 - 1
INT16_MAX = 32767
# Steps of the time column may differ by the rounding of its text, or by this
# fraction of the first step, before the sampling is called irregular.
STEP_TOLERANCE = 0.1
_UNITS_RE = re.compile(r"^(.*?)\s*[(\[]\s*([^)\]]*?)\s*[)\]]$")
_CLOCK_RE = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)$")
_TIME_UNITS = {"s": 1.0, "sec": 1.0, "seconds": 1.0, "ms": 1e-3, "hh:mm:ss.mmm": 1.0}


def _clean(cell: str) -> str:
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] == "'":
        cell = cell[1:-1].strip()
    return cell


def _decimals(text: str) -> int:
    """Decimals that write ``text`` exactly as an integer over a power of ten."""
    mantissa, _, exponent = text.lower().partition("e")
    digits = len(mantissa.partition(".")[2])
    return max(0, digits - (int(exponent) if exponent else 0))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return _CLOCK_RE.match(text) is not None
    return True


def _seconds(text: str) -> float:
    clock = _CLOCK_RE.match(text)
    if clock:
        hours, minutes, seconds = clock.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    return float(text)


@dataclass
class _Layout:
    delimiter: str
    header_rows: int
    names: list[str]
    units: list[str | None]
    time_column: int | None
    time_guessed: bool
    trailing: bool


@dataclass
class CsvRecording(Recording):
    """A validated CSV file; see :class:`~wavetag.signal.recording.RecordingSource`."""

    delimiter: str = ","
    header_rows: int = 0
    columns: list[int] = field(default_factory=list)
    n_rows: int = 0
    fs: float = 1.0

    def _blocks(self, seconds: float) -> Iterator[Block]:
        per_block = max(1, min(round(seconds * self.fs), MAX_BLOCK_SAMPLES))
        gains = np.array([c.gain for c in self.channels])
        dtypes = [np.int16 if c.dtype == "int16" else np.int32 for c in self.channels]
        seen = 0
        with open(self.path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            for _ in range(self.header_rows):
                next(reader, None)
            rows: list[list[str]] = []
            for row in reader:
                if not row or not any(c.strip() for c in row):
                    continue
                rows.append([_clean(row[c]) for c in self.columns])
                if len(rows) == per_block:
                    yield self._convert(rows, gains, dtypes)
                    seen += len(rows)
                    rows = []
            if rows:
                seen += len(rows)
                yield self._convert(rows, gains, dtypes)
        if seen != self.n_rows:
            raise RecordError(self.path, "file changed while read (row count differs)")

    def _convert(self, rows: list[list[str]], gains: Any, dtypes: list[Any]) -> Block:
        try:
            values = np.array(rows, dtype=np.float64)
        except ValueError:
            raise RecordError(self.path, "file changed while read (a cell is no number)") from None
        digital = np.rint(values * gains)
        return [digital[:, i].astype(dtypes[i]) for i in range(len(self.columns))]


def _sidecar(path: str) -> tuple[float | None, dict[str, str] | str | None, str | None]:
    side = path + ".json"
    if not os.path.isfile(side):
        return None, None, None
    try:
        if os.path.getsize(side) > MAX_SIDECAR_BYTES:
            raise RecordError(side, "is larger than 1 MiB")
        with open(side, encoding="utf-8") as f:
            data = json.load(f)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(side, f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise RecordError(side, 'must be a JSON object such as {"fs": 500}')
    unknown = set(data) - {"fs", "units"}
    if unknown:
        raise RecordError(side, f"unknown keys {sorted(unknown)}; only fs and units are read")
    fs = data.get("fs")
    if fs is not None and (isinstance(fs, bool) or not isinstance(fs, int | float)):
        raise RecordError(side, f"fs {fs!r} is not a number")
    units = data.get("units")
    if units is not None and not (
        isinstance(units, str)
        or (isinstance(units, dict) and all(isinstance(v, str) for v in units.values()))
    ):
        raise RecordError(side, 'units must be a string or {"column": "unit", ...}')
    return (float(fs) if fs is not None else None), units, side


def _layout(path: str, fs_given: bool) -> _Layout:
    with open(path, encoding="utf-8-sig", newline="") as f:
        first_line = f.readline()
        if not first_line.strip():
            raise RecordError(path, "file is empty")
        delimiter = ","
        if "," not in first_line:
            delimiter = "\t" if "\t" in first_line else ";" if ";" in first_line else ","
        f.seek(0)
        reader = csv.reader(f, delimiter=delimiter)
        head = [[_clean(c) for c in row] for row in (next(reader, []), next(reader, []))]
    first, second = head
    # Some exporters end every line with the delimiter: an empty last cell, not a column.
    trailing = len(first) > 1 and first[-1] == ""
    if trailing:
        first, second = first[:-1], second[:-1] if second and second[-1] == "" else second
    if len(first) > MAX_COLUMNS:
        raise RecordError(path, f"has {len(first)} columns; at most {MAX_COLUMNS} are read")
    header_rows = 0
    names = [f"ch{i + 1}" for i in range(len(first))]
    units: list[str | None] = [None] * len(first)
    if not all(_is_number(c) for c in first):
        header_rows = 1
        for i, cell in enumerate(first):
            match = _UNITS_RE.match(cell)
            names[i], units[i] = (match.group(1), match.group(2)) if match else (cell, None)
            names[i] = names[i] or f"ch{i + 1}"
        if second and len(second) == len(first) and not any(_is_number(c) for c in second if c):
            header_rows = 2
            units = [u or None for u in second]
    time_column = next((i for i, n in enumerate(names) if n.lower() in TIME_NAMES), None)
    guessed = False
    first_unit = (units[0] or "s").lower() if units else "s"
    # A first column in units of its own (``II (mV)``) is a signal, never a guessed time.
    if time_column is None and not fs_given and len(first) > 1 and first_unit in _TIME_UNITS:
        time_column, guessed = 0, True
    return _Layout(delimiter, header_rows, names, units, time_column, guessed, trailing)


def open_csv(path: str, root: str, *, fs: float | None = None) -> CsvRecording:
    """Open and validate a CSV file of samples.

    Parameters
    ----------
    path : str
        The ``.csv`` file.
    root : str
        The imported folder; the file must lie inside it.
    fs : float, optional
        Sampling rate in Hz, for files without a time column; overrides the
        sidecar's.

    Raises
    ------
    RecordError
        On the first problem found, naming the file, and the row and column
        where there is one.
    """
    if not is_inside(path, root):
        raise RecordError(path, "lies outside the imported folder")
    if os.path.getsize(path) == 0:
        raise RecordError(path, "file is empty")
    side_fs, side_units, side = _sidecar(path)
    fs = fs if fs is not None else side_fs
    if fs is not None and not (math.isfinite(fs) and 0 < fs <= MAX_FS):
        raise RecordError(path, f"sampling rate {fs} Hz is not a positive rate up to {MAX_FS:g}")
    try:
        layout = _layout(path, fs is not None)
        return _scan(path, layout, fs, side_units, side)
    except UnicodeDecodeError:
        raise RecordError(path, "is not UTF-8 text") from None
    except csv.Error as exc:
        raise RecordError(path, f"is not valid CSV ({exc})") from None


def _scan(
    path: str,
    layout: _Layout,
    fs: float | None,
    side_units: dict[str, str] | str | None,
    side: str | None,
) -> CsvRecording:
    n_columns = len(layout.names)
    tc = layout.time_column
    signal_columns = [i for i in range(n_columns) if i != tc]
    if not signal_columns:
        raise RecordError(path, "has no numeric columns besides time")
    time_scale = 1.0
    if tc is not None:
        unit = (layout.units[tc] or "s").lower()
        if unit not in _TIME_UNITS:
            raise RecordError(path, f"time column unit {layout.units[tc]!r} is not s or ms")
        time_scale = _TIME_UNITS[unit]
    decimals = [0] * n_columns
    peak = [0.0] * n_columns
    n_rows = 0
    t_first = t_prev = step0 = 0.0
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=layout.delimiter)
        for _ in range(layout.header_rows):
            next(reader, None)
        for raw in reader:
            if not raw or not any(c.strip() for c in raw):
                continue
            row = reader.line_num
            if layout.trailing and len(raw) == n_columns + 1 and not raw[-1].strip():
                raw = raw[:-1]
            if len(raw) != n_columns:
                raise RecordError(
                    path, f"row {row} has {len(raw)} cells where the first row has {n_columns}"
                )
            for i in signal_columns:
                text = _clean(raw[i])
                try:
                    value = float(text)
                except ValueError:
                    raise RecordError(
                        path,
                        f"row {row}, column {i + 1} ({layout.names[i]}): {text!r} is no number",
                    ) from None
                if not math.isfinite(value):
                    raise RecordError(
                        path,
                        f"row {row}, column {i + 1} ({layout.names[i]}): {text!r} is no "
                        "finite number",
                    )
                decimals[i] = max(decimals[i], _decimals(text))
                peak[i] = max(peak[i], abs(value))
            if tc is not None:
                text = _clean(raw[tc])
                try:
                    t = _seconds(text) * time_scale
                except ValueError:
                    raise RecordError(
                        path,
                        f"row {row}, column {tc + 1} ({layout.names[tc]}): {text!r} is no time",
                    ) from None
                decimals[tc] = max(decimals[tc], _decimals(text.rpartition(":")[2]))
                if n_rows == 0:
                    t_first = t
                elif t <= t_prev:
                    hint = (
                        "; without a time column give the sampling rate "
                        "(--fs, or fs in NAME.csv.json)"
                        if layout.time_guessed
                        else ""
                    )
                    raise RecordError(
                        path, f"row {row}: time {text} does not increase (column {tc + 1}){hint}"
                    )
                elif n_rows == 1:
                    step0 = t - t_prev
                else:
                    rounding = 1.5 * 10.0 ** -decimals[tc] * time_scale
                    if abs((t - t_prev) - step0) > max(STEP_TOLERANCE * step0, rounding):
                        raise RecordError(
                            path,
                            f"row {row}: irregular sampling, time steps by {t - t_prev:.6g} s "
                            f"after steps of {step0:.6g} s",
                        )
                t_prev = t
            n_rows += 1
    if n_rows == 0:
        raise RecordError(path, "has no data rows")
    warnings: list[str] = []
    if tc is not None:
        if n_rows < 2:
            raise RecordError(path, "one row cannot give a sampling rate; give fs")
        derived = _rate(n_rows, t_prev - t_first, 10.0 ** -decimals[tc] * time_scale)
        if fs is not None and abs(derived - fs) > 0.005 * fs:
            raise RecordError(
                path, f"time column gives {derived:g} Hz but the sampling rate given is {fs:g} Hz"
            )
        fs = fs if fs is not None else derived
        if not 0 < fs <= MAX_FS:
            raise RecordError(path, f"time column gives a rate of {fs:g} Hz")
    if fs is None:
        raise RecordError(
            path, "no time column and no sampling rate: give --fs, or fs in NAME.csv.json"
        )
    channels = []
    for index, column in enumerate(signal_columns):
        name = layout.names[column]
        dec = decimals[column]
        while dec > 0 and peak[column] * 10.0**dec > INT32_MAX:
            dec -= 1
        if peak[column] * 10.0**dec > INT32_MAX:
            raise RecordError(path, f"column {column + 1} ({name}): values too large")
        if dec < decimals[column]:
            warnings.append(
                f"column {name}: rounded to {dec} of its {decimals[column]} decimals "
                "to fit 32-bit samples"
            )
        units = _units(name, layout.units[column], side_units)
        if units is None:
            units = "mV"
            warnings.append(f"column {name}: units not given; taken as mV")
        wide = peak[column] * 10.0**dec > INT16_MAX
        channels.append(
            ChannelInfo(
                index=index,
                name=name,
                units=units,
                fs=fs,
                gain=10.0**dec,
                baseline=0.0,
                n_samples=n_rows,
                adc_resolution=0,
                dtype="int32" if wide else "int16",
            )
        )
    folder, file_name = os.path.split(path)
    duration = n_rows / fs
    beside = read_annotations_beside(folder, file_name, set(), fs, duration)
    return CsvRecording(
        path=path,
        name=os.path.splitext(file_name)[0],
        format="csv",
        channels=channels,
        span=duration,
        annotation_sets=beside,
        warnings=warnings,
        files=[path] + ([side] if side else []) + [os.path.join(folder, a.source) for a in beside],
        delimiter=layout.delimiter,
        header_rows=layout.header_rows,
        columns=signal_columns,
        n_rows=n_rows,
        fs=fs,
    )


def _units(name: str, in_header: str | None, side: dict[str, str] | str | None) -> str | None:
    if isinstance(side, str):
        return side
    if isinstance(side, dict) and name in side:
        return side[name]
    return in_header


def _rate(n_rows: int, span: float, resolution: float) -> float:
    """The rate the time column gives, rounded to a whole number of Hz when the
    rounding of the times written cannot tell the two apart."""
    fs = (n_rows - 1) / span
    uncertainty = fs * resolution / span
    whole = round(fs)
    return float(whole) if whole > 0 and abs(whole - fs) <= uncertainty + 1e-9 * fs else fs
