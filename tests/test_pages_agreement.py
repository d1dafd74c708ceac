"""The agreement page (``/projects/ID/agreement/``): who may open it, what it shows, and
where it is linked from."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation
from wavetag.web.agreement_views import heatmap

from .factories import rhythm_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(holter_106: Any) -> SimpleNamespace:
    """Twelve tasks answered by ann1 and ann2, who disagree on quality on every third."""
    w = rhythm_team(batch_size=12)
    tasks = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    for i, task in enumerate(tasks):
        save_annotation(task, w.ann1, {"quality": "C"})
        other = {"quality": "B", "rhythm": "sinus", "subcategory": "sinus-normal"}
        save_annotation(task, w.ann2, other if i % 3 == 0 else {"quality": "C"})
    return w


def page(client: Client, w: SimpleNamespace, who: str | None) -> Any:
    if who is not None:
        client.force_login(getattr(w, who))
    return client.get(f"/projects/{w.project.pk}/agreement/")


class TestAccess:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [("ann1", 403), ("outsider", 404), ("judge", 200), ("lead", 200), ("root", 200)],
    )
    def test_roles(self, client: Client, world: SimpleNamespace, who: str, expected: int) -> None:
        assert page(client, world, who).status_code == expected

    def test_anonymous_goes_to_log_in(self, client: Client, world: SimpleNamespace) -> None:
        response = page(client, world, None)
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_empty_project(self, client: Client, holter_106: Any) -> None:
        w = rhythm_team()
        response = page(client, w, "judge")
        assert response.status_code == 200
        assert b"No answers yet." in response.content and b'data-testid="heatmap"' not in (
            response.content
        )


class TestContent:
    def test_figures_tables_and_heat_map(self, client: Client, world: SimpleNamespace) -> None:
        html = page(client, world, "judge").content.decode()
        quality = html[html.index('data-testid="field-quality"') :]
        percent = re.search(r'data-testid="percent-quality">([^<]+)<', quality)
        assert percent and percent.group(1) == "0.667"
        assert 'data-testid="pairs-quality"' in quality and "ann1" in quality
        assert 'data-testid="annotator-quality-ann2"' in quality
        # A real table: column and row headers, counts in the cells, shaded on the server.
        table = quality[quality.index('data-testid="heatmap"') : quality.index("</table>")]
        # Categories are answer values: data, never translated.
        col, row = '<th scope="col" translate="no">', '<th scope="row" translate="no">'
        assert f"{col}B</th>{col}C</th>" in table
        assert f"{row}C</th>" in table and "A</th>" not in table
        assert 'style="background-color: rgba(26, 95, 180, 1.00); color: #fff">16</td>' in table

    def test_linked_from_the_expert_pages(self, client: Client, world: SimpleNamespace) -> None:
        client.force_login(world.lead)
        url = f'href="/projects/{world.project.pk}/agreement/"'
        for where in ("review", "console", "adjudication"):
            html = client.get(f"/projects/{world.project.pk}/{where}/").content.decode()
            assert url in html, where
        assert url in client.get("/").content.decode()


class TestHeatmap:
    def test_shades_by_the_largest_count_and_drops_unused_categories(self) -> None:
        m = heatmap(["x", "y", "z"], [[4, 0, 0], [2, 1, 0], [0, 0, 0]], "rows", "columns")
        assert m is not None and m["columns"] == ["x", "y"] and m["unused"] == 1
        cells = [[c["text"] for c in row["cells"]] for row in m["rows"]]
        assert cells == [["4", "0"], ["2", "1"]]
        assert m["rows"][1]["cells"][0]["style"].endswith("0.50)")
        assert heatmap(["x"], [[0]], "r", "c") is None
        half = heatmap(["x", "y"], [[0.5, 1.5], [1.5, 3]], "r", "c")
        assert half is not None and half["rows"][0]["cells"][0]["text"] == "0.5"
