"""``wavetag export PROJECT --out DIR``: a project's release bundle on MIT-BIH 100, read back
with wfdb (samples, gains, annotation files), checked with ``sha256sum -c``, and searched
for the annotators' user names."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import wfdb
from django.core.management import call_command
from django.core.management.base import CommandError

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.beats import task_beats
from wavetag.annotations.models import TaskSet
from wavetag.annotations.services import adjudicate, save_annotation
from wavetag.errors import InvalidInput
from wavetag.projects.builtin import BEAT_CORRECTION
from wavetag.projects.models import Task
from wavetag.projects.services import create_project
from wavetag.records import signal_files
from wavetag.records.datasets import set_about
from wavetag.records.models import Annotation, Record
from wavetag.records.signal_files import _format, _frames, pack
from wavetag.records.storage import store_root
from wavetag.signal.recording import ChannelInfo
from wavetag.signal.store import RecordStore

from .factories import import_ok, make_member, make_project, run_wavetag

pytestmark = pytest.mark.django_db

# Distinctive user names: a search of the bundle for them finds nothing by chance.
NAMES = ("kowalska_anna", "nguyen_binh", "okafor_chidi")
TEXT = (".csv", ".json", ".md", ".hea", "RECORDS", "SHA256SUMS")


def export(project: Any, out: Path, *args: str) -> Path:
    call_command("export", project.name, "--out", str(out), *args)
    return out


def text_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and p.name.endswith(TEXT)]


@pytest.fixture
def rhythm(mitdb_100: Any) -> SimpleNamespace:
    """Wearable-rhythm segments of 30 s on MIT-BIH 100, k=2: the first two answered
    by two annotators, who agree on one and disagree on the other (adjudicated)."""
    project = make_project("release", "mitdb", "wearable-rhythm", segment_seconds=30, batch_size=2)
    w = SimpleNamespace(project=project)
    w.a, w.b = (make_member(project, n) for n in NAMES[:2])
    w.judge = make_member(project, NAMES[2], "adjudicator")
    # Both annotators get the same two tasks (claims hand tasks out in random order).
    t1, t2 = Task.objects.filter(project=project).order_by("window_start")[:2]
    for slot, user in enumerate((w.a, w.b)):
        for position, task in enumerate((t1, t2)):
            task.assignments.create(user=user, slot=slot, batch=1, position=position)
    sinus = {"quality": "A", "rhythm": "sinus", "subcategory": "sinus-normal"}
    save_annotation(t1, w.a, sinus)
    save_annotation(t1, w.b, sinus)
    save_annotation(t2, w.a, {**sinus, "comment": "=cmd|calc"})
    save_annotation(t2, w.b, {"quality": "C"})
    adjudicate(t2, w.judge, {"quality": "B", "rhythm": "sinus", "subcategory": "sinus-normal"})
    w.t1, w.t2 = t1, t2
    return w


@pytest.fixture
def beats(mitdb_100: Any) -> SimpleNamespace:
    """A beat-correction project on MIT-BIH 100 from its reference beats: both annotators
    submit the beats unchanged, so the task is agreed and the final set written."""
    project = create_project("beats", "mitdb", schema={**BEAT_CORRECTION, "start_set": "atr"})
    w = SimpleNamespace(project=project)
    w.a, w.b = (make_member(project, n) for n in NAMES[:2])
    (w.task,) = claim_batch(project, w.a)
    claim_batch(project, w.b)
    for user in (w.a, w.b):
        task_beats(w.task, user)
        save_annotation(w.task, user, {"quality": "A"})
    w.task.refresh_from_db()
    assert w.task.status == "agreed"
    return w


class TestRecords:
    def test_samples_and_gains_as_stored(self, rhythm: SimpleNamespace, tmp_path: Path) -> None:
        out = export(rhythm.project, tmp_path / "bundle")
        assert (out / "RECORDS").read_text() == "100\n"
        record = Record.objects.get(name="100")
        store = RecordStore.open(store_root(), record.store_key)
        back = wfdb.rdrecord(str(out / "100"), physical=False)
        assert back.fmt == ["212", "212"]  # MIT-BIH's own format, not a wider one
        assert back.sig_name == [c.name for c in store.channels]
        assert back.adc_gain == [c.gain for c in store.channels]
        assert back.baseline == [c.baseline for c in store.channels]
        assert back.fs == store.channels[0].fs
        assert back.adc_res == [c.adc_resolution for c in store.channels] == [11, 11]
        for c in store.channels:
            stored = store.read_samples(c.index, 0, c.n_samples)
            assert np.array_equal(back.d_signal[:, c.index], stored)
        # The source header's comments are not copied (they may identify the patient).
        assert "#" not in (out / "100.hea").read_text()

    def test_channels_at_different_rates(self, api_records: Any, tmp_path: Path) -> None:
        # MIMIC 03700181: MCL1 at 4 samples a frame (500 Hz), ABP and RESP at 125 Hz.
        project = make_project("mimic", "api", "wearable-rhythm", segment_seconds=30)
        out = export(project, tmp_path / "bundle")
        assert (out / "RECORDS").read_text() == "03700181\n100\n"
        record = Record.objects.get(dataset__name="api", name="03700181")
        store = RecordStore.open(store_root(), record.store_key)
        back = wfdb.rdrecord(str(out / "03700181"), physical=False, smooth_frames=False)
        assert back.samps_per_frame == [4, 1, 1] and back.fs == 125
        assert back.baseline == [c.baseline for c in store.channels]
        for c in store.channels:
            stored = store.read_samples(c.index, 0, c.n_samples)
            assert np.array_equal(back.e_d_signal[c.index], stored)

    def test_edf_baselines_rounded_and_said(
        self, data_dir: Path, tmp_path: Path, settings: Any
    ) -> None:
        settings.STORE_DIR = tmp_path / "store"
        import_ok(data_dir / "edf/r01.edf", dataset="edf")
        project = make_project("edf", "edf", "wearable-rhythm", segment_seconds=30)
        out = export(project, tmp_path / "bundle")
        record = Record.objects.get(dataset__name="edf")
        store = RecordStore.open(store_root(), record.store_key)
        name = (out / "RECORDS").read_text().strip()
        back = wfdb.rdrecord(str(out / name), physical=False, smooth_frames=False)
        assert back.adc_gain == [c.gain for c in store.channels]
        for c in store.channels:
            stored = store.read_samples(c.index, 0, c.n_samples)
            assert np.array_equal(back.e_d_signal[c.index], stored)
        fractional = [c for c in store.channels if c.baseline != round(c.baseline)]
        assert fractional  # EDF scaling gives fractional baselines
        readme = (out / "README.md").read_text()
        for c in fractional:
            assert f"baseline {c.baseline:g} rounded to {round(c.baseline)}" in readme

    def test_sha256sums_verify(self, rhythm: SimpleNamespace, tmp_path: Path) -> None:
        out = export(rhythm.project, tmp_path / "bundle")
        listed = {line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text().splitlines()}
        files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
        assert listed == files - {"SHA256SUMS"}
        done = subprocess.run(
            ["sha256sum", "--strict", "-c", "SHA256SUMS"],
            cwd=out,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        (out / "labels.csv").write_text("changed\n")
        done = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, check=False
        )
        assert done.returncode != 0


class TestBlocks:
    @pytest.mark.parametrize("fmt, bits", [("212", 12), ("16", 16), ("24", 24), ("32", 32)])
    @pytest.mark.parametrize("n", [5, 6])
    def test_pack_as_wfdb_writes(self, fmt: str, bits: int, n: int, tmp_path: Path) -> None:
        rng = np.random.default_rng(n)
        hi = 2 ** (bits - 1) - 1
        d = rng.integers(-hi, hi, size=(n, 1), endpoint=True)
        d[0, 0], d[1, 0] = -hi - 1, hi  # the extremes, the invalid value among them
        wfdb.wrsamp(
            "r",
            100,
            ["mV"],
            ["x"],
            d_signal=d,
            fmt=[fmt],
            adc_gain=[200.0],
            baseline=[0],
            write_dir=str(tmp_path),
        )
        assert pack(d.ravel(), fmt) == (tmp_path / "r.dat").read_bytes()

    def test_blocks_give_wfdb_s_own_files(
        self, api_records: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Small blocks, so that block edges fall inside the records; against wfdb.wrsamp
        # of the whole samples: the same bytes, and a header that reads back the same.
        monkeypatch.setattr(signal_files, "BLOCK_FRAMES", 1000)
        for name in ("100", "03700181"):
            record = Record.objects.get(dataset__name="api", name=name)
            store = RecordStore.open(store_root(), record.store_key)
            ours = tmp_path / "ours"
            ours.mkdir(exist_ok=True)
            signal_files.write_wfdb(record, ours, name)
            back = wfdb.rdrecord(str(ours / name), physical=False, smooth_frames=False)
            ref = tmp_path / "ref"
            ref.mkdir(exist_ok=True)
            wfdb.wrsamp(
                name,
                back.fs,
                back.units,
                back.sig_name,
                e_d_signal=[store.read_samples(c.index, 0, c.n_samples) for c in store.channels],
                samps_per_frame=back.samps_per_frame,
                fmt=back.fmt,
                adc_gain=back.adc_gain,
                baseline=back.baseline,
                write_dir=str(ref),
            )
            assert (ours / f"{name}.dat").read_bytes() == (ref / f"{name}.dat").read_bytes()
            theirs = wfdb.rdheader(str(ref / name))
            assert back.checksum == theirs.checksum and back.init_value == theirs.init_value

    def test_a_stretch_of_some_channels(
        self, api_records: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # MIMIC 03700181 (frames of 125 Hz: MCL1 4 samples, ABP and RESP 1), blocks edges
        # inside the stretch; checksums and first values as wfdb sums them on reading.
        monkeypatch.setattr(signal_files, "BLOCK_FRAMES", 100)
        record = Record.objects.get(dataset__name="api", name="03700181")
        store = RecordStore.open(store_root(), record.store_key)
        signal_files.write_wfdb(record, tmp_path, "all", seconds=(2.0, 6.0))
        back = wfdb.rdrecord(str(tmp_path / "all"), physical=False, smooth_frames=False)
        assert back.sig_len == 500 and back.samps_per_frame == [4, 1, 1]
        for c, k in zip(store.channels, (4, 1, 1), strict=True):
            stored = store.read_samples(c.index, 250 * k, 750 * k)
            assert np.array_equal(back.e_d_signal[c.index], stored)
        signal_files.write_wfdb(record, tmp_path, "abp", channels=[1], seconds=(2.0, 6.0))
        back = wfdb.rdrecord(str(tmp_path / "abp"), physical=False)
        assert back.fs == 125 and back.n_sig == 1 and back.sig_name == [store.channels[1].name]
        assert np.array_equal(back.d_signal[:, 0], store.read_samples(1, 250, 750))
        assert back.checksum == [int(back.d_signal[:, 0].sum()) % 65536]
        assert back.init_value == [int(back.d_signal[0, 0])]
        with pytest.raises(InvalidInput, match="record 03700181: 0 to 1e"):
            signal_files.write_wfdb(record, tmp_path, "past", seconds=(0.0, 1e6))


class TestFormat:
    """The one format of a record's .dat file, from its channels (a fake store)."""

    @staticmethod
    def fmt(*channels: tuple[tuple[int, int] | None, int | None]) -> tuple[str, int, list[str]]:
        infos = [
            ChannelInfo(i, f"c{i}", "mV", 360.0, 200.0, 0.0, 10, invalid=invalid)
            for i, (_, invalid) in enumerate(channels)
        ]
        store = SimpleNamespace(channels=infos, digital_range=lambda i: channels[i][0])
        return _format(store)  # type: ignore[arg-type]

    def test_narrowest_with_the_same_invalid_value(self) -> None:
        assert self.fmt(((-2000, 2000), -2048), ((-5, 5), -2048))[:2] == ("212", -2048)
        assert self.fmt(((-2000, 2000), -32768)) == ("16", -32768, [])
        # EDF: no invalid value, and -32768 is a valid sample: format 16 would make it one.
        assert self.fmt(((-32768, 32767), None))[0] == "24"
        assert self.fmt(((-(2**20), 5), None), (None, None))[0] == "24"

    def test_an_invalid_value_no_format_shares_is_said(self) -> None:
        fmt, invalid, notes = self.fmt(((-2000, 2000), -2048), ((-30000, 30000), -32768))
        assert (fmt, invalid) == ("16", -32768)
        assert notes == [
            "channel 0 (c0): invalid samples (-2048) written as -32768, "
            "the invalid value of format 16"
        ]

    def test_rates_without_a_common_frame_are_refused(self) -> None:
        chans = [
            ChannelInfo(0, "a", "mV", 250.0, 1, 0, 2500),
            ChannelInfo(1, "b", "mV", 360.0, 1, 0, 3600),
        ]
        with pytest.raises(InvalidInput, match=r"record r: its channels' rates \(250, 360 Hz\)"):
            _frames(chans, "r")
        chans[1] = ChannelInfo(1, "b", "mV", 500.0, 1, 0, 5000)
        assert _frames(chans, "r") == (250.0, [1, 2])


