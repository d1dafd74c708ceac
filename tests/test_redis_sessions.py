"""Sessions cached in Redis (WAVETAG_REDIS_URL): one query fewer, and a Redis that fails
never fails a request. Runs against the Redis of 127.0.0.1:6379 (skipped without one)."""

from __future__ import annotations

import secrets
import socket
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wavetag.settings import redis_url

from .factories import make_user

pytestmark = pytest.mark.django_db

pytest.importorskip("redis", reason="the redis extra is not installed")


def redis_cache(url: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"wavetag-test-{secrets.token_hex(4)}",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_up() -> str:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/15"


def queries_of_a_request(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/datasets").status_code == 200
    return len(ctx.captured_queries)


class TestRedisSessions:
    def test_a_logged_in_request_spares_the_database_a_query(
        self, settings: Any, redis_up: str
    ) -> None:
        settings.ALLOWED_HOSTS = ["testserver"]
        user = make_user("ann", password=None)
        plain = Client()
        plain.force_login(user)
        queries_of_a_request(plain)
        without = queries_of_a_request(plain)

        settings.CACHES = redis_cache(redis_up)
        settings.SESSION_ENGINE = "wavetag.accounts.sessions"
        cached = Client()
        cached.force_login(user)
        queries_of_a_request(cached)
        with_redis = queries_of_a_request(cached)
        print(f"queries per request: {without} without Redis, {with_redis} with")
        assert with_redis == without - 1

    def test_a_failing_redis_falls_back_to_the_database(self, settings: Any) -> None:
        settings.ALLOWED_HOSTS = ["testserver"]
        with socket.socket() as sock:  # a port nothing listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings.CACHES = redis_cache(f"redis://127.0.0.1:{port}/0")
        settings.SESSION_ENGINE = "wavetag.accounts.sessions"
        client = Client()
        client.force_login(make_user("ann", password=None))
        assert client.get("/api/v1/datasets").status_code == 200  # read from the database
        client.logout()
        assert client.get("/api/v1/datasets").status_code == 401

    @pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "redis://"])
    def test_a_bad_url_names_the_setting(self, url: str) -> None:
        with pytest.raises(ValueError, match="WAVETAG_REDIS_URL"):
            redis_url(url)

    def test_unset_means_no_redis(self) -> None:
        assert redis_url("") is None
