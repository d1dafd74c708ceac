"""SCP-ECG files written here (by a small writer that follows EN 1064) from real
12-lead records (ptbxl/00001_lr, cinc2021/E07500), read back and compared with
``wfdb.rdrecord``.
"""

from __future__ import annotations

import binascii
import struct
from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.io import find_records, open_recording
from wavetag.signal.recording import RecordError

LEAD_CODES = {"I": 1, "II": 2, "V1": 3, "V2": 4, "V3": 5, "V4": 6, "V5": 7, "V6": 8}
LEAD_CODES |= {"III": 61, "AVR": 62, "AVL": 63, "AVF": 64}


def crc(data: bytes) -> int:
    # CRC-CCITT, initial value 0xFFFF, as EN 1064 specifies.
    return binascii.crc_hqx(data, 0xFFFF)


def section(number: int, body: bytes) -> bytes:
    if len(body) % 2:
        body += b"\0"
    reserved = b"SCPECG" if number == 0 else b"\0" * 6
    rest = struct.pack("<HIBB", number, 16 + len(body), 20, 20) + reserved + body
    return struct.pack("<H", crc(rest)) + rest


def tag(number: int, value: bytes) -> bytes:
    return struct.pack("<BH", number, len(value)) + value


def encode(samples: np.ndarray, order: int) -> np.ndarray:
    if order == 0:
        return samples
    out = samples.astype(np.int64).copy()
    if order == 1:
        out[1:] = np.diff(samples.astype(np.int64))
    else:
        x = samples.astype(np.int64)
        out[2:] = x[2:] - 2 * x[1:-1] + x[:-2]
    return out


def huffman_default(values: np.ndarray) -> bytes:
    """Code values with EN 1064's default Huffman table (most significant bit first)."""
    bits: list[str] = []
    for v in values.tolist():
        if v == 0:
            bits.append("0")
        elif -8 <= v <= 8:
            bits.append("1" * abs(v) + "0" + ("1" if v < 0 else "0"))
        elif -128 <= v <= 127:
            bits.append("1111111110" + format(v & 0xFF, "08b"))
        else:
            bits.append("1111111111" + format(v & 0xFFFF, "016b"))
    text = "".join(bits)
    text += "0" * (-len(text) % 8)
    return int(text, 2).to_bytes(len(text) // 8, "big") if text else b""


def write_scp(
    digital: np.ndarray,
    names: list[str],
    fs: float,
    path: Path,
    *,
    avm_nv: int = 1000,
    differences: int = 0,
    extra: dict[int, bytes] | None = None,
    leave_out: tuple[int, ...] = (),
    huffman: bool = False,
    keep_bytes: int | None = None,
) -> None:
    """Write samples (samples x leads, in units of ``avm_nv`` nanovolts) as SCP-ECG."""
    n, n_leads = digital.shape
    demographics = (
        tag(0, b"Doe\0")
        + tag(1, b"Jane\0")
        + tag(2, b"P-0001\0")
        + tag(8, bytes([2]))
        + tag(25, struct.pack("<HBB", 2020, 1, 2))
        + tag(26, bytes([3, 4, 5]))
        + tag(255, b"")
    )
    leads = struct.pack("<BB", n_leads, 0b100 | (n_leads << 3) & 0xF8)
    for name in names:
        leads += struct.pack("<IIB", 1, n, LEAD_CODES[name.upper()])
    diffs = [encode(digital[:, i], differences) for i in range(n_leads)]
    if huffman:
        coded = [huffman_default(d)[:keep_bytes] for d in diffs]
        extra = {2: struct.pack("<H", 19999)} | (extra or {})
    else:
        coded = [d.astype("<i2").tobytes() for d in diffs]
    rhythm = struct.pack("<HHBB", avm_nv, round(1e6 / fs), differences, 0)
    rhythm += b"".join(struct.pack("<H", len(c)) for c in coded) + b"".join(coded)
    bodies = {1: demographics, 3: leads, 6: rhythm} | (extra or {})
    bodies = {k: v for k, v in bodies.items() if k not in leave_out}
    sections = {k: section(k, v) for k, v in bodies.items()}
    numbers = sorted(set(range(12)) | set(sections))
    position = 6 + 16 + 10 * len(numbers)  # after the record header and section 0
    pointers = b""
    placed = []
    for k in numbers:
        if k == 0:
            pointers += struct.pack("<HII", 0, 16 + 10 * len(numbers), 7)
        elif k in sections:
            pointers += struct.pack("<HII", k, len(sections[k]), position + 1)
            placed.append(sections[k])
            position += len(sections[k])
        else:
            pointers += struct.pack("<HII", k, 0, 0)
    record = section(0, pointers) + b"".join(placed)
    rest = struct.pack("<I", 6 + len(record)) + record
    path.write_bytes(struct.pack("<H", crc(rest)) + rest)


def _from_wfdb(data_dir: Path, rel: str) -> tuple[wfdb.Record, wfdb.Record]:
    return wfdb.rdrecord(str(data_dir / rel), physical=False), wfdb.rdrecord(str(data_dir / rel))


def _read_all(source) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    blocks = list(source.iter_blocks(0.7))
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(source.channels))]


