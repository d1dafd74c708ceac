"""The tutorial: a walkthrough page per built-in template for any signed-in user, on
records wavetag generates itself into a dataset open to everyone, which opens nothing
else (no other dataset, none of its reference sets, nobody else's working copy)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tests.factories import import_ok, make_member, make_project, make_user
from wavetag.annotations.access import visible_annotation_sets
from wavetag.annotations.models import Annotation
from wavetag.projects import access
from wavetag.projects.builtin import TEMPLATES
from wavetag.projects.models import Project, Task
from wavetag.records.importer import import_paths
from wavetag.records.models import AnnotationSet, Dataset, Record
from wavetag.records.tutorial import (
    BEATS_RECORD,
    PRACTICE_SET,
    corrections,
    ensure_tutorial,
    practice_copy,
    tutorial_record,
)
from wavetag.signal.synth import tutorial_records

pytestmark = pytest.mark.django_db


@pytest.fixture
def tutorial() -> Dataset:
    """The tutorial's dataset (a test that also imports shared records asks for those
    first: they set the store the generated records go to)."""
    return ensure_tutorial()


@pytest.fixture
def someone(client: Any) -> Any:
    """A signed-in user who is a member of no project."""
    user = make_user("someone", password=None)
    client.force_login(user)
    return user


def config_of(page: str, element: str) -> Any:
    found = re.search(rf'<script id="{element}" type="application/json">(.*?)</script>', page)
    assert found, element
    return json.loads(found.group(1))


class TestPages:
    def test_login_required(self, client: Any) -> None:
        for url in ("/tutorial/", "/tutorial/icu-alarm/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/login/")
        response = client.post("/tutorial/beat-correction/restart/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")

    def test_index_lists_every_builtin_template(self, client: Any, someone: Any) -> None:
        page = client.get("/tutorial/").content.decode()
        for name, schema in TEMPLATES.items():
            assert f'href="/tutorial/{name}/"' in page and schema["title"] in page

    @pytest.mark.parametrize("template", list(TEMPLATES))
    def test_walkthrough_for_anyone(self, client: Any, someone: Any, template: str) -> None:
        response = client.get(f"/tutorial/{template}/")
        assert response.status_code == 200
        page = response.content.decode()
        viewer = config_of(page, "viewer-config")
        assert viewer["record"]["dataset"] == Dataset.objects.get(tutorial=True).name
        # The template's real form: every field of its schema, by the task page's partial.
        for field in TEMPLATES[template]["fields"]:
            assert f'data-testid="field-{field["name"]}"' in page
        for step in ("zoom", "pan", "channel", "filter", "caliper", "answer", "later", "submit"):
            assert f'data-testid="step-{step}"' in page
        # The reference set holds the answers: never in the viewer.
        assert "atr" not in {s["name"] for s in viewer["record"]["annotation_sets"]}
        guide = config_of(page, "tutorial-config")
        assert guide["template"] == template and guide["beats"]

    def test_icu_alarm_opens_on_the_alarm(self, client: Any, someone: Any) -> None:
        page = client.get("/tutorial/icu-alarm/").content.decode()
        viewer = config_of(page, "viewer-config")
        assert viewer["event"] == pytest.approx(50.0)
        # The walk's window stops at the alarm; the viewer shows the user's 5 s after it.
        assert viewer["window"] == {"start": pytest.approx(40.0), "end": pytest.approx(55.0)}
        assert config_of(page, "tutorial-config")["expected"][0]["values"] == ["True"]

    def test_keys_taken_by_the_form_point_to_the_toolbar(self, client: Any, someone: Any) -> None:
        # icu-alarm: f answers False, the digits the reasons: not offered for the viewer.
        page = client.get("/tutorial/icu-alarm/").content.decode()
        assert "Here <kbd>f</kbd> answers “False: artefact or misdetection”" in page
        assert "Here the digits answer the form" in page
        # wearable-rhythm: f is free, and the digits until a rhythm is chosen.
        page = client.get("/tutorial/wearable-rhythm/").content.decode()
        assert "Press <kbd>f</kbd> to turn them on" in page
        assert "Press a channel's number (<kbd>1</kbd> hides MLII" in page

    def test_unknown_template_is_404(self, client: Any, someone: Any) -> None:
        for name in ("nope", "custom"):
            assert client.get(f"/tutorial/{name}/").status_code == 404
            assert client.post(f"/tutorial/{name}/restart/").status_code == 404

    def test_saves_nothing_to_any_project(self, client: Any, someone: Any) -> None:
        for name in TEMPLATES:
            client.get(f"/tutorial/{name}/")
        assert client.post("/tutorial/icu-alarm/", {"decision": "True"}).status_code == 405
        assert not Project.objects.exists() and not Task.objects.exists()
        assert not Annotation.objects.exists()

    def test_help_link_and_project_page_link(self, client: Any, data_dir: Path) -> None:
        import_ok(data_dir / "ptbxl/00001_lr", dataset="ecg")
        project = make_project("ecg12", "ecg", "resting-12lead")
        custom = make_project("mine", "ecg", "icu-alarm")
        Project.objects.filter(pk=custom.pk).update(template="custom")
        client.force_login(make_member(project, "ann"))
        make_member(custom, "other")
        page = client.get(f"/projects/{project.pk}/").content.decode()
        assert 'href="/tutorial/resting-12lead/" data-testid="tutorial-link"' in page
        assert 'href="/tutorial/" data-testid="help-link"' in page
        admin = make_user("boss", staff=True, password=None)
        client.force_login(admin)
        page = client.get(f"/projects/{custom.pk}/").content.decode()
        assert 'href="/tutorial/" data-testid="tutorial-link"' in page


class TestBeatWalkthrough:
    def test_each_user_corrects_their_own_copy(self, client: Any, tutorial: Dataset) -> None:
        record = tutorial_record(BEATS_RECORD)
        # The practice set: the reference with a beat missing and a PVC called normal.
        assert sorted(c["kind"] for c in corrections(record)) == ["label", "missing"]
        alice, bob = make_user("alice", password=None), make_user("bob", password=None)
        bobs = practice_copy(record, bob)
        client.force_login(alice)
        viewer = config_of(
            client.get("/tutorial/beat-correction/").content.decode(), "viewer-config"
        )
        alices = practice_copy(record, alice)
        assert alices.pk != bobs.pk and alices.created_by == alice
        assert viewer["edit_set"] == {"id": alices.pk, "name": alices.name}
        assert {s["name"] for s in viewer["record"]["annotation_sets"]} == {
            PRACTICE_SET,
            alices.name,
        }
        # Opening it again finds the same copy; starting again drops it (only alice's).
        client.get("/tutorial/beat-correction/")
        assert AnnotationSet.objects.filter(created_by=alice).count() == 1
        response = client.post("/tutorial/beat-correction/restart/")
        assert response.status_code == 302 and response["Location"] == "/tutorial/beat-correction/"
        assert not AnnotationSet.objects.filter(pk=alices.pk).exists()
        assert AnnotationSet.objects.filter(pk=bobs.pk).exists()


class TestAccess:
    def test_generated_once_by_wavetag(self, tutorial: Dataset) -> None:
        names = {spec.name for spec in tutorial_records()}
        assert set(tutorial.records.values_list("name", flat=True)) == names
        assert ensure_tutorial().pk == tutorial.pk
        assert Record.objects.filter(dataset=tutorial).count() == len(names)
        assert all(r.source_path.endswith(".hea") for r in tutorial.records.all())
        assert "shared" not in {Path(r.source_path).parent.name for r in tutorial.records.all()}

    def test_open_to_a_non_member_and_nothing_else(
        self, client: Any, ecg_record: Any, tutorial: Dataset
    ) -> None:
        user = make_user("someone", password=None)
        ecg = Record.objects.get(dataset__name="ecg")
        mine = Record.objects.filter(dataset=tutorial)
        assert list(access.visible_datasets(user)) == [tutorial]
        assert set(access.visible_records(user)) == set(mine)
        for record in mine:
            assert access.get_record_for_user(user, record.pk) == record
            assert access.record_store_for_user(user, record.pk)[0] == record.store_key
        with pytest.raises(Http404):
            access.get_record_for_user(user, ecg.pk)
        with pytest.raises(Http404):
            access.record_store_for_user(user, ecg.pk)
        client.force_login(user)
        record = mine.first()
        assert record is not None
        window = f"/api/v1/records/{record.pk}/window?start=0&end=1"
        assert client.get(window).status_code == 200
        assert client.get(f"/api/v1/records/{ecg.pk}/window?start=0&end=1").status_code == 404
        assert client.get(f"/records/{record.pk}/").status_code == 200
        assert client.get(f"/records/{ecg.pk}/").status_code == 404
        assert client.get(f"/datasets/{tutorial.pk}/").status_code == 200
        assert client.get(f"/datasets/{ecg.dataset_id}/").status_code == 404
        listed = {d["name"] for d in client.get("/api/v1/datasets").json()["items"]}
        assert listed == {tutorial.name}

    def test_a_member_keeps_their_own_and_gains_only_the_tutorial(
        self, ecg_record: Any, tutorial: Dataset, data_dir: Path
    ) -> None:
        import_ok(data_dir / "mitdb/100", dataset="mitdb")
        member = make_member(make_project("ecg12", "ecg", "resting-12lead"), "ann")
        names = {d.name for d in access.visible_datasets(member)}
        assert names == {"ecg", tutorial.name}

    def test_nobody_signed_out(self, tutorial: Dataset) -> None:
        anonymous = AnonymousUser()
        assert not access.visible_datasets(anonymous).exists()
        assert not access.visible_records(anonymous).exists()
        with pytest.raises(Http404):
            access.record_store_for_user(anonymous, tutorial.records.first().pk)  # type: ignore[union-attr]

    def test_only_the_practice_set_and_own_copies(self, client: Any, tutorial: Dataset) -> None:
        user, other = make_user("someone", password=None), make_user("other", password=None)
        beats = tutorial_record(BEATS_RECORD)
        theirs = practice_copy(beats, other)
        for record in tutorial.records.all():
            shown = {s.name for s in visible_annotation_sets(user, record)}
            assert shown == ({PRACTICE_SET} if record.pk == beats.pk else set())
        mine = practice_copy(beats, user)
        assert {s.name for s in visible_annotation_sets(user, beats)} == {PRACTICE_SET, mine.name}
        assert theirs.name not in {s.name for s in visible_annotation_sets(user, beats)}
        client.force_login(user)
        url = f"/api/v1/records/{beats.pk}/annotations"
        assert client.get(url, {"set": PRACTICE_SET}).status_code == 200
        # The reference set is answered for as a set that does not exist.
        refused = client.get(url, {"set": "atr"})
        assert refused.status_code == 400 and "has no annotation set 'atr'" in refused.text
        assert client.get(f"/api/v1/annotation-sets/{theirs.pk}/history").status_code == 404
        # Their own copy they may edit, like any working set of theirs.
        edits = {"edits": [{"op": "add", "time": 5.97, "symbol": "N"}]}
        response = client.post(
            f"/api/v1/annotation-sets/{mine.pk}/edits",
            data=json.dumps(edits),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content

    def test_imports_never_land_in_it(self, tutorial: Dataset, data_dir: Path) -> None:
        before = tutorial.records.count()
        results = import_paths([str(data_dir / "ptbxl/00001_lr")], tutorial.name)
        assert [r.status for r in results] == ["failed"]
        assert "tutorial" in results[0].message
        assert tutorial.records.count() == before

    def test_a_dataset_already_named_tutorial_stays_closed(self, data_dir: Path) -> None:
        import_ok(data_dir / "ptbxl/00001_lr", dataset="tutorial")
        made = ensure_tutorial()
        assert made.name == "tutorial-2" and made.tutorial
        user = make_user("someone", password=None)
        assert list(access.visible_datasets(user)) == [made]
