"""A beat-correction project on a real record (MIT-BIH 100) with its reference beats
(``atr``) as the starting set, so no analysis needs to run; ``conflict``: ann1 deleted a
beat, ann2 relabelled another one as V, both submitted. Fixtures and shared functions of the
beat-correction tests."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import wfdb
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.projects.builtin import BEAT_CORRECTION
from wavetag.projects.services import create_project
from wavetag.records.models import Annotation, AnnotationSet, Record
from wavetag.signal.vocabulary import BEAT_CODES

from ..factories import bearer, call, make_member, make_project


@pytest.fixture
def world(mitdb_100: Any, ecg_record: Any, tmp_path: Path) -> SimpleNamespace:
    schema = {**BEAT_CORRECTION, "start_set": "atr"}
    project = create_project("correct", "mitdb", schema=schema, batch_size=1)
    other = make_project("ecg12", "ecg", "resting-12lead")
    w = SimpleNamespace(project=project, tmp=tmp_path)
    w.record = Record.objects.get(name="100")
    w.lead = make_member(project, "lead", "admin")
    w.judge = make_member(project, "judge", "adjudicator")
    w.ann1 = make_member(project, "ann1")
    w.ann2 = make_member(project, "ann2")
    w.outsider = make_member(other, "outsider")
    w.h = {n: bearer(getattr(w, n)) for n in ("lead", "judge", "ann1", "ann2", "outsider")}
    (w.task,) = claim_batch(project, w.ann1)
    assert claim_batch(project, w.ann2) == [w.task]
    w.atr = AnnotationSet.objects.get(record=w.record, name="atr")
    w.atr_beats = list(
        Annotation.objects.filter(annotation_set=w.atr, symbol__in=BEAT_CODES)
        .order_by("time")
        .values_list("sample", "symbol")
    )
    return w


def api(client: Client, w: SimpleNamespace, who: str, method: str, url: str, body: Any = None):
    return call(client, method, f"/api/v1{url}", w.h[who], body)


def working_set(client: Client, w: SimpleNamespace, who: str) -> dict[str, Any]:
    status, body = api(client, w, who, "GET", f"/tasks/{w.task.pk}/beats")
    assert status == 200, body
    return body["working_set"]


def edit(client: Client, w: SimpleNamespace, who: str, set_id: int, ops: list[Any]) -> Any:
    return api(client, w, who, "POST", f"/annotation-sets/{set_id}/edits", {"edits": ops})


def submit(client: Client, w: SimpleNamespace, who: str, status: str = "submitted") -> Any:
    body = {"quality": "A", "status": status}
    return api(client, w, who, "PUT", f"/tasks/{w.task.pk}/annotation", body)


def beat_rows(set_id: int) -> list[Annotation]:
    return list(
        Annotation.objects.filter(annotation_set_id=set_id, symbol__in=BEAT_CODES).order_by("time")
    )


@pytest.fixture
def conflict(client: Client, world: SimpleNamespace) -> SimpleNamespace:
    """ann1 deletes the 3rd beat, ann2 relabels the 5th one V; both submit."""
    w = world
    s1, s2 = working_set(client, w, "ann1"), working_set(client, w, "ann2")
    w.deleted = beat_rows(s1["id"])[2]
    w.relabelled = beat_rows(s2["id"])[4]
    assert w.deleted.symbol == "N" and w.relabelled.symbol == "N"
    status, body = edit(client, w, "ann1", s1["id"], [{"op": "delete", "id": w.deleted.pk}])
    assert status == 200, body
    op = {"op": "relabel", "ids": [w.relabelled.pk], "symbol": "V"}
    status, body = edit(client, w, "ann2", s2["id"], [op])
    assert status == 200, body
    assert submit(client, w, "ann1")[0] == 200
    assert submit(client, w, "ann2")[0] == 200
    w.task.refresh_from_db()
    return w


def disagreements(client: Client, w: SimpleNamespace, who: str = "judge") -> dict[str, Any]:
    status, body = api(client, w, who, "GET", f"/tasks/{w.task.pk}/beat-disagreements")
    assert status == 200, body
    return body


def exported(client: Client, w: SimpleNamespace, name: str, who: str = "lead") -> Any:
    """The set as the export endpoint writes it, read back by wfdb.rdann."""
    url = f"/api/v1/records/{w.record.pk}/annotations/export?set={name}&format=wfdb"
    response = client.get(url, **w.h[who])
    assert response.status_code == 200, response.content[:200]
    # The file's extension is not inside it: any name reads it back.
    (w.tmp / "100.fin").write_bytes(response.content)
    return wfdb.rdann(str(w.tmp / "100"), "fin")
