"""The ISHNE Holter reader, on files written here from mitdb/100 by a writer that
follows the ISHNE 1.0 specification on its own (byte offsets, bitwise CRC)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.io import find_records, open_recording
from wavetag.signal.recording import RecordError, RecordingSource

from .format_writers import crc_ccitt, ishne_bytes, short

SECONDS = 60
# Lead specification codes of the standard: 6 = II, 15 = V5.
LEAD_II, LEAD_V5 = 6, 15
# Offsets inside the file (magic 8 + CRC 2, then the 512-byte fixed header).
N_LEADS_AT = 10 + 146
FS_AT = 10 + 262
RESOLUTION_AT = 10 + 196


def recrc(raw: bytearray) -> bytearray:
    """Fix the CRC after editing the header, so that only the edit is wrong."""
    var_bytes = int.from_bytes(raw[10:14], "little", signed=True)
    raw[8:10] = crc_ccitt(bytes(raw[10 : 10 + 512 + var_bytes])).to_bytes(2, "little")
    return raw


@pytest.fixture(scope="module")
def mitdb_100(data_dir: Path) -> wfdb.Record:
    """The first minute of mitdb/100, as wfdb reads it: digital and physical values."""
    record = wfdb.rdrecord(str(data_dir / "mitdb/100"), sampto=360 * SECONDS, physical=False)
    physical = wfdb.rdrecord(str(data_dir / "mitdb/100"), sampto=360 * SECONDS)
    record.p_signal = physical.p_signal
    return record


@pytest.fixture
def ishne_file(tmp_path: Path, mitdb_100: wfdb.Record) -> Path:
    # ISHNE has no baseline: the samples are written relative to mitdb's (1024).
    digital = mitdb_100.d_signal - np.array(mitdb_100.baseline)
    resolution = [round(1e6 / g) for g in mitdb_100.adc_gain]  # 200 adu/mV -> 5000 nV
    path = tmp_path / "100.ecg"
    path.write_bytes(ishne_bytes(digital, 360, [LEAD_II, LEAD_V5], resolution))
    return path


def read_all(source: RecordingSource, seconds: float = 60.0) -> list[np.ndarray]:
    blocks = list(source.iter_blocks(seconds))
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(source.channels))]


class TestIshneFidelity:
    def test_mitdb_100_samples_and_physical_values(
        self, ishne_file: Path, mitdb_100: wfdb.Record
    ) -> None:
        source = open_recording(ishne_file)
        assert source.format == "ishne"
        assert [c.name for c in source.channels] == ["II", "V5"]
        assert [c.units for c in source.channels] == ["mV", "mV"]
        assert source.duration == SECONDS
        got = read_all(source, seconds=7.0)
        for i, channel in enumerate(source.channels):
            assert channel.fs == 360.0 and channel.n_samples == 360 * SECONDS
            expected = mitdb_100.d_signal[:, i] - mitdb_100.baseline[i]
            np.testing.assert_array_equal(got[i], expected)
            physical = (got[i] - channel.baseline) / channel.gain
            np.testing.assert_allclose(physical, mitdb_100.p_signal[:, i], rtol=0, atol=1e-12)

    def test_patient_fields_only_when_asked(self, ishne_file: Path) -> None:
        plain = open_recording(ishne_file)
        assert plain.patient_info == {} and plain.start_date is None
        assert plain.start_time is not None and plain.start_time.isoformat() == "13:45:07"
        kept = open_recording(ishne_file, keep_patient_info=True)
        assert kept.patient_info["last name"] == "Doe"
        assert kept.patient_info["birthdate"] == "1961-05-12"
        assert kept.start_date is not None and kept.start_date.isoformat() == "2001-04-03T13:45:07"

    def test_folder_scan_takes_only_files_with_the_magic(
        self, ishne_file: Path, tmp_path: Path
    ) -> None:
        (tmp_path / "notes.ecg").write_bytes(b"not a Holter file")
        refs, errors = find_records([str(tmp_path)])
        assert [(r.name, r.kind) for r in refs] == [("100", "ishne")] and not errors


class TestIshneRefusals:
    def _refused(self, path: Path, raw: bytes | bytearray, fragment: str) -> None:
        path.write_bytes(bytes(raw))
        with pytest.raises(RecordError) as info:
            open_recording(path)
        message = str(info.value)
        assert str(path) in message and fragment in message and "\n" not in message

    def test_bad_magic(self, ishne_file: Path) -> None:
        raw = bytearray(ishne_file.read_bytes())
        raw[:8] = b"ISHNE2.0"
        self._refused(ishne_file, raw, "magic")

    def test_bad_crc(self, ishne_file: Path) -> None:
        raw = bytearray(ishne_file.read_bytes())
        raw[10 + 30] ^= 0x01  # a letter of the first name
        self._refused(ishne_file, raw, "CRC")

    def test_truncated(self, ishne_file: Path) -> None:
        raw = ishne_file.read_bytes()
        self._refused(ishne_file, raw[:-100], "truncated")

    def test_truncated_header(self, ishne_file: Path) -> None:
        self._refused(ishne_file, ishne_file.read_bytes()[:300], "truncated")

    def test_zero_leads(self, ishne_file: Path) -> None:
        raw = bytearray(ishne_file.read_bytes())
        raw[N_LEADS_AT : N_LEADS_AT + 2] = short(0)
        self._refused(ishne_file, recrc(raw), "number of leads is 0")

    @pytest.mark.parametrize("fs", [0, -360])
    def test_nonsense_sampling_rate(self, ishne_file: Path, fs: int) -> None:
        raw = bytearray(ishne_file.read_bytes())
        raw[FS_AT : FS_AT + 2] = short(fs)
        self._refused(ishne_file, recrc(raw), f"sampling rate {fs} Hz")

    def test_zero_resolution(self, ishne_file: Path) -> None:
        raw = bytearray(ishne_file.read_bytes())
        second_lead = RESOLUTION_AT + 2
        raw[second_lead : second_lead + 2] = short(0)
        self._refused(ishne_file, recrc(raw), "lead 2: resolution 0 nV")
