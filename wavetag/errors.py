"""The errors every app raises when a request cannot be done as asked.

The ground floor of the house: no Django, no app. Each error carries the HTTP status the
API answers with (one handler in ``wavetag.api``) and a message meant for the person who
made the request, naming the field or the rule that refused it (``edits[2].symbol: ...``).
Pages show the same message; commands print it.
"""

from __future__ import annotations

import json
from typing import Any


class WavetagError(Exception):
    """A request that cannot be done as asked; ``status`` is the API's answer."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            # One refusal can mean different things in one operation (an edit refused
            # because of its field, 400, or because of the set's state, 409).
            self.status = status


class InvalidInput(WavetagError):
    """A value the schema, the settings or the format do not allow; the message names it."""

    status = 400


class NotAllowed(WavetagError):
    """The caller can see the object but their role does not allow this action."""

    status = 403


class StateConflict(WavetagError):
    """The action does not fit the current state (batch not finished, set frozen...)."""

    status = 409


def refuse_nul(name: str, text: str) -> str:
    """PostgreSQL cannot hold a NUL character in text (nor compare with one): refuse it
    with a message naming the field instead of failing in the database."""
    if "\x00" in text:
        raise InvalidInput(f"{name}: must not contain NUL characters")
    return text


# Deeper than any body the API takes (a label schema is the deepest, at about 6 levels).
MAX_JSON_DEPTH = 32


def load_json(raw: bytes | str, where: str = "body") -> Any:
    """Parse JSON from a client, refusing what is not JSON or is nested deeper than
    ``MAX_JSON_DEPTH`` (``InvalidInput`` naming ``where``): deep nesting would otherwise
    exhaust the recursion of whatever reads it next."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise InvalidInput(f"{where}: nested more than {MAX_JSON_DEPTH} levels deep") from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{where}: not valid JSON") from None
    # Breadth-first, without recursion: the check must not fail the way it guards against.
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(f"{where}: nested more than {MAX_JSON_DEPTH} levels deep")
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
    return value
