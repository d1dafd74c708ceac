"""The workflow API on bad input: always a 4xx with a message, never a 500; the OpenAPI
schema lists every endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch

from .factories import call, icu_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    return w


def raw(client: Client, method: str, url: str, headers: dict[str, str], body: str) -> Any:
    response = getattr(client, method)(url, body, "application/json", **headers)
    return response.status_code, json.loads(response.content)


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ("{not json", "body: not valid JSON"),
            ('["decision", "True"]', "body: must be a JSON object"),
            ('{"decision": "Yes"}', "decision: 'Yes' is not allowed (one of True, False,"),
            ('{"decision": null}', "decision: required"),
            ('{"decision": "True", "status": "done"}', "status: must be one of"),
            ('{"decision": "True", "comment": 5}', "comment: must be a text"),
            ('{"decision": "True", "labels": "pacing"}', "labels: must be a list"),
            ('{"decision": "True", "labels": [["x"]]}', "labels: ['x'] is not one of"),
            ('{"decision": "True", "verdict": "x"}', "verdict: not a field of this schema"),
            ('{"decision": "True", "comment": "' + "x" * 5001 + '"}', "comment: at most 5000"),
            ('{"decision": "True", "comment": "a\\u0000b"}', "comment: must not contain NUL"),
        ],
    )
    def test_annotation_refused_with_the_field_named(
        self, world: Any, client: Client, body: str, message: str
    ) -> None:
        url = f"/api/v1/tasks/{world.task.pk}/annotation"
        status, out = raw(client, "put", url, world.h["ann1"], body)
        assert status == 400 and out["detail"].startswith(message), out

    @pytest.mark.parametrize(
        ("method", "url", "body", "status"),
        [
            ("get", "/api/v1/projects/{P}/tasks?status=closed", None, 422),
            ("get", "/api/v1/projects/{P}/tasks?limit=0", None, 422),
            ("get", "/api/v1/projects/{P}/tasks?mine=perhaps", None, 422),
            ("get", "/api/v1/projects/{P}/tasks?offset=14874467412060489728", None, 422),
            ("get", "/api/v1/records?offset=14874467412060489728", None, 422),
            ("get", "/api/v1/projects/99999999999999999999999", None, 404),
            ("get", "/api/v1/projects/0/progress", None, 404),
            ("get", "/api/v1/tasks/99999999999999999999999", None, 404),
            ("post", "/api/v1/annotations/99999999999999999999999/flag", {"reason": "x"}, 404),
            ("post", "/api/v1/tasks/{T}/discussion", {}, 422),
            ("post", "/api/v1/tasks/{T}/discussion", {"text": ["a"]}, 422),
            ("post", "/api/v1/tasks/{T}/discussion", {"text": "   "}, 400),
            ("post", "/api/v1/projects/{P}/release", [1], 400),
            ("post", "/api/v1/projects/{P}/release", {"everyone": True}, 400),
            ("post", "/api/v1/projects/{P}/invitations", {"role": "admin", "days": -1}, 400),
            ("post", "/api/v1/projects/{P}/invitations", {"role": "admin", "email": "x"}, 400),
        ],
    )
    def test_no_500(
        self, world: Any, client: Client, method: str, url: str, body: Any, status: int
    ) -> None:
        url = url.format(P=world.project.pk, T=world.task.pk)
        headers = world.h["lead" if "release" in url or "invitations" in url else "ann1"]
        got, out = call(client, method, url, headers, body)
        assert got == status, out
        assert out["detail"]

    @pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/mixed; x=1"])
    def test_multipart_without_boundary(
        self, world: Any, client: Client, content_type: str
    ) -> None:
        # A JSON body under a multipart type that has no boundary: read as the JSON it is.
        url = f"/api/v1/projects/{world.project.pk}/release"
        body = '{"username": "ann1"}'
        response = client.post(url, body, content_type, **world.h["lead"])
        assert response.status_code == 200, response.content
        # Not JSON either: refused, never a server error.
        response = client.post(url, "--x\r\n", content_type, **world.h["lead"])
        assert response.status_code == 400, response.content
        assert json.loads(response.content)["detail"]

    def test_adjudication_with_broken_json(self, world: Any, client: Client) -> None:
        url = f"/api/v1/tasks/{world.task.pk}/adjudication"
        status, out = raw(client, "post", url, world.h["judge"], "{")
        assert status == 400 and out["detail"] == "body: not valid JSON"


class TestOpenApi:
    def test_workflow_endpoints_are_in_the_schema(self, client: Client) -> None:
        paths = json.loads(client.get("/api/v1/openapi.json").content)["paths"]
        for path, method in [
            ("/api/v1/projects", "get"),
            ("/api/v1/projects/{project_id}/batches", "post"),
            ("/api/v1/projects/{project_id}/tasks", "get"),
            ("/api/v1/projects/{project_id}/progress", "get"),
            ("/api/v1/projects/{project_id}/export", "get"),
            ("/api/v1/projects/{project_id}/release", "post"),
            ("/api/v1/tasks/{task_id}", "get"),
            ("/api/v1/tasks/{task_id}/annotation", "put"),
            ("/api/v1/tasks/{task_id}/history", "get"),
            ("/api/v1/tasks/{task_id}/adjudication", "post"),
            ("/api/v1/tasks/{task_id}/discussion", "get"),
            ("/api/v1/tasks/{task_id}/discussion", "post"),
        ]:
            assert method in paths[path], (path, method)
        body = paths["/api/v1/tasks/{task_id}/annotation"]["put"]["requestBody"]
        assert "application/json" in body["content"]


class TestTaskApi:
    def test_task_detail_and_my_tasks(self, world: Any, client: Client) -> None:
        status, body = call(client, "get", f"/api/v1/tasks/{world.task.pk}", world.h["ann1"])
        assert status == 200
        assert body["record"]["name"] in {"v102s", "v221l"}
        assert body["assignment"] == {"batch": 1, "position": 0}
        assert body["annotation"] is None and body["may_adjudicate"] is False
        url = f"/api/v1/projects/{world.project.pk}/tasks?mine=1"
        status, body = call(client, "get", url, world.h["ann1"])
        assert body["count"] == 1
        assert body["items"][0]["mine"] == {"batch": 1, "position": 0, "status": "new"}
        body_in = {"decision": "Reject", "comment": "flat line", "status": "submitted"}
        status, out = call(
            client, "put", f"/api/v1/tasks/{world.task.pk}/annotation", world.h["ann1"], body_in
        )
        assert status == 200 and out["answer"] == {"decision": "Reject"}
        status, body = call(client, "get", url, world.h["ann1"])
        assert body["items"][0]["mine"]["status"] == "submitted"

    def test_project_detail_has_the_schema_and_where_to_resume(
        self, world: Any, client: Client
    ) -> None:
        status, body = call(client, "get", f"/api/v1/projects/{world.project.pk}", world.h["ann1"])
        assert body["next_task"] == world.task.pk and body["role"] == "annotator"
        assert body["label_schema"]["fields"][0]["name"] == "decision"
        assert body["action_keys"]["submit"] == "enter"


class TestHomePage:
    def test_home_lists_the_users_projects(self, world: Any, client: Client) -> None:
        client.force_login(world.ann1)
        page = client.get("/").content.decode()
        assert "alarms" in page and "icu-alarm" in page and "0 of 1 claimed" in page
        assert "ecg12" not in page
        client.force_login(world.outsider)
        page = client.get("/").content.decode()
        assert "ecg12" in page and "alarms" not in page

    def test_api_list_has_own_counts(self, world: Any, client: Client) -> None:
        status, body = call(client, "get", "/api/v1/projects", world.h["ann1"])
        (item,) = body["items"]
        assert (item["claimed"], item["done"], item["role"]) == (1, 0, "annotator")
