"""Finding records: files, record paths, folders and PhysioNet RECORDS files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.io import find_records, open_recording

ALL_RECORDS = [
    "broken/bad_checksum.hea",
    "broken/bad_header.edf",
    "broken/binary_junk.hea",
    "broken/empty.hea",
    "broken/garbage_fields.hea",
    "broken/missing_dat.hea",
    "broken/negative_fs.hea",
    "broken/nsig_mismatch.hea",
    "broken/truncated.edf",
    "broken/truncated_atr.hea",
    "broken/truncated_dat.hea",
    "challenge2015/v102s.hea",
    "challenge2015/v221l.hea",
    "edf/r01.edf",
    "edf/test_generator.edf",
    "mimicdb/03700181.hea",
    "mitdb/100.hea",
    "mitdb/105.hea",
    "mitdb/106.hea",
    "mitdb/107.hea",
    "ptbdb/s0010_re.hea",
    "ptbxl/00001_lr.hea",
]


def small_record(folder: Path, name: str, seconds: int = 2) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    signal = (np.arange(100 * seconds) % 50).astype(np.int16).reshape(-1, 1)
    wfdb.wrsamp(name, fs=100, units=["mV"], sig_name=["I"], d_signal=signal, fmt=["16"],
                adc_gain=[200.0], baseline=[0], write_dir=str(folder))  # fmt: skip


class TestWholeDataFolder:
    # The data folder grows (new folders appear): these name the records they expect and
    # where they stand among whatever else is found, never the folder's whole contents.
    def test_every_record_once_in_order(self, data_dir: Path) -> None:
        refs, errors = find_records([str(data_dir)])
        folders = {path.split("/")[0] for path in ALL_RECORDS}
        named_errors = [e for e in errors if Path(e.path).relative_to(data_dir).parts[0] in folders]
        assert named_errors == []
        found = [r.relpath for r in refs]
        assert len(found) == len(set(found))
        assert [path for path in found if path in ALL_RECORDS] == ALL_RECORDS
        assert all(r.root == str(data_dir) for r in refs)
        named = [r.name for r in refs if r.relpath in ALL_RECORDS]
        assert named[-3:] == ["107", "s0010_re", "00001_lr"]
        assert {r.kind for r in refs if r.path.endswith(".edf")} == {"edf"}

    def test_every_good_record_opens(self, data_dir: Path) -> None:
        refs, _ = find_records([str(data_dir)])
        good = [r for r in refs if r.relpath in ALL_RECORDS and not r.relpath.startswith("broken/")]
        opened = [open_recording(r).name for r in good]
        assert len(opened) == 11

    def test_duplicates_are_dropped(self, data_dir: Path) -> None:
        refs, errors = find_records(
            [str(data_dir / "mitdb"), str(data_dir / "mitdb/100.hea"), str(data_dir / "mitdb/100")]
        )
        assert errors == []
        assert [r.name for r in refs] == ["100", "105", "106", "107"]
        # The first mention decides the root.
        assert refs[0].root == str(data_dir / "mitdb")


class TestPathForms:
    def test_header_record_path_and_edf(self, data_dir: Path) -> None:
        refs, errors = find_records(
            [
                str(data_dir / "ptbxl/00001_lr.hea"),
                str(data_dir / "mimicdb/03700181"),
                str(data_dir / "edf/r01.edf"),
                str(data_dir / "edf/test_generator"),
            ]
        )
        assert errors == []
        assert [(r.name, r.kind, r.root) for r in refs] == [
            ("r01", "edf", str(data_dir / "edf")),
            ("test_generator", "edf", str(data_dir / "edf")),
            ("03700181", "wfdb", str(data_dir / "mimicdb")),
            ("00001_lr", "wfdb", str(data_dir / "ptbxl")),
        ]

    def test_upper_case_edf_extension(self, tmp_path: Path, data_dir: Path) -> None:
        (tmp_path / "R01.EDF").symlink_to(data_dir / "edf/r01.edf")
        (tmp_path / "other.Bdf").write_bytes(b"")
        refs, errors = find_records([str(tmp_path)])
        assert errors == []
        assert [(r.name, r.kind) for r in refs] == [("R01", "edf"), ("other", "edf")]

    def test_errors_are_returned_not_raised(self, data_dir: Path, tmp_path: Path) -> None:
        (tmp_path / "empty").mkdir()
        refs, errors = find_records(
            [
                str(tmp_path / "missing"),
                str(data_dir / "README.md"),
                str(data_dir / "mitdb/100.dat"),
                str(data_dir / "mitdb/100.atr"),
                str(tmp_path / "empty"),
                str(data_dir / "ptbxl"),
            ]
        )
        assert [r.name for r in refs] == ["00001_lr"]
        messages = [str(e) for e in errors]
        assert messages == [
            f"{tmp_path / 'missing'}: no such file, folder or record",
            f"{data_dir / 'README.md'}: is not a WFDB header (.hea), an EDF/BDF, DICOM "
            "(.dcm), SCP-ECG (.scp), ISHNE (.ecg), aECG (.xml) or CSV file, a record or a folder",
            f"{data_dir / 'mitdb/100.dat'}: is a signal file; name its header 100.hea instead",
            f"{data_dir / 'mitdb/100.atr'}: is not a WFDB header (.hea), an EDF/BDF, DICOM "
            "(.dcm), SCP-ECG (.scp), ISHNE (.ecg), aECG (.xml) or CSV file, a record or a folder",
            f"{tmp_path / 'empty'}: no WFDB, EDF, DICOM, SCP-ECG, ISHNE, aECG or CSV records "
            "in this folder",
        ]

    def test_hidden_folders_are_skipped(self, tmp_path: Path) -> None:
        small_record(tmp_path / ".cache", "h")
        small_record(tmp_path / "visible", "v")
        refs, _ = find_records([str(tmp_path)])
        assert [r.relpath for r in refs] == ["visible/v.hea"]

    def test_linked_folders_are_followed_once(self, tmp_path: Path, data_dir: Path) -> None:
        (tmp_path / "mitdb").symlink_to(data_dir / "mitdb")
        (tmp_path / "again").symlink_to(data_dir / "mitdb")
        (tmp_path / "loop").symlink_to(tmp_path)
        refs, errors = find_records([str(tmp_path)])
        assert errors == []
        assert [r.relpath for r in refs] == [f"again/{n}.hea" for n in (100, 105, 106, 107)]
        # Files reached through links stay inside the imported folder.
        source = open_recording(refs[0])
        assert source.files[0] == str(tmp_path / "again/100.hea")


class TestRecordsFile:
    def test_records_file_lists_what_is_imported(self, tmp_path: Path) -> None:
        for name in ("a", "b", "unlisted"):
            small_record(tmp_path, name)
        small_record(tmp_path / "p01", "deep")
        small_record(tmp_path / "p02", "inner")
        (tmp_path / "p02" / "RECORDS").write_text("inner\n")
        small_record(tmp_path / "p03", "never")
        (tmp_path / "RECORDS").write_text("b\na\n\np01/deep\np02/\n")
        refs, errors = find_records([str(tmp_path)])
        assert errors == []
        assert [r.relpath for r in refs] == ["a.hea", "b.hea", "p01/deep.hea", "p02/inner.hea"]
        assert all(r.root == str(tmp_path) for r in refs)
        assert open_recording(refs[2]).name == "deep"

    def test_naming_the_records_file_itself(self, tmp_path: Path) -> None:
        small_record(tmp_path, "a")
        small_record(tmp_path, "b")
        (tmp_path / "RECORDS").write_text("b\n")
        refs, errors = find_records([str(tmp_path / "RECORDS")])
        assert errors == [] and [r.relpath for r in refs] == ["b.hea"]

    def test_records_file_inside_a_searched_folder(self, tmp_path: Path) -> None:
        small_record(tmp_path / "db", "x")
        small_record(tmp_path / "db", "y")
        (tmp_path / "db" / "RECORDS").write_text("y\n")
        small_record(tmp_path / "other", "z")
        refs, errors = find_records([str(tmp_path)])
        assert errors == []
        assert [r.relpath for r in refs] == ["db/y.hea", "other/z.hea"]

    def test_edf_files_in_records(self, tmp_path: Path, data_dir: Path) -> None:
        (tmp_path / "r01.edf").symlink_to(data_dir / "edf/r01.edf")
        (tmp_path / "RECORDS").write_text("r01.edf\n")
        refs, errors = find_records([str(tmp_path)])
        assert errors == [] and [r.name for r in refs] == ["r01"]

    def test_bad_lines(self, tmp_path: Path) -> None:
        small_record(tmp_path / "in", "ok")
        small_record(tmp_path, "outside")
        (tmp_path / "in" / "RECORDS").write_text("ok\n../outside\n/etc/passwd\nmissing\n")
        refs, errors = find_records([str(tmp_path / "in")])
        assert [r.name for r in refs] == ["ok"]
        records = tmp_path / "in" / "RECORDS"
        assert [str(e) for e in errors] == [
            f"{records}: line 2: '../outside' is not a record path (it leads out of the folder)",
            f"{records}: line 3: '/etc/passwd' is not a record path (an absolute path)",
            f"{records}: line 4: record 'missing' is listed but not found",
        ]


class TestTraversal:
    def test_header_naming_a_file_above_its_folder(self, tmp_path: Path) -> None:
        small_record(tmp_path, "x")
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "x.hea").write_text(
            (tmp_path / "x.hea").read_text().replace("x.dat", "../x.dat")
        )
        refs, errors = find_records([str(tmp_path / "sub")])
        assert errors == [] and len(refs) == 1
        with pytest.raises(Exception, match=r"signal file name '\.\./x\.dat' contains a path"):
            open_recording(refs[0])

    def test_absolute_root_and_relative_input(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        small_record(tmp_path / "rel", "r")
        monkeypatch.chdir(tmp_path)
        refs, errors = find_records(["rel"])
        assert errors == []
        assert refs[0].path == os.path.join(str(tmp_path), "rel", "r.hea")
        assert refs[0].root == os.path.join(str(tmp_path), "rel")
