"""``wavetag export PROJECT --out DIR --excerpts SECONDS``: excerpt databases cut from
wearable-rhythm tasks (10-s windows) on MIT-BIH 100 and 107 (paced), read back with wfdb."""

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
from django.db import transaction

from wavetag.annotations.excerpts import excerpt_name, excerpt_starts, matches, parse_where
from wavetag.annotations.services import save_annotation
from wavetag.errors import InvalidInput
from wavetag.projects.models import Task
from wavetag.records.datasets import set_about
from wavetag.records.models import Record
from wavetag.records.sets import replace_automatic_set
from wavetag.records.signal_files import write_wfdb
from wavetag.records.storage import store_root
from wavetag.signal.store import RecordStore

from .factories import make_member, make_project, run_wavetag

pytestmark = pytest.mark.django_db

SINUS = {"rhythm": "sinus", "subcategory": "sinus-normal"}


def export(project: Any, out: Path, *args: str) -> Path:
    call_command("export", project.name, "--out", str(out), *args)
    return out


def labels(out: Path) -> list[dict[str, str]]:
    with (out / "labels.csv").open() as f:
        return list(csv.DictReader(f))


@pytest.fixture
def world(mitdb_records: Any) -> SimpleNamespace:
    """Wearable-rhythm segments of 10 s on the MIT-BIH records, one answer a task: on 100,
    0-10 s and 10-20 s quality A, 20-30 s quality B; on 107 (paced), 0-10 s quality A."""
    project = make_project(
        "excerpts", "mitdb", "wearable-rhythm", segment_seconds=10, annotators_per_task=1
    )
    user = make_member(project, "ann")
    tasks = Task.objects.filter(project=project)
    chosen = [
        (tasks.get(record__name="100", window_start=0), "A"),
        (tasks.get(record__name="100", window_start=10), "A"),
        (tasks.get(record__name="100", window_start=20), "B"),
        (tasks.get(record__name="107", window_start=0), "A"),
    ]
    for position, (task, _quality) in enumerate(chosen):
        task.assignments.create(user=user, slot=0, batch=1, position=position)
    for task, quality in chosen:
        save_annotation(task, user, {"quality": quality, **SINUS})
        task.refresh_from_db()
        assert task.final_label is not None, task.status
    return SimpleNamespace(project=project, tasks=[t for t, _ in chosen])


