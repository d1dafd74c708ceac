"""Importing the real records of ../shared/data through the import service."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import wfdb
from django.conf import settings
from django.core.management import call_command

from wavetag.records import signal_files
from wavetag.records.importer import import_paths
from wavetag.records.models import Annotation, AnnotationSet, Channel, Dataset, Record
from wavetag.records.windows import open_store
from wavetag.signal import store as wstore

from .factories import import_ok
from .signal.format_writers import aecg_xml, ishne_bytes

pytestmark = pytest.mark.django_db

WFDB_RECORDS = [
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
BROKEN = [
    "missing_dat",
    "truncated_dat",
    "garbage_fields",
    "nsig_mismatch",
    "bad_checksum",
    "negative_fs",
    "truncated_atr",
    "empty",
    "binary_junk",
    "truncated.edf",
    "bad_header.edf",
]


@pytest.fixture
def store_dir(settings, tmp_path: Path) -> Path:
    settings.STORE_DIR = tmp_path / "store"
    return settings.STORE_DIR


def _published(store_dir: Path) -> list[str]:
    return list(wstore.list_keys(store_dir)) if store_dir.exists() else []


class TestImportEveryRecord:
    @pytest.mark.parametrize("rel", WFDB_RECORDS)
    def test_wfdb_record_matches_wfdb(self, data_dir: Path, store_dir: Path, rel: str) -> None:
        (result,) = import_ok(data_dir / rel, dataset="t")
        record = Record.objects.get(pk=result.record_id)
        ref = wfdb.rdrecord(str(data_dir / rel), smooth_frames=False)
        channels = list(Channel.objects.filter(record=record).order_by("index"))
        assert [c.name for c in channels] == ref.sig_name
        assert [c.units for c in channels] == ref.units
        store = open_store(record)
        for c, phys, spf in zip(channels, ref.e_p_signal, ref.samps_per_frame, strict=True):
            assert c.fs == pytest.approx(ref.fs * spf)
            assert c.n_samples == len(phys)
            window = store.window(c.index, 0.0, c.n_samples / c.fs, c.n_samples)
            assert window.kind == "raw"
            got = wstore_to_physical(window.values, store.channels[c.index])
            np.testing.assert_array_equal(np.isnan(got), np.isnan(phys))
            ok = ~np.isnan(phys)
            np.testing.assert_allclose(got[ok], phys[ok].astype(np.float32), rtol=1e-6, atol=1e-7)
        assert record.duration == pytest.approx(ref.sig_len / ref.fs)

    def test_annotation_sets_are_named_and_marked(self, data_dir: Path, store_dir: Path) -> None:
        import_ok(data_dir / "mimicdb", data_dir / "mitdb/100", dataset="t")
        sets = {s.name: s for s in AnnotationSet.objects.filter(record__name="03700181")}
        assert set(sets) == {"gqrsh", "gqrsl", "sqrs"}
        assert {s.origin for s in sets.values()} == {"machine"}
        atr = AnnotationSet.objects.get(record__name="100", name="atr")
        assert atr.origin == "reference"
        ann = wfdb.rdann(str(data_dir / "mitdb/100"), "atr")
        assert atr.count == len(ann.sample) == Annotation.objects.filter(annotation_set=atr).count()
        symbols = list(
            Annotation.objects.filter(annotation_set=atr)
            .order_by("time")
            .values_list("symbol", flat=True)
        )
        assert symbols == list(ann.symbol)

    def test_edf_records_match_pyedflib(self, data_dir: Path, store_dir: Path) -> None:
        pyedflib = pytest.importorskip("pyedflib")
        import_ok(data_dir / "edf", dataset="edf")
        assert Record.objects.filter(dataset__name="edf").count() == 2
        for record in Record.objects.filter(dataset__name="edf"):
            store = open_store(record)
            with pyedflib.EdfReader(record.source_path) as f:
                for c in store.channels:
                    ref = f.readSignal(c.index)
                    assert c.fs == pytest.approx(f.getSampleFrequency(c.index))
                    window = store.window(c.index, 0.0, c.duration, c.n_samples)
                    got = wstore_to_physical(window.values, c)
                    np.testing.assert_allclose(got, ref.astype(np.float32), rtol=1e-6, atol=1e-6)
        r01 = Record.objects.get(dataset__name="edf", name="r01")
        sets = {s.name: s.count for s in r01.annotation_sets.all()}
        assert sets["edf"] == 644  # EDF+ "QRS" marks
        assert sets["qrs"] == 644  # the same marks as a WFDB annotation file beside it

    def test_patient_info_not_kept_unless_asked(self, data_dir: Path, store_dir: Path) -> None:
        import_ok(data_dir / "edf/test_generator.edf", dataset="a")
        record = Record.objects.get(dataset__name="a")
        assert record.patient_info == {} and record.start_date is None
        import_ok(data_dir / "edf/test_generator.edf", dataset="b", keep_patient_info=True)
        kept = Record.objects.get(dataset__name="b")
        assert kept.patient_info and kept.start_date is not None

    def test_header_comments_are_kept(self, data_dir: Path, store_dir: Path) -> None:
        import_ok(data_dir / "challenge2015/v221l")
        record = Record.objects.get(name="v221l")
        assert "True alarm" in record.comments

    def test_dataset_defaults_to_folder_name_and_reimport_skips(
        self, data_dir: Path, store_dir: Path
    ) -> None:
        import_ok(data_dir / "mitdb")
        assert list(Dataset.objects.values_list("name", flat=True)) == ["mitdb"]
        assert Record.objects.count() == 4
        again = import_paths([str(data_dir / "mitdb")])
        assert [r.status for r in again] == ["skipped"] * 4
        assert len(_published(store_dir)) == 4


class TestBrokenInput:
    def test_every_broken_file_is_refused_cleanly(self, data_dir: Path, store_dir: Path) -> None:
        results = import_paths([str(data_dir / "broken"), str(data_dir / "mitdb/100")], "mixed")
        by_status = {}
        for r in results:
            by_status.setdefault(r.status, []).append(r)
        imported = by_status.get("imported", [])
        assert [r.name for r in imported] == ["100"], [r.message for r in results]
        failed = by_status["failed"]
        for stem in BROKEN:
            lines = [r.message for r in failed if Path(r.path).name.startswith(stem.split(".")[0])]
            assert lines, f"{stem} was not refused"
            for line in lines:
                assert "\n" not in line and "Traceback" not in line
                assert stem.split(".")[0] in line
        # Only the good record left rows and store files behind.
        assert list(Record.objects.values_list("name", flat=True)) == ["100"]
        assert Channel.objects.count() == 2
        assert len(_published(store_dir)) == 1
        tmp = [p for p in Path(store_dir).rglob("*") if ".tmp" in p.as_posix()]
        assert not [p for p in tmp if p.is_file()]

    def test_bad_checksum_can_be_imported_with_a_warning(
        self, data_dir: Path, store_dir: Path
    ) -> None:
        (result,) = import_paths(
            [str(data_dir / "broken/bad_checksum.hea")], verify_checksums=False
        )
        assert result.status == "imported"
        assert any("checksum" in w for w in result.warnings)

    def test_missing_path(self, tmp_path: Path, store_dir: Path) -> None:
        (result,) = import_paths([str(tmp_path / "nope")])
        assert result.status == "failed" and "nope" in result.message


def wstore_to_physical(values: np.ndarray, info: object) -> np.ndarray:
    from wavetag.signal.envelope import to_physical

    return np.asarray(to_physical(values, info), dtype=np.float32)


def test_store_dir_setting_is_used(data_dir: Path, store_dir: Path) -> None:
    import_ok(data_dir / "ptbxl")
    assert Path(settings.STORE_DIR) == store_dir
    assert len(_published(store_dir)) == 1


def run_import(*args: str) -> tuple[str, str, int]:
    """``wavetag import ARGS``: (stdout, stderr, exit status)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *args, "--no-progress", stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    return out.getvalue(), err.getvalue(), status


