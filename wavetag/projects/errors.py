"""Errors of the annotation workflow, shared by pages, API and commands.

Each carries the HTTP status the API answers with, and a message meant for the person
who made the request (it names the field or the rule that refused it).
"""

from __future__ import annotations


class WorkflowError(Exception):
    status = 400


class InvalidInput(WorkflowError):
    """A value the schema or the settings do not allow; the message names the field."""

    status = 400


class NotAllowed(WorkflowError):
    """The caller can see the object but their role does not allow this action."""

    status = 403


class StateConflict(WorkflowError):
    """The action does not fit the current state (batch not finished, task still open...)."""

    status = 409


def refuse_nul(name: str, text: str) -> str:
    """PostgreSQL cannot hold a NUL character in text (nor compare with one): refuse it
    with a message naming the field instead of failing in the database."""
    if "\x00" in text:
        raise InvalidInput(f"{name}: must not contain NUL characters")
    return text
