"""Log lines that an administrator can search and a log collector can parse.

Every record carries the id of the request being served (``-`` outside a request), so that
an error and the request that caused it are found together. ``WAVETAG_LOG_FORMAT=json``
writes one JSON object per line (for Loki, Elasticsearch, journald with a JSON parser);
the default is plain text.

Kept free of Django apps and of prometheus_client: settings load it before either.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

# Set by wavetag.web.monitoring.RequestMiddleware for the time of a request (each server
# thread has its own context).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Fields a request's log line carries besides its message (see RequestMiddleware).
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "user_id", "client")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (of every logger, Django's error log too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message,
    request_id, the request fields when the record has them, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                out[name] = getattr(record, name)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, default=str)


def logging_config(fmt: str, level: str, requests: bool) -> dict[str, object]:
    """Django's LOGGING for ``WAVETAG_LOG_FORMAT`` (``text`` or ``json``), the root
    ``level`` and whether each request is logged (logger ``wavetag.requests``, INFO)."""
    if fmt not in {"text", "json"}:
        raise ValueError(f"WAVETAG_LOG_FORMAT: {fmt!r} is neither text nor json")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "wavetag.logs.RequestIdFilter"}},
        "formatters": {
            "text": {"format": TEXT_FORMAT},
            "json": {"()": "wavetag.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": fmt,
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"wavetag.requests": {"level": "INFO" if requests else "WARNING"}},
    }
