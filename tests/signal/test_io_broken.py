"""Bad input: every file of ``broken/`` and hostile headers written here.

Each must end in one :class:`RecordError` whose single line names the file.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import wfdb

import wavetag.signal.io.annotations as annotations_module
from wavetag.signal.io import RecordRef, open_recording
from wavetag.signal.recording import RecordError

# File -> words the message must contain.
BROKEN = {
    "missing_dat.hea": "signal file missing_dat.dat not found",
    "truncated_dat.hea": "truncated_dat.dat is too short",
    "garbage_fields.hea": "number of signals 'two' is not a whole number",
    "nsig_mismatch.hea": "declares 3 signal(s) but has 2 signal line(s)",
    "negative_fs.hea": "sampling frequency -360 Hz must be positive",
    "truncated_atr.hea": "truncated_atr.atr: annotation file is truncated",
    "empty.hea": "header file is empty",
    "binary_junk.hea": "not a WFDB header",
    "truncated.edf": "file is truncated",
    "bad_header.edf": "not an EDF or BDF file",
}


def open_error(path: Path | str, **options: bool) -> str:
    with pytest.raises(RecordError) as info:
        source = open_recording(str(path), **options)
        for _ in source.iter_blocks():
            pass
    message = str(info.value)
    assert "\n" not in message
    return message


def write_header(folder: Path, name: str, text: str, dat_bytes: int | None = 7200) -> Path:
    """A header (and a zero-filled signal file for 2 x 212 signals, 2400 frames)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.hea").write_text(text)
    if dat_bytes is not None:
        (folder / f"{name}.dat").write_bytes(bytes(dat_bytes))
    return folder / f"{name}.hea"


def two_signals(name: str) -> str:
    return f"{name}.dat 212 200 11 1024 0 0 0 I\n{name}.dat 212 200 11 1024 0 0 0 II\n"


class TestBrokenFolder:
    def test_every_file_is_covered(self, data_dir: Path) -> None:
        files = {p.name for p in (data_dir / "broken").iterdir() if p.suffix in (".hea", ".edf")}
        assert files == set(BROKEN) | {"bad_checksum.hea"}

    @pytest.mark.parametrize("name", sorted(BROKEN))
    def test_refused_with_a_clear_message(self, data_dir: Path, name: str) -> None:
        message = open_error(data_dir / "broken" / name)
        assert Path(name).stem in message
        assert BROKEN[name] in message

    def test_bad_checksum_is_refused_after_reading(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "broken/bad_checksum.hea"))
        with pytest.raises(RecordError, match="checksum mismatch") as info:
            for _ in source.iter_blocks(1.0):
                pass
        assert "bad_checksum.dat" in str(info.value)

    def test_bad_checksum_can_be_imported_with_a_warning(self, data_dir: Path) -> None:
        path = data_dir / "broken/bad_checksum.hea"
        source = open_recording(str(path), verify_checksums=False)
        blocks = list(source.iter_blocks(3.0))
        assert len(source.warnings) == 1
        assert "checksum mismatch" in source.warnings[0]
        assert "bad_checksum.dat" in source.warnings[0]
        ref = wfdb.rdrecord(str(path)[:-4], physical=False)
        np.testing.assert_array_equal(np.concatenate([b[0] for b in blocks]), ref.d_signal[:, 0])


