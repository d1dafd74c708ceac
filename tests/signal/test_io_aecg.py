"""The HL7 aECG reader, on documents written here from ptbxl/00001_lr (12 leads)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.io import find_records, open_recording
from wavetag.signal.recording import RecordError

from .format_writers import aecg_xml

LEAD_NAMES = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


@pytest.fixture(scope="module")
def ptbxl(data_dir: Path) -> tuple[wfdb.Record, np.ndarray]:
    """ptbxl/00001_lr as wfdb reads it: the digital record and its physical values."""
    path = str(data_dir / "ptbxl/00001_lr")
    return wfdb.rdrecord(path, physical=False), wfdb.rdrecord(path).p_signal


def write_ptbxl(folder: Path, record: wfdb.Record, **kwargs: object) -> Path:
    scale = [1000.0 / g for g in record.adc_gain]  # uV per digit
    origin = [-b * s for b, s in zip(record.baseline, scale, strict=True)]
    leads = dict(zip(LEAD_NAMES, record.d_signal.T, strict=True))
    path = folder / "00001_lr.xml"
    path.write_text(aecg_xml(leads, 1 / record.fs, scale, origin, **kwargs), encoding="utf-8")
    return path


class TestAecgFidelity:
    @pytest.mark.parametrize("value_type", ["SLIST_PQ", "SLIST_INT"])
    def test_ptbxl_00001_lr_matches_wfdb(
        self, tmp_path: Path, ptbxl: tuple[wfdb.Record, np.ndarray], value_type: str
    ) -> None:
        record, physical = ptbxl
        assert record.sig_name == ["I", "II", "III", "AVR", "AVL", "AVF"] + LEAD_NAMES[6:]
        source = open_recording(write_ptbxl(tmp_path, record, value_type=value_type))
        assert source.format == "aecg"
        assert [c.name for c in source.channels] == LEAD_NAMES
        assert source.duration == pytest.approx(record.sig_len / record.fs)
        assert source.start_time is not None and source.start_time.isoformat() == "10:15:00"
        assert source.start_date is None
        blocks = list(source.iter_blocks(3.0))
        assert len(blocks) == 4
        for i, channel in enumerate(source.channels):
            assert channel.fs == pytest.approx(record.fs) and channel.units == "mV"
            got = np.concatenate([b[i] for b in blocks])
            np.testing.assert_array_equal(got, record.d_signal[:, i])
            values = (got - channel.baseline) / channel.gain
            np.testing.assert_allclose(values, physical[:, i], rtol=0, atol=1e-9)

    def test_folder_scan_takes_only_aecg_xml(
        self, tmp_path: Path, ptbxl: tuple[wfdb.Record, np.ndarray]
    ) -> None:
        write_ptbxl(tmp_path, ptbxl[0])
        (tmp_path / "settings.xml").write_text("<settings/>", encoding="utf-8")
        refs, errors = find_records([str(tmp_path)])
        assert [(r.name, r.kind) for r in refs] == [("00001_lr", "aecg")] and not errors


GOOD = aecg_xml({"I": np.array([1, 2, 3]), "II": np.array([4, 5, 6])}, 0.002, [5.0, 5.0], [0, 0])


class TestAecgRefusals:
    @pytest.mark.parametrize(
        ("name", "text", "fragment"),
        [
            ("not_xml", "I,II\n1,2\n", "not well-formed XML"),
            ("empty", "", "not well-formed XML"),
            (
                "entities",
                '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><AnnotatedECG>&b;</AnnotatedECG>',
                "DTD",
            ),
            ("other_root", '<ClinicalDocument xmlns="urn:hl7-org:v3"/>', "not an HL7 aECG"),
            (
                "no_waveforms",
                '<AnnotatedECG xmlns="urn:hl7-org:v3"><component><series/></component>'
                "</AnnotatedECG>",
                "no rhythm waveforms",
            ),
            ("unequal", GOOD.replace("<digits>4 5 6<", "<digits>4 5<"), "unequal"),
            (
                "no_scale",
                GOOD.replace('<scale value="5.0" unit="uV"/><digits>4', "<digits>4"),
                "lead II: scale is missing",
            ),
            ("bad_digit", GOOD.replace("<digits>4 5 6<", "<digits>4 x 6<"), "'x'"),
            ("no_time", GOOD.replace("TIME_ABSOLUTE", "SOMETHING"), "no TIME_ABSOLUTE"),
            ("zero_step", GOOD.replace('increment value="0.002"', 'increment value="0"'), "0 s"),
        ],
    )
    def test_refused(self, tmp_path: Path, name: str, text: str, fragment: str) -> None:
        path = tmp_path / f"{name}.xml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RecordError) as info:
            open_recording(path)
        message = str(info.value)
        assert str(path) in message and fragment in message and "\n" not in message

    def test_good_document_is_read(self, tmp_path: Path) -> None:
        path = tmp_path / "good.xml"
        path.write_text(GOOD, encoding="utf-8")
        source = open_recording(path)
        assert [c.fs for c in source.channels] == [500.0, 500.0]
        (block,) = list(source.iter_blocks(60.0))
        assert [b.tolist() for b in block] == [[1, 2, 3], [4, 5, 6]]
