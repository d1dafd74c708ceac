"""The record page loads the viewer from versioned URLs that browsers may keep for good."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.factories import make_user
from wavetag.records.models import Record
from wavetag.web.assets import IMMUTABLE, VIEWER_DIR, file_version, viewer_version

pytestmark = pytest.mark.django_db
PRELOAD_TAG = '<link rel="modulepreload"'
PRELOAD = PRELOAD_TAG + r' href="([^"]+)">'


@pytest.fixture
def page_html(client: Any, alarm_v102s: Any) -> str:
    client.force_login(make_user("reader", staff=True, password=None))
    record = Record.objects.get(name="v102s")
    return client.get(f"/records/{record.pk}/").content.decode()


class TestViewerAssets:
    def test_every_module_is_mapped_and_preloaded_at_the_version(self, page_html: str) -> None:
        version = viewer_version()
        found = re.search(r'<script type="importmap">(.*?)</script>', page_html, re.S)
        assert found, "no import map on the record page"
        imports = json.loads(found.group(1))["imports"]
        modules = sorted(p.name for p in VIEWER_DIR.glob("*.js"))
        assert sorted(k.rsplit("/", 1)[1] for k in imports) == modules
        assert all(v == f"{k}?v={version}" for k, v in imports.items())
        preloaded = re.findall(PRELOAD, page_html)
        # Every module once: i18n.js from the head (as on every page), the rest by the viewer.
        assert sorted(preloaded) == sorted(imports.values())
        assert len(preloaded) == len(set(preloaded)), preloaded
        head = page_html.split("</head>", 1)[0]
        assert re.findall(PRELOAD, head) == [imports["/static/web/viewer/i18n.js"]]
        assert f'src="/static/web/viewer/main.js?v={version}"' in page_html

    def test_every_page_preloads_the_catalogue_module_where_the_map_sends_it(
        self, client: Any
    ) -> None:
        # The page scripts (the account page's copy button, the PhysioNet form) import
        # ./viewer/i18n.js: preloaded at the import map's URL, that import fetches nothing more.
        client.force_login(make_user("reader", password=None))
        html = client.get("/account/").content.decode()
        found = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
        assert found, "no import map on the account page"
        i18n = json.loads(found.group(1))["imports"]["/static/web/viewer/i18n.js"]
        assert i18n == f"/static/web/viewer/i18n.js?v={viewer_version()}"
        assert re.findall(PRELOAD, html) == [i18n]
        # After the map: a module resolved before it would be left out of it.
        assert html.index('<script type="importmap">') < html.index(PRELOAD_TAG)

    def test_versioned_files_are_immutable_and_others_are_not(self, client: Any) -> None:
        url = "/static/web/viewer/tiles.js"
        current = client.get(f"{url}?v={viewer_version()}")
        assert current.status_code == 200
        assert current["Cache-Control"] == IMMUTABLE
        for other in (url, f"{url}?v=000000000000"):
            response = client.get(other)
            assert response.status_code == 200
            assert "immutable" not in response["Cache-Control"]

    def test_every_page_gets_the_stylesheet_at_its_digest(
        self, client: Any, page_html: str
    ) -> None:
        version = file_version("web/base.css")
        assert version and f'href="/static/web/base.css?v={version}"' in page_html
        assert client.get(f"/static/web/base.css?v={version}")["Cache-Control"] == IMMUTABLE
        # Another file's digest, or the viewer's, does not make the stylesheet immutable.
        for other in (viewer_version(), file_version("web/analysis.js"), "../base.css"):
            response = client.get(f"/static/web/base.css?v={other}")
            assert "immutable" not in response["Cache-Control"], other
        assert file_version("../assets.py") is None and file_version("web/nothing.css") is None

    def test_annotation_and_adjudication_pages_use_the_same_urls(
        self, client: Any, data_dir: Path, settings: Any, tmp_path: Path
    ) -> None:
        from tests.factories import icu_world
        from wavetag.annotations.batches import claim_batch
        from wavetag.annotations.services import save_annotation

        settings.STORE_DIR = tmp_path / "store"
        w = icu_world(data_dir)
        (task,) = claim_batch(w.project, w.ann1)
        claim_batch(w.project, w.ann2)
        save_annotation(task, w.ann1, {"decision": "True"})
        save_annotation(task, w.ann2, {"decision": "False"})
        main = f'src="/static/web/viewer/main.js?v={viewer_version()}"'
        for user, url in (
            (w.ann1, f"/tasks/{task.pk}/"),
            (w.judge, f"/tasks/{task.pk}/adjudicate/"),
        ):
            client.force_login(user)
            html = client.get(url).content.decode()
            assert main in html and '<script type="importmap">' in html, url