class TestHostileHeaders:
    @pytest.mark.parametrize(
        ("name", "problem"),
        [
            ("../x.dat", "contains a path separator"),
            ("sub/x.dat", "contains a path separator"),
            ("/etc/passwd", "contains a path separator"),
            ("..", "is not a file name"),
            ("C:x.dat", "is an absolute path"),
        ],
    )
    def test_signal_file_outside_the_folder(self, tmp_path: Path, name: str, problem: str) -> None:
        (tmp_path / "x.dat").write_bytes(bytes(7200))
        header = write_header(
            tmp_path / "rec", "p", f"p 1 360 2400\n{name} 212 200 11 1024 0 0 0 I\n"
        )
        message = open_error(header)
        assert "p.hea" in message and problem in message

    def test_absurd_length_is_refused_before_allocating(self, tmp_path: Path) -> None:
        lines = "huge 2 360 1000000000000\n" + two_signals("huge")
        header = write_header(tmp_path, "huge", lines)
        tracemalloc.start()
        try:
            message = open_error(header)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert "huge.dat is too short" in message
        assert "1000000000000 samples" in message
        assert peak < 1 << 20

    @pytest.mark.parametrize(
        ("record_line", "problem"),
        [
            ("z 2 0 2400", "sampling frequency 0 Hz must be positive"),
            ("z 2 0/1 2400", "sampling frequency 0/1 Hz must be positive"),
            ("z 2 1e999 2400", "must be positive"),
            ("z 2 abc 2400", "sampling frequency 'abc' is not a number"),
            ("z 2 360 -5", "number of samples -5 must be at least 0"),
            ("z 2 360 2400.5", "number of samples '2400.5' is not a whole number"),
            ("z 0 360 2400", "record has no signals"),
            ("z/2 2 360 2400", "segment line must be 'NAME LENGTH'"),
            ("y 2 360 2400", "the header names record 'y' but its file is z.hea"),
            ("Z 2 360 2400", "the header names record 'Z'"),
            ("z 2 360 2400 10:00:00 01/01/2000 extra", "unexpected text 'extra'"),
        ],
    )
    def test_bad_record_line(self, tmp_path: Path, record_line: str, problem: str) -> None:
        message = open_error(write_header(tmp_path, "z", f"{record_line}\n{two_signals('z')}"))
        assert "z.hea" in message and problem in message

    @pytest.mark.parametrize(
        ("signal_line", "problem"),
        [
            ("s.dat 999 200 11 0", "format 999 is unknown"),
            ("s.dat 212x0 200 11 0", "samples per frame must be at least 1"),
            ("s.dat abc 200", "format 'abc' is not a WFDB format"),
            ("s.dat 212 abc/mV 11", "gain 'abc/mV' is not a number"),
            ("s.dat 212 200 eleven", "ADC resolution 'eleven' is not a whole number"),
            ("s.dat 212 200 11 1024 0 x", "checksum 'x' is not a whole number"),
            ("s.dat", "signal line has no format"),
            ("s.hea 212 200 11 0", "is a header"),
            ("~ 212 200 11 0", "without a signal file"),
        ],
    )
    def test_bad_signal_line(self, tmp_path: Path, signal_line: str, problem: str) -> None:
        message = open_error(write_header(tmp_path, "s", f"s 1 360 100\n{signal_line}\n"))
        assert "s.hea" in message and problem in message

    def test_formats_mixed_in_one_file(self, tmp_path: Path) -> None:
        text = "m 2 360 100\nm.dat 212 200 11 0 0 0 0 I\nm.dat 16 200 11 0 0 0 0 II\n"
        assert "use different formats" in open_error(write_header(tmp_path, "m", text))

    def test_signal_file_that_is_a_folder(self, tmp_path: Path) -> None:
        header = write_header(tmp_path, "f", "f 1 360 100\nf.dat 16 200 16 0 0 0 0 I\n", None)
        (tmp_path / "f.dat").mkdir()
        assert "signal file f.dat not found" in open_error(header)

    def test_missing_length_with_an_empty_signal_file(self, tmp_path: Path) -> None:
        header = write_header(tmp_path, "e", "e 1 360\ne.dat 16 200 16 0 0 0 0 I\n", 0)
        assert "gives no number of samples and e.dat holds none" in open_error(header)

    def test_missing_length_with_a_compressed_file(self, tmp_path: Path) -> None:
        header = write_header(tmp_path, "c", "c 1 360\nc.dat 516 200 16 0 0 0 0 I\n", 100)
        assert "cannot tell it" in open_error(header)

    def test_oversized_header(self, tmp_path: Path) -> None:
        header = write_header(tmp_path, "big", "big 1 360 100\n" + "# x\n" * 300_000, None)
        assert "larger than 1 MiB" in open_error(header)

    def test_header_of_comments_only(self, tmp_path: Path) -> None:
        header = write_header(tmp_path, "c", "# nothing\n# here\n", None)
        assert "no record line" in open_error(header)

    def test_missing_sampling_frequency_uses_the_wfdb_default(self, tmp_path: Path) -> None:
        header = write_header(tmp_path, "d", "d 2\n" + two_signals("d"))
        source = open_recording(str(header))
        assert source.channels[0].fs == 250.0
        assert any("250 Hz" in w for w in source.warnings)

    def test_latin1_comments_are_accepted(self, tmp_path: Path) -> None:
        text = "l 1 360 100\nl.dat 16 200 16 0 0 0 0 I\n# Patientin: M\xfcller\n"
        (tmp_path / "l.hea").write_bytes(text.encode("latin-1"))
        (tmp_path / "l.dat").write_bytes(bytes(200))
        assert open_recording(str(tmp_path / "l.hea")).comments == ["Patientin: Müller"]

    def test_record_outside_its_root(self, tmp_path: Path, data_dir: Path) -> None:
        ref = RecordRef(str(data_dir / "mitdb/100.hea"), "100", str(tmp_path))
        with pytest.raises(RecordError, match="outside the imported folder"):
            open_recording(ref)

    def test_folder_is_not_a_record(self, data_dir: Path) -> None:
        assert "is a folder" in open_error(data_dir / "mitdb")

    def test_nonexistent_record(self, tmp_path: Path) -> None:
        assert "no such file, folder or record" in open_error(tmp_path / "nothing")


