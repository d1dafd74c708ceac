"""The CSV reader, on files written here from mitdb/100 and on broken files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.io import find_records, open_recording
from wavetag.signal.recording import RecordError, RecordingSource

SECONDS = 60
FS = 360


@pytest.fixture(scope="module")
def mitdb_100(data_dir: Path) -> np.ndarray:
    """The first minute of mitdb/100 in mV, as wfdb reads it (multiples of 1/200 mV)."""
    return wfdb.rdrecord(str(data_dir / "mitdb/100"), sampto=FS * SECONDS).p_signal


def read_all(source: RecordingSource, seconds: float = 60.0) -> list[np.ndarray]:
    blocks = list(source.iter_blocks(seconds))
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(source.channels))]


def physical(source: RecordingSource) -> list[np.ndarray]:
    return [
        (samples - c.baseline) / c.gain
        for samples, c in zip(read_all(source), source.channels, strict=True)
    ]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


class TestCsvFidelity:
    def test_mitdb_100_with_time_column_matches_wfdb(
        self, tmp_path: Path, mitdb_100: np.ndarray
    ) -> None:
        lines = ["time,MLII (mV),V5 (mV)"]
        lines += [f"{i / FS:.6f},{a:.3f},{b:.3f}" for i, (a, b) in enumerate(mitdb_100)]
        source = open_recording(write(tmp_path / "100.csv", "\n".join(lines) + "\n"))
        assert source.format == "csv" and source.warnings == []
        assert [(c.name, c.units, c.fs, c.gain) for c in source.channels] == [
            ("MLII", "mV", 360.0, 1000.0),
            ("V5", "mV", 360.0, 1000.0),
        ]
        assert source.duration == SECONDS
        blocks = list(source.iter_blocks(1.0))
        assert len(blocks) == SECONDS and all(len(b[0]) == FS for b in blocks)
        for got, expected in zip(physical(source), mitdb_100.T, strict=True):
            np.testing.assert_array_equal(got, expected)

    def test_physiobank_export_layout(self, tmp_path: Path, mitdb_100: np.ndarray) -> None:
        # PhysioBank ATM writes quoted names, a units row and m:ss.mmm times (3 decimals
        # at 360 Hz: the steps alternate between 2 and 3 ms).
        lines = ["'Elapsed time','MLII','V5'", "'hh:mm:ss.mmm','mV','mV'"]
        for i, (a, b) in enumerate(mitdb_100):
            minutes, seconds = divmod(i / FS, 60)
            lines.append(f"'{int(minutes)}:{seconds:06.3f}',{a:.3f},{b:.3f}")
        source = open_recording(write(tmp_path / "100.csv", "\n".join(lines)))
        assert [(c.name, c.units, c.fs) for c in source.channels] == [
            ("MLII", "mV", 360.0),
            ("V5", "mV", 360.0),
        ]
        for got, expected in zip(physical(source), mitdb_100.T, strict=True):
            np.testing.assert_array_equal(got, expected)

    def test_rate_given_without_time_column(self, tmp_path: Path, mitdb_100: np.ndarray) -> None:
        lines = [f"{a:.3f};{b:.3f}" for a, b in mitdb_100[:3600]]
        path = write(tmp_path / "100.csv", "\n".join(lines))
        source = open_recording(path, csv_fs=360)
        assert [(c.name, c.units, c.fs) for c in source.channels] == [
            ("ch1", "mV", 360.0),
            ("ch2", "mV", 360.0),
        ]
        assert any("units not given" in w for w in source.warnings)
        for got, expected in zip(physical(source), mitdb_100[:3600].T, strict=True):
            np.testing.assert_array_equal(got, expected)

    def test_sidecar_gives_rate_and_units(self, tmp_path: Path) -> None:
        path = write(tmp_path / "abp.csv", "ABP,PLETH\n80.5,0.25\n81,0.5\n82.25,1e-3\n")
        write(tmp_path / "abp.csv.json", json.dumps({"fs": 125, "units": {"ABP": "mmHg"}}))
        source = open_recording(path)
        assert [(c.name, c.units, c.fs, c.gain) for c in source.channels] == [
            ("ABP", "mmHg", 125.0, 100.0),
            ("PLETH", "mV", 125.0, 1000.0),
        ]
        abp, pleth = read_all(source)
        assert abp.tolist() == [8050, 8100, 8225] and pleth.tolist() == [250, 500, 1]
        assert str(tmp_path / "abp.csv.json") in source.files

    def test_large_values_use_32_bits(self, tmp_path: Path) -> None:
        source = open_recording(write(tmp_path / "big.csv", "t,x\n0,123.456\n0.5,-99.001\n"))
        assert source.channels[0].dtype == "int32" and source.channels[0].fs == 2.0
        assert read_all(source)[0].tolist() == [123456, -99001]

    def test_trailing_delimiter_is_no_column(self, tmp_path: Path) -> None:
        source = open_recording(write(tmp_path / "x.csv", "time,II,\n0,1.5,\n0.004,2,\n"))
        assert [(c.name, c.fs) for c in source.channels] == [("II", 250.0)]
        assert read_all(source)[0].tolist() == [15, 20]
        # A last line without the delimiter is still whole; a value after it is not.
        assert open_recording(write(tmp_path / "y.csv", "time,II,\n0,1,\n0.004,2\n")).duration
        with pytest.raises(RecordError, match="row 3 has 3 cells where the first row has 2"):
            open_recording(write(tmp_path / "z.csv", "time,II,\n0,1.5,\n0.004,2,3\n"))

    def test_folder_scan_needs_the_sidecar(self, tmp_path: Path) -> None:
        write(tmp_path / "a.csv", "time,x\n0,1\n0.5,2\n")
        write(tmp_path / "table.csv", "id,age\n1,2\n")
        assert find_records([str(tmp_path)])[0] == []
        write(tmp_path / "a.csv.json", "{}")
        refs, errors = find_records([str(tmp_path)])
        assert [(r.name, r.kind) for r in refs] == [("a", "csv")] and not errors
        refs, errors = find_records([str(tmp_path / "table.csv")])
        assert [r.kind for r in refs] == ["csv"] and not errors


class TestCsvRefusals:
    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("", "file is empty"),
            ("\n\n", "file is empty"),
            ("time,II\n", "has no data rows"),
            ("time,II\n0,1\n0.002,x\n", "row 3, column 2 (II): 'x' is no number"),
            ("time,II\n0,1\n0.002,\n", "row 3, column 2 (II): '' is no number"),
            ("time,II\n0,1\n0.002,nan\n", "row 3, column 2 (II): 'nan' is no finite"),
            ("time,II\n0,1\n0.002,2,3\n", "row 3 has 3 cells where the first row has 2"),
            ("time,II\n0,1\n0.002\n", "row 3 has 1 cells"),
            ("time\n0\n0.002\n", "no numeric columns"),
            ("time,II\n0,1\n0.002,1\n0.004,1\n0.008,1\n", "row 5: irregular sampling"),
            ("time,II\n0,1\n0.002,1\n0.002,1\n", "row 4: time 0.002 does not increase"),
            ("0,1\n0.002,1\n0.001,1\n", "give the sampling rate"),
            ("II\n1\n2\n", "no time column and no sampling rate"),
            ("II (mV),V5 (mV)\n1,2\n3,4\n", "no time column and no sampling rate"),
            ("time,II\n0,1\n", "one row cannot give a sampling rate"),
            ("time (h),II\n0,1\n1,2\n", "time column unit 'h'"),
        ],
    )
    def test_refused(self, tmp_path: Path, text: str, fragment: str) -> None:
        path = write(tmp_path / "bad.csv", text)
        with pytest.raises(RecordError) as info:
            open_recording(path)
        message = str(info.value)
        assert message.startswith(str(path)) and fragment in message and "\n" not in message

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.csv"
        path.write_bytes(b"time,II\n0,1\n\xff\xfe,2\n")
        with pytest.raises(RecordError, match="not UTF-8"):
            open_recording(path)

    @pytest.mark.parametrize(
        ("sidecar", "fragment"),
        [
            ("{", "is not valid JSON"),
            ('{"fs": "fast"}', "fs 'fast' is not a number"),
            ('{"fs": 500, "gain": 2}', "unknown keys ['gain']"),
            ('{"units": 3}', "units must be"),
        ],
    )
    def test_bad_sidecar(self, tmp_path: Path, sidecar: str, fragment: str) -> None:
        path = write(tmp_path / "x.csv", "1\n2\n")
        write(tmp_path / "x.csv.json", sidecar)
        with pytest.raises(RecordError) as info:
            open_recording(path)
        assert str(tmp_path / "x.csv.json") in str(info.value) and fragment in str(info.value)

    @pytest.mark.parametrize("fs", [0.0, -1.0, float("nan"), 1e9])
    def test_nonsense_rate(self, tmp_path: Path, fs: float) -> None:
        path = write(tmp_path / "x.csv", "1\n2\n")
        with pytest.raises(RecordError, match="sampling rate"):
            open_recording(path, csv_fs=fs)

    def test_given_rate_must_agree_with_time_column(self, tmp_path: Path) -> None:
        path = write(tmp_path / "x.csv", "time,II\n0,1\n0.002,1\n0.004,1\n")
        assert open_recording(path, csv_fs=500).channels[0].fs == 500
        with pytest.raises(RecordError, match="gives 500 Hz but the sampling rate given is 250"):
            open_recording(path, csv_fs=250)
