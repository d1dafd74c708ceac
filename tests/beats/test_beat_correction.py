"""Beat-correction projects through the API and services: working sets, submission,
beat-by-beat consensus, adjudication one by one and in bulk, export of the final set, and
who may see what (fixtures in ``conftest``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import BeatDisagreement, Revision, TaskSet
from wavetag.projects.builtin import BEAT_CORRECTION
from wavetag.projects.models import Task
from wavetag.projects.schemas import SchemaError, template_schema, validate_schema
from wavetag.projects.services import add_member, create_project
from wavetag.records.models import Annotation, AnnotationSet

from ..factories import bearer, call, make_member, make_user
from .conftest import (
    api,
    beat_rows,
    disagreements,
    edit,
    exported,
    submit,
    working_set,
)

pytestmark = pytest.mark.django_db


class TestSchema:
    def test_template(self) -> None:
        schema = template_schema("beat-correction")
        assert schema["type"] == "beats" and schema["start_set"] == "automatic"
        assert schema["agreement"] == [] and schema["tasks"] == "record"

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"type": "boxes"}, "type:"),
            ({"tasks": "events"}, "tasks:"),
            ({"start_set": "a b"}, "start_set:"),
            ({"start_set": 3}, "start_set:"),
            ({"agreement": ["quality"]}, "agreement:"),
        ],
    )
    def test_errors_name_the_field(self, change: dict[str, Any], field: str) -> None:
        with pytest.raises(SchemaError, match=f"^{field}"):
            validate_schema({**BEAT_CORRECTION, **change})

    def test_start_set_only_for_beats(self) -> None:
        raw = {**template_schema("icu-alarm"), "start_set": "atr"}
        raw.pop("type")
        with pytest.raises(SchemaError, match="^start_set:"):
            validate_schema(raw)

    def test_no_fields_needed(self) -> None:
        schema = validate_schema({**BEAT_CORRECTION, "fields": []})
        assert schema["fields"] == []


class TestWorkingSet:
    def test_made_once_from_the_starting_set(self, client: Client, world: SimpleNamespace) -> None:
        first = working_set(client, world, "ann1")
        assert working_set(client, world, "ann1") == first
        aset = AnnotationSet.objects.get(pk=first["id"])
        assert aset.origin == "human" and aset.created_by == world.ann1
        assert aset.derived_from == world.atr and aset.count == world.atr.count
        assert TaskSet.objects.filter(task=world.task, kind="working").count() == 1

    def test_segments_copy_only_their_window(self, client: Client, world: SimpleNamespace) -> None:
        schema = {**BEAT_CORRECTION, "start_set": "atr", "tasks": "segments"}
        project = create_project("segs", "mitdb", schema=schema, segment_seconds=10)
        user = make_member(project, "seg")
        task = Task.objects.get(project=project, window_start=20.0)
        task.assignments.create(user=user, slot=0, batch=1, position=0)
        status, body = call(client, "GET", f"/api/v1/tasks/{task.pk}/beats", bearer(user))
        assert status == 200
        times = Annotation.objects.filter(annotation_set_id=body["working_set"]["id"])
        assert times.count() > 5 and all(20.0 <= a.time <= 30.0 for a in times)

    def test_only_assignees(self, client: Client, world: SimpleNamespace) -> None:
        url = f"/tasks/{world.task.pk}/beats"
        assert api(client, world, "judge", "GET", url)[0] == 403
        assert api(client, world, "outsider", "GET", url)[0] == 404

    def test_blind_to_the_other_annotator(self, client: Client, world: SimpleNamespace) -> None:
        theirs = working_set(client, world, "ann2")
        working_set(client, world, "ann1")
        status, body = api(client, world, "ann1", "GET", f"/records/{world.record.pk}")
        names = {s["name"] for s in body["annotation_sets"]}
        assert theirs["name"] not in names and "atr" in names
        url = f"/records/{world.record.pk}/annotations?set={theirs['name']}"
        assert api(client, world, "ann1", "GET", url)[0] == 400
        assert (
            api(client, world, "ann1", "GET", f"/annotation-sets/{theirs['id']}/history")[0] == 404
        )
        op = [{"op": "add", "time": 5.0, "symbol": "N"}]
        assert edit(client, world, "ann1", theirs["id"], op)[0] == 404

    def test_task_page_viewer_shows_own_and_starting_set(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        client.force_login(world.ann1)
        response = client.get(f"/tasks/{world.task.pk}/")
        assert response.status_code == 200
        config = response.context["config"]
        names = sorted(s["name"] for s in config["record"]["annotation_sets"])
        mine = working_set(client, world, "ann1")
        assert names == sorted(["atr", mine["name"]])
        assert config["beat_editor"] is True and config["edit_set"]["id"] == mine["id"]
        assert b'data-testid="beats-editing"' in response.content


class TestSubmit:
    def test_submit_freezes_and_reopening_thaws(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        mine = working_set(client, world, "ann1")
        beat = beat_rows(mine["id"])[0]
        status, body = submit(client, world, "ann1")
        assert status == 200, body
        assert body["answer"]["beats"]["set"] == mine["name"]
        assert body["answer"]["beats"]["count"] == len(world.atr_beats)
        status, body = edit(client, world, "ann1", mine["id"], [{"op": "delete", "id": beat.pk}])
        assert status == 409 and "submitted answer" in body["detail"]
        assert submit(client, world, "ann1", "later")[0] == 200
        status, _ = edit(client, world, "ann1", mine["id"], [{"op": "delete", "id": beat.pk}])
        assert status == 200
        status, body = submit(client, world, "ann1")
        assert body["answer"]["beats"]["count"] == len(world.atr_beats) - 1
        assert body["answer"]["beats"]["edits"] == 1
        client.force_login(world.ann1)
        page = client.get(f"/tasks/{world.task.pk}/history/").content.decode()
        n = len(world.atr_beats)
        assert f"{n - 1} beats in set {mine['name']} (edit 1)" in page
        revisions = Revision.objects.filter(annotation__user=world.ann1).order_by("id")
        assert [r.answer["beats"]["count"] for r in revisions] == [
            len(world.atr_beats),
            len(world.atr_beats),
            len(world.atr_beats) - 1,
        ]

    def test_frozen_page_has_no_editor(self, client: Client, world: SimpleNamespace) -> None:
        working_set(client, world, "ann1")
        submit(client, world, "ann1")
        client.force_login(world.ann1)
        response = client.get(f"/tasks/{world.task.pk}/")
        assert "beat_editor" not in response.context["config"]
        assert b'data-testid="beats-frozen"' in response.content


class TestConsensus:
    def test_same_corrections_agree(self, client: Client, world: SimpleNamespace) -> None:
        w = world
        for who in ("ann1", "ann2"):
            working_set(client, w, who)
            assert submit(client, w, who)[0] == 200
        w.task.refresh_from_db()
        assert w.task.status == "agreed"
        final = w.task.final_label["beats"]
        assert final == {"set": "correct-final", "count": len(w.atr_beats)}
        ann = exported(client, w, "correct-final")
        assert list(ann.sample) == [s for s, _ in w.atr_beats]
        assert ann.symbol == [c for _, c in w.atr_beats]

    def test_disagreements_are_exactly_the_two_edits(
        self, client: Client, conflict: SimpleNamespace
    ) -> None:
        w = conflict
        assert w.task.status == "conflict" and w.task.final_label is None
        body = disagreements(client, w)
        assert body["count"] == 2 and body["unresolved"] == 2
        missing, label = sorted(body["items"], key=lambda d: d["time"])
        assert missing["kind"] == "missing"
        assert missing["time"] == pytest.approx(w.deleted.time, abs=1e-6)
        assert [(v["annotator"], v["label"]) for v in missing["versions"]] == [
            ("ann1", None),
            ("ann2", "N"),
        ]
        assert label["kind"] == "label"
        assert label["time"] == pytest.approx(w.relabelled.time, abs=1e-6)
        assert [v["label"] for v in label["versions"]] == ["N", "V"]
        (pair,) = body["stats"]["pairs"]
        n = len(w.atr_beats)
        assert body["stats"]["beats"] == [n - 1, n]
        assert pair["sensitivity"] == 1.0 and pair["ppv"] == pytest.approx((n - 1) / n)
        assert pair["label_disagreements"] == 1 and pair["kappa"] < 1.0

    def test_only_experts_not_blind_see_them(
        self, client: Client, conflict: SimpleNamespace
    ) -> None:
        url = f"/tasks/{conflict.task.pk}/beat-disagreements"
        assert api(client, conflict, "ann1", "GET", url)[0] == 403
        assert api(client, conflict, "outsider", "GET", url)[0] == 404
        assert api(client, conflict, "lead", "GET", url)[0] == 200
        status, body = api(client, conflict, "ann1", "GET", f"/tasks/{conflict.task.pk}")
        assert body["status"] is None

    def test_adjudicator_sees_both_sets(self, client: Client, conflict: SimpleNamespace) -> None:
        _, body = api(client, conflict, "judge", "GET", f"/records/{conflict.record.pk}")
        names = {s["name"] for s in body["annotation_sets"]}
        assert {f"task{conflict.task.pk}-ann1", f"task{conflict.task.pk}-ann2"} <= names
        _, body = api(client, conflict, "ann1", "GET", f"/records/{conflict.record.pk}")
        assert f"task{conflict.task.pk}-ann2" not in {s["name"] for s in body["annotation_sets"]}

    def test_a_frozen_answer_reopens_only_with_the_task(
        self, client: Client, conflict: SimpleNamespace
    ) -> None:
        assert submit(client, conflict, "ann2", "later")[0] == 409
        url = f"/tasks/{conflict.task.pk}/reopen"
        assert api(client, conflict, "judge", "POST", url, {"reason": "x"})[0] == 403
        status, body = api(client, conflict, "lead", "POST", url, {"reason": "ann2 misclicked"})
        assert status == 200 and body["status"] == "open"
        assert submit(client, conflict, "ann2", "later")[0] == 200
        conflict.task.refresh_from_db()
        assert conflict.task.status == "open"
        assert not BeatDisagreement.objects.filter(task=conflict.task).exists()
        event = conflict.task.events.get(action="reopened")
        assert event.user == conflict.lead and event.detail["reason"] == "ann2 misclicked"
        assert event.detail["before"]["status"] == "conflict"


def final_beats(w: SimpleNamespace) -> list[tuple[int, str]]:
    rows = exported(w.client, w, "correct-final")
    return list(zip(rows.sample.tolist(), rows.symbol, strict=True))


def expected(w: SimpleNamespace, *, keep_deleted: bool, relabel: str) -> list[tuple[int, str]]:
    out = []
    for sample, symbol in w.atr_beats:
        if sample == w.deleted.sample and not keep_deleted:
            continue
        out.append((sample, relabel if sample == w.relabelled.sample else symbol))
    return out


class TestAdjudication:
    def resolve(self, client: Client, w: SimpleNamespace, items: list[Any], who: str = "judge"):
        return api(
            client,
            w,
            who,
            "POST",
            f"/tasks/{w.task.pk}/beat-disagreements/resolve",
            {"items": items},
        )

    def bulk(self, client: Client, w: SimpleNamespace, body: Any, who: str = "judge"):
        url = f"/tasks/{w.task.pk}/beat-disagreements/resolve-all"
        return api(client, w, who, "POST", url, body)

    def test_one_by_one(self, client: Client, conflict: SimpleNamespace) -> None:
        w = conflict
        w.client = client
        missing, label = sorted(disagreements(client, w)["items"], key=lambda d: d["time"])
        status, body = self.resolve(client, w, [{"id": missing["id"], "action": "drop"}])
        assert status == 200 and body == {
            "task": w.task.pk,
            "status": "conflict",
            "unresolved": 1,
            "resolved_now": None,
            "skipped": None,
        }
        # Saved: the adjudicator can come back to it.
        again = disagreements(client, w)
        assert again["unresolved"] == 1
        assert {d["id"]: d["resolution"] for d in again["items"]}[missing["id"]] == {
            "action": "drop"
        }
        status, body = self.resolve(
            client, w, [{"id": label["id"], "action": "label", "label": "V"}]
        )
        assert status == 200 and body["status"] == "adjudicated" and body["unresolved"] == 0
        assert final_beats(w) == expected(w, keep_deleted=False, relabel="V")
        w.task.refresh_from_db()
        assert w.task.final_label["beats"]["count"] == len(w.atr_beats) - 1

    def test_take_one_annotator_for_all(self, client: Client, conflict: SimpleNamespace) -> None:
        w = conflict
        w.client = client
        status, body = self.bulk(client, w, {"action": "take", "annotator": "ann2"})
        assert status == 200 and body["resolved_now"] == 2 and body["status"] == "adjudicated"
        assert final_beats(w) == expected(w, keep_deleted=True, relabel="V")

    def test_bulk_by_kind_and_labels(self, client: Client, conflict: SimpleNamespace) -> None:
        w = conflict
        w.client = client
        body = {"kind": "label", "labels": ["N", "V"], "action": "label", "label": "N"}
        status, out = self.bulk(client, w, body)
        assert status == 200 and out["resolved_now"] == 1 and out["unresolved"] == 1
        status, out = self.bulk(client, w, {"kind": "missing", "action": "keep"})
        assert status == 200 and out["status"] == "adjudicated"
        assert final_beats(w) == expected(w, keep_deleted=True, relabel="N")

    def test_keep_cannot_settle_a_label_disagreement(
        self, client: Client, conflict: SimpleNamespace
    ) -> None:
        status, out = self.bulk(client, conflict, {"action": "keep"})
        assert status == 200 and out["resolved_now"] == 1 and out["skipped"] == 1
        label = next(d for d in disagreements(client, conflict)["items"] if d["kind"] == "label")
        status, body = self.resolve(client, conflict, [{"id": label["id"], "action": "keep"}])
        assert status == 400 and body["detail"].startswith("items[0].action:")

    @pytest.mark.parametrize(
        "items, field",
        [
            ("x", "items:"),
            ([], "items:"),
            ([{"id": 10**12, "action": "drop"}], "items[0].id:"),
            ([{"id": "FIRST", "action": "nope"}], "items[0].action:"),
            ([{"id": "FIRST", "action": "label", "label": "Z"}], "items[0].label:"),
            ([{"id": "FIRST", "action": "take", "annotator": "judge"}], "items[0].annotator:"),
        ],
    )
    def test_malformed_names_the_field(
        self, client: Client, conflict: SimpleNamespace, items: Any, field: str
    ) -> None:
        first = disagreements(client, conflict)["items"][0]["id"]
        if isinstance(items, list):
            items = [{**i, "id": first} if i.get("id") == "FIRST" else i for i in items]
            if field == "items[0].id:":
                items = [{"id": 10**12, "action": "drop"}]
        status, body = self.resolve(client, conflict, items)
        assert status == 400 and body["detail"].startswith(field), body
        assert disagreements(client, conflict)["unresolved"] == 2

    def test_malformed_bulk(self, client: Client, conflict: SimpleNamespace) -> None:
        for body, field in (
            ([], "body:"),
            ({"action": "drop", "kind": "odd"}, "kind:"),
            ({"action": "drop", "labels": ["N", 3]}, "labels:"),
            ({"action": "drop", "overwrite": "yes"}, "overwrite:"),
            ({"action": "take"}, "resolution.annotator:"),
        ):
            status, out = self.bulk(client, conflict, body)
            assert status == 400 and out["detail"].startswith(field), (body, out)
        url = f"/api/v1/tasks/{conflict.task.pk}/beat-disagreements/resolve"
        response = client.post(
            url, data="{nope", content_type="application/json", **conflict.h["judge"]
        )
        assert response.status_code == 400

    def test_roles(self, client: Client, conflict: SimpleNamespace) -> None:
        body = {"action": "drop"}
        assert self.bulk(client, conflict, body, who="ann1")[0] == 403
        assert self.bulk(client, conflict, body, who="outsider")[0] == 404
        url = f"/api/v1/tasks/{conflict.task.pk}/beat-disagreements/resolve-all"
        assert client.post(url, data="{}", content_type="application/json").status_code == 401
        status, out = self.bulk(client, conflict, body, who="lead")
        assert status == 200 and out["status"] == "adjudicated"

    def test_generic_adjudication_refused(self, client: Client, conflict: SimpleNamespace) -> None:
        url = f"/tasks/{conflict.task.pk}/adjudication"
        status, body = api(client, conflict, "judge", "POST", url, {"quality": "A"})
        assert status == 409 and "beat disagreements" in body["detail"]


class TestExport:
    def test_project_export(self, client: Client, conflict: SimpleNamespace) -> None:
        w = conflict
        TestAdjudication().bulk(client, w, {"action": "take", "annotator": "ann1"})
        status, body = api(client, w, "judge", "GET", f"/projects/{w.project.pk}/export")
        (item,) = body["items"]
        assert item["final_label"]["beats"]["set"] == "correct-final"
        assert item["beat_comparison"]["missing"] == 1
        assert {a["answer"]["beats"]["set"] for a in item["annotations"]} == {
            f"task{w.task.pk}-ann1",
            f"task{w.task.pk}-ann2",
        }
        response = client.get(f"/api/v1/projects/{w.project.pk}/export?format=csv", **w.h["judge"])
        lines = response.content.decode().splitlines()
        header = lines[0].split(",")
        assert "final_set" in header and "beat_set" in header
        row = dict(zip(header, lines[1].split(","), strict=True))
        assert row["final_set"] == "correct-final" and row["missing"] == "1"
        assert row["final_beats"] == str(len(w.atr_beats) - 1)

    def test_progress_has_beat_agreement(self, client: Client, conflict: SimpleNamespace) -> None:
        url = f"/projects/{conflict.project.pk}/progress"
        status, body = api(client, conflict, "judge", "GET", url)
        agreement = body["totals"]["beat_agreement"]
        assert status == 200 and agreement["tasks"] == 1
        assert agreement["sensitivity"] == 1.0 and 0.99 < agreement["ppv"] < 1.0
        status, body = api(client, conflict, "ann1", "GET", url)
        assert status == 200 and body["totals"]["beat_agreement"] is None


class TestMissingStart:
    def test_says_so_and_offers_the_analysis(self, client: Client, world: SimpleNamespace) -> None:
        project = create_project("auto", "mitdb", template="beat-correction", batch_size=1)
        user = make_user("early", password=None)
        add_member(project, user, "annotator")
        (task,) = claim_batch(project, user)
        h = bearer(user)
        status, body = call(client, "GET", f"/api/v1/tasks/{task.pk}/beats", h)
        assert status == 200 and body["working_set"] is None
        assert "has not run yet" in body["missing"] and body["may_request_analysis"]
        status, body = call(client, "PUT", f"/api/v1/tasks/{task.pk}/annotation", h, {})
        assert status == 409 and body["detail"].startswith("beats:")
        client.force_login(user)
        page = client.get(f"/tasks/{task.pk}/")
        assert page.status_code == 200 and b'data-testid="beats-missing"' in page.content
        response = client.post(f"/tasks/{task.pk}/beats/analysis/")
        assert response.status_code == 302
        status, body = call(client, "GET", f"/api/v1/tasks/{task.pk}/beats", h)
        assert "queued" in body["missing"]
        status, body = call(client, "POST", f"/api/v1/tasks/{task.pk}/beats/analysis", h)
        assert status == 409


class TestThreeAnnotators:
    def test_each_disagreement_says_what_everyone_has(
        self, client: Client, world: SimpleNamespace
    ) -> None:
        from wavetag.annotations import beat_adjudication, beats, services
        from wavetag.records.editing import apply_edits

        schema = {**BEAT_CORRECTION, "start_set": "atr"}
        project = create_project("three", "mitdb", schema=schema, annotators_per_task=3)
        users = [make_member(project, f"r{i}") for i in range(3)]
        task = claim_batch(project, users[0])[0]
        for u in users[1:]:
            assert task in claim_batch(project, u)
        sets = [beats.working_set(task, u) for u in users]
        target = beat_rows(sets[0].pk)[10]
        same = [Annotation.objects.get(annotation_set=s, time=target.time) for s in sets]
        apply_edits(sets[0], users[0], [{"op": "delete", "id": same[0].pk}])
        apply_edits(sets[1], users[1], [{"op": "relabel", "ids": [same[1].pk], "symbol": "V"}])
        for u in users:
            services.save_annotation(task, u, {})
        task.refresh_from_db()
        assert task.status == "conflict"
        (d,) = BeatDisagreement.objects.filter(task=task)
        assert d.kind == "missing"
        assert [(v["annotator"], v["label"]) for v in d.versions] == [
            ("r0", None),
            ("r1", "V"),
            ("r2", "N"),
        ]
        judge = make_member(project, "judge3", "adjudicator")
        out = beat_adjudication.resolve_bulk(task, judge, {"action": "take", "annotator": "r2"})
        assert out["status"] == "adjudicated"
        final = AnnotationSet.objects.get(name="three-final")
        assert final.count == len(world.atr_beats)
        stats = task.beat_comparison.stats
        assert len(stats["pairs"]) == 3 and stats["annotators"] == ["r0", "r1", "r2"]


class TestSegments:
    def test_one_final_set_window_by_window(self, world: SimpleNamespace) -> None:
        from wavetag.annotations import beats, services

        schema = {**BEAT_CORRECTION, "start_set": "atr", "tasks": "segments"}
        project = create_project(
            "segs", "mitdb", schema=schema, segment_seconds=10, annotators_per_task=1
        )
        user = make_member(project, "seg")
        tasks = list(Task.objects.filter(project=project, window_start__in=[0.0, 10.0]))
        for i, task in enumerate(sorted(tasks, key=lambda t: t.window_start)):
            task.assignments.create(user=user, slot=0, batch=1, position=i)
            beats.working_set(task, user)
            services.save_annotation(task, user, {})
            task.refresh_from_db()
            assert task.status == "agreed"
        (final,) = AnnotationSet.objects.filter(name="segs-final")
        times = list(final.items.order_by("time").values_list("time", flat=True))
        expected = [s / 360.0 for s, _ in world.atr_beats if s / 360.0 < 20.0]
        assert times == pytest.approx(expected)
        # Reopening one window takes only its beats out of the final set.
        first = min(tasks, key=lambda t: t.window_start)
        services.reopen(first, make_member(project, "chief", "admin"), "the first window again")
        times = list(final.items.order_by("time").values_list("time", flat=True))
        assert times == pytest.approx([t for t in expected if t >= 10.0])
