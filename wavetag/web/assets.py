"""The viewer's static files under versioned URLs, cached for good by browsers.

Static names carry no content hash (files are served from the app folders, with no
collectstatic step), so whitenoise marks them fresh for a minute only. Past that minute a
record page revalidated its ~28 files before drawing anything: about 140 ms more for a first
view on a warm cache. Instead the record page asks for ``<file>?v=<digest of the viewer
folder>`` (an import map points the modules' own relative imports there too), and those
responses say ``immutable``: a changed file changes the digest, so a new release is fetched
at once and an unchanged one never again.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils.safestring import mark_safe
from whitenoise.middleware import WhiteNoiseFileResponse, WhiteNoiseMiddleware

STATIC_DIR = Path(__file__).resolve().parent / "static"
VIEWER_DIR = STATIC_DIR / "web" / "viewer"
IMMUTABLE = "public, max-age=31536000, immutable"
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@lru_cache(maxsize=1)
def _viewer_files() -> tuple[str, list[str]]:
    files = sorted(p for p in VIEWER_DIR.iterdir() if p.suffix in (".js", ".css"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12], [p.name for p in files]


def viewer_version() -> str:
    """Digest of the viewer's files (recomputed on every call in DEBUG, where they change)."""
    if settings.DEBUG:
        _viewer_files.cache_clear()
    return _viewer_files()[0]


def viewer_assets() -> dict[str, object]:
    """URLs for viewer.html (the stylesheet, main.js, the modules it preloads) and for
    base.html (the import map of every module, and i18n.js, which every page preloads)."""
    return _viewer_assets(viewer_version())


@lru_cache(maxsize=4)
def _viewer_assets(version: str) -> dict[str, object]:
    # Built once per version of the viewer's files: some eighty static() lookups that every
    # task page would otherwise repeat (a few milliseconds of each).
    names = _viewer_files()[1]

    def url(name: str) -> str:
        return f"{static('web/viewer/' + name)}?v={version}"

    modules = {static("web/viewer/" + n): url(n) for n in names if n.endswith(".js")}
    # Escaped as json_script does, for a <script type="importmap"> element.
    text = json.dumps({"imports": modules}).translate(_SCRIPT_ESCAPES)
    # The page scripts import i18n.js as well: every page preloads it (base.html), at the
    # URL the import map sends it to, so the viewer leaves it out of its own preloads.
    i18n = modules[static("web/viewer/i18n.js")]
    return {
        "css": url("viewer.css"),
        "main": url("main.js"),
        "modules": [u for u in modules.values() if u != i18n],
        "i18n": i18n,
        "import_map": mark_safe(text),  # our own file names, escaped above
    }


@lru_cache(maxsize=256)
def _file_digest(name: str) -> str | None:
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def file_version(name: str) -> str | None:
    """Digest of one static file of this app (``web/base.css``), None if there is none."""
    if settings.DEBUG:
        _file_digest.cache_clear()
    return _file_digest(name)


def versioned_static(name: str) -> str:
    """``static(name)`` at the file's digest, cached for good like the viewer's files: the
    stylesheet every page loads no longer revalidates once its minute is over."""
    version = file_version(name)
    return f"{static(name)}?v={version}" if version else static(name)


def _asks_current_version(request: HttpRequest) -> bool:
    asked = request.GET.get("v")
    prefix = static("")
    if not asked or not request.path.startswith(prefix):
        return False
    name = request.path[len(prefix) :]
    # Viewer files share the folder's digest (the import map); others have their own.
    if name.startswith("web/viewer/"):
        return asked == viewer_version()
    return asked == file_version(name)


class VersionedStaticMiddleware(WhiteNoiseMiddleware):
    """Whitenoise, with a year of ``immutable`` caching for files asked at the current digest."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = super().__call__(request)
        if (
            isinstance(response, WhiteNoiseFileResponse)
            and response.status_code in (200, 304)
            and not settings.DEBUG
            and _asks_current_version(request)
        ):
            response["Cache-Control"] = IMMUTABLE
        return response
