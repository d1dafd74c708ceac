"""Texts stored in English, shown in the reader's language.

A worker (an analysis, an import job) writes its progress and refusals with no request
and so no reader's language, and the signal core that words a reader's reasons never
imports Django: the row keeps the stable English text, and :class:`Texts` looks it up
when a page or the API shows it. Each message is the English msgid itself (marked with
``gettext_noop``): the pattern that recognises a stored text is made from it, each
``%(name)s`` standing for a part that varies, so the message is written once. A text
matching no message (a new one, an exception's own words) is shown as stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from django.utils.translation import gettext

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# What a placeholder matches unless told otherwise: any text, as little as will do (the
# pattern is anchored at both ends, so the literal words around it decide).
ANY = r".+?"


def pattern_of(message: str, groups: Mapping[str, str]) -> re.Pattern[str]:
    """The pattern of the texts ``message`` makes: its words as they are, each
    ``%(name)s`` a named group matching ``groups[name]`` (:data:`ANY` by default)."""
    parts, at = [], 0
    for found in _PLACEHOLDER.finditer(message):
        parts.append(re.escape(message[at : found.start()].replace("%%", "%")))
        name = found.group(1)
        parts.append(f"(?P<{name}>{groups.get(name, ANY)})")
        at = found.end()
    parts.append(re.escape(message[at:].replace("%%", "%")))
    return re.compile("".join(parts) + r"\Z", re.S)


class Texts:
    """A table of stored English messages, shown in the active language.

    ``groups`` narrows what a placeholder matches (``{"n": r"\\d+"}``); ``parts`` shows
    a placeholder's own value in the reader's language too (a reason inside a sentence,
    a step's name), by name."""

    def __init__(
        self,
        messages: Iterable[str],
        groups: Mapping[str, str] | None = None,
        parts: Mapping[str, Callable[[str], str]] | None = None,
    ) -> None:
        groups = groups or {}
        self.parts = dict(parts or {})
        self.table = [(pattern_of(message, groups), message) for message in messages]

    def find(self, text: str) -> str | None:
        """``text`` in the active language, or None when it matches no message."""
        for pattern, message in self.table:
            match = pattern.match(text or "")
            if match is None:
                continue
            values = match.groupdict()
            for name, show in self.parts.items():
                if name in values:
                    values[name] = show(values[name])
            return gettext(message) % values if values else gettext(message)
        return None

    def __call__(self, text: str) -> str:
        """``text`` in the active language; as stored when it matches no message."""
        found = self.find(text)
        return text if found is None else found
