"""What a schema says about a beat-correction project ("type": "beats").

In such a project each annotator corrects a copy of a starting set of beats (the
automatic analysis's, or an imported set such as ``atr``) over the task's window; the
corrected sets are compared beat by beat, not the schema's fields, which are notes (a
signal-quality grade, a comment) kept with each answer.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput

TASK_TYPES = ("labels", "beats")
BEAT_TASK_MODES = ("record", "segments")
# The starting set "automatic" is the record's automatic set, whatever it is named.
AUTOMATIC = "automatic"
SET_NAME = re.compile(r"^[A-Za-z0-9_.+-]{1,64}$")


def is_beat_schema(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "beats"


def start_set_of(schema: dict[str, Any]) -> str:
    return str(schema.get("start_set") or AUTOMATIC)


def check_task_type(raw: dict[str, Any], tasks: str) -> dict[str, Any]:
    """The ``type`` and ``start_set`` entries of a normalised schema."""
    kind = raw.get("type", "labels")
    if kind not in TASK_TYPES:
        raise InvalidInput(
            _("%(at)s: must be one of %(names)s") % {"at": "type", "names": ", ".join(TASK_TYPES)}
        )
    if kind != "beats":
        if "start_set" in raw:
            raise InvalidInput("start_set: " + _('only for a schema of "type": "beats"'))
        return {"type": kind}
    if tasks not in BEAT_TASK_MODES:
        raise InvalidInput(
            "tasks: "
            + _("a beat-correction schema makes %(modes)s tasks, not %(tasks)s")
            % {"modes": _(" or ").join(BEAT_TASK_MODES), "tasks": repr(tasks)}
        )
    start = raw.get("start_set", AUTOMATIC)
    if not isinstance(start, str) or not SET_NAME.match(start):
        raise InvalidInput(
            "start_set: "
            + _(
                'must be "automatic" or the name of an imported annotation set '
                "(letters, digits, . _ + -; at most 64)"
            )
        )
    return {"type": kind, "start_set": start}
