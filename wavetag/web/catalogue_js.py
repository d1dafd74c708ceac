"""The viewer's strings (the ``djangojs`` domain) in the page's language.

Every page carries its language's catalogue as JSON (``{% js_catalogue %}``): the
viewer's modules read it with ``gettext`` from ``web/viewer/i18n.js`` before drawing,
with no request of their own and nothing from outside the package. The same catalogue is
served at ``/i18n/catalogue.json`` for other clients.
"""

from __future__ import annotations

import json
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation.trans_real import DjangoTranslation
from django.views.i18n import JSONCatalog


@lru_cache(maxsize=8)
def _catalogue(language: str) -> str:
    view = JSONCatalog()
    view.translation = DjangoTranslation(language, domain="djangojs")  # type: ignore[attr-defined]
    catalogue = view.get_catalog()
    # One plural form in Chinese, two in English: all the viewer needs to know.
    nplurals = 1 if language.startswith("zh") else 2
    return json.dumps({"language": language, "nplurals": nplurals, "catalog": catalogue})


def catalogue_json(language: str | None = None) -> str:
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    if settings.DEBUG:
        _catalogue.cache_clear()
    return _catalogue(language)


@lru_cache(maxsize=8)
def _script(language: str) -> SafeString:
    return json_script(json.loads(_catalogue(language)), "wavetag-catalogue")


def catalogue_script(language: str | None = None) -> SafeString:
    """The ``<script type="application/json" id="wavetag-catalogue">`` element."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    if settings.DEBUG:
        _catalogue.cache_clear()
        _script.cache_clear()
    return _script(language)