def _stored_physical(record: Record) -> list[np.ndarray]:
    store = open_store(record)
    return [
        wstore_to_physical(store.window(c.index, 0.0, c.duration, c.n_samples).values, c)
        for c in store.channels
    ]


class TestImportOtherFormats:
    """ISHNE, aECG and CSV files, written here from real records, through ``wavetag import``."""

    def _imported(self, path: Path, *args: str) -> Record:
        out, err, status = run_import(str(path), "--dataset", "formats", *args)
        assert status == 0 and "1 imported" in out, (out, err)
        return Record.objects.get(dataset__name="formats", name=path.stem)

    def _same_as_wfdb_export(self, record: Record, tmp_path: Path) -> None:
        # What a release bundle writes for the record reads back as what was imported.
        signal_files.write_wfdb(record, tmp_path, "out")
        back = wfdb.rdrecord(str(tmp_path / "out"))
        for got, c in zip(_stored_physical(record), back.p_signal.T, strict=True):
            np.testing.assert_allclose(got, c.astype(np.float32), rtol=1e-6, atol=1e-6)

    def test_ishne_from_mitdb_100(self, data_dir: Path, store_dir: Path, tmp_path: Path) -> None:
        ref = wfdb.rdrecord(str(data_dir / "mitdb/100"), sampto=360 * 60, physical=False)
        phys = wfdb.rdrecord(str(data_dir / "mitdb/100"), sampto=360 * 60).p_signal
        path = tmp_path / "h100.ecg"
        digital = ref.d_signal - np.array(ref.baseline)
        path.write_bytes(ishne_bytes(digital, 360, [6, 15], [5000, 5000]))
        record = self._imported(path)
        assert record.format == "ishne" and record.duration == pytest.approx(60.0)
        assert [c.name for c in record.channels.order_by("index")] == ["II", "V5"]
        for got, expected in zip(_stored_physical(record), phys.T, strict=True):
            np.testing.assert_allclose(got, expected.astype(np.float32), atol=1e-6)
        self._same_as_wfdb_export(record, tmp_path)

    def test_aecg_from_cinc2021_e07500(
        self, data_dir: Path, store_dir: Path, tmp_path: Path
    ) -> None:
        ref = wfdb.rdrecord(str(data_dir / "cinc2021/E07500"), physical=False)
        phys = wfdb.rdrecord(str(data_dir / "cinc2021/E07500")).p_signal
        leads = dict(zip(ref.sig_name, ref.d_signal.T, strict=True))
        scale = [1000.0 / g for g in ref.adc_gain]
        path = tmp_path / "E07500.xml"
        path.write_text(aecg_xml(leads, 1 / ref.fs, scale, [0.0] * len(scale)), encoding="utf-8")
        record = self._imported(path)
        assert record.format == "aecg" and record.duration == pytest.approx(10.0)
        assert [c.name for c in record.channels.order_by("index")] == ref.sig_name
        for got, expected in zip(_stored_physical(record), phys.T, strict=True):
            np.testing.assert_allclose(got, expected.astype(np.float32), atol=1e-6)
        self._same_as_wfdb_export(record, tmp_path)

    def test_csv_from_mitdb_100_with_fs_option(
        self, data_dir: Path, store_dir: Path, tmp_path: Path
    ) -> None:
        phys = wfdb.rdrecord(str(data_dir / "mitdb/100"), sampto=360 * 60).p_signal
        path = tmp_path / "c100.csv"
        lines = ["MLII (mV),V5 (mV)"] + [f"{a:.3f},{b:.3f}" for a, b in phys]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out, err, status = run_import(str(path), "--dataset", "formats")
        assert status == 1 and "no time column and no sampling rate" in err
        record = self._imported(path, "--fs", "360")
        assert record.format == "csv" and record.duration == pytest.approx(60.0)
        for got, expected in zip(_stored_physical(record), phys.T, strict=True):
            np.testing.assert_allclose(got, expected.astype(np.float32), atol=1e-6)
        self._same_as_wfdb_export(record, tmp_path)

    def test_broken_files_are_refused_in_one_line_each(
        self, data_dir: Path, store_dir: Path, tmp_path: Path
    ) -> None:
        good = ishne_bytes(np.zeros((100, 1), np.int16), 200, [6], [5000])
        (tmp_path / "cut.ecg").write_bytes(good[:-10])
        (tmp_path / "junk.xml").write_text("<AnnotatedECG>", encoding="utf-8")
        (tmp_path / "ragged.csv").write_text("time,II\n0,1\n0.1,2,3\n", encoding="utf-8")
        paths = [str(tmp_path / n) for n in ("cut.ecg", "junk.xml", "ragged.csv")]
        out, err, status = run_import(*paths, str(data_dir / "mitdb/100"), "--dataset", "mixed")
        assert status == 1 and "1 imported, 0 skipped, 3 failed" in out
        failed = [line for line in err.splitlines() if line.startswith("FAILED")]
        assert [line.split()[1].rsplit("/", 1)[-1].rstrip(":") for line in failed] == [
            "cut.ecg",
            "junk.xml",
            "ragged.csv",
        ]
        assert "truncated" in failed[0] and "XML" in failed[1] and "row 3" in failed[2]
        assert list(Record.objects.values_list("name", flat=True)) == ["100"]