class TestBadAnnotations:
    def make_record(self, folder: Path) -> str:
        signal = np.zeros((100, 1), np.int16)
        wfdb.wrsamp("a", fs=100, units=["mV"], sig_name=["I"], d_signal=signal, fmt=["16"],
                    adc_gain=[200.0], baseline=[0], write_dir=str(folder))  # fmt: skip
        return str(folder / "a")

    def test_annotation_beyond_the_end(self, tmp_path: Path) -> None:
        record = self.make_record(tmp_path)
        wfdb.wrann("a", "atr", np.array([10, 500]), np.array(["N", "N"]), write_dir=str(tmp_path))
        message = open_error(record)
        assert "a.atr" in message and "beyond the end of the record" in message

    def test_annotation_at_the_very_end_is_accepted(self, tmp_path: Path) -> None:
        record = self.make_record(tmp_path)
        wfdb.wrann("a", "atr", np.array([10, 100]), np.array(["N", "N"]), write_dir=str(tmp_path))
        (atr,) = open_recording(record).annotation_sets
        assert list(atr.time) == [0.1, 1.0]

    @pytest.mark.parametrize(
        ("content", "problem"),
        [
            (b"", "is empty"),
            (b"\x01\x02\x03", "odd length"),
            (b"\x01\x02\x03\x04", "no end marker"),
        ],
    )
    def test_cut_annotation_files(self, tmp_path: Path, content: bytes, problem: str) -> None:
        record = self.make_record(tmp_path)
        (tmp_path / "a.qrs").write_bytes(content)
        message = open_error(record)
        assert "a.qrs" in message and problem in message

    def test_other_files_beside_the_record_are_not_annotations(self, tmp_path: Path) -> None:
        record = self.make_record(tmp_path)
        for name in ("a.csv", "a.txt", "a.png", "a.atr.bak", "a.hea~", "a.json", "ab.atr"):
            (tmp_path / name).write_bytes(b"\x01")
        assert open_recording(record).annotation_sets == []


class TestUnexpectedFailures:
    def test_library_failure_while_opening(
        self, data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*args: object, **kwargs: object) -> None:
            raise ZeroDivisionError("inside wfdb")

        monkeypatch.setattr(annotations_module.wfdb, "rdann", broken)
        message = open_error(data_dir / "mitdb/100")
        assert "100.atr" in message and "ZeroDivisionError: inside wfdb" in message

    def test_failure_while_reading_blocks(
        self, data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        source = open_recording(str(data_dir / "mitdb/100"))

        def broken(*args: object, **kwargs: object) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr("wavetag.signal.io.wfdb_reader.read_flat", broken)
        with pytest.raises(RecordError, match=r"100\.hea: could not be read \(OSError"):
            next(source.iter_blocks())

    def test_signal_file_shrinking_after_opening(self, tmp_path: Path) -> None:
        header = write_header(tmp_path, "g", "g 1 360 3600\ng.dat 212 200 11 1024 0 0 0 I\n", 5400)
        source = open_recording(str(header))
        (tmp_path / "g.dat").write_bytes(bytes(100))
        with pytest.raises(RecordError, match="g.hea: could not be read"):
            list(source.iter_blocks())
