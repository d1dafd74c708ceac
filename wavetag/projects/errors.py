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
