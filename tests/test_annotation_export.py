"""Annotation sets as files (WFDB, CSV), round trips, and working copies of imported sets."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import wfdb
from django.test import Client

from wavetag.analysis.jobs import execute_run
from wavetag.analysis.services import request_analysis
from wavetag.annotations.access import visible_annotation_sets
from wavetag.records import sets
from wavetag.records.models import Annotation, AnnotationSet, Record
from wavetag.signal import qrs

from .factories import bearer, make_member, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(mitdb_100: Any, mitdb_106: Any, data_dir: Path) -> SimpleNamespace:
    project = make_project("rhythm", "mitdb", "wearable-rhythm")  # blind, no visible sets
    w = SimpleNamespace(project=project, data_dir=data_dir)
    w.record = Record.objects.get(name="100")
    w.lead = make_member(project, "lead", "admin")
    w.ann = make_member(project, "ann")
    w.stranger = make_user("stranger", password=None)
    w.root = make_user("root", staff=True, password=None)
    w.h = {n: bearer(getattr(w, n)) for n in ("lead", "ann", "stranger", "root")}
    w.atr = AnnotationSet.objects.get(record=w.record, name="atr")
    return w


def export(client: Client, world: SimpleNamespace, who: str, **params: str) -> Any:
    url = f"/api/v1/records/{params.pop('record', world.record.pk)}/annotations/export"
    return client.get(url, params, **world.h.get(who, {}))


def read_back(content: bytes, tmp_path: Path, name: str = "100", ext: str = "atr") -> Any:
    folder = tmp_path / "back"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.{ext}").write_bytes(content)
    return wfdb.rdann(str(folder / name), ext)


class TestWfdb:
    @pytest.mark.parametrize("record", ["100", "106"])
    def test_reference_set_round_trips_through_rdann(
        self, client: Client, world: SimpleNamespace, tmp_path: Path, record: str
    ) -> None:
        pk = Record.objects.get(name=record).pk
        response = export(client, world, "lead", set="atr", format="wfdb", record=str(pk))
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="{record}.atr"'
        back = read_back(response.content, tmp_path, record)
        original = wfdb.rdann(str(world.data_dir / "mitdb" / record), "atr")
        assert np.array_equal(back.sample, original.sample)
        assert back.symbol == original.symbol
        # MIT-BIH files end some notes with a NUL byte, which the importer drops.
        assert back.aux_note == [a.rstrip("\x00") for a in original.aux_note]
        assert np.array_equal(back.chan, original.chan)
        assert np.array_equal(back.subtype, original.subtype)
        assert back.fs == original.fs == 360

    def test_automatic_set_round_trips(
        self, client: Client, world: SimpleNamespace, tmp_path: Path, monkeypatch: Any
    ) -> None:
        monkeypatch.setattr(
            qrs, "detect_qrs_chunked", lambda read, n, fs, **kw: np.arange(100, n, 300)
        )
        run = execute_run(request_analysis(world.record, world.lead).pk)
        response = export(client, world, "lead", set="auto")
        assert response.status_code == 200
        back = read_back(response.content, tmp_path, "100", "auto")
        rows = Annotation.objects.filter(annotation_set=run.annotation_set).order_by("time")
        assert list(back.sample) == list(rows.values_list("sample", flat=True))
        # Beat codes, and rhythm changes: '+' with the rhythm as its aux note.
        assert set(back.symbol) - {"+"} <= {"N", "V", "A", "/", "Q"}
        notes = [a for s, a in zip(back.symbol, back.aux_note, strict=True) if s == "+"]
        assert notes and all(a.startswith("(") for a in notes)
        assert back.symbol.count("+") == rows.filter(symbol="+").count()

    def test_labels_outside_the_wfdb_table_become_comment_annotations(
        self, client: Client, world: SimpleNamespace, tmp_path: Path
    ) -> None:
        aset = AnnotationSet.objects.create(
            record=world.record, name="events", origin="human", count=3
        )
        Annotation.objects.bulk_create(
            [
                Annotation(annotation_set=aset, time=1.0, sample=360, symbol="N"),
                Annotation(annotation_set=aset, time=2.0, sample=None, symbol="Arousal"),
                Annotation(annotation_set=aset, time=3.0, sample=1080, symbol="+", aux_note="(AFL"),
            ]
        )
        back = read_back(
            export(client, world, "root", set="events").content, tmp_path, ext="events"
        )
        assert list(back.sample) == [360, 720, 1080]
        assert back.symbol == ["N", '"', "+"]
        assert back.aux_note == ["", "Arousal", "(AFL"]

    def test_empty_set_is_an_empty_file(self, client: Client, world: SimpleNamespace) -> None:
        AnnotationSet.objects.create(record=world.record, name="none", origin="human")
        response = export(client, world, "root", set="none")
        assert response.status_code == 200 and response.content == b"\x00\x00"


class TestCsv:
    def test_rows_match_the_set(self, client: Client, world: SimpleNamespace) -> None:
        response = export(client, world, "lead", set="atr", format="csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][:5] == ["time", "sample", "symbol", "aux", "channel"]
        original = wfdb.rdann(str(world.data_dir / "mitdb/100"), "atr")
        assert len(rows) - 1 == len(original.sample) == world.atr.count
        assert [int(r[1]) for r in rows[1:]] == list(original.sample)
        assert [r[2] for r in rows[1:]] == original.symbol
        assert [r[3] for r in rows[1:]] == [a.rstrip("\x00") for a in original.aux_note]
        assert [int(r[7]) for r in rows[1:]] == list(original.num)
        assert all(abs(float(r[0]) - int(r[1]) / 360) < 1e-9 for r in rows[1:])

    def test_cells_that_a_spreadsheet_would_run_are_quoted(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        aset = AnnotationSet.objects.create(record=world.record, name="notes", origin="human")
        Annotation.objects.create(
            annotation_set=aset, time=1, sample=360, symbol="+", aux_note="=1+1"
        )
        rows = list(
            csv.reader(
                io.StringIO(
                    export(client, world, "root", set="notes", format="csv").content.decode()
                )
            )
        )
        assert rows[1][2:4] == ["+", "'=1+1"]


class TestExportAccess:
    def test_who_gets_which_set(self, client: Client, world: SimpleNamespace) -> None:
        assert export(client, world, "anonymous", set="atr").status_code == 401
        assert export(client, world, "stranger", set="atr").status_code == 404
        # A blind project's annotator does not get the reference beats (they are answers).
        response = export(client, world, "ann", set="atr")
        assert response.status_code == 400 and b"no annotation set 'atr'" in response.content
        assert export(client, world, "lead", set="atr").status_code == 200
        assert export(client, world, "root", set="atr").status_code == 200

    def test_bad_parameters(self, client: Client, world: SimpleNamespace) -> None:
        assert export(client, world, "root", set="atr", format="edf").status_code == 422
        assert export(client, world, "root").status_code == 422
        response = export(client, world, "root", set="nope")
        assert response.status_code == 400 and b"set:" in response.content


class TestWorkingSet:
    def test_copy_of_a_reference_set_belongs_to_its_maker(self, world: SimpleNamespace) -> None:
        before = list(
            Annotation.objects.filter(annotation_set=world.atr).values_list(
                "id", "sample", "symbol"
            )
        )
        copy = sets.create_working_set(world.atr, world.ann)
        assert copy.origin == AnnotationSet.Origin.HUMAN
        assert copy.created_by == world.ann and copy.derived_from == world.atr
        assert copy.name == "atr-ann" and copy.count == world.atr.count
        fields = ("time", "sample", "symbol", "aux_note", "chan", "subtype", "num")
        theirs = Annotation.objects.filter(annotation_set=copy).order_by("id").values_list(*fields)
        ours = (
            Annotation.objects.filter(annotation_set=world.atr).order_by("id").values_list(*fields)
        )
        assert list(theirs) == list(ours)
        assert (
            list(
                Annotation.objects.filter(annotation_set=world.atr).values_list(
                    "id", "sample", "symbol"
                )
            )
            == before
        )
        # The maker sees their own set, even in a blind project; another annotator does not.
        assert copy in visible_annotation_sets(world.ann, world.record)
        other = make_member(world.project, "ann2")
        assert copy not in visible_annotation_sets(other, world.record)

    def test_names_do_not_collide(self, world: SimpleNamespace) -> None:
        first = sets.create_working_set(world.atr, world.lead)
        second = sets.create_working_set(world.atr, world.lead)
        assert (first.name, second.name) == ("atr-lead", "atr-lead-2")
        with pytest.raises(sets.SetError, match="name: the record already has a set named"):
            sets.create_working_set(world.atr, world.lead, name="atr")

    def test_human_sets_are_not_starting_sets(self, world: SimpleNamespace) -> None:
        copy = sets.create_working_set(world.atr, world.lead)
        with pytest.raises(sets.SetError, match="only imported or automatic sets"):
            sets.create_working_set(copy, world.lead)


class TestExportFixes:
    """What a data manager found in the exports: names that replace recordings, text that
    WFDB files mangle, CSV columns missing, no JSON."""

    def test_a_set_named_like_a_recording_file_never_downloads_over_it(
        self, client: Client, world: SimpleNamespace, tmp_path: Path
    ) -> None:
        aset = AnnotationSet.objects.create(record=world.record, name="edf", origin="imported")
        Annotation.objects.create(annotation_set=aset, time=1, sample=360, symbol="N")
        response = export(client, world, "root", set="edf", format="wfdb")
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="100.edfann"'
        back = read_back(response.content, tmp_path, ext="edfann")
        assert list(back.sample) == [360] and back.symbol == ["N"]
        atr = export(client, world, "root", set="atr", format="wfdb")
        assert atr["Content-Disposition"] == 'attachment; filename="100.atr"'

    def test_text_outside_ascii_is_refused_as_wfdb_and_kept_in_csv_and_json(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        aset = AnnotationSet.objects.create(record=world.record, name="notes", origin="human")
        Annotation.objects.create(annotation_set=aset, time=1, sample=360, symbol="N")
        Annotation.objects.create(
            annotation_set=aset, time=2.5, sample=900, symbol="+", aux_note="心电"
        )
        wfdb_answer = export(client, world, "root", set="notes", format="wfdb")
        assert wfdb_answer.status_code == 400
        detail = wfdb_answer.json()["detail"]
        assert "心电" in detail and "2.500 s" in detail and "format=csv" in detail
        rows = list(
            csv.reader(
                io.StringIO(
                    export(client, world, "root", set="notes", format="csv").content.decode()
                )
            )  # fmt: skip
        )
        assert rows[2][3] == "心电"
        items = export(client, world, "root", set="notes", format="json").json()["items"]
        assert items[1]["aux"] == "心电"

    def test_csv_and_json_carry_duration_subtype_and_num(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        aset = AnnotationSet.objects.create(record=world.record, name="episodes", origin="human")
        Annotation.objects.create(
            annotation_set=aset, time=10, sample=3600, symbol="+", aux_note="(AFIB",
            duration=12.5, subtype=2, num=3,
        )  # fmt: skip
        response = export(client, world, "root", set="episodes", format="csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == [
            "time", "sample", "symbol", "aux", "channel", "duration", "subtype", "num"
        ]  # fmt: skip
        assert rows[1] == ["10.0", "3600", "+", "(AFIB", "0", "12.5", "2", "3"]
        response = export(client, world, "root", set="episodes", format="json")
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="100.episodes.json"'
        body = response.json()
        assert (body["record"], body["set"], body["fs"], body["count"]) == ("100", "episodes",
                                                                            360.0, 1)  # fmt: skip
        assert body["items"] == [
            {"time": 10.0, "sample": 3600, "symbol": "+", "aux": "(AFIB", "channel": 0,
             "duration": 12.5, "subtype": 2, "num": 3}
        ]  # fmt: skip

    def test_an_episode_exports_to_wfdb_as_rhythm_changes(
        self, client: Client, world: SimpleNamespace, tmp_path: Path
    ) -> None:
        aset = AnnotationSet.objects.create(record=world.record, name="episodes", origin="human")
        Annotation.objects.create(
            annotation_set=aset, time=10, sample=3600, symbol="+", aux_note="(AFIB", duration=5
        )
        back = read_back(
            export(client, world, "root", set="episodes").content, tmp_path, ext="episodes"
        )
        assert list(back.sample) == [3600, 5400]
        assert [a.rstrip("\x00") for a in back.aux_note] == ["(AFIB", "(N"]
