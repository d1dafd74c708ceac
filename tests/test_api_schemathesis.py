"""The OpenAPI schema validated and fuzzed with schemathesis (bounded: a few examples per
operation), as a project admin and as an annotator: no server error, every status and
media type answered is one the schema documents."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from wavetag.annotations.batches import claim_batch

from .factories import icu_team

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Any:
    """Requests go through the WSGI handler, which closes old database connections at each
    request's start and end; inside the test's transaction that closes the test's own
    connection (Django's test client disconnects these handlers the same way)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(icu_alarms: Any, ecg_record: Any) -> Any:
    w = icu_team()
    (w.task,) = claim_batch(w.project, w.ann1)
    return w


def _schema() -> Any:
    # Read at collection (pytest-django has set Django up): the schema is public and its
    # request touches no table.
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


schema = _schema()


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation(case: Any, world: Any) -> None:
    for who in ("lead", "ann1"):
        headers = {"Authorization": world.h[who]["HTTP_AUTHORIZATION"]}
        case.call_and_validate(headers=headers, checks=CHECKS)
