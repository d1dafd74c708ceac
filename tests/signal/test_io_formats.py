"""Every WFDB signal format and frame layout, on small records written here.

Any byte string is valid content for the fixed-size WFDB formats, so records
are random bytes behind a hand-written header; ``wfdb.rdrecord`` reading the
same files is the reference.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.io import open_recording
from wavetag.signal.recording import RecordError, RecordingSource

FS = 100
FORMATS = ["8", "16", "24", "32", "61", "80", "160", "212", "310", "311"]
BYTES_PER_SAMPLE = {"8": 1, "16": 2, "24": 3, "32": 4, "61": 2, "80": 1, "160": 2}
INVALID = {"16": -32768, "24": -(2**23), "32": -(2**31), "61": -32768, "80": -128}
INVALID |= {"160": -32768, "212": -2048, "310": -512, "311": -512, "8": None}
WIDE = {"8", "24", "32"}


def file_bytes(fmt: str, n_samples: int) -> int:
    if fmt == "212":
        return math.ceil(n_samples * 1.5)
    if fmt in ("310", "311"):
        return 4 * math.ceil(n_samples / 3)
    return n_samples * BYTES_PER_SAMPLE[fmt]


def random_bytes(fmt: str, size: int, offset: int, seed: int) -> bytes:
    data = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8)
    if fmt == "311":
        # Bits 30-31 of each group are unused; wfdb would read bit 30 into
        # the third sample.
        data[offset + 3 :: 4] &= 0x3F
    return data.tobytes()


def write_record(
    folder: Path,
    fmt: str,
    spf: list[int],
    n_frames: int,
    *,
    skew: list[int] | None = None,
    offset: int = 0,
    seed: int = 0,
    length_in_header: bool = True,
) -> str:
    """Write random samples in ``fmt``; return the record path (no extension)."""
    name = f"r{fmt}"
    size = offset + file_bytes(fmt, n_frames * sum(spf))
    (folder / f"{name}.dat").write_bytes(random_bytes(fmt, size, offset, seed))
    skew = skew or [0] * len(spf)
    record = str(folder / name)

    def header(checksums: list[int] | None) -> str:
        length = f" {n_frames}" if length_in_header else ""
        lines = [f"{name} {len(spf)} {FS}{length}"]
        for i, (k, s) in enumerate(zip(spf, skew, strict=True)):
            layout = fmt + (f"x{k}" if k > 1 else "") + (f":{s}" if s else "")
            layout += f"+{offset}" if offset else ""
            tail = f" {checksums[i]} 0 sig{i}" if checksums else ""
            lines.append(f"{name}.dat {layout} {50 + i}.5({i - 7})/mV 12 0 {3 * i}{tail}")
        return "\n".join(lines) + "\n"

    (folder / f"{name}.hea").write_text(header(None))
    reference = big_endian_twin(record) if fmt == "61" else record
    raw = wfdb.rdrecord(reference, physical=False, smooth_frames=False, ignore_skew=True)
    sums = [int(x.astype(np.int64).sum()) % 65536 for x in raw.e_d_signal]
    (folder / f"{name}.hea").write_text(header(sums))
    return record


def read_all(source: RecordingSource, seconds: float) -> list[np.ndarray]:
    blocks = list(source.iter_blocks(seconds))
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(source.channels))]


def big_endian_twin(record: str) -> str:
    """The same samples in format 16, for wfdb cannot read format 61 unsmoothed."""
    header = Path(record + ".hea").read_text()
    offset = int(header.split("+")[1].split()[0]) if "+" in header else 0
    data = Path(record + ".dat").read_bytes()
    swapped = np.frombuffer(data[offset:], ">i2").astype("<i2").tobytes()
    twin = record + "_16"
    Path(twin + ".dat").write_bytes(data[:offset] + swapped)
    name = Path(record).name
    text = header.replace(f"{name}.dat 61", f"{name}_16.dat 16").replace(
        f"{name} ", f"{name}_16 ", 1
    )
    Path(twin + ".hea").write_text(text)
    return twin


def assert_matches_wfdb(record: str, seconds: float = 0.07) -> RecordingSource:
    source = open_recording(record)
    fmt = Path(record + ".hea").read_text().splitlines()[1].split()[1]
    reference = big_endian_twin(record) if fmt.startswith("61") else record
    ref_d = wfdb.rdrecord(reference, physical=False, smooth_frames=False)
    ref_p = wfdb.rdrecord(reference, physical=True, smooth_frames=False)
    for i, (ours, channel) in enumerate(
        zip(read_all(source, seconds), source.channels, strict=True)
    ):
        assert channel.fs == ref_d.fs * ref_d.samps_per_frame[i]
        assert ours.dtype == np.dtype(channel.dtype)
        np.testing.assert_array_equal(ours, ref_d.e_d_signal[i])
        values = (ours - channel.baseline) / channel.gain
        if channel.invalid is not None:
            values[ours == channel.invalid] = np.nan
        np.testing.assert_array_equal(
            values.astype(np.float32), ref_p.e_p_signal[i].astype(np.float32)
        )
    return source


class TestFormats:
    @pytest.mark.parametrize("fmt", FORMATS)
    def test_one_signal(self, tmp_path: Path, fmt: str) -> None:
        source = assert_matches_wfdb(write_record(tmp_path, fmt, [1], 257))
        (channel,) = source.channels
        assert channel.dtype == ("int32" if fmt in WIDE else "int16")
        assert channel.invalid == INVALID[fmt]
        assert (channel.gain, channel.baseline) == (50.5, -7)

    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("spf", [[2, 1, 3], [1, 2], [3]])
    def test_samples_per_frame(self, tmp_path: Path, fmt: str, spf: list[int]) -> None:
        source = assert_matches_wfdb(write_record(tmp_path, fmt, spf, 101, seed=len(spf)))
        assert [c.fs for c in source.channels] == [FS * k for k in spf]
        assert [c.n_samples for c in source.channels] == [101 * k for k in spf]

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_byte_offset(self, tmp_path: Path, fmt: str) -> None:
        assert_matches_wfdb(write_record(tmp_path, fmt, [1, 2], 99, offset=5))

    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("seconds", [0.01, 0.03, 0.07, 10.0])
    def test_block_sizes(self, tmp_path: Path, fmt: str, seconds: float) -> None:
        # Odd block lengths start blocks in the middle of 212 / 310 byte groups.
        assert_matches_wfdb(write_record(tmp_path, fmt, [1, 2], 77), seconds)

    # wfdb fails to skew format 8 (a shape error), so it cannot be the reference.
    @pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "8"])
    def test_skew(self, tmp_path: Path, fmt: str) -> None:
        record = write_record(tmp_path, fmt, [1, 1, 1], 64, skew=[0, 3, 0])
        source = assert_matches_wfdb(record, 0.05)
        assert source.warnings == []

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_different_skews(self, tmp_path: Path, fmt: str) -> None:
        # wfdb fails on this layout (a shape error), so the reference is the
        # unshifted samples, shifted here.
        skews = [0, 3, 1]
        record = write_record(tmp_path, fmt, [1, 1, 1], 64, skew=skews)
        reference = big_endian_twin(record) if fmt == "61" else record
        raw = wfdb.rdrecord(reference, physical=False, smooth_frames=False, ignore_skew=True)
        source = open_recording(record)
        for ours, stored, skew in zip(read_all(source, 0.05), raw.e_d_signal, skews, strict=True):
            np.testing.assert_array_equal(ours[: 64 - skew], stored[skew:])
            assert list(ours[64 - skew :]) == [INVALID[fmt] or 0] * skew

    @pytest.mark.parametrize("fmt", ["16", "212"])
    def test_skew_of_a_multi_sample_frame_marks_whole_frames_invalid(
        self, tmp_path: Path, fmt: str
    ) -> None:
        # wfdb shifts such a channel by whole frames but marks only ``skew``
        # samples invalid, leaving zeros in between; here whole frames are.
        record = write_record(tmp_path, fmt, [2, 1], 40, skew=[3, 0])
        source = open_recording(record)
        ours = read_all(source, 0.07)[0]
        ref = wfdb.rdrecord(record, physical=False, smooth_frames=False).e_d_signal[0]
        np.testing.assert_array_equal(ours[: (40 - 3) * 2], ref[: (40 - 3) * 2])
        assert list(ours[-6:]) == [INVALID[fmt]] * 6

    @pytest.mark.parametrize("fmt", ["8", "16", "212", "311"])
    def test_length_inferred_from_file_size(self, tmp_path: Path, fmt: str) -> None:
        record = write_record(tmp_path, fmt, [1, 2], 90, length_in_header=False)
        source = assert_matches_wfdb(record)
        assert source.channels[0].n_samples == 90
        assert any("inferred" in w for w in source.warnings)

    def test_checksums_of_written_records_hold(self, tmp_path: Path) -> None:
        for fmt in FORMATS:
            source = open_recording(write_record(tmp_path, fmt, [2, 1], 50, skew=[0, 2]))
            read_all(source, 0.1)
            assert source.warnings == []


class TestCompressedFormats:
    @pytest.mark.parametrize("fmt", ["508", "516", "524"])
    def test_flac(self, tmp_path: Path, fmt: str) -> None:
        pytest.importorskip("soundfile")
        bits = {"508": 8, "516": 16, "524": 24}[fmt]
        rng = np.random.default_rng(1)
        high = 2 ** (bits - 1) - 1
        signal = rng.integers(-high, high, (500, 2)).astype(np.int32)
        wfdb.wrsamp(
            "flac",
            fs=FS,
            units=["mV", "mV"],
            sig_name=["a", "b"],
            d_signal=signal,
            fmt=[fmt, fmt],
            adc_gain=[10.0, 20.0],
            baseline=[0, 1],
            write_dir=str(tmp_path),
        )
        source = assert_matches_wfdb(str(tmp_path / "flac"), 1.3)
        assert source.channels[0].dtype == ("int32" if fmt == "524" else "int16")


class TestFileSizes:
    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("n_frames", [1, 2, 4, 5])
    def test_the_smallest_complete_file_is_enough(
        self, tmp_path: Path, fmt: str, n_frames: int
    ) -> None:
        from wfdb.io._signal import _required_byte_num

        needed = _required_byte_num("read", fmt, n_frames)
        (tmp_path / "m.hea").write_text(f"m 1 {FS} {n_frames}\nm.dat {fmt} 200 12 0\n")
        (tmp_path / "m.dat").write_bytes(random_bytes(fmt, needed, 0, n_frames))
        if fmt != "61":
            assert_matches_wfdb(str(tmp_path / "m"))
        (tmp_path / "m.dat").write_bytes(random_bytes(fmt, needed - 1, 0, n_frames))
        with pytest.raises(RecordError, match=r"m\.dat is too short"):
            open_recording(str(tmp_path / "m"))