class TestExcerpts:
    def test_count_names_and_labels(self, world: SimpleNamespace, tmp_path: Path) -> None:
        out = export(world.project, tmp_path / "db", "--excerpts", "5", "--where", "quality=A")
        names = ["100_0", "100_5", "100_10", "100_15", "107_0", "107_5"]
        assert (out / "RECORDS").read_text().split() == names
        rows = labels(out)
        assert [r["excerpt"] for r in rows] == names
        first = rows[2]
        assert (first["record"], first["start"], first["end"]) == ("100", "10.0", "15.0")
        assert first["task"] == str(world.tasks[1].pk)
        assert (first["quality"], first["rhythm"], first["subcategory"]) == (
            "A",
            "sinus",
            "sinus-normal",
        )
        data = json.loads((out / "labels.json").read_text())
        assert data["where"] == {"quality": ["A"]} and data["seconds"] == 5
        assert data["excerpts"][0]["labels"]["quality"] == "A"
        readme = (out / "README.md").read_text()
        assert "excerpts: 6, from 2 records" in readme
        assert "have a final label, where `quality` is `A`; every channel" in readme
        assert not (tmp_path / "db.partial").exists()

    def test_alternatives(self, world: SimpleNamespace, tmp_path: Path) -> None:
        out = export(world.project, tmp_path / "db", "--excerpts", "5", "--where", "quality=A|B")
        assert len(labels(out)) == 8
        out = export(
            world.project, tmp_path / "db2", "--excerpts", "5", "--where", "quality=B,rhythm=sinus"
        )
        assert [r["excerpt"] for r in labels(out)] == ["100_20", "100_25"]

    def test_samples_as_stored(self, world: SimpleNamespace, tmp_path: Path) -> None:
        out = export(world.project, tmp_path / "db", "--excerpts", "5", "--where", "quality=A")
        record = Record.objects.get(name="100")
        store = RecordStore.open(store_root(), record.store_key)
        back = wfdb.rdrecord(str(out / "100_5"), physical=False)
        assert back.fmt == ["212", "212"] and back.fs == 360 and back.sig_len == 1800
        assert back.sig_name == ["MLII", "V5"]
        assert back.adc_gain == [c.gain for c in store.channels]
        for c in store.channels:
            assert np.array_equal(
                back.d_signal[:, c.index], store.read_samples(c.index, 1800, 3600)
            )

    def test_lead_keeps_one_channel(self, world: SimpleNamespace, tmp_path: Path) -> None:
        out = export(
            world.project,
            tmp_path / "db",
            "--excerpts",
            "5",
            "--where",
            "quality=A",
            "--lead",
            "MLII",
        )
        record = Record.objects.get(name="107")
        store = RecordStore.open(store_root(), record.store_key)
        back = wfdb.rdrecord(str(out / "107_5"), physical=False)
        assert back.n_sig == 1 and back.sig_name == ["MLII"]
        assert np.array_equal(back.d_signal[:, 0], store.read_samples(0, 1800, 3600))

    def test_missing_lead_refused_naming_the_record(
        self, world: SimpleNamespace, tmp_path: Path
    ) -> None:
        # 100 has MLII and V5, 107 MLII and V1.
        with pytest.raises(CommandError, match=r"record 107 has no channel 'V5' \(MLII, V1\)"):
            export(world.project, tmp_path / "db", "--excerpts", "5", "--lead", "V5")
        assert not (tmp_path / "db").exists() and not (tmp_path / "db.partial").exists()

    def test_exclude_paced(self, world: SimpleNamespace, tmp_path: Path) -> None:
        out = export(
            world.project,
            tmp_path / "db",
            "--excerpts",
            "5",
            "--where",
            "quality=A",
            "--exclude-paced",
        )
        assert (out / "RECORDS").read_text().split() == ["100_0", "100_5", "100_10", "100_15"]
        readme = (out / "README.md").read_text()
        assert "excerpts left out for paced beats" in readme
        assert "final beat set): 2" in readme

    def test_exclude_paced_in_the_automatic_set(
        self, world: SimpleNamespace, tmp_path: Path
    ) -> None:
        record = Record.objects.get(name="100")
        with transaction.atomic():
            replace_automatic_set(
                record,
                channel=0,
                fs=360,
                samples=np.array([360 * 12]),
                symbols=["f"],
                aux_notes=[""],
                source="test",
            )
        out = export(world.project, tmp_path / "db", "--excerpts", "5", "--exclude-paced")
        names = (out / "RECORDS").read_text().split()
        assert names == ["100_0", "100_5", "100_15", "100_20", "100_25"]

    def test_window_shorter_than_excerpt(self, world: SimpleNamespace, tmp_path: Path) -> None:
        out = export(world.project, tmp_path / "db", "--excerpts", "15")
        assert labels(out) == [] and (out / "RECORDS").read_text() == ""
        assert "shorter than 15 s (no excerpt): 4" in (out / "README.md").read_text()

    def test_sha256sums_verify(self, world: SimpleNamespace, tmp_path: Path) -> None:
        out = export(world.project, tmp_path / "db", "--excerpts", "5", "--where", "quality=A")
        listed = {line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text().splitlines()}
        files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
        assert listed == files - {"SHA256SUMS"}
        subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=out, check=True)


class TestDatasetLicence:
    def test_the_datasets_licence_and_provenance_travel(
        self, world: SimpleNamespace, tmp_path: Path
    ) -> None:
        set_about(world.project.dataset, provenance="PhysioNet mitdb 1.0.0", licence="ODC-By 1.0")
        out = export(world.project, tmp_path / "db", "--excerpts", "5")
        readme = (out / "README.md").read_text()
        assert readme.split("## Licence")[1].strip() == "ODC-By 1.0"
        assert "- its records come from: PhysioNet mitdb 1.0.0" in readme
        data = json.loads((out / "labels.json").read_text())
        assert data["dataset"] == {
            "name": "mitdb",
            "provenance": "PhysioNet mitdb 1.0.0",
            "licence": "ODC-By 1.0",
        }


