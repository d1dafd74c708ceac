"""Sessions kept in the database and cached in Redis, when ``WAVETAG_REDIS_URL`` is set.

Django's ``cached_db`` engine: every session is written to the database and to the cache,
and read from the cache, so that a browser's request costs the shared database one query
fewer (bench/RESULTS.md: loading a session 0.5-1.3 ms on PostgreSQL, 0.1-0.3 ms from
Redis). The database stays the truth: here a cache that fails (Redis restarting,
unreachable) costs a database read and a line in the log, never a request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db

log = logging.getLogger(__name__)


class _Tolerant:
    """The session cache, its failures logged and taken as misses."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    def _try(self, what: str, default: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._cache, what)(*args, **kwargs)
        except Exception as exc:  # any client error: the database answers instead
            log.warning("session cache %s failed (%s); using the database", what, exc)
            return default

    def get(self, key: str, default: Any = None) -> Any:
        return self._try("get", default, key, default)

    def set(self, key: str, value: Any, timeout: Any = None) -> None:
        self._try("set", None, key, value, timeout)

    def delete(self, key: str) -> None:
        self._try("delete", None, key)

    def __contains__(self, key: str) -> bool:
        return bool(self._try("has_key", False, key))


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        cache: Any = getattr(self, "_cache")  # noqa: B009 - typed here; Django's is not
        self._cache = _Tolerant(cache)
