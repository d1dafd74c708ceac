"""What a label schema shows, in the reader's language.

A label (a field's ``label`` or ``help``, a choice's or a grade's ``label``) is a text, or
an object giving it per language: ``{"en": "Rhythm", "zh-hans": "节律"}``. The page shows
the active language's text, else the English one, else the first given. A plain text is
looked up in the catalogue, which holds the built-in templates' labels; a custom schema's
plain text not in it is shown as written.

Only what is shown changes with the language: answers hold choice *values*, and exports
and the API keep the schema as stored.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.utils.translation import get_language, gettext

# Entries whose text is shown to a reader, at each level of a schema.
_SCHEMA_TEXTS = ("title", "description")
_FIELD_TEXTS = ("label", "help")


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def label_text(label: Any) -> str:
    """The text of one label in the active language."""
    if isinstance(label, dict):
        active = (get_language() or settings.LANGUAGE_CODE).lower()
        for code in (active, settings.LANGUAGE_CODE):
            if label.get(code):
                return str(label[code])
        return next((str(v) for v in label.values() if v), "")
    if not isinstance(label, str) or not label.strip():
        # gettext("") is the catalogue's header, never a label.
        return "" if label is None else str(label)
    return gettext(label)


def shown_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of the schema with every label as the active language shows it; values,
    names and keys as they are."""
    out = copy.deepcopy(schema)
    for key in _SCHEMA_TEXTS:
        if key in out:
            out[key] = label_text(out[key])
    for field in out.get("fields", []):
        for key in _FIELD_TEXTS:
            if key in field:
                field[key] = label_text(field[key])
        for choice in [*field.get("choices", []), *field.get("grades", [])]:
            if "label" in choice:
                choice["label"] = label_text(choice["label"])
    return out