class TestRefusals:
    @pytest.mark.parametrize(
        ("where", "message"),
        [
            ("qualty=A", "the schema has no field 'qualty'"),
            ("quality=D", "'D' is not a choice of field 'quality' \\(its choices: A, B, C\\)"),
            ("quality=A|Z", "'Z' is not a choice of field 'quality'"),
            ("quality", "'quality' is not FIELD=VALUE"),
        ],
    )
    def test_where(self, world: SimpleNamespace, tmp_path: Path, where: str, message: str) -> None:
        with pytest.raises(CommandError, match=message):
            export(world.project, tmp_path / "db", "--excerpts", "5", "--where", where)
        assert not (tmp_path / "db").exists() and not (tmp_path / "db.partial").exists()

    def test_fields_outside_the_final_label(self) -> None:
        schema = {
            "fields": [
                {"name": "note", "type": "text", "label": "Note"},
                {"name": "side", "type": "choice", "choices": [{"value": "L"}]},
                {"name": "dx", "type": "multi", "choices": [{"value": "AF"}, {"value": "PVC"}]},
            ],
            "agreement": ["side", "dx"],
        }
        with pytest.raises(InvalidInput, match="field 'note' is not a choice of the final"):
            parse_where(schema, "note=x")
        assert parse_where(schema, " dx=AF|PVC , side=L,dx=AF") == {
            "dx": ["AF", "PVC"],
            "side": ["L"],
        }
        assert parse_where(schema, "") == {}

    def test_options_need_excerpts(self, world: SimpleNamespace, tmp_path: Path) -> None:
        with pytest.raises(CommandError, match="--where: applies to --excerpts SECONDS only"):
            export(world.project, tmp_path / "db", "--where", "quality=A")
        with pytest.raises(CommandError, match="--with-names: an excerpt database"):
            export(world.project, tmp_path / "db", "--excerpts", "5", "--with-names")

    def test_seconds_must_be_positive(self, world: SimpleNamespace, tmp_path: Path) -> None:
        with pytest.raises(CommandError, match="--excerpts: 0 is not a positive number"):
            export(world.project, tmp_path / "db", "--excerpts", "0")

    def test_nothing_half_written(
        self, world: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from wavetag.annotations import excerpts

        written: list[str] = []

        def fills_the_disk(record: Any, folder: Path, name: str, **kwargs: Any) -> Any:
            if written:
                raise OSError(28, "No space left on device", f"{name}.dat")
            written.append(name)
            return write_wfdb(record, folder, name, **kwargs)

        monkeypatch.setattr(excerpts, "write_wfdb", fills_the_disk)
        with pytest.raises(CommandError, match="cannot write 100_5.dat: No space left"):
            export(world.project, tmp_path / "db", "--excerpts", "5")
        assert written == ["100_0"]
        assert not (tmp_path / "db").exists() and not (tmp_path / "db.partial").exists()

    def test_no_traceback(self, tmp_path: Path) -> None:
        done = run_wavetag(
            tmp_path / "home", "export", "nope", "--out", str(tmp_path / "b"), "--excerpts", "5"
        )
        assert done.returncode != 0
        assert "no project named 'nope'" in done.stderr
        assert "Traceback" not in done.stderr + done.stdout


class TestCutting:
    def test_starts(self) -> None:
        assert excerpt_starts(10, 20, 5) == [10, 15]
        assert excerpt_starts(0, 10, 3) == [0, 3, 6]  # 1 s left over, dropped
        assert excerpt_starts(0, 4.9, 5) == []
        assert excerpt_starts(0, 0.3, 0.1) == pytest.approx([0, 0.1, 0.2])

    def test_names(self) -> None:
        assert excerpt_name("100", 1800.0) == "100_1800"
        assert excerpt_name("100", 12.5) == "100_12p5"

    def test_matches(self) -> None:
        assert matches({"quality": "A", "rhythm": "sinus"}, {"quality": ["A", "B"]})
        assert not matches({"quality": "C"}, {"quality": ["A", "B"]})
        assert matches({"diagnoses": ["AF", "LBBB"]}, {"diagnoses": ["LBBB"]})
        assert not matches({}, {"quality": ["A"]})
