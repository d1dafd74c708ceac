"""DICOM ECG waveforms: files written here with pydicom from real records
(ptbxl/00001_lr, cinc2021/E07500), read back and compared with ``wfdb.rdrecord``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from wavetag.signal.io import find_records, open_recording
from wavetag.signal.recording import RecordError

TWELVE_LEAD = "1.2.840.10008.5.1.4.1.1.9.1.1"
GENERAL_ECG = "1.2.840.10008.5.1.4.1.1.9.1.2"
AMBULATORY_ECG = "1.2.840.10008.5.1.4.1.1.9.1.3"
# Lead codes of the SCPECG coding scheme (PS3.16 CID 3001).
SCP_CODES = {"I": "1", "II": "2", "V1": "3", "V2": "4", "V3": "5", "V4": "6", "V5": "7"}
SCP_CODES |= {"V6": "8", "III": "61", "AVR": "62", "AVL": "63", "AVF": "64"}
MEANINGS = {"AVR": "aVR", "AVL": "aVL", "AVF": "aVF"}


def _file_meta(sop_class: str, sop_instance: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return meta


def write_dicom_ecg(
    record: wfdb.Record,
    path: Path,
    *,
    sop_class: str = TWELVE_LEAD,
    bits: int = 16,
    uv: bool = True,
    median_group: bool = False,
) -> np.ndarray:
    """Write ``record``'s digital samples as a DICOM ECG; return them (samples x channels).

    Sensitivity is the WFDB gain step, in uV (or mV) per unit, and the
    baseline carries WFDB's baseline, so both scalings reach the reader.
    """
    digital = np.asarray(record.d_signal)
    ds = Dataset()
    instance = generate_uid()
    ds.file_meta = _file_meta(sop_class, instance)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = instance
    ds.Modality = "ECG"
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "P-0001"
    ds.PatientSex = "F"
    ds.AcquisitionDateTime = "20200102030405"
    channels = []
    for i, name in enumerate(record.sig_name):
        channel = Dataset()
        source = Dataset()
        source.CodeValue = SCP_CODES.get(name.upper(), str(i))
        source.CodingSchemeDesignator = "SCPECG"
        source.CodeMeaning = f"Lead {MEANINGS.get(name.upper(), name)}"
        channel.ChannelSourceSequence = Sequence([source])
        units = Dataset()
        units.CodeValue = "uV" if uv else "mV"
        units.CodingSchemeDesignator = "UCUM"
        units.CodeMeaning = "microvolt" if uv else "millivolt"
        channel.ChannelSensitivityUnitsSequence = Sequence([units])
        step = 1.0 / record.adc_gain[i]
        channel.ChannelSensitivity = f"{step * 1000 if uv else step:.6g}"
        channel.ChannelSensitivityCorrectionFactor = "1"
        base = -record.baseline[i] * step
        channel.ChannelBaseline = f"{base * 1000 if uv else base:.6g}"
        channel.WaveformBitsStored = bits
        channels.append(channel)
    dtype = {8: "<i1", 16: "<i2", 32: "<i4"}[bits]
    group = Dataset()
    group.WaveformOriginality = "ORIGINAL"
    group.NumberOfWaveformChannels = len(channels)
    group.NumberOfWaveformSamples = digital.shape[0]
    group.SamplingFrequency = f"{record.fs:g}"
    group.MultiplexGroupLabel = "RHYTHM"
    group.ChannelDefinitionSequence = Sequence(channels)
    group.WaveformBitsAllocated = bits
    group.WaveformSampleInterpretation = {8: "SB", 16: "SS", 32: "SL"}[bits]
    group["WaveformData"] = _ow(digital.astype(dtype).tobytes())
    groups = [group]
    if median_group:
        median = Dataset()
        median.WaveformOriginality = "DERIVED"
        median.NumberOfWaveformChannels = len(channels)
        median.NumberOfWaveformSamples = 60
        median.SamplingFrequency = f"{record.fs:g}"
        median.MultiplexGroupLabel = "MEDIAN"
        median.ChannelDefinitionSequence = Sequence(channels)
        median.WaveformBitsAllocated = bits
        median.WaveformSampleInterpretation = group.WaveformSampleInterpretation
        median["WaveformData"] = _ow(digital[:60].astype(dtype).tobytes())
        groups.append(median)
    ds.WaveformSequence = Sequence(groups)
    ds.save_as(path, enforce_file_format=True)
    return digital


def _ow(data: bytes):  # type: ignore[no-untyped-def]
    from pydicom.dataelem import DataElement

    return DataElement(0x54001010, "OW", data)


def _read_all(source) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    blocks = list(source.iter_blocks(1.0))
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(source.channels))]


def _physical(values: np.ndarray, gain: float, baseline: float) -> np.ndarray:
    return (values.astype(np.float64) - baseline) / gain


class TestDicomFidelity:
    @pytest.mark.parametrize("rel", ["ptbxl/00001_lr", "cinc2021/E07500"])
    def test_twelve_lead_matches_wfdb(self, data_dir: Path, tmp_path: Path, rel: str) -> None:
        record = wfdb.rdrecord(str(data_dir / rel), physical=False)
        reference = wfdb.rdrecord(str(data_dir / rel))
        path = tmp_path / "ecg.dcm"
        digital = write_dicom_ecg(record, path, median_group=True)
        source = open_recording(path)
        assert source.format == "dicom"
        assert [c.name.upper() for c in source.channels] == [n.upper() for n in record.sig_name]
        assert source.duration == pytest.approx(record.sig_len / record.fs)
        assert any("MEDIAN" in w for w in source.warnings)
        assert source.patient_info == {} and source.start_date is None
        for i, (channel, samples) in enumerate(
            zip(source.channels, _read_all(source), strict=True)
        ):
            assert channel.fs == record.fs and channel.units == "uV"
            np.testing.assert_array_equal(samples, digital[:, i])
            mv = _physical(samples, channel.gain, channel.baseline) / 1000
            step = 1.0 / record.adc_gain[i]
            np.testing.assert_allclose(mv, reference.p_signal[:, i], atol=step)

    @pytest.mark.parametrize("bits", [8, 32])
    def test_other_sample_widths(self, data_dir: Path, tmp_path: Path, bits: int) -> None:
        # ptbxl/00001_lr: 8 bits keep only the low byte, which is still exact digital data.
        record = wfdb.rdrecord(str(data_dir / "ptbxl/00001_lr"), physical=False)
        if bits == 8:
            record.d_signal = (record.d_signal // 16).clip(-128, 127)
        path = tmp_path / "ecg.dcm"
        digital = write_dicom_ecg(record, path, sop_class=GENERAL_ECG, bits=bits, uv=False)
        source = open_recording(path)
        expected_dtype = "int32" if bits == 32 else "int16"
        for i, samples in enumerate(_read_all(source)):
            assert source.channels[i].dtype == expected_dtype
            assert source.channels[i].units == "mV"
            np.testing.assert_array_equal(samples, digital[:, i].astype(expected_dtype))

    def test_groups_at_two_rates(self, data_dir: Path, tmp_path: Path) -> None:
        # cinc2021/E07500 at 500 Hz, plus leads I and II at 250 Hz in a second group.
        from copy import deepcopy

        from pydicom import dcmread

        record = wfdb.rdrecord(str(data_dir / "cinc2021/E07500"), physical=False)
        path = tmp_path / "ecg.dcm"
        digital = write_dicom_ecg(record, path)
        ds = dcmread(path)
        slow = deepcopy(ds.WaveformSequence[0])
        slow.NumberOfWaveformChannels = 2
        slow.NumberOfWaveformSamples = digital.shape[0] // 2
        slow.SamplingFrequency = "250"
        slow.ChannelDefinitionSequence = Sequence(list(slow.ChannelDefinitionSequence)[:2])
        slow["WaveformData"] = _ow(np.ascontiguousarray(digital[::2, :2]).astype("<i2").tobytes())
        ds.WaveformSequence.append(slow)
        ds.save_as(path)
        source = open_recording(path)
        assert [c.fs for c in source.channels] == [500.0] * 12 + [250.0] * 2
        blocks = list(source.iter_blocks(0.7))
        for block in blocks:
            assert len(block[0]) == 2 * len(block[12])
        samples = _read_all(source)
        np.testing.assert_array_equal(samples[0], digital[:, 0])
        np.testing.assert_array_equal(samples[13], digital[::2, 1])

    def test_patient_info_kept_only_when_asked(self, data_dir: Path, tmp_path: Path) -> None:
        record = wfdb.rdrecord(str(data_dir / "ptbxl/00001_lr"), physical=False)
        path = tmp_path / "ecg.dcm"
        write_dicom_ecg(record, path, sop_class=AMBULATORY_ECG)
        source = open_recording(path, keep_patient_info=True)
        assert source.patient_info["PatientID"] == "P-0001"
        assert source.start_date is not None and source.start_date.year == 2020
        assert str(source.start_time) == "03:04:05"

    def test_found_in_a_folder(self, data_dir: Path, tmp_path: Path) -> None:
        record = wfdb.rdrecord(str(data_dir / "ptbxl/00001_lr"), physical=False)
        write_dicom_ecg(record, tmp_path / "a.dcm")
        (tmp_path / "notes.txt").write_text("not a record")
        refs, errors = find_records([str(tmp_path)])
        assert [(r.name, r.kind) for r in refs] == [("a", "dicom")] and not errors


class TestDicomRefusal:
    def test_not_dicom(self, tmp_path: Path) -> None:
        path = tmp_path / "junk.dcm"
        path.write_bytes(b"\x00" * 300)
        with pytest.raises(RecordError, match=r"junk\.dcm: is not a DICOM file"):
            open_recording(path)

    def test_image_without_waveform(self, tmp_path: Path) -> None:
        ds = Dataset()
        ds.file_meta = _file_meta("1.2.840.10008.5.1.4.1.1.7", generate_uid())
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.Modality = "OT"
        ds.Rows = ds.Columns = 2
        ds.BitsAllocated = ds.BitsStored = 8
        ds.HighBit = 7
        ds.SamplesPerPixel = 1
        ds.PixelRepresentation = 0
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.PixelData = b"\x00\x01\x02\x03"
        path = tmp_path / "image.dcm"
        ds.save_as(path, enforce_file_format=True)
        with pytest.raises(RecordError, match=r"image\.dcm: .*without a waveform"):
            open_recording(path)

    def test_unsupported_bits(self, data_dir: Path, tmp_path: Path) -> None:
        record = wfdb.rdrecord(str(data_dir / "ptbxl/00001_lr"), physical=False)
        path = tmp_path / "mulaw.dcm"
        write_dicom_ecg(record, path, bits=8)
        from pydicom import dcmread

        ds = dcmread(path)
        ds.WaveformSequence[0].WaveformSampleInterpretation = "MB"
        ds.save_as(path)
        with pytest.raises(RecordError, match=r"mulaw\.dcm: .*interpretation MB are not supported"):
            open_recording(path)

    @pytest.mark.parametrize("keep", [1000, -5000])
    def test_truncated(self, data_dir: Path, tmp_path: Path, keep: int) -> None:
        # ptbxl/00001_lr cut inside the waveform sequence's header, or in its samples.
        record = wfdb.rdrecord(str(data_dir / "ptbxl/00001_lr"), physical=False)
        path = tmp_path / "cut.dcm"
        write_dicom_ecg(record, path)
        path.write_bytes(path.read_bytes()[:keep])
        with pytest.raises(RecordError, match=r"cut\.dcm: is truncated"):
            open_recording(path)
