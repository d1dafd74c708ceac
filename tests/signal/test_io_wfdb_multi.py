"""Multi-segment WFDB records (MIMIC layout) built here from segments of mitdb/100,
read as one record and compared with ``wfdb.rdrecord(..., m2s=True)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.io import find_records, open_recording
from wavetag.signal.recording import RecordError

FS = 360


def _segment(folder: Path, name: str, d_signal: np.ndarray, names: list[str]) -> None:
    wfdb.wrsamp(
        name,
        fs=FS,
        units=["mV"] * len(names),
        sig_name=names,
        d_signal=d_signal,
        fmt=["212"] * len(names),
        adc_gain=[200.0] * len(names),
        baseline=[1024] * len(names),
        write_dir=str(folder),
    )


def _mitdb_100(data_dir: Path, n: int) -> np.ndarray:
    return np.asarray(wfdb.rdrecord(str(data_dir / "mitdb/100"), sampto=n, physical=False).d_signal)


def write_fixed(folder: Path, data_dir: Path) -> np.ndarray:
    """Three segments of mitdb/100 (MLII, V5) in a fixed layout."""
    d = _mitdb_100(data_dir, 3 * 3600)
    for i in range(3):
        _segment(folder, f"fix_{i + 1}", d[i * 3600 : (i + 1) * 3600], ["MLII", "V5"])
    lines = ["fix/3 2 360 10800", "fix_1 3600", "fix_2 3600", "fix_3 3600"]
    (folder / "fix.hea").write_text("\n".join(lines) + "\n")
    return d


def write_variable(folder: Path, data_dir: Path) -> None:
    """mitdb/100 cut in a variable layout: both leads, a gap, then MLII alone."""
    d = _mitdb_100(data_dir, 8000)
    _segment(folder, "var_1", d[:3600], ["MLII", "V5"])
    _segment(folder, "var_2", d[4000:8000, :1], ["MLII"])
    (folder / "var_layout.hea").write_text(
        "var_layout 2 360 0\n~ 0 200/mV 11 1024 0 0 0 MLII\n~ 0 200/mV 11 1024 0 0 0 V5\n"
    )
    lines = ["var/4 2 360 8000", "var_layout 0", "var_1 3600", "~ 400", "var_2 4000"]
    (folder / "var.hea").write_text("\n".join(lines) + "\n")


def _read_all(source) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    blocks = list(source.iter_blocks(3.0))
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(source.channels))]


class TestMultiSegmentFidelity:
    def test_fixed_layout_matches_wfdb(self, data_dir: Path, tmp_path: Path) -> None:
        d = write_fixed(tmp_path, data_dir)
        reference = wfdb.rdrecord(str(tmp_path / "fix"), m2s=True, physical=False)
        source = open_recording(tmp_path / "fix.hea")
        assert source.format == "wfdb" and source.name == "fix"
        assert [c.name for c in source.channels] == ["MLII", "V5"]
        assert source.duration == pytest.approx(30.0)
        for i, samples in enumerate(_read_all(source)):
            np.testing.assert_array_equal(samples, reference.d_signal[:, i])
            np.testing.assert_array_equal(samples, d[:, i])

    def test_variable_layout_with_gap_matches_wfdb(self, data_dir: Path, tmp_path: Path) -> None:
        write_variable(tmp_path, data_dir)
        reference = wfdb.rdrecord(str(tmp_path / "var"), m2s=True, physical=False)
        physical = wfdb.rdrecord(str(tmp_path / "var"), m2s=True)
        source = open_recording(tmp_path / "var.hea")
        channels = source.channels
        assert [c.name for c in channels] == ["MLII", "V5"]
        assert [c.invalid for c in channels] == [-2048, -2048]
        samples = _read_all(source)
        for i, values in enumerate(samples):
            assert len(values) == 8000
            np.testing.assert_array_equal(values, reference.d_signal[:, i])
            # Invalid samples are NaN in physical units, as wfdb's are.
            mv = (values - channels[i].baseline) / channels[i].gain
            mv = np.where(values == channels[i].invalid, np.nan, mv)
            np.testing.assert_allclose(mv, physical.p_signal[:, i], atol=1 / 200)
        assert (samples[0][3600:4000] == -2048).all() and (samples[1][3600:] == -2048).all()
        assert (samples[0][4000:] != -2048).any()

    def test_folder_lists_the_master_only(self, data_dir: Path, tmp_path: Path) -> None:
        write_fixed(tmp_path, data_dir)
        write_variable(tmp_path, data_dir)
        refs, errors = find_records([str(tmp_path)])
        assert [r.name for r in refs] == ["fix", "var"] and not errors


class TestMultiSegmentRefusal:
    def test_missing_segment(self, data_dir: Path, tmp_path: Path) -> None:
        write_fixed(tmp_path, data_dir)
        (tmp_path / "fix_2.hea").unlink()
        with pytest.raises(RecordError, match=r"fix\.hea: segment fix_2 not found"):
            open_recording(tmp_path / "fix.hea")

    def test_segment_length_disagrees(self, data_dir: Path, tmp_path: Path) -> None:
        write_fixed(tmp_path, data_dir)
        text = (tmp_path / "fix.hea").read_text().replace("fix_3 3600", "fix_3 3000")
        (tmp_path / "fix.hea").write_text(text)
        with pytest.raises(RecordError, match=r"fix\.hea: .*segments add up to 10200"):
            open_recording(tmp_path / "fix.hea")

    def test_broken_segment_is_named(self, data_dir: Path, tmp_path: Path) -> None:
        write_fixed(tmp_path, data_dir)
        data = (tmp_path / "fix_2.dat").read_bytes()
        (tmp_path / "fix_2.dat").write_bytes(data[:1000])
        with pytest.raises(RecordError, match=r"fix\.hea: segment fix_2: .*too short"):
            open_recording(tmp_path / "fix.hea")

    def test_gain_change_between_segments(self, data_dir: Path, tmp_path: Path) -> None:
        write_variable(tmp_path, data_dir)
        text = (tmp_path / "var_2.hea").read_text().replace(" 200.0(1024)/mV", " 100.0(1024)/mV")
        (tmp_path / "var_2.hea").write_text(text)
        with pytest.raises(RecordError, match=r"var\.hea: signal 'MLII' changes gain"):
            open_recording(tmp_path / "var.hea")

    def test_layout_disagrees_with_master(self, data_dir: Path, tmp_path: Path) -> None:
        write_variable(tmp_path, data_dir)
        (tmp_path / "var_layout.hea").write_text(
            "var_layout 1 360 0\n~ 0 200/mV 11 1024 0 0 0 MLII\n"
        )
        with pytest.raises(RecordError, match=r"var\.hea: .*its layout var_layout lists 1"):
            open_recording(tmp_path / "var.hea")

    def test_gap_in_fixed_layout(self, data_dir: Path, tmp_path: Path) -> None:
        write_fixed(tmp_path, data_dir)
        text = (tmp_path / "fix.hea").read_text().replace("fix_2 3600", "~ 3600")
        (tmp_path / "fix.hea").write_text(text)
        with pytest.raises(RecordError, match=r"fix\.hea: a fixed-layout record cannot have gaps"):
            open_recording(tmp_path / "fix.hea")


class TestMultiSegmentPatientInfo:
    def test_master_comments_kept_only_when_asked(self, data_dir: Path, tmp_path: Path) -> None:
        write_fixed(tmp_path, data_dir)
        with open(tmp_path / "fix.hea", "a") as f:
            f.write("# age: 69\n")
        assert open_recording(tmp_path / "fix.hea").patient_info == {}
        kept = open_recording(tmp_path / "fix.hea", keep_patient_info=True)
        assert kept.patient_info == {"age": "69"}