class TestLabels:
    def test_one_row_per_task(self, rhythm: SimpleNamespace, tmp_path: Path) -> None:
        out = export(rhythm.project, tmp_path / "bundle")
        rows = list(csv.DictReader((out / "labels.csv").open()))
        assert len(rows) == Task.objects.filter(project=rhythm.project).count() == 60
        by_task = {int(r["task"]): r for r in rows}
        agreed, judged = by_task[rhythm.t1.pk], by_task[rhythm.t2.pk]
        start = rhythm.t1.window_start  # 0.0
        assert (agreed["record"], agreed["start"]) == ("100", str(start))
        assert agreed["end"] == str(start + 30)
        assert agreed["decided_by"] == "agreed" and agreed["final_rhythm"] == "sinus"
        assert (agreed["answers"], agreed["agreement"]) == ("2", "1.0")
        assert judged["decided_by"] == "adjudicated" and judged["final_quality"] == "B"
        assert (judged["answers"], judged["agreement"]) == ("2", "0.0")
        assert judged["adjudicator"] == "adjudicator-01"
        open_task = next(r for r in rows if r["status"] == "open")
        assert open_task["answers"] == "0" and open_task["agreement"] == ""
        labels = json.loads((out / "labels.json").read_text())
        assert len(labels["tasks"]) == 60
        assert labels["schema"]["agreement"] == ["quality", "rhythm", "subcategory"]

    def test_readme(self, rhythm: SimpleNamespace, tmp_path: Path) -> None:
        out = export(rhythm.project, tmp_path / "bundle", "--licence", "ODC-By 1.0")
        text = (out / "README.md").read_text()
        for expected in (
            "- records: 1",
            "- tasks: 60",
            "- tasks with a final label: 2",
            "- submitted answers: 4",
            "`sinus-normal`: Normal",
            "| quality | 2 | 4 |",
            "source dataset: mitdb",
            "exported by wavetag 0.1.0",
            "ODC-By 1.0",
        ):
            assert expected in text, expected
        default = (export(rhythm.project, tmp_path / "default")) / "README.md"
        assert "To be set by the data owner" in default.read_text()


