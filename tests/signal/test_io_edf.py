"""The EDF/BDF reader against pyedflib and edfio, on real and written files."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import edfio
import numpy as np
import pyedflib
import pytest

from wavetag.signal.io import open_recording
from wavetag.signal.recording import RecordError, RecordingSource

EDF_FILES = ["edf/r01.edf", "edf/test_generator.edf"]

# Offsets of the fixed part of an EDF header.
NUMBER_OF_RECORDS = (236, 8)
RECORD_DURATION = (244, 8)
NUMBER_OF_SIGNALS = (252, 4)
HEADER_BYTES = (184, 8)
RESERVED = (192, 44)
VERSION = (0, 8)
# Per-signal fields: (offset of the field block within the signal headers, width).
SIGNAL_FIELDS = {
    "label": (0, 16),
    "physical_min": (104, 8),
    "physical_max": (112, 8),
    "digital_min": (120, 8),
    "digital_max": (128, 8),
    "samples": (216, 8),
}


def read_all(source: RecordingSource, seconds: float = 60.0) -> list[np.ndarray]:
    blocks = list(source.iter_blocks(seconds))
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(source.channels))]


def physical(source: RecordingSource, digital: list[np.ndarray]) -> list[np.ndarray]:
    return [(d - c.baseline) / c.gain for d, c in zip(digital, source.channels, strict=True)]


def write_edf(
    path: Path,
    *,
    bdf: bool = False,
    seconds: int = 10,
    annotations: list[tuple[float, float | None, str]] | None = None,
    record_duration: float = 1.0,
) -> Path:
    """A small EDF+ (or BDF+) file: 100 Hz and 25 Hz channels, inverted scaling on one."""
    rng = np.random.default_rng(3)
    signal_type = edfio.BdfSignal if bdf else edfio.EdfSignal
    signals = [
        signal_type(rng.normal(size=100 * seconds), 100, label="ECG", physical_dimension="mV",
                    physical_range=(-5, 5)),
        signal_type(rng.uniform(0, 1, size=25 * seconds), 25, label="Resp",
                    physical_dimension="NU", physical_range=(-0.25, 1.5)),
    ]  # fmt: skip
    file_type = edfio.Bdf if bdf else edfio.Edf
    notes = [edfio.EdfAnnotation(o, d, t) for o, d, t in annotations or []]
    file_type(
        signals, annotations=notes, data_record_duration=record_duration, starttime=time(8, 30, 5)
    ).write(path)
    # Inverted scaling (physical maximum below minimum) is legal EDF.
    patch(path, signal_field(path, "physical_min", 1), "1.5")
    patch(path, signal_field(path, "physical_max", 1), "-0.25")
    return path


def patch(path: Path, field: tuple[int, int], text: str | bytes) -> None:
    offset, width = field
    raw = text if isinstance(text, bytes) else text.encode("ascii")
    data = bytearray(path.read_bytes())
    data[offset : offset + width] = raw.ljust(width, b" ")[:width]
    path.write_bytes(bytes(data))


def signal_field(path: Path, name: str, signal: int) -> tuple[int, int]:
    ns = int(path.read_bytes()[252:256])
    offset, width = SIGNAL_FIELDS[name]
    return 256 + offset * ns + signal * width, width


class TestRealFiles:
    @pytest.mark.parametrize("name", EDF_FILES)
    def test_against_pyedflib(self, data_dir: Path, name: str) -> None:
        source = open_recording(str(data_dir / name))
        digital = read_all(source)
        values = physical(source, digital)
        with pyedflib.EdfReader(str(data_dir / name)) as ref:
            assert ref.signals_in_file == len(source.channels)
            for i, channel in enumerate(source.channels):
                assert channel.name == ref.getLabel(i)
                assert channel.units == ref.getPhysicalDimension(i)
                assert channel.fs == ref.getSampleFrequency(i)
                assert channel.n_samples == ref.getNSamples()[i]
                assert channel.dtype == "int16" and channel.invalid is None
                np.testing.assert_array_equal(digital[i], ref.readSignal(i, digital=True))
                np.testing.assert_array_equal(
                    values[i].astype(np.float32), ref.readSignal(i).astype(np.float32)
                )
            assert source.duration == ref.getFileDuration()

    @pytest.mark.parametrize("name", EDF_FILES)
    def test_against_edfio(self, data_dir: Path, name: str) -> None:
        source = open_recording(str(data_dir / name))
        digital = read_all(source, 7.0)
        values = physical(source, digital)
        ref = edfio.read_edf(data_dir / name)
        assert len(ref.signals) == len(source.channels)
        for i, signal in enumerate(ref.signals):
            assert source.channels[i].name == signal.label
            assert source.channels[i].fs == signal.sampling_frequency
            np.testing.assert_array_equal(digital[i], signal.digital)
            np.testing.assert_array_equal(
                values[i].astype(np.float32), signal.data.astype(np.float32)
            )
        ours = source.annotation_sets[0]
        assert [a.text for a in ref.annotations] == ours.symbol
        np.testing.assert_allclose([a.onset for a in ref.annotations], ours.time)

    def test_r01_annotations(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "edf/r01.edf"))
        edf, qrs = source.annotation_sets
        assert (edf.name, edf.origin, edf.source, len(edf)) == ("edf", "reference", "r01.edf", 644)
        assert set(edf.symbol) == {"QRS"}
        assert edf.fs == 1000.0
        with pyedflib.EdfReader(str(data_dir / "edf/r01.edf")) as ref:
            onsets, _, _ = ref.readAnnotations()
        np.testing.assert_allclose(edf.time, onsets)
        np.testing.assert_array_equal(edf.sample, np.round(onsets * 1000))
        # The same marks as a WFDB annotation file beside the EDF file.
        assert (qrs.name, qrs.origin, qrs.source, len(qrs)) == (
            "qrs",
            "reference",
            "r01.edf.qrs",
            644,
        )
        # The WFDB file rounds some onsets down where the EDF+ onset rounds up.
        assert np.abs(qrs.sample - edf.sample).max() == 1
        assert source.files == [str(data_dir / "edf/r01.edf"), str(data_dir / "edf/r01.edf.qrs")]

    def test_small_blocks_give_the_same_samples(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "edf/test_generator.edf"))
        for a, b in zip(read_all(source, 0.3), read_all(source, 1000.0), strict=True):
            np.testing.assert_array_equal(a, b)

    def test_patient_information_only_on_request(self, data_dir: Path) -> None:
        path = str(data_dir / "edf/test_generator.edf")
        source = open_recording(path)
        assert source.patient_info == {} and source.start_date is None
        assert source.start_time == time(12, 57, 2)
        assert source.comments == []
        kept = open_recording(path, keep_patient_info=True)
        assert kept.start_date == datetime(2011, 4, 4, 12, 57, 2)
        assert kept.patient_info["name"] == "Hans Muller"
        assert kept.patient_info["sex"] == "M"
        assert "Startdate 04-APR-2011" in kept.patient_info["recording"]

    def test_scaling_baseline_may_be_a_fraction(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "edf/r01.edf"))
        assert any(c.baseline != int(c.baseline) for c in source.channels)


class TestWrittenFiles:
    @pytest.mark.parametrize("bdf", [False, True])
    def test_mixed_rates_and_inverted_scaling(self, tmp_path: Path, bdf: bool) -> None:
        path = write_edf(tmp_path / ("x.bdf" if bdf else "x.edf"), bdf=bdf)
        source = open_recording(str(path))
        assert source.format == ("bdf" if bdf else "edf")
        assert [c.fs for c in source.channels] == [100.0, 25.0]
        assert source.channels[1].gain < 0
        digital = read_all(source, 0.5)
        values = physical(source, digital)
        width = "int32" if bdf else "int16"
        with pyedflib.EdfReader(str(path)) as ref:
            for i, channel in enumerate(source.channels):
                assert channel.dtype == width and digital[i].dtype == np.dtype(width)
                assert channel.adc_resolution == (24 if bdf else 16)
                np.testing.assert_array_equal(digital[i], ref.readSignal(i, digital=True))
                np.testing.assert_array_equal(
                    values[i].astype(np.float32), ref.readSignal(i).astype(np.float32)
                )
        assert source.start_time == time(8, 30, 5)

    def test_bdf_negative_samples(self, tmp_path: Path) -> None:
        path = write_edf(tmp_path / "x.bdf", bdf=True)
        digital = read_all(open_recording(str(path)))
        ref = edfio.read_bdf(path)
        for ours, signal in zip(digital, ref.signals, strict=True):
            assert ours.min() < -(2**15) and ours.max() > 2**15
            np.testing.assert_array_equal(ours, signal.digital)

    def test_annotations_with_durations(self, tmp_path: Path) -> None:
        notes = [(1.5, 2.0, "Apnea"), (1.5, None, "Arousal"), (7.25, 0.5, "Déjà vu")]
        source = open_recording(str(write_edf(tmp_path / "a.edf", annotations=notes)))
        (edf,) = source.annotation_sets
        found = sorted(zip(edf.time, edf.symbol, edf.duration, edf.sample, strict=True))
        assert found == [
            (1.5, "Apnea", 2.0, 150),
            (1.5, "Arousal", 0.0, 150),
            (7.25, "Déjà vu", 0.5, 725),
        ]
        assert list(edf.time) == sorted(edf.time)
        assert edf.aux_note == ["", "", ""]

    def test_records_longer_than_a_block(self, tmp_path: Path) -> None:
        path = write_edf(tmp_path / "long.edf", seconds=20, record_duration=4)
        source = open_recording(str(path))
        blocks = list(source.iter_blocks(1.0))
        assert len(blocks) == 5
        assert [len(x) for x in blocks[0]] == [400, 100]

    def test_upper_case_extension(self, tmp_path: Path) -> None:
        path = write_edf(tmp_path / "UP.EDF")
        assert open_recording(str(path)).name == "UP"

    def test_trailing_bytes_are_ignored_with_a_warning(self, tmp_path: Path) -> None:
        path = write_edf(tmp_path / "t.edf")
        path.write_bytes(path.read_bytes() + b"\0" * 10)
        source = open_recording(str(path))
        assert source.warnings == ["10 bytes after the last data record were ignored"]


def refused(path: Path) -> str:
    with pytest.raises(RecordError) as info:
        open_recording(str(path))
    message = str(info.value)
    assert path.name in message and "\n" not in message
    return message


class TestRefusedFiles:
    def test_discontinuous_edf(self, tmp_path: Path) -> None:
        path = write_edf(tmp_path / "d.edf")
        patch(path, RESERVED, "EDF+D")
        assert "EDF+D (discontinuous)" in refused(path)

    def test_edf_plus_c_with_a_gap(self, tmp_path: Path) -> None:
        path = write_edf(tmp_path / "g.edf")
        data = path.read_bytes()
        # The third data record's time-keeping TAL: "+2\x14\x14" becomes "+9\x14\x14".
        patched = data.replace(b"+2\x14\x14", b"+9\x14\x14", 1)
        assert patched != data
        path.write_bytes(patched)
        assert "discontinuous" in refused(path)

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            (VERSION, "1", "not an EDF or BDF file"),
            (NUMBER_OF_SIGNALS, "XX!!", "'number of signals' is 'XX!!', not a whole number"),
            (NUMBER_OF_SIGNALS, "0", "declares 0 signals"),
            (HEADER_BYTES, "999", "header size is given as 999 bytes"),
            (NUMBER_OF_RECORDS, "-1", "-1 (unknown)"),
            (NUMBER_OF_RECORDS, "0", "holds 0 data records"),
            (NUMBER_OF_RECORDS, "11", "file is truncated"),
            (RECORD_DURATION, "0", "positive duration"),
            (RECORD_DURATION, "abc", "not a number"),
        ],
    )
    def test_bad_header_fields(
        self, tmp_path: Path, field: tuple[int, int], value: str, expected: str
    ) -> None:
        path = write_edf(tmp_path / "h.edf")
        patch(path, field, value)
        assert expected in refused(path)

    @pytest.mark.parametrize(
        ("name", "value", "expected"),
        [
            ("samples", "0", "0 samples per data record"),
            ("physical_min", "5", "equal physical minimum and maximum"),
            ("digital_min", "32767", "digital minimum not below its maximum"),
            ("digital_max", "40000", "beyond what 16-bit samples can hold"),
            ("digital_max", "1.5", "not a whole number"),
        ],
    )
    def test_bad_signal_fields(self, tmp_path: Path, name: str, value: str, expected: str) -> None:
        path = write_edf(tmp_path / "s.edf")
        patch(path, signal_field(path, name, 0), value)
        assert expected in refused(path)

    def test_malformed_annotation(self, tmp_path: Path) -> None:
        path = write_edf(tmp_path / "m.edf", annotations=[(1.0, None, "x")])
        patched = path.read_bytes().replace(b"+1\x14x", b"+Q\x14x", 1)
        path.write_bytes(patched)
        assert "malformed annotation in data record" in refused(path)

    def test_annotation_beyond_the_end(self, tmp_path: Path) -> None:
        path = write_edf(tmp_path / "e.edf", annotations=[(8.0, None, "late")])
        path.write_bytes(path.read_bytes().replace(b"+8\x14late", b"+80\x14lat", 1))
        assert "beyond the end of the recording" in refused(path)

    def test_too_short_for_a_header(self, tmp_path: Path) -> None:
        path = tmp_path / "short.edf"
        path.write_bytes(b"0       ")
        assert "too short for an EDF header" in refused(path)
