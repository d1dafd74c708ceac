"""Who may call what: every workflow endpoint × {anonymous, annotator of this project,
annotator of another project, adjudicator, project admin, site admin}; blind annotation
(nothing of another annotator in any answer an annotator gets); hidden annotation sets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from wavetag.accounts.services import create_token
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import ReleaseBuild
from wavetag.annotations.services import post_to_discussion, save_annotation
from wavetag.projects.access import task_access
from wavetag.projects.builtin import ICU_ALARM
from wavetag.projects.models import Task
from wavetag.records.models import ImportJob

from .factories import bearer, call, icu_team, make_member, make_project

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "annotator", "other", "adjudicator", "admin", "site_admin")
USER_OF_ROLE = {
    "anonymous": "anonymous",
    "annotator": "ann1",
    "other": "outsider",
    "adjudicator": "judge",
    "admin": "lead",
    "site_admin": "root",
}
SECRETS = ("SECRET-ANN2-COMMENT", "SECRET-ANN2-POST", "SECRET-ANN1-COMMENT", "SECRET-ANN1-POST")
ANSWERS = {
    "ann1": {"decision": "True", "labels": ["pacing"]},
    "ann2": {"decision": "Uncertain", "labels": ["artefact"]},
}


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    """Task T claimed by ann1 and ann2, who disagree (ann2 is Uncertain, so T is open for
    discussion); the other task is claimed by nobody."""
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    w.free = Task.objects.filter(project=w.project).exclude(pk=w.task.pk).get()
    for name, secret in (("ann1", "SECRET-ANN1"), ("ann2", "SECRET-ANN2")):
        user = getattr(w, name)
        save_annotation(w.task, user, {**ANSWERS[name], "comment": f"{secret}-COMMENT"})
    w.task.refresh_from_db()
    assert w.task.status == "conflict"
    for name, secret in (("ann1", "SECRET-ANN1"), ("ann2", "SECRET-ANN2")):
        user = getattr(w, name)
        post_to_discussion(w.task, user, task_access(user, w.task), f"{secret}-POST")
    w.theirs = w.task.annotations.get(user=w.ann2)
    # A finished release build: a new one may be asked for, this one has nothing to download.
    w.build = ReleaseBuild.objects.create(project=w.project, status="failed", message="failed")
    w.key, _ = create_token(w.ann1, "spare")
    # An import job the project admin started (while granted dataset management).
    w.job = ImportJob.objects.create(dataset=w.project.dataset, user=w.lead, status="done")
    return w


# (method, url, body, expected status for each of ROLES)
MATRIX: list[tuple[str, str, Any, tuple[int, ...]]] = [
    # Anyone's own tokens; making one needs a signed-in session, never a token (below).
    ("get", "/api/v1/account/tokens", None, (401, 200, 200, 200, 200, 200)),
    ("post", "/api/v1/account/tokens", {"name": "x"}, (401, 403, 403, 403, 403, 403)),
    ("delete", "/api/v1/account/tokens/{K}", None, (401, 204, 404, 404, 404, 404)),
    ("get", "/api/v1/projects", None, (401, 200, 200, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}", None, (401, 200, 404, 200, 200, 200)),
    ("post", "/api/v1/projects/{P}/batches", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/next", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/tasks?mine=1", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/tasks", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/adjudication", None, (401, 403, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/progress", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/annotations", None, (401, 403, 404, 200, 200, 200)),
    (
        "get",
        "/api/v1/projects/{P}/annotations?annotator=ann2&status=submitted&task_status=conflict"
        "&label=decision:Uncertain&flagged=false",
        None,
        (401, 403, 404, 200, 200, 200),
    ),
    ("get", "/api/v1/projects/{P}/export", None, (401, 403, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/export?format=csv", None, (401, 403, 404, 200, 200, 200)),
    (
        "get",
        "/api/v1/projects/{P}/export?aggregate=dawid-skene",
        None,
        (401, 403, 404, 200, 200, 200),
    ),
    ("get", "/api/v1/projects/{P}/agreement", None, (401, 403, 404, 200, 200, 200)),
    ("post", "/api/v1/projects/{P}/release", None, (401, 403, 404, 403, 200, 200)),
    ("post", "/api/v1/projects/{P}/releases", None, (401, 403, 404, 403, 202, 202)),
    ("get", "/api/v1/projects/{P}/releases", None, (401, 403, 404, 403, 200, 200)),
    ("get", "/api/v1/projects/{P}/releases/{B}", None, (401, 403, 404, 403, 200, 200)),
    # The build failed: nothing to download (409), after the role check.
    ("get", "/api/v1/projects/{P}/releases/{B}/download", None, (401, 403, 404, 403, 409, 409)),
    # Answers exist in this world, so even a project admin is refused (409), but only
    # after the role check: others learn nothing about the project's state.
    ("put", "/api/v1/projects/{P}/schema", ICU_ALARM, (401, 403, 404, 403, 409, 409)),
    (
        "patch",
        "/api/v1/projects/{P}",
        {"reveal_outcome": False},
        (401, 403, 404, 403, 200, 200),
    ),
    # Answers exist: settings fixed from the first answer are refused even to admins.
    ("patch", "/api/v1/projects/{P}", {"blind": False}, (401, 403, 404, 403, 409, 409)),
    (
        "post",
        "/api/v1/projects",
        {"name": "new", "dataset": "ecg", "template": "resting-12lead"},
        (401, 403, 403, 403, 403, 201),
    ),
    (
        "post",
        "/api/v1/projects/{P}/invitations",
        {"role": "annotator"},
        (401, 403, 404, 403, 201, 201),
    ),
    ("get", "/api/v1/projects/{P}/gold", None, (401, 403, 404, 200, 200, 200)),
    ("put", "/api/v1/projects/{P}/gold", {"items": []}, (401, 403, 404, 403, 200, 200)),
    # No gold answer on T: the role check, then 404.
    ("delete", "/api/v1/projects/{P}/gold/{T}", None, (401, 403, 404, 403, 404, 404)),
    ("get", "/api/v1/projects/{P}/gold/accuracy", None, (401, 403, 404, 403, 200, 200)),
    ("get", "/api/v1/projects/{P}/practice", None, (401, 200, 404, 200, 200, 200)),
    # The project has no practice test (practice_size 0).
    ("post", "/api/v1/projects/{P}/practice", None, (401, 409, 404, 409, 409, 409)),
    ("get", "/api/v1/projects/{P}/leaderboard", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/leaderboard?period=day", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/me/stats", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/projects/{P}/decisions", None, (401, 403, 404, 200, 200, 200)),
    # Teams: project admins; there is no team {TEAM} here, so admins get 404 after the check.
    ("get", "/api/v1/projects/{P}/teams", None, (401, 403, 404, 403, 200, 200)),
    ("post", "/api/v1/projects/{P}/teams", {"name": "red"}, (401, 403, 404, 403, 201, 201)),
    (
        "post",
        "/api/v1/projects/{P}/teams/{TEAM}/members",
        {"username": "ann1"},
        (401, 403, 404, 403, 404, 404),
    ),
    (
        "delete",
        "/api/v1/projects/{P}/teams/{TEAM}/members",
        {"username": "ann1"},
        (401, 403, 404, 403, 404, 404),
    ),
    # Open projects: any signed-in user sees the catalogue; this project is not open, so
    # joining it is not found, even for its members. Leaving: members (not the last admin).
    ("get", "/api/v1/projects/open", None, (401, 200, 200, 200, 200, 200)),
    ("post", "/api/v1/projects/{P}/join", None, (401, 404, 404, 404, 404, 404)),
    ("post", "/api/v1/projects/{P}/leave", None, (401, 204, 404, 204, 409, 409)),
    ("get", "/api/v1/leaderboard?period=week", None, (401, 200, 200, 200, 200, 200)),
    ("get", "/api/v1/tasks/{T}", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/tasks/{FREE}", None, (401, 404, 404, 200, 200, 200)),
    # Both answers are in and were evaluated: frozen for the annotator (409).
    # The next task after this one: its annotators only (nobody else has a batch here).
    ("get", "/api/v1/tasks/{T}/following", None, (401, 200, 404, 403, 403, 403)),
    ("put", "/api/v1/tasks/{T}/annotation", {"decision": "True"}, (401, 409, 404, 403, 403, 403)),
    ("post", "/api/v1/tasks/{T}/change-request", {"text": "x"}, (401, 201, 404, 403, 403, 403)),
    ("post", "/api/v1/tasks/{T}/reopen", {"reason": "x"}, (401, 403, 404, 403, 200, 200)),
    ("get", "/api/v1/tasks/{T}/history", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/tasks/{T}/annotations", None, (401, 403, 404, 200, 200, 200)),
    (
        "post",
        "/api/v1/tasks/{T}/adjudication",
        {"decision": "False", "comment": "artefact"},
        (401, 403, 404, 200, 200, 200),
    ),
    ("post", "/api/v1/tasks/{T}/adjudication/skip", None, (401, 403, 404, 204, 204, 204)),
    ("get", "/api/v1/tasks/{T}/discussion", None, (401, 200, 404, 200, 200, 200)),
    ("post", "/api/v1/tasks/{T}/discussion", {"text": "hi"}, (401, 201, 404, 201, 201, 201)),
    ("post", "/api/v1/annotations/{A}/flag", {"reason": "?"}, (401, 404, 404, 201, 201, 201)),
    # Beat-correction endpoints on a task of another kind: the role check, then 409.
    ("get", "/api/v1/tasks/{T}/beats", None, (401, 409, 404, 409, 409, 409)),
    ("post", "/api/v1/tasks/{T}/beats/analysis", None, (401, 409, 404, 409, 409, 409)),
    ("get", "/api/v1/tasks/{T}/beat-disagreements", None, (401, 403, 404, 409, 409, 409)),
    (
        "post",
        "/api/v1/tasks/{T}/beat-disagreements/resolve",
        {"items": [{"id": 1, "action": "drop"}]},
        (401, 403, 404, 409, 409, 409),
    ),
    (
        "post",
        "/api/v1/tasks/{T}/beat-disagreements/resolve-all",
        {"action": "drop"},
        (401, 403, 404, 409, 409, 409),
    ),
    (
        "post",
        "/api/v1/tasks/{T}/beat-disagreements/finish",
        {},
        (401, 403, 404, 409, 409, 409),
    ),
    ("get", "/api/v1/datasets", None, (401, 200, 200, 200, 200, 200)),
    # Dataset managers only (site admins; nobody here was granted records.manage_datasets).
    ("post", "/api/v1/datasets", {"name": "new"}, (401, 403, 403, 403, 403, 201)),
    # The role check, then a JSON body where files are expected (400).
    ("post", "/api/v1/datasets/{D}/records", {}, (401, 403, 403, 403, 403, 400)),
    ("post", "/api/v1/records/{R}/annotation-files", {}, (401, 403, 403, 403, 403, 400)),
    # The role check, then the body (no database named: 400, before the mirror is asked).
    ("post", "/api/v1/datasets/{D}/physionet", {}, (401, 403, 403, 403, 403, 400)),
    ("get", "/api/v1/physionet/not_a_name/records", None, (401, 403, 403, 403, 403, 400)),
    # Its creator (the project admin) and site admins only; others learn nothing (404).
    ("get", "/api/v1/import-jobs/{J}", None, (401, 404, 404, 404, 200, 200)),
    ("get", "/api/v1/records/{R}", None, (401, 200, 404, 200, 200, 200)),
    ("get", "/api/v1/records/{R}/window?start=290&end=300", None, (401, 200, 404, 200, 200, 200)),
]
CASES = [
    pytest.param(method, url, body, role, expected[i], id=f"{method} {url} as {role}")
    for method, url, body, expected in MATRIX
    for i, role in enumerate(ROLES)
]


def fill(url: str, w: Any) -> str:
    return url.format(
        P=w.project.pk,
        T=w.task.pk,
        FREE=w.free.pk,
        A=w.theirs.pk,
        R=w.task.record_id,
        B=w.build.pk,
        K=w.key.prefix,
        D=w.project.dataset.name,
        J=w.job.pk,
        TEAM=999_999,
    )


class TestPermissionMatrix:
    @pytest.mark.parametrize(("method", "url", "body", "role", "expected"), CASES)
    def test_status(
        self, world: Any, client: Client, method: str, url: str, body: Any, role: str, expected: int
    ) -> None:
        headers = world.h[USER_OF_ROLE[role]]
        status, out = call(client, method, fill(url, world), headers, body)
        assert status == expected, out
        if status >= 400:
            assert out and out["detail"]

    def test_every_workflow_endpoint_is_in_the_matrix(self, client: Client) -> None:
        schema = json.loads(client.get("/api/v1/openapi.json").content)
        covered = {
            (m, u.split("?")[0].replace("{P}", "{project_id}").replace("{T}", "{task_id}"))
            for m, u, _, _ in MATRIX
        }
        covered = {
            (m, u.replace("{A}", "{annotation_id}").replace("{B}", "{release_id}"))
            for m, u in covered
        }
        covered = {
            (m, u.replace("{D}", "{name}").replace("{J}", "{job_id}").replace("{R}", "{record_id}"))
            for m, u in covered
        }
        covered = {(m, u.replace("{TEAM}", "{team_id}")) for m, u in covered}
        workflow = ("/api/v1/projects", "/api/v1/tasks", "/api/v1/annotations/", "/api/v1/datasets")
        for path, operations in schema["paths"].items():
            uploads = path.startswith("/api/v1/import-jobs") or path.endswith("/annotation-files")
            if not (path.startswith(workflow) or uploads):
                continue
            for method in operations:
                assert (method, path) in covered, (method, path)

    def test_projects_list_only_the_callers(self, world: Any, client: Client) -> None:
        _, body = call(client, "get", "/api/v1/projects", world.h["outsider"])
        assert [p["name"] for p in body["items"]] == ["ecg12"] and body["count"] == 1
        assert body["items"][0]["role"] == "annotator"
        _, body = call(client, "get", "/api/v1/projects", world.h["root"])
        assert sorted(p["name"] for p in body["items"]) == ["alarms", "ecg12"]
        item = body["items"][0]
        assert {"id", "name", "template", "dataset"} <= set(item)

    def test_session_works_like_a_token(self, world: Any, client: Client) -> None:
        client.force_login(world.ann1)
        assert client.get(f"/api/v1/tasks/{world.task.pk}").status_code == 200
        # A session write without the CSRF token is refused.
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(world.ann1)
        url = f"/api/v1/tasks/{world.task.pk}/annotation"
        response = strict.put(url, json.dumps({"decision": "True"}), "application/json")
        assert response.status_code == 403


def walk(value: Any) -> Any:
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


class TestBlind:
    @pytest.mark.parametrize(("me", "them"), [("ann1", "ann2"), ("ann2", "ann1")])
    def test_nothing_of_another_annotator_in_any_answer(
        self, world: Any, client: Client, me: str, them: str
    ) -> None:
        h = world.h[me]
        p, t, a = world.project.pk, world.task.pk, world.theirs.pk
        theirs = world.task.annotations.get(user__username=them)
        rec = world.task.record_id
        urls = [
            ("get", "/api/v1/projects", None),
            ("get", f"/api/v1/projects/{p}", None),
            ("get", f"/api/v1/projects/{p}/next", None),
            ("get", f"/api/v1/projects/{p}/tasks?mine=1", None),
            ("get", f"/api/v1/projects/{p}/tasks", None),
            ("get", f"/api/v1/projects/{p}/tasks?discussion=1", None),
            ("get", f"/api/v1/projects/{p}/tasks?status=conflict", None),
            ("get", f"/api/v1/projects/{p}/tasks?status=open", None),
            ("get", f"/api/v1/projects/{p}/progress", None),
            ("get", f"/api/v1/projects/{p}/adjudication", None),
            ("get", f"/api/v1/projects/{p}/export", None),
            ("get", f"/api/v1/projects/{p}/export?aggregate=dawid-skene", None),
            ("get", f"/api/v1/projects/{p}/agreement", None),
            ("get", f"/api/v1/tasks/{t}", None),
            ("get", f"/api/v1/tasks/{t}/history", None),
            ("get", f"/api/v1/tasks/{t}/annotations", None),
            ("get", f"/api/v1/tasks/{t}/discussion", None),
            ("post", f"/api/v1/tasks/{t}/discussion", {"text": "my own note"}),
            ("put", f"/api/v1/tasks/{t}/annotation", {**ANSWERS[me], "comment": "revised"}),
            ("post", f"/api/v1/annotations/{theirs.pk}/flag", {"reason": "x"}),
            ("post", f"/api/v1/annotations/{a}/flag", {"reason": "x"}),
            ("get", "/api/v1/datasets", None),
            ("get", "/api/v1/records", None),
            ("get", f"/api/v1/records/{rec}", None),
            ("get", f"/api/v1/records/{rec}/window?start=295&end=300", None),
            ("get", "/api/v1/me", None),
        ]
        them_secrets = [s for s in SECRETS if them.upper() in s]
        for method, url, body in urls:
            status, out = call(client, method, url, h, body)
            text = json.dumps(out)
            for secret in [*them_secrets, them, "True alarm", "False alarm"]:
                assert secret not in text, (url, secret, text[:300])
            for node in walk(out):
                if isinstance(node, dict):
                    assert node.get("answer") != ANSWERS[them], url
                    assert node.get("status") != "conflict", url

    def test_the_outcome_is_not_shown_to_its_annotators(self, world: Any, client: Client) -> None:
        _, body = call(client, "get", f"/api/v1/tasks/{world.task.pk}", world.h["ann1"])
        assert body["status"] is None and body["discussion"] == "own"
        assert body["reason"] is None and body["final_label"] is None
        assert body["decided_by"] is None
        assert body["annotation"]["answer"] == ANSWERS["ann1"]
        _, body = call(client, "get", f"/api/v1/tasks/{world.task.pk}", world.h["judge"])
        assert body["status"] == "conflict" and body["annotation"] is None

    def test_alarm_type_shown_verdict_never(self, world: Any, client: Client) -> None:
        _, body = call(client, "get", f"/api/v1/tasks/{world.task.pk}", world.h["ann1"])
        assert body["alarm_type"] == "Ventricular_Tachycardia"
        assert body["event_time"] == 300.0
        assert (body["window_start"], body["window_end"]) == (290.0, 300.0)

    def test_an_adjudicator_annotating_a_task_is_blind_to_it(
        self, world: Any, client: Client
    ) -> None:
        (task,) = claim_batch(world.project, world.judge)
        assert task == world.free
        claim_batch(world.project, world.lead)
        save_annotation(task, world.lead, {"decision": "False", "comment": "LEAD-SECRET"})
        for url in (f"/api/v1/tasks/{task.pk}/annotations", f"/api/v1/tasks/{task.pk}/history"):
            status, body = call(client, "get", url, world.h["judge"])
            assert "LEAD-SECRET" not in json.dumps(body), url
        save_annotation(task, world.judge, {"decision": "False"})
        # Agreed, so final; but in a blind project the blind is never lifted ...
        url = f"/api/v1/tasks/{task.pk}/annotations"
        status, body = call(client, "get", url, world.h["judge"])
        assert status == 403 and "LEAD-SECRET" not in json.dumps(body)
        status, body = call(
            client, "get", f"/api/v1/projects/{world.project.pk}/export", world.h["judge"]
        )
        assert status == 200 and "LEAD-SECRET" not in json.dumps(body)
        (item,) = [i for i in body["items"] if i["id"] == task.pk]
        assert item["status"] is None and item["final_label"] is None
        assert [a["annotator"] for a in item["annotations"]] == ["judge"]
        # ... while in a project that is not blind, it is once the task is final.
        world.project.blind = False
        world.project.save()
        status, body = call(client, "get", url, world.h["judge"])
        assert status == 200 and "LEAD-SECRET" in json.dumps(body)


@pytest.fixture
def holter(holter_100: Any) -> Any:
    (record,) = holter_100
    return record.pk


class TestHiddenAnnotationSets:
    def sets(self, client: Client, headers: dict[str, str], record_id: int) -> list[str]:
        _, body = call(client, "get", f"/api/v1/records/{record_id}", headers)
        return [s["name"] for s in body["annotation_sets"]]

    def test_blind_project_hides_reference_sets_from_annotators(
        self, holter: int, client: Client
    ) -> None:
        project = make_project("rhythm", "holter", "wearable-rhythm")
        annotator = bearer(make_member(project, "a"))
        judge = bearer(make_member(project, "j", "adjudicator"))
        admin = bearer(make_member(project, "boss", "admin"))
        assert self.sets(client, annotator, holter) == []
        assert self.sets(client, judge, holter) == []
        assert self.sets(client, admin, holter) == ["atr"]
        url = f"/api/v1/records/{holter}/annotations?set=atr"
        status, body = call(client, "get", url, annotator)
        # Refused exactly like a set that does not exist.
        assert status == 400 and "has no annotation set 'atr'" in body["detail"]
        assert call(client, "get", url, admin)[0] == 200

    def test_the_viewer_page_does_not_list_hidden_sets(self, holter: int, client: Client) -> None:
        project = make_project("rhythm", "holter", "wearable-rhythm")
        client.force_login(make_member(project, "a"))
        page = client.get(f"/records/{holter}/").content.decode()
        assert '"annotation_sets": []' in page or '"annotation_sets":[]' in page

    def test_a_project_may_show_a_set(self, holter: int, client: Client) -> None:
        project = make_project("rhythm", "holter", "wearable-rhythm", visible_sets=["atr"])
        assert self.sets(client, bearer(make_member(project, "a")), holter) == ["atr"]

    def test_not_blind_project_shows_every_set(self, holter: int, client: Client) -> None:
        project = make_project("rhythm", "holter", "wearable-rhythm", blind=False)
        assert self.sets(client, bearer(make_member(project, "a")), holter) == ["atr"]
