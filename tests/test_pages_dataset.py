"""The dataset page: records one page at a time, found by name, durations as clock time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import import_ok, make_member, make_project, make_user
from wavetag.records.models import Dataset, Record
from wavetag.web import views
from wavetag.web.templatetags.clock import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def mitdb(mitdb_records: Any) -> Dataset:
    return Dataset.objects.get(name="mitdb")


class TestDatasetPage:
    def test_pages_of_records(self, client: Any, mitdb: Dataset, monkeypatch: Any) -> None:
        monkeypatch.setattr(views, "RECORDS_PER_PAGE", 3)
        client.force_login(make_user("it", staff=True))
        first = client.get(f"/datasets/{mitdb.pk}/").content.decode()
        assert "4 records" in first and "page 1 of 2" in first
        assert ">100<" in first and ">106<" in first and ">107<" not in first
        second = client.get(f"/datasets/{mitdb.pk}/?page=2").content.decode()
        assert ">107<" in second and ">100<" not in second
        # A page past the end shows the last one, a nonsense page the first.
        assert ">107<" in client.get(f"/datasets/{mitdb.pk}/?page=99").content.decode()
        assert ">100<" in client.get(f"/datasets/{mitdb.pk}/?page=abc").content.decode()

    def test_find_by_name_and_clock_durations(self, client: Any, mitdb: Dataset) -> None:
        client.force_login(make_user("it", staff=True))
        page = client.get(f"/datasets/{mitdb.pk}/", {"q": "10"}).content.decode()
        assert "4 records matching" in page
        page = client.get(f"/datasets/{mitdb.pk}/", {"q": "105"}).content.decode()
        assert "1 record matching" in page and ">105<" in page and ">100<" not in page
        duration = Record.objects.get(name="105").duration
        assert clock(duration) == "30:06" and clock(duration) in page

    def test_outsiders_get_404(self, client: Any, mitdb: Dataset, data_dir: Path) -> None:
        import_ok(data_dir / "ptbxl/00001_lr", dataset="ecg")
        member = make_member(make_project("ecg12", "ecg", "resting-12lead"), "ann")
        client.force_login(member)
        assert client.get(f"/datasets/{mitdb.pk}/").status_code == 404


class TestClock:
    @pytest.mark.parametrize(
        ("seconds", "text"),
        [(9.96, "10.0 s"), (59.9, "59.9 s"), (60, "1:00"), (330, "5:30"), (86400, "24:00:00")],
    )
    def test_clock(self, seconds: float, text: str) -> None:
        assert clock(seconds) == text
