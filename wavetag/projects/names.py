"""Words stored in English (roles, conflict policies, job states, periods, task kinds) named in the
reader's language: the stored value stays the key, only its name is translated."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

NAMES = {
    "annotator": gettext_noop("annotator"),
    "adjudicator": gettext_noop("adjudicator"),
    "admin": gettext_noop("admin"),
    "adjudicate": gettext_noop("adjudicate"),
    "reenter": gettext_noop("reenter"),
    "queued": gettext_noop("queued"),
    "running": gettext_noop("running"),
    "done": gettext_noop("done"),
    "failed": gettext_noop("failed"),
    "day": gettext_noop("day"),
    "week": gettext_noop("week"),
    "month": gettext_noop("month"),
    "all": gettext_noop("all"),
    # What a project's tasks are (a schema's "tasks").
    "events": gettext_noop("events"),
    "segments": gettext_noop("segments"),
    "record": gettext_noop("record"),
}


def name(value: object) -> str:
    """The translated name of a stored role, policy or state; other values unchanged."""
    key = str(value) if value is not None else ""
    return gettext(NAMES[key]) if key in NAMES else key