class TestScpFidelity:
    @pytest.mark.parametrize(
        ("rel", "differences", "huffman"),
        [("ptbxl/00001_lr", 0, False), ("cinc2021/E07500", 0, False)]
        + [("cinc2021/E07500", 1, False), ("ptbxl/00001_lr", 2, False)]
        + [("cinc2021/E07500", 0, True), ("ptbxl/00001_lr", 2, True)],
    )
    def test_matches_wfdb(
        self, data_dir: Path, tmp_path: Path, rel: str, differences: int, huffman: bool
    ) -> None:
        # Both records are at 1000 adu/mV with baseline 0: one unit is 1000 nV.
        record, reference = _from_wfdb(data_dir, rel)
        assert set(record.adc_gain) == {1000.0} and set(record.baseline) == {0}
        path = tmp_path / "ecg.scp"
        write_scp(
            record.d_signal,
            record.sig_name,
            record.fs,
            path,
            differences=differences,
            huffman=huffman,
        )
        source = open_recording(path)
        assert source.format == "scp"
        assert [c.name.upper() for c in source.channels] == [n.upper() for n in record.sig_name]
        assert source.duration == pytest.approx(record.sig_len / record.fs)
        assert str(source.start_time) == "03:04:05"
        assert source.patient_info == {} and source.start_date is None
        for i, samples in enumerate(_read_all(source)):
            channel = source.channels[i]
            assert channel.fs == record.fs
            np.testing.assert_array_equal(samples, record.d_signal[:, i])
            mv = (samples - channel.baseline) / channel.gain
            np.testing.assert_allclose(mv, reference.p_signal[:, i], atol=1 / 1000)

    def test_patient_info_kept_only_when_asked(self, data_dir: Path, tmp_path: Path) -> None:
        record, _ = _from_wfdb(data_dir, "ptbxl/00001_lr")
        path = tmp_path / "ecg.scp"
        write_scp(record.d_signal, record.sig_name, record.fs, path)
        source = open_recording(path, keep_patient_info=True)
        assert source.patient_info["patient ID"] == "P-0001"
        assert source.patient_info["sex"] == "female"
        assert source.start_date is not None and source.start_date.year == 2020

    def test_found_in_a_folder(self, data_dir: Path, tmp_path: Path) -> None:
        record, _ = _from_wfdb(data_dir, "ptbxl/00001_lr")
        write_scp(record.d_signal, record.sig_name, record.fs, tmp_path / "a.scp")
        refs, errors = find_records([str(tmp_path)])
        assert [(r.name, r.kind) for r in refs] == [("a", "scp")] and not errors


class TestScpRefusal:
    @pytest.fixture
    def record(self, data_dir: Path) -> wfdb.Record:
        return wfdb.rdrecord(str(data_dir / "ptbxl/00001_lr"), physical=False)

    def test_bad_section_crc_is_named(self, record: wfdb.Record, tmp_path: Path) -> None:
        path = tmp_path / "bad.scp"
        write_scp(record.d_signal, record.sig_name, record.fs, path)
        data = bytearray(path.read_bytes())
        data[-100] ^= 0xFF  # inside section 6, the last one
        path.write_bytes(bytes(data))
        with pytest.raises(RecordError, match=r"bad\.scp: section 6 fails its CRC check"):
            open_recording(path)

    def test_truncated(self, record: wfdb.Record, tmp_path: Path) -> None:
        path = tmp_path / "cut.scp"
        write_scp(record.d_signal, record.sig_name, record.fs, path)
        path.write_bytes(path.read_bytes()[:5000])
        with pytest.raises(RecordError, match=r"cut\.scp: is truncated"):
            open_recording(path)

    def test_missing_rhythm_section(self, record: wfdb.Record, tmp_path: Path) -> None:
        path = tmp_path / "norhythm.scp"
        write_scp(record.d_signal, record.sig_name, record.fs, path, leave_out=(6,))
        with pytest.raises(RecordError, match=r"norhythm\.scp: has no section 6"):
            open_recording(path)

    def test_custom_huffman_table_not_supported_yet(
        self, record: wfdb.Record, tmp_path: Path
    ) -> None:
        path = tmp_path / "huff.scp"
        one_table = struct.pack("<HH", 1, 1) + struct.pack("<BBBhI", 1, 1, 1, 0, 0)
        write_scp(record.d_signal, record.sig_name, record.fs, path, extra={2: one_table})
        with pytest.raises(RecordError, match=r"huff\.scp: .*custom Huffman tables.*not supported"):
            open_recording(path)

    def test_huffman_data_cut_short(self, record: wfdb.Record, tmp_path: Path) -> None:
        # Lead I of ptbxl/00001_lr, Huffman-coded but only its first 100 bytes
        # stored: the decoder runs out of bits.
        path = tmp_path / "short.scp"
        write_scp(record.d_signal[:, :1], ["I"], record.fs, path, huffman=True, keep_bytes=100)
        source = open_recording(path)
        with pytest.raises(RecordError, match=r"short\.scp: .*Huffman data of lead I ends"):
            list(source.iter_blocks())

    def test_not_scp(self, tmp_path: Path) -> None:
        path = tmp_path / "junk.scp"
        path.write_bytes(b"x" * 100)
        with pytest.raises(RecordError, match=r"junk\.scp: is not an SCP-ECG file"):
            open_recording(path)

    def test_bad_file_crc_with_sound_sections(self, record: wfdb.Record, tmp_path: Path) -> None:
        path = tmp_path / "crc.scp"
        write_scp(record.d_signal, record.sig_name, record.fs, path)
        data = bytearray(path.read_bytes())
        data[0] ^= 0xFF  # the record's own CRC
        path.write_bytes(bytes(data))
        with pytest.raises(RecordError, match=r"crc\.scp: fails the CRC check of the whole file"):
            open_recording(path)
