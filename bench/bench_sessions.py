"""Would Redis make requests cheaper? Sessions and API tokens, measured, with and without.

Prints, per database (SQLite, and PostgreSQL when ``DATABASE_URL`` names one):

- the cost of loading a browser's session: Django's database backend (wavetag's), against
  ``cached_db`` and ``cache`` on Redis (``REDIS_URL``, default redis://127.0.0.1:6379/15);
- a whole session-authenticated API request (``GET /api/v1/datasets``) with each;
- resolving an API token: the database query, the 5-s in-process cache wavetag keeps, and
  a Redis GET, the cross-process cache Redis would give.

Figures only; nothing fails. Needs ``pip install redis`` (not a wavetag dependency)::

    python bench/bench_sessions.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/bench_sessions.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("WAVETAG_HOME", tempfile.mkdtemp(prefix="wavetag-bench-"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ["DJANGO_SETTINGS_MODULE"] = "wavetag.settings"
os.environ["WAVETAG_ALLOWED_HOSTS"] = "testserver"  # the test client's host

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                           "LOCATION": REDIS_URL}}  # fmt: skip
ENGINES = {
    "db (today)": ("django.contrib.sessions.backends.db", None),
    "cached_db + Redis": ("django.contrib.sessions.backends.cached_db", REDIS_CACHE),
    "cache (Redis only)": ("django.contrib.sessions.backends.cache", REDIS_CACHE),
}


def per_call_us(fn: Callable[[], object], n: int) -> float:
    """Median of 5 runs of ``n`` calls, in microseconds per call."""
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t) / n * 1e6)
    return sorted(runs)[2]


def main() -> None:
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string

    from wavetag.accounts.models import ApiToken, _token_cache, hash_token

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first()
    if user is None:
        user = user_model.objects.create_user("bench", password=None)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}; Redis: {REDIS_URL}")
    print(f"{'sessions':<22}{'load a session':>16}{'GET /api/v1/datasets':>24}")
    # Engines take turns, round after round, so that a burst of load elsewhere on the
    # machine does not land on one of them only; the median round is printed.
    loads: dict[str, list[float]] = {label: [] for label in ENGINES}
    requests: dict[str, list[float]] = {label: [] for label in ENGINES}
    for _ in range(7):
        for label, (backend, caches) in ENGINES.items():
            extra = {"CACHES": caches} if caches else {}
            with override_settings(SESSION_ENGINE=backend, **extra):
                client = Client()
                client.force_login(user)
                key = client.cookies[settings.SESSION_COOKIE_NAME].value
                store_cls: type[SessionBase] = import_string(backend + ".SessionStore")
                loads[label].append(per_call_us(lambda: store_cls(key).load(), 300))  # noqa: B023
                assert client.get("/api/v1/datasets").status_code == 200
                requests[label].append(
                    per_call_us(lambda: client.get("/api/v1/datasets"), 60)  # noqa: B023
                )
    for label in ENGINES:
        load, request = sorted(loads[label])[3], sorted(requests[label])[3]
        print(f"{label:<22}{load:>13.0f} µs{request:>21.0f} µs")

    _, raw = ApiToken.create_for(user, "bench")
    digest = hash_token(raw)
    _token_cache.clear()
    db = per_call_us(lambda: ApiToken._user_from_db(digest), 2000)
    ApiToken.user_for(raw)
    local = per_call_us(lambda: ApiToken.user_for(raw), 20000)
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    r.set("bench-token", str(user.pk))
    remote = per_call_us(lambda: r.get("bench-token"), 5000)
    print(
        f"API token -> user: database {db:.0f} µs, in-process 5-s cache {local:.1f} µs, "
        f"Redis GET alone {remote:.0f} µs"
    )
    r.delete("bench-token")


if __name__ == "__main__":
    main()
