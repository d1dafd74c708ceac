"""Every operation of the OpenAPI schema, called with wrong ids, junk bodies and junk
query values, by an annotator, a project admin and a stranger: never a 500, and every
status it answers is one the schema lists for that operation."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch

from .factories import icu_team

pytestmark = pytest.mark.django_db

BODIES = [None, "{}", "[]", "not json", '{"label": 7, "fields": "x", "edits": [{"op": 1}]}']
QUERIES = ["", "?start=abc&end=-1&limit=-5&offset=x&format=zip&channels=99,abc&max_points=0"]


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    return w


def operations(client: Client) -> list[tuple[str, str, set[str]]]:
    schema = client.get("/api/v1/openapi.json").json()
    return [
        (path, method, set(op["responses"]))
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    ]


class TestEveryOperation:
    def test_no_500_and_only_documented_statuses(self, world: Any) -> None:
        client = Client(raise_request_exception=False)
        ops = operations(client)
        assert len(ops) > 40
        ids = {
            "project_id": [str(world.project.pk), "999999", "abc"],
            "task_id": [str(world.task.pk), "-1"],
            "record_id": [str(world.task.record_id), "999999"],
        }
        undocumented: Counter[str] = Counter()
        calls = 0
        for path, method, documented in ops:
            names = re.findall(r"\{(\w+)\}", path)
            choices = [ids.get(n, ["1", "999999"]) for n in names]
            filled = [path]
            for name, values in zip(names, choices, strict=True):
                filled = [f.replace("{" + name + "}", v) for f in filled for v in values]
            for url in filled:
                for who in ("ann1", "lead", "outsider", "anonymous"):
                    for query in QUERIES:
                        for body in BODIES if method in {"post", "put", "patch"} else [None]:
                            kwargs: dict[str, Any] = dict(world.h[who])
                            if body is not None:
                                kwargs.update(data=body, content_type="application/json")
                            response = getattr(client, method)(url + query, **kwargs)
                            calls += 1
                            status = response.status_code
                            assert status != 500, (method, url + query, who, body)
                            if str(status) not in documented:
                                undocumented[f"{method.upper()} {path} {status}"] += 1
                            if status >= 400:
                                assert response["Content-Type"].startswith("application/json")
                                assert response.json()["detail"]
        assert calls > 1000
        assert not undocumented, dict(undocumented)
