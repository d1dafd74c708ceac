"""The WFDB reader against ``wfdb`` itself, on every real record of the test data."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.io import RecordRef, find_records, open_recording
from wavetag.signal.recording import RecordingSource

RECORDS = [
    "mitdb/100",
    "mitdb/105",
    "mitdb/106",
    "mitdb/107",
    "challenge2015/v102s",
    "challenge2015/v221l",
    "mimicdb/03700181",
    "ptbdb/s0010_re",
    "ptbxl/00001_lr",
]


def read_all(source: RecordingSource, seconds: float = 60.0) -> list[np.ndarray]:
    blocks = list(source.iter_blocks(seconds))
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(source.channels))]


def physical(digital: np.ndarray, gain: float, baseline: float, invalid: int | None) -> np.ndarray:
    values = (digital - baseline) / gain
    if invalid is not None:
        values[digital == invalid] = np.nan
    return values


class TestAgainstWfdb:
    @pytest.mark.parametrize("record", RECORDS)
    def test_metadata(self, data_dir: Path, record: str) -> None:
        source = open_recording(str(data_dir / record))
        ref = wfdb.rdheader(str(data_dir / record))
        assert source.format == "wfdb"
        assert source.name == Path(record).name
        assert len(source.channels) == ref.n_sig
        for i, channel in enumerate(source.channels):
            assert channel.index == i
            assert channel.name == ref.sig_name[i]
            assert channel.units == ref.units[i]
            assert channel.fs == ref.fs * ref.samps_per_frame[i]
            assert channel.gain == ref.adc_gain[i]
            assert channel.baseline == ref.baseline[i]
            assert channel.n_samples == ref.sig_len * ref.samps_per_frame[i]
            assert channel.adc_resolution == ref.adc_res[i]
            assert channel.dtype == "int16"
        assert source.duration == pytest.approx(ref.sig_len / ref.fs)
        assert source.comments == ref.comments
        assert source.warnings == []
        assert source.files[0] == str(data_dir / record) + ".hea"
        assert all(Path(f).is_file() for f in source.files)

    @pytest.mark.parametrize("record", RECORDS)
    def test_samples(self, data_dir: Path, record: str) -> None:
        source = open_recording(str(data_dir / record))
        digital = read_all(source)
        ref_d = wfdb.rdrecord(str(data_dir / record), physical=False, smooth_frames=False)
        ref_p = wfdb.rdrecord(str(data_dir / record), physical=True, smooth_frames=False)
        for i, channel in enumerate(source.channels):
            assert digital[i].dtype == np.int16
            assert len(digital[i]) == channel.n_samples
            np.testing.assert_array_equal(digital[i], ref_d.e_d_signal[i])
            ours = physical(digital[i], channel.gain, channel.baseline, channel.invalid)
            np.testing.assert_array_equal(
                ours.astype(np.float32), ref_p.e_p_signal[i].astype(np.float32)
            )

    @pytest.mark.parametrize("record", RECORDS)
    @pytest.mark.parametrize("seconds", [0.5, 7.3])
    def test_small_blocks_give_the_same_samples(
        self, data_dir: Path, record: str, seconds: float
    ) -> None:
        source = open_recording(str(data_dir / record))
        whole = read_all(source, 3600.0)
        for a, b in zip(read_all(source, seconds), whole, strict=True):
            np.testing.assert_array_equal(a, b)

    @pytest.mark.parametrize("record", RECORDS)
    def test_blocks_cover_the_same_time_on_every_channel(self, data_dir: Path, record: str) -> None:
        source = open_recording(str(data_dir / record))
        for block in source.iter_blocks(2.0):
            spans = {len(x) / c.fs for x, c in zip(block, source.channels, strict=True)}
            assert len(spans) == 1

    @pytest.mark.parametrize("record", RECORDS)
    def test_annotations(self, data_dir: Path, record: str) -> None:
        source = open_recording(str(data_dir / record))
        folder = (data_dir / record).parent
        name = Path(record).name
        expected = sorted(
            p.suffix[1:]
            for p in folder.iterdir()
            if p.stem == name and p.suffix not in (".hea", ".dat", ".mat", ".xyz")
        )
        assert [a.name for a in source.annotation_sets] == expected
        for found in source.annotation_sets:
            ref = wfdb.rdann(str(data_dir / record), found.name)
            assert found.source == f"{name}.{found.name}"
            assert found.fs == ref.fs
            np.testing.assert_array_equal(found.sample, ref.sample)
            np.testing.assert_allclose(found.time, ref.sample / ref.fs)
            assert found.symbol == ref.symbol
            assert found.aux_note == [a.rstrip("\x00") for a in ref.aux_note]
            np.testing.assert_array_equal(found.subtype, ref.subtype)
            np.testing.assert_array_equal(found.chan, ref.chan)
            np.testing.assert_array_equal(found.num, ref.num)
            assert np.all(found.duration == 0)
            assert str(folder / found.source) in source.files


class TestRecordDetails:
    def test_header_with_leading_comment_and_blank_line(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "mitdb/100.hea"))
        assert [c.name for c in source.channels] == ["MLII", "V5"]
        assert source.comments == ["unnecessary comment", "69 M 1085 1629 x1", "Aldomet, Inderal"]
        assert source.start_time is None

    def test_mitdb_100_reference_annotations(self, data_dir: Path) -> None:
        (atr,) = open_recording(str(data_dir / "mitdb/100")).annotation_sets
        assert (atr.name, atr.origin, len(atr), atr.fs) == ("atr", "reference", 2274, 360)
        # 2273 beats plus the rhythm annotation "(N" at the start.
        assert sum(s in "NAV" for s in atr.symbol) == 2273
        assert atr.aux_note[0] == "(N"

    def test_multi_frequency_and_skew(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "mimicdb/03700181"))
        assert [c.fs for c in source.channels] == [500.0, 125.0, 125.0]
        assert [c.n_samples for c in source.channels] == [300000, 75000, 75000]
        assert [c.invalid for c in source.channels] == [-2048] * 3
        resp = read_all(source)[2]
        # Channel 2 is stored 4 frames late: its last 4 samples do not exist.
        assert list(resp[-4:]) == [-2048] * 4
        assert resp[-5] != -2048

    def test_detector_outputs_are_machine_annotations(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "mimicdb/03700181"))
        sets = {a.name: a for a in source.annotation_sets}
        assert {n: a.origin for n, a in sets.items()} == {
            "gqrsh": "machine",
            "gqrsl": "machine",
            "sqrs": "machine",
        }
        # Each file states its own time resolution.
        assert {n: a.fs for n, a in sets.items()} == {"gqrsh": 500, "gqrsl": 125, "sqrs": 250}
        assert all(a.time.max() <= source.duration for a in sets.values())

    def test_start_time_is_kept_but_the_date_only_on_request(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "mimicdb/03700181"))
        assert source.start_time == time(17, 27, 45)
        assert source.start_date is None
        assert source.patient_info == {}
        kept = open_recording(str(data_dir / "mimicdb/03700181"), keep_patient_info=True)
        assert kept.start_date == datetime(1994, 8, 15, 17, 27, 45)

    def test_patient_comments(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "ptbdb/s0010_re"))
        assert "age: 81" in source.comments
        assert source.patient_info == {}
        kept = open_recording(str(data_dir / "ptbdb/s0010_re"), keep_patient_info=True)
        assert kept.patient_info["age"] == "81"
        assert kept.patient_info["sex"] == "female"

    def test_two_signal_files(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "ptbdb/s0010_re"))
        assert [Path(f).name for f in source.files] == [
            "s0010_re.hea",
            "s0010_re.dat",
            "s0010_re.xyz",
        ]
        assert [c.name for c in source.channels[-3:]] == ["vx", "vy", "vz"]

    def test_unsigned_checksums_are_compared_modulo_65536(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "ptbxl/00001_lr"))
        assert len(read_all(source)) == 12
        assert source.warnings == []

    def test_wfdb_mat_signal_file(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "challenge2015/v221l"))
        assert [c.units for c in source.channels] == ["mV", "mV", "NU", "mmHg"]
        assert source.comments == ["Ventricular_Tachycardia", "True alarm"]
        assert source.files[1].endswith("v221l.mat")

    @pytest.mark.parametrize("form", ["100", "100.hea", "ref"])
    def test_ways_to_name_a_record(self, data_dir: Path, form: str) -> None:
        path = str(data_dir / "mitdb" / form)
        if form == "ref":
            (ref,), errors = find_records([str(data_dir / "mitdb/100")])
            assert isinstance(ref, RecordRef) and errors == []
            source = open_recording(ref)
        else:
            source = open_recording(path)
        assert source.name == "100"
        assert source.path == str(data_dir / "mitdb/100.hea")

    def test_blocks_can_be_read_twice(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "challenge2015/v102s"))
        first, second = read_all(source, 11.0), read_all(source, 13.0)
        for a, b in zip(first, second, strict=True):
            np.testing.assert_array_equal(a, b)

    def test_block_length_must_be_positive(self, data_dir: Path) -> None:
        source = open_recording(str(data_dir / "ptbxl/00001_lr"))
        with pytest.raises(ValueError, match="positive"):
            next(source.iter_blocks(0))