class TestDatasetLicence:
    def test_the_datasets_licence_is_the_default(
        self, rhythm: SimpleNamespace, tmp_path: Path
    ) -> None:
        dataset = rhythm.project.dataset
        set_about(dataset, provenance="PhysioNet mitdb 1.0.0", licence="ODC-By 1.0")
        out = export(rhythm.project, tmp_path / "bundle")
        text = (out / "README.md").read_text()
        assert "- its records come from: PhysioNet mitdb 1.0.0" in text
        assert "- the source records' licence: ODC-By 1.0" in text
        assert text.split("## Licence")[1].strip() == "ODC-By 1.0"
        assert "To be set by the data owner" not in text
        labels = json.loads((out / "labels.json").read_text())
        want = {"name": "mitdb", "provenance": "PhysioNet mitdb 1.0.0", "licence": "ODC-By 1.0"}
        assert labels["dataset"] == want
        answers = json.loads((out / "annotators/answers.json").read_text())
        assert answers["dataset"] == want
        # --licence is the labels' licence; the records keep theirs, and the README says so.
        given = export(rhythm.project, tmp_path / "given", "--licence", "CC BY 4.0")
        licence = (given / "README.md").read_text().split("## Licence")[1]
        assert "CC BY 4.0" in licence
        assert "The source records remain under their own licence: ODC-By 1.0." in licence


