"""Editing working annotation sets through the API: each operation, atomic batches,
validation, permissions, history, and WFDB export of an edited set."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import wfdb
from django.test import Client

from wavetag.records.models import Annotation, AnnotationEdit, AnnotationSet, Record

from .factories import bearer, call, make_member, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(mitdb_100: Any, ecg_record: Any, data_dir: Path, tmp_path: Path) -> SimpleNamespace:
    project = make_project("beats", "mitdb", "wearable-rhythm", visible_sets=["atr"])
    other = make_project("ecg12", "ecg", "resting-12lead")
    w = SimpleNamespace(project=project, data_dir=data_dir, tmp=tmp_path)
    w.record = Record.objects.get(name="100")
    w.lead = make_member(project, "lead", "admin")
    w.ann = make_member(project, "ann")
    w.ann2 = make_member(project, "ann2")
    w.outsider = make_member(other, "outsider")
    w.h = {n: bearer(getattr(w, n)) for n in ("lead", "ann", "ann2", "outsider")}
    w.h["anonymous"] = {}
    w.atr = AnnotationSet.objects.get(record=w.record, name="atr")
    return w


def start(client: Client, w: SimpleNamespace, who: str, body: dict[str, Any]) -> Any:
    return call(client, "POST", f"/api/v1/records/{w.record.pk}/annotation-sets", w.h[who], body)


def edit(client: Client, w: SimpleNamespace, who: str, set_id: int, ops: list[Any]) -> Any:
    return call(client, "POST", f"/api/v1/annotation-sets/{set_id}/edits", w.h[who], {"edits": ops})


def own_set(client: Client, w: SimpleNamespace, who: str = "ann") -> int:
    status, body = start(client, w, who, {"from": "atr"})
    assert status == 201, body
    return int(body["id"])


def first_beats(set_id: int, n: int = 3) -> list[Annotation]:
    return list(
        Annotation.objects.filter(annotation_set_id=set_id, symbol="N").order_by("time")[:n]
    )


class TestStart:
    def test_copy_of_a_visible_set(self, client: Client, world: SimpleNamespace) -> None:
        status, body = start(client, world, "ann", {"from": "atr"})
        assert status == 201
        assert body["origin"] == "human" and body["created_by"] == "ann"
        assert body["derived_from"] == "atr" and body["count"] == world.atr.count

    def test_empty_set(self, client: Client, world: SimpleNamespace) -> None:
        status, body = start(client, world, "ann", {})
        assert status == 201 and body["count"] == 0 and body["derived_from"] is None

    def test_only_from_a_set_the_caller_may_see(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        theirs = own_set(client, world, "ann2")
        name = AnnotationSet.objects.get(pk=theirs).name
        status, body = start(client, world, "ann", {"from": name})
        assert status == 400 and body["detail"].startswith("from:")
        status, body = start(client, world, "ann", {"from": "nope"})
        assert status == 400 and "from:" in body["detail"]

    def test_permissions(self, client: Client, world: SimpleNamespace) -> None:
        assert start(client, world, "anonymous", {})[0] == 401
        assert start(client, world, "outsider", {})[0] == 404
        assert start(client, world, "lead", {"from": "atr"})[0] == 201


class TestOperations:
    def test_add_move_delete(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world)
        n0 = AnnotationSet.objects.get(pk=sid).count
        status, body = edit(client, world, "ann", sid, [{"op": "add", "time": 1.5, "symbol": "V"}])
        assert status == 200, body
        new = Annotation.objects.get(pk=body["results"][0][0])
        assert (new.symbol, new.sample, new.annotation_set_id) == ("V", 540, sid)
        assert body["set"]["count"] == n0 + 1
        status, body = edit(
            client, world, "ann", sid, [{"op": "add", "sample": 720, "symbol": "A"}]
        )
        assert status == 200 and Annotation.objects.get(pk=body["results"][0][0]).time == 2.0
        status, _ = edit(client, world, "ann", sid, [{"op": "move", "id": new.pk, "time": 1.6}])
        new.refresh_from_db()
        assert status == 200 and new.sample == 576
        status, body = edit(client, world, "ann", sid, [{"op": "delete", "id": new.pk}])
        assert status == 200 and not Annotation.objects.filter(pk=new.pk).exists()
        assert body["set"]["count"] == n0 + 1

    def test_relabel_ids_and_cluster(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world)
        beats = first_beats(sid, 6)
        Annotation.objects.filter(pk__in=[b.pk for b in beats[3:]]).update(cluster=3)
        ids = [b.pk for b in beats[:2]]
        status, _ = edit(client, world, "ann", sid, [{"op": "relabel", "ids": ids, "symbol": "S"}])
        assert status == 200
        assert set(Annotation.objects.filter(pk__in=ids).values_list("symbol", flat=True)) == {"S"}
        status, body = edit(
            client, world, "ann", sid, [{"op": "relabel", "cluster": 3, "symbol": "V"}]
        )
        assert status == 200 and sorted(body["results"][0]) == sorted(b.pk for b in beats[3:])
        assert Annotation.objects.filter(annotation_set_id=sid, symbol="V").count() >= 3
        # The source set is untouched.
        assert not Annotation.objects.filter(annotation_set=world.atr, cluster=3).exists()

    def test_segment_add_change_delete(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world)
        op = {"op": "segment", "start": 10.0, "end": 20.0, "label": "(AFIB"}
        status, body = edit(client, world, "ann", sid, [op])
        assert status == 200
        seg = Annotation.objects.get(pk=body["results"][0][0])
        assert (seg.symbol, seg.aux_note, seg.duration) == ("+", "(AFIB", 10.0)
        change = {"op": "segment", "id": seg.pk, "end": 25.0, "label": "(VT"}
        assert edit(client, world, "ann", sid, [change])[0] == 200
        seg.refresh_from_db()
        assert (seg.time, seg.duration, seg.aux_note) == (10.0, 15.0, "(VT")
        assert edit(client, world, "ann", sid, [{"op": "delete", "id": seg.pk}])[0] == 200
        assert not Annotation.objects.filter(pk=seg.pk).exists()

    def test_fiducials(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world)
        beat = first_beats(sid, 1)[0]
        ops = [
            {"op": "fiducial", "beat": beat.pk, "kind": "QRS_on", "time": beat.time - 0.04},
            {"op": "fiducial", "beat": beat.pk, "kind": "T_end", "time": beat.time + 0.35},
        ]
        status, body = edit(client, world, "ann", sid, ops)
        assert status == 200, body
        on = Annotation.objects.get(pk=body["results"][0][0])
        assert (on.symbol, on.num, on.beat_id) == ("(", 1, beat.pk)
        end = Annotation.objects.get(pk=body["results"][1][0])
        assert (end.symbol, end.num) == (")", 2)
        move = {"op": "fiducial", "beat": beat.pk, "kind": "QRS_on", "time": beat.time - 0.05}
        status, body = edit(client, world, "ann", sid, [move])
        assert body["results"][0] == [on.pk]
        assert beat.fiducials.count() == 2
        # Moving the beat takes its points along.
        shift = {"op": "move", "id": beat.pk, "time": beat.time + 0.1}
        assert edit(client, world, "ann", sid, [shift])[0] == 200
        on.refresh_from_db()
        assert on.time == pytest.approx(beat.time - 0.05 + 0.1)
        gone = {"op": "fiducial", "beat": beat.pk, "kind": "T_end", "time": None}
        assert edit(client, world, "ann", sid, [gone])[0] == 200
        assert beat.fiducials.count() == 1
        # Deleting the beat deletes its points.
        assert edit(client, world, "ann", sid, [{"op": "delete", "id": beat.pk}])[0] == 200
        assert not Annotation.objects.filter(pk=on.pk).exists()


class TestValidation:
    @pytest.mark.parametrize(
        ("op", "message"),
        [
            ({"op": "add", "time": 1.0, "symbol": "+"}, "edits[0].symbol: '+' is not a WFDB beat"),
            ({"op": "add", "time": -1, "symbol": "N"}, "edits[0].time: -1 is outside the record"),
            ({"op": "add", "time": 99999, "symbol": "N"}, "edits[0].time:"),
            ({"op": "add", "time": "x", "symbol": "N"}, "edits[0].time: must be a number"),
            ({"op": "move", "id": 10**9, "time": 1.0}, "edits[0].id: the set has no annotation"),
            ({"op": "relabel", "ids": [], "symbol": "V"}, "edits[0].ids: must be a non-empty"),
            ({"op": "segment", "start": 5, "end": 4, "label": "(N"}, "edits[0].end: must be"),
            ({"op": "segment", "start": 1, "end": 4, "label": "(XX"}, "edits[0].label:"),
            ({"op": "fiducial", "beat": 10**9, "kind": "P_on", "time": 1}, "edits[0].beat:"),
            ({"op": "explode"}, "edits[0].op: 'explode' is not one of"),
            ({"op": "delete", "id": 2**70}, "edits[0].id: must be the id"),
            ({"op": "relabel", "cluster": 2**40, "symbol": "V"}, "edits[0].cluster:"),
            ({"op": "add", "sample": -3, "symbol": "N"}, "edits[0].sample:"),
            ({"op": "fiducial", "beat": 1, "kind": "U_peak", "time": 1}, "edits[0].beat:"),
        ],
    )
    def test_message_names_the_field(
        self, client: Client, world: SimpleNamespace, op: dict[str, Any], message: str
    ) -> None:
        sid = own_set(client, world)
        status, body = edit(client, world, "ann", sid, [op])
        assert status == 400 and body["detail"].startswith(message), body

    def test_batch_is_all_or_nothing(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world)
        count = Annotation.objects.filter(annotation_set_id=sid).count()
        beat = first_beats(sid, 1)[0]
        ops = [
            {"op": "add", "time": 1.5, "symbol": "V"},
            {"op": "relabel", "ids": [beat.pk], "symbol": "V"},
            {"op": "add", "time": 2.5, "symbol": "nope"},
        ]
        status, body = edit(client, world, "ann", sid, ops)
        assert status == 400 and body["detail"].startswith("edits[2].symbol")
        assert Annotation.objects.filter(annotation_set_id=sid).count() == count
        beat.refresh_from_db()
        assert beat.symbol == "N"
        assert not AnnotationEdit.objects.filter(annotation_set_id=sid).exists()

    def test_ids_of_another_set_are_refused(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world)
        foreign = Annotation.objects.filter(annotation_set=world.atr).first()
        assert foreign is not None
        status, body = edit(client, world, "ann", sid, [{"op": "delete", "id": foreign.pk}])
        assert status == 400 and "edits[0].id" in body["detail"]

    def test_fiducial_kind_and_reach(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world)
        beat = first_beats(sid, 1)[0]
        bad = {"op": "fiducial", "beat": beat.pk, "kind": "U_peak", "time": beat.time}
        status, body = edit(client, world, "ann", sid, [bad])
        assert status == 400 and body["detail"].startswith("edits[0].kind: 'U_peak'")
        far = {"op": "fiducial", "beat": beat.pk, "kind": "T_end", "time": beat.time + 5}
        status, body = edit(client, world, "ann", sid, [far])
        assert status == 400 and body["detail"].startswith("edits[0].time: must lie within")

    def test_empty_and_malformed(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world)
        assert edit(client, world, "ann", sid, [])[0] == 400
        assert edit(client, world, "ann", 2**70, [{"op": "delete", "id": 1}])[0] == 404
        status, _ = call(client, "POST", f"/api/v1/annotation-sets/{sid}/edits", world.h["ann"], {})
        assert status == 422


class TestPermissions:
    def test_matrix(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world, "ann")
        add = [{"op": "add", "time": 3.0, "symbol": "N"}]
        expected = {"anonymous": 401, "outsider": 404, "ann2": 404, "ann": 200, "lead": 200}
        for who, code in expected.items():
            assert edit(client, world, who, sid, add)[0] == code, who
            url = f"/api/v1/annotation-sets/{sid}/history"
            assert call(client, "GET", url, world.h[who])[0] == code, who

    def test_non_blind_project_hides_others_working_sets(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        world.project.blind = False
        world.project.save()
        sid = own_set(client, world, "ann")
        status, body = call(client, "GET", f"/api/v1/records/{world.record.pk}", world.h["ann2"])
        assert status == 200 and sid not in [s["id"] for s in body["annotation_sets"]]
        assert edit(client, world, "ann2", sid, [{"op": "delete", "id": 1}])[0] == 404
        status, body = call(client, "GET", f"/api/v1/records/{world.record.pk}", world.h["lead"])
        assert sid in [s["id"] for s in body["annotation_sets"]]

    def test_imported_and_automatic_sets_are_refused(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        add = [{"op": "add", "time": 3.0, "symbol": "N"}]
        status, body = edit(client, world, "lead", world.atr.pk, add)
        assert status == 409 and "imported sets are never edited" in body["detail"]
        auto = AnnotationSet.objects.create(
            record=world.record, name="auto", origin=AnnotationSet.Origin.AUTOMATIC
        )
        status, body = edit(client, world, "lead", auto.pk, add)
        assert status == 409 and "automatic" in body["detail"]


class TestAnnotationsEndpoint:
    def test_ids_and_clusters_are_listed(self, client: Client, world: SimpleNamespace) -> None:
        sid = own_set(client, world)
        beat = first_beats(sid, 1)[0]
        Annotation.objects.filter(pk=beat.pk).update(cluster=4)
        name = AnnotationSet.objects.get(pk=sid).name
        url = f"/api/v1/records/{world.record.pk}/annotations?set={name}&end=5"
        status, body = call(client, "GET", url, world.h["ann"])
        assert status == 200 and body["set_id"] == sid
        row = next(i for i in body["items"] if i["id"] == beat.pk)
        assert row["cluster"] == 4 and row["beat"] is None

    def test_openapi_lists_the_routes(self, client: Client, world: SimpleNamespace) -> None:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
        assert "/api/v1/records/{record_id}/annotation-sets" in paths
        assert "/api/v1/annotation-sets/{set_id}/edits" in paths
        assert "/api/v1/annotation-sets/{set_id}/history" in paths


class TestHistoryAndExport:
    def test_history_records_who_what_before_after(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        sid = own_set(client, world)
        beat = first_beats(sid, 1)[0]
        edit(client, world, "ann", sid, [{"op": "relabel", "ids": [beat.pk], "symbol": "V"}])
        edit(client, world, "lead", sid, [{"op": "move", "id": beat.pk, "time": beat.time + 0.01}])
        status, body = call(client, "GET", f"/api/v1/annotation-sets/{sid}/history", world.h["ann"])
        assert status == 200 and body["count"] == 2
        first, second = body["items"]
        assert (first["user"], first["op"], first["batch"]) == ("ann", "relabel", 1)
        assert first["before"] == [{"id": beat.pk, "symbol": "N"}]
        assert first["after"] == [{"id": beat.pk, "symbol": "V"}]
        assert (second["user"], second["op"], second["batch"]) == ("lead", "move", 2)
        assert second["before"][0]["time"] == beat.time

    def test_history_page_says_what_changed_and_where(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        sid = own_set(client, world)
        beat, other = first_beats(sid, 2)
        edit(client, world, "ann", sid, [{"op": "relabel", "ids": [beat.pk], "symbol": "V"}])
        edit(client, world, "ann", sid, [{"op": "delete", "id": other.pk}])
        edit(client, world, "ann", sid, [{"op": "add", "time": 4.5, "symbol": "A"}])
        client.force_login(world.ann)
        page = client.get(f"/annotation-sets/{sid}/history/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "3 edits" in html
        # Newest first, each in words, linked to its place in the record.
        added, deleted, relabelled = (
            html.index(t) for t in ("added beat A", "deleted beat N", "relabelled beat N as V")
        )
        assert added < deleted < relabelled
        record = world.record.pk
        assert f"/records/{record}/?t=4.500" in html
        assert f"/records/{record}/?t={beat.time:.3f}" in html  # relabel: the row's time
        assert f"/records/{record}/?t={other.time:.3f}" in html
        for who in ("ann2", "outsider"):
            client.force_login(getattr(world, who))
            assert client.get(f"/annotation-sets/{sid}/history/").status_code == 404, who
        client.logout()
        assert client.get(f"/annotation-sets/{sid}/history/").status_code == 302

    def test_adjacent_segments_need_no_closing_change(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        status, body = start(client, world, "ann", {})
        sid = body["id"]
        ops = [
            {"op": "segment", "start": 10.0, "end": 20.0, "label": "(AFIB"},
            {"op": "segment", "start": 20.0, "end": 30.0, "label": "(VT"},
        ]
        assert edit(client, world, "ann", sid, ops)[0] == 200
        url = f"/api/v1/records/{world.record.pk}/annotations/export"
        response = client.get(url, {"set": body["name"]}, **world.h["ann"])
        (world.tmp / "100.seg").write_bytes(response.content)
        ann = wfdb.rdann(str(world.tmp / "100"), "seg")
        assert list(zip(ann.sample.tolist(), ann.aux_note, strict=True)) == [
            (3600, "(AFIB"),
            (7200, "(VT"),
            (10800, "(N"),
        ]

    def test_edited_set_round_trips_through_rdann(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        sid = own_set(client, world)
        beat = first_beats(sid, 1)[0]
        ops = [
            {"op": "add", "time": 1.5, "symbol": "V"},
            {"op": "relabel", "ids": [beat.pk], "symbol": "A"},
            {"op": "segment", "start": 10.0, "end": 20.0, "label": "(AFIB"},
            {"op": "fiducial", "beat": beat.pk, "kind": "P_on", "time": beat.time - 0.2},
            {"op": "fiducial", "beat": beat.pk, "kind": "T_peak", "time": beat.time + 0.25},
        ]
        assert edit(client, world, "ann", sid, ops)[0] == 200
        name = AnnotationSet.objects.get(pk=sid).name
        url = f"/api/v1/records/{world.record.pk}/annotations/export"
        response = client.get(url, {"set": name}, **world.h["ann"])
        assert response.status_code == 200
        (world.tmp / "100.ed").write_bytes(response.content)
        ann = wfdb.rdann(str(world.tmp / "100"), "ed")
        by_sample = dict(zip(ann.sample.tolist(), ann.symbol, strict=True))
        assert by_sample[540] == "V" and by_sample[beat.sample] == "A"
        p_on = round((beat.time - 0.2) * 360)
        assert by_sample[p_on] == "(" and ann.num[list(ann.sample).index(p_on)] == 0
        changes = [
            (int(s), a)
            for s, sym, a in zip(ann.sample, ann.symbol, ann.aux_note, strict=True)
            if sym == "+"
        ]
        assert (3600, "(AFIB") in changes and (7200, "(N") in changes
        rows = Annotation.objects.filter(annotation_set_id=sid).count()
        assert len(ann.sample) == rows + 1  # the segment's closing rhythm change
