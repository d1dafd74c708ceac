"""Creating projects over the API (POST /api/v1/projects) and changing their settings
(PATCH /api/v1/projects/{id}) before and after the first answer."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation
from wavetag.projects.models import Membership, Project, Task
from wavetag.records.models import AnnotationSet, Record

from .factories import bearer, call, icu_team, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects"
MITDB = ["100", "105", "106", "107"]
CUSTOM = {
    "name": "noise",
    "tasks": "record",
    "fields": [
        {
            "name": "noisy",
            "label": "Noisy?",
            "type": "choice",
            "choices": [
                {"value": "yes", "label": "Yes", "key": "y"},
                {"value": "no", "label": "No", "key": "n"},
            ],
        }
    ],
}


@pytest.fixture
def root(mitdb_records: Any) -> dict[str, str]:
    return bearer(make_user("root", staff=True, password=None))


def create(client: Client, headers: dict[str, str], **body: Any) -> tuple[int, Any]:
    body = {"name": "p", "dataset": "mitdb", "template": "resting-12lead", **body}
    return call(client, "post", URL, headers, body)


def task_records(project_id: int) -> list[str]:
    tasks = Task.objects.filter(project_id=project_id).select_related("record")
    return sorted(t.record.name for t in tasks)


class TestCreate:
    def test_from_a_template(self, root: dict[str, str], client: Client) -> None:
        status, body = create(client, root, annotators_per_task=3, batch_size=4, blind=False)
        assert status == 201, body
        project = Project.objects.get(pk=body["id"])
        assert body["tasks"] == 4 and task_records(project.pk) == MITDB
        assert (project.template, project.annotators_per_task, project.batch_size) == (
            "resting-12lead",
            3,
            4,
        )
        assert not project.blind and project.record_selection == {}
        # The creator runs the project.
        assert Membership.objects.get(project=project).role == "admin"

    def test_segments_and_windows_from_the_template(
        self, root: dict[str, str], client: Client
    ) -> None:
        status, body = create(
            client,
            root,
            template="wearable-rhythm",
            segment_seconds=30,
            conflict_policy="reenter",
            max_annotators=3,
            reveal_outcome=True,
            records={"pattern": "100"},
        )
        assert status == 201, body
        project = Project.objects.get(pk=body["id"])
        record = Record.objects.get(dataset__name="mitdb", name="100")
        assert body["tasks"] == int(record.duration // 30) == 60
        assert (project.conflict_policy, project.max_annotators, project.reveal_outcome) == (
            "reenter",
            3,
            True,
        )

    def test_from_a_custom_schema(self, root: dict[str, str], client: Client) -> None:
        status, body = create(client, root, template=None, schema=CUSTOM)
        assert status == 201, body
        project = Project.objects.get(pk=body["id"])
        assert project.template == "custom" and project.schema["fields"][0]["name"] == "noisy"
        assert body["tasks"] == 4

    @pytest.mark.parametrize(
        ("records", "expected"),
        [
            ({"pattern": "10[05]"}, ["100", "105"]),
            ({"pattern": "1*7"}, ["107"]),
            ({"annotation_set": "review"}, ["105", "107"]),
            ({"annotation_set": "review", "pattern": "*5"}, ["105"]),
            ({}, MITDB),
        ],
    )
    def test_record_selection(
        self, root: dict[str, str], client: Client, records: Any, expected: list[str]
    ) -> None:
        for name in ("105", "107"):
            record = Record.objects.get(dataset__name="mitdb", name=name)
            AnnotationSet.objects.create(record=record, name="review", origin="human")
        status, body = create(client, root, records=records)
        assert status == 201, body
        assert task_records(body["id"]) == expected and body["tasks"] == len(expected)

    def test_a_random_sample_is_kept_with_its_seed(
        self, root: dict[str, str], client: Client
    ) -> None:
        status, body = create(client, root, records={"sample": 2, "seed": 7})
        assert status == 201, body
        drawn = sorted(random.Random(7).sample(MITDB, 2))
        assert task_records(body["id"]) == drawn
        selection = Project.objects.get(pk=body["id"]).record_selection
        assert selection == {"sample": 2, "seed": 7, "records": drawn}
        _, shown = call(client, "get", f"{URL}/{body['id']}", root)
        assert shown["record_selection"] == selection
        # Without a seed, one is drawn and kept: giving it again draws the same records.
        status, body = create(client, root, name="q", records={"sample": 3})
        assert status == 201, body
        kept = Project.objects.get(pk=body["id"]).record_selection
        status, again = create(client, root, name="r", records={"sample": 3, "seed": kept["seed"]})
        assert status == 201, again
        assert task_records(again["id"]) == task_records(body["id"]) == kept["records"]
        assert len(kept["records"]) == 3

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": ""}, "name"),
            ({"name": None}, "name"),
            ({"dataset": "nope"}, "dataset"),
            ({"dataset": 3}, "dataset"),
            ({"template": "nope"}, "template"),
            ({"template": None}, "template"),
            ({"template": None, "schema": {"fields": "x"}}, "schema.fields"),
            (
                {"template": None, "schema": {**CUSTOM, "fields": [{"name": "a", "type": "x"}]}},
                "schema.field 'a'.type",
            ),
            ({"records": {"sample": 0}}, "records.sample"),
            ({"records": {"seed": 3}}, "records.seed"),
            ({"records": {"colour": "red"}}, "records.colour"),
            ({"records": {"pattern": "9*"}}, "records"),
            ({"records": []}, "records"),
            ({"annotators_per_task": 9}, "annotators_per_task"),
            ({"batch_size": "ten"}, "batch_size"),
            ({"blind": "yes"}, "blind"),
            ({"conflict_policy": "vote"}, "conflict_policy"),
            ({"event_at": 5}, "event_at"),
            ({"segment_seconds": 30}, "segment_seconds"),
            ({"colour": "red"}, "colour"),
        ],
    )
    def test_bad_input_names_the_field(
        self, root: dict[str, str], client: Client, body: dict[str, Any], field: str
    ) -> None:
        status, out = create(client, root, **body)
        assert status == 400, out
        assert out["detail"].startswith(field), out
        assert not Project.objects.exists()

    @pytest.mark.parametrize("raw", [b"[]", b"{", b'"text"'])
    def test_a_body_that_is_not_an_object(
        self, root: dict[str, str], client: Client, raw: bytes
    ) -> None:
        response = client.post(URL, raw, content_type="application/json", **root)
        assert response.status_code == 400 and response.json()["detail"].startswith("body")

    def test_a_name_in_use_is_a_conflict(self, root: dict[str, str], client: Client) -> None:
        assert create(client, root)[0] == 201
        status, out = create(client, root, template="wearable-rhythm")
        assert status == 409 and out["detail"].startswith("name: a project named 'p'"), out
        assert Project.objects.count() == 1

    def test_only_site_admins_create(self, root: dict[str, str], client: Client) -> None:
        status, _ = create(client, root)
        project = Project.objects.get()
        lead = make_user("lead", password=None)
        Membership.objects.create(project=project, user=lead, role="admin")
        for headers in ({}, bearer(make_user("ann", password=None)), bearer(lead)):
            status, out = create(client, headers, name="other")
            assert status in (401, 403), out
            assert status == (401 if not headers else 403)
        assert Project.objects.count() == 1


@pytest.fixture
def team(icu_alarms: Any, ecg_record: Any) -> Any:
    """The icu-alarm project ``alarms`` (k=2, batches of 1) with its admin ``lead``,
    ``ann1`` and ``ann2`` (each claimed the same first task), nobody has answered yet."""
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    w.url = f"{URL}/{w.project.pk}"
    return w


def patch(client: Client, w: Any, body: Any, who: str = "lead") -> tuple[int, Any]:
    return call(client, "patch", w.url, w.h[who], body)


class TestChangeSettings:
    def test_before_any_answer(self, team: Any, client: Client) -> None:
        status, out = patch(client, team, {"description": "Alarms", "blind": False})
        assert status == 200, out
        assert (out["description"], out["blind"]) == ("Alarms", False)
        status, out = patch(client, team, {"visible_sets": ["atr"], "batch_size": 5})
        assert status == 200 and out["visible_sets"] == ["atr"] and out["batch_size"] == 5
        # Claims fill numbered slots: k is fixed from the first claim.
        status, out = patch(client, team, {"annotators_per_task": 3})
        assert status == 409 and out["detail"].startswith("annotators_per_task"), out

    def test_k_changes_before_the_first_claim(self, icu_alarms: Any, client: Client) -> None:
        root = bearer(make_user("root", staff=True, password=None))
        status, body = call(
            client, "post", URL, root, {"name": "a", "dataset": "icu", "template": "icu-alarm"}
        )
        assert status == 201, body
        status, out = call(client, "patch", f"{URL}/{body['id']}", root, {"annotators_per_task": 3})
        assert status == 200 and (out["annotators_per_task"], out["max_annotators"]) == (3, 3)

    def test_after_the_first_answer(self, team: Any, client: Client) -> None:
        save_annotation(team.task, team.ann1, {"decision": "True", "status": "submitted"})
        for body, field in (
            ({"blind": False}, "blind"),
            ({"visible_sets": ["atr"]}, "visible_sets"),
            ({"annotators_per_task": 1}, "annotators_per_task"),
            ({"max_annotators": 2, "conflict_policy": "adjudicate"}, None),
            ({"window_before": 20}, "window_before"),
            ({"records": {"pattern": "*"}}, "records"),
            ({"schema": {}}, "schema"),
            ({"dataset": "ecg"}, "dataset"),
        ):
            status, out = patch(client, team, body)
            if field is None:
                assert status == 200, out
                continue
            assert status == 409 and out["detail"].startswith(field), (body, out)
        # The same value again is no change, so no refusal.
        assert patch(client, team, {"blind": True})[0] == 200
        status, out = patch(
            client, team, {"description": "d", "batch_size": 3, "reveal_outcome": True}
        )
        assert status == 200 and (out["description"], out["batch_size"]) == ("d", 3)
        status, out = patch(client, team, {"conflict_policy": "reenter", "max_annotators": 4})
        assert status == 200 and out["max_annotators"] == 4, out
        # Upward only, now: a task may have had four annotators.
        status, out = patch(client, team, {"max_annotators": 3})
        assert status == 409 and out["detail"].startswith("max_annotators"), out
        assert patch(client, team, {"max_annotators": 5})[0] == 200

    def test_conflict_policy_any_time(self, team: Any, client: Client) -> None:
        save_annotation(team.task, team.ann1, {"decision": "True", "status": "submitted"})
        save_annotation(team.task, team.ann2, {"decision": "False", "status": "submitted"})
        team.task.refresh_from_db()
        assert team.task.status == "conflict"
        status, out = patch(client, team, {"conflict_policy": "reenter", "max_annotators": 3})
        assert status == 200 and out["conflict_policy"] == "reenter", out
        # The task in conflict stays with the adjudicators.
        team.task.refresh_from_db()
        assert team.task.status == "conflict" and team.task.extra_annotators == 0
        status, out = patch(client, team, {"conflict_policy": "adjudicate"})
        assert status == 200 and out["max_annotators"] == 3, out

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"batch_size": 0}, "batch_size"),
            ({"description": 3}, "description"),
            ({"blind": "no"}, "blind"),
            ({"visible_sets": "atr"}, "visible_sets"),
            ({"colour": "red"}, "colour"),
        ],
    )
    def test_bad_values_name_the_field(
        self, team: Any, client: Client, body: dict[str, Any], field: str
    ) -> None:
        status, out = patch(client, team, body)
        assert status == 400 and out["detail"].startswith(field), out

    def test_only_project_admins(self, team: Any, client: Client) -> None:
        assert patch(client, team, {"batch_size": 2}, "ann1")[0] == 403
        assert patch(client, team, {"batch_size": 2}, "outsider")[0] == 404
        assert patch(client, team, {"batch_size": 2}, "root")[0] == 200


class TestCommandLine:
    def test_create_with_a_sample_and_change_settings(
        self, mitdb_records: Any, capsys: Any
    ) -> None:
        from django.core.management import call_command

        call_command(
            "project",
            "create",
            "cli",
            "--dataset",
            "mitdb",
            "--template",
            "resting-12lead",
            "--records",
            "10*",
            "--sample",
            "3",
            "--seed",
            "11",
        )
        drawn = sorted(random.Random(11).sample(MITDB, 3))
        out = capsys.readouterr().out
        assert f"records drawn with seed 11: {', '.join(drawn)}" in out
        project = Project.objects.get(name="cli")
        assert task_records(project.pk) == drawn
        call_command("project", "settings", "cli", "--reveal-outcome", "yes")
        project.refresh_from_db()
        assert project.reveal_outcome