def _assert_store_matches(
    record: Record, expected_mv: np.ndarray, atol: float, tmp_path: Path
) -> None:
    """Every channel in the store, and in its WFDB export, equals ``expected_mv``
    (samples x channels; NaN = missing)."""
    from wavetag.records.signal_files import write_wfdb

    store = open_store(record)
    write_wfdb(record, tmp_path, "exported")
    exported = wfdb.rdrecord(str(tmp_path / "exported"))
    for c in store.channels:
        window = store.window(c.index, 0.0, c.duration, c.n_samples)
        got = wstore_to_physical(window.values, c)
        want = expected_mv[:, c.index]
        for values in (got, exported.p_signal[:, c.index]):
            np.testing.assert_array_equal(np.isnan(values), np.isnan(want))
            ok = ~np.isnan(want)
            np.testing.assert_allclose(values[ok], want[ok], atol=atol)


class TestImportCommandFormats:
    def test_dicom_ecg(self, data_dir: Path, store_dir: Path, tmp_path: Path) -> None:
        # ptbxl/00001_lr written as a DICOM 12-lead ECG, beside a truncated copy.
        from .signal.test_io_dicom import write_dicom_ecg

        record = wfdb.rdrecord(str(data_dir / "ptbxl/00001_lr"), physical=False)
        folder = tmp_path / "dicom"
        folder.mkdir()
        write_dicom_ecg(record, folder / "ecg.dcm", uv=False)
        data = (folder / "ecg.dcm").read_bytes()
        (folder / "cut.dcm").write_bytes(data[: len(data) // 2])
        out, err, status = run_import(str(folder), "--dataset", "dicom")
        assert status == 1 and "1 imported, 0 skipped, 1 failed" in out
        assert "cut.dcm" in err and "truncated" in err
        imported = Record.objects.get(dataset__name="dicom")
        assert (imported.name, imported.format) == ("ecg", "dicom")
        reference = wfdb.rdrecord(str(data_dir / "ptbxl/00001_lr"))
        _assert_store_matches(imported, reference.p_signal, 1e-3, tmp_path)

    def test_scp_ecg(self, data_dir: Path, store_dir: Path, tmp_path: Path) -> None:
        # cinc2021/E07500 written as SCP-ECG, beside a copy with a corrupted section.
        from .signal.test_io_scp import write_scp

        record = wfdb.rdrecord(str(data_dir / "cinc2021/E07500"), physical=False)
        folder = tmp_path / "scp"
        folder.mkdir()
        write_scp(record.d_signal, record.sig_name, record.fs, folder / "ecg.scp")
        data = bytearray((folder / "ecg.scp").read_bytes())
        data[-10] ^= 1
        (folder / "bad.scp").write_bytes(bytes(data))
        out, err, status = run_import(str(folder), "--dataset", "scp")
        assert status == 1 and "1 imported, 0 skipped, 1 failed" in out
        assert "bad.scp" in err and "section 6 fails its CRC check" in err
        imported = Record.objects.get(dataset__name="scp")
        assert (imported.name, imported.format) == ("ecg", "scp")
        reference = wfdb.rdrecord(str(data_dir / "cinc2021/E07500"))
        _assert_store_matches(imported, reference.p_signal, 1e-3, tmp_path)

    def test_multi_segment_wfdb(self, data_dir: Path, store_dir: Path, tmp_path: Path) -> None:
        # Segments of mitdb/100 in a variable layout with a gap; a second
        # master header names a segment that is not there.
        from .signal.test_io_wfdb_multi import write_variable

        folder = tmp_path / "mimic"
        folder.mkdir()
        write_variable(folder, data_dir)
        (folder / "lost.hea").write_text("lost/2 2 360 7200\nvar_1 3600\nnowhere 3600\n")
        out, err, status = run_import(str(folder), "--dataset", "mimic")
        assert status == 1 and "1 imported, 0 skipped, 1 failed" in out
        assert "lost.hea" in err and "segment nowhere not found" in err
        imported = Record.objects.get(dataset__name="mimic")
        assert (imported.name, imported.format) == ("var", "wfdb")
        reference = wfdb.rdrecord(str(folder / "var"), m2s=True)
        assert np.isnan(reference.p_signal).any()
        _assert_store_matches(imported, reference.p_signal, 1e-6, tmp_path)