class TestAnnotators:
    def test_pseudonyms_only(self, rhythm: SimpleNamespace, tmp_path: Path) -> None:
        out = export(rhythm.project, tmp_path / "bundle")
        rows = list(csv.DictReader((out / "annotators/answers.csv").open()))
        assert len(rows) == 4
        assert {r["annotator"] for r in rows} == {"annotator-01", "annotator-02"}
        first = {r["task"]: r for r in rows if r["annotator"] == "annotator-01"}
        assert first[str(rhythm.t2.pk)]["quality"] == "A"  # the first account made
        assert "name" not in rows[0]
        assert first[str(rhythm.t2.pk)]["comment"] == "'=cmd|calc"  # defused for spreadsheets
        answers = json.loads((out / "annotators/answers.json").read_text())["answers"]
        assert "=cmd|calc" in {a["comment"] for a in answers}
        assert not (out / "annotators/names.csv").exists()
        for path in text_files(out):
            text = path.read_text()
            for name in NAMES:
                assert name not in text, (path, name)

    def test_names_on_request(self, rhythm: SimpleNamespace, tmp_path: Path) -> None:
        out = export(rhythm.project, tmp_path / "bundle", "--with-names")
        names = list(csv.DictReader((out / "annotators/names.csv").open()))
        assert {r["id"]: r["name"] for r in names} == {
            "annotator-01": NAMES[0],
            "annotator-02": NAMES[1],
            "adjudicator-01": NAMES[2],
        }
        rows = list(csv.DictReader((out / "annotators/answers.csv").open()))
        assert {(r["annotator"], r["name"]) for r in rows} == {
            ("annotator-01", NAMES[0]),
            ("annotator-02", NAMES[1]),
        }


class TestBeatSets:
    def test_final_and_corrected_beats_as_wfdb(
        self, beats: SimpleNamespace, tmp_path: Path
    ) -> None:
        out = export(beats.project, tmp_path / "bundle")
        final = TaskSet.objects.get(project=beats.project, kind="final").annotation_set
        expected = list(
            Annotation.objects.filter(annotation_set=final)
            .order_by("time")
            .values_list("sample", "symbol")
        )
        assert len(expected) > 2000
        ann = wfdb.rdann(str(out / "100"), "final")
        assert list(zip(ann.sample.tolist(), ann.symbol, strict=True)) == expected
        rows = list(csv.DictReader((out / "labels.csv").open()))
        assert len(rows) == 1
        assert rows[0]["final_file"] == "100.final"
        assert rows[0]["final_beats"] == str(len(expected))
        assert rows[0]["agreement"] == "1.0"
        task = f"task{beats.task.pk}"
        for who in ("annotator-01", "annotator-02"):
            mine = wfdb.rdann(str(out / "annotators" / who / "100"), task)
            assert mine.sample.size >= len(expected)
        answers = list(csv.DictReader((out / "annotators/answers.csv").open()))
        assert {r["beat_file"] for r in answers} == {
            f"annotators/annotator-0{n}/100.{task}" for n in (1, 2)
        }
        for path in text_files(out):
            for name in NAMES:
                assert name not in path.read_text(), (path, name)
        assert "Beat comparisons" in (out / "README.md").read_text()

    def test_text_outside_ascii_as_csv_and_json(
        self, beats: SimpleNamespace, tmp_path: Path
    ) -> None:
        final = TaskSet.objects.get(project=beats.project, kind="final").annotation_set
        Annotation.objects.create(annotation_set=final, time=1.0, sample=360, symbol="心电")
        out = export(beats.project, tmp_path / "bundle")
        assert not (out / "100.final").exists()
        rows = list(csv.DictReader((out / "100.final.csv").open()))
        assert "心电" in {r["symbol"] for r in rows}
        assert json.loads((out / "100.final.json").read_text())["count"] == len(rows)
        assert "written as 100.final.csv and 100.final.json" in (out / "README.md").read_text()


class TestRefusals:
    def test_unknown_project(self, rhythm: SimpleNamespace, tmp_path: Path) -> None:
        with pytest.raises(CommandError, match="no project named 'nope'"):
            call_command("export", "nope", "--out", str(tmp_path / "bundle"))
        assert not (tmp_path / "bundle").exists()

    def test_one_line_from_the_command(self, tmp_path: Path) -> None:
        done = run_wavetag(tmp_path / "home", "export", "nope", "--out", str(tmp_path / "b"))
        assert done.returncode == 1
        assert "project: no project named 'nope'" in done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert not (tmp_path / "b").exists() and not (tmp_path / "b.partial").exists()

    def test_non_empty_folder(self, rhythm: SimpleNamespace, tmp_path: Path) -> None:
        out = tmp_path / "bundle"
        out.mkdir()
        (out / "keep.txt").write_text("mine")
        with pytest.raises(CommandError, match=f"{out} exists and is not empty"):
            export(rhythm.project, out)
        assert [p.name for p in out.iterdir()] == ["keep.txt"]
        assert not (tmp_path / "bundle.partial").exists()

    def test_empty_folder_and_leftover_partial(
        self, rhythm: SimpleNamespace, tmp_path: Path
    ) -> None:
        out = tmp_path / "bundle"
        out.mkdir()
        (tmp_path / "bundle.partial").mkdir()
        (tmp_path / "bundle.partial" / "RECORDS").write_text("half\n")
        export(rhythm.project, out)
        assert (out / "RECORDS").read_text() == "100\n"
        assert not (tmp_path / "bundle.partial").exists()

    def test_nothing_half_written(
        self, rhythm: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from wavetag.annotations import release

        def broken(*args: Any) -> Any:
            raise OSError(28, "No space left on device", "labels.csv")

        monkeypatch.setattr(release, "_labels_and_answers", broken)
        with pytest.raises(CommandError, match="No space left"):
            export(rhythm.project, tmp_path / "bundle")
        assert not (tmp_path / "bundle").exists()
        assert not (tmp_path / "bundle.partial").exists()
