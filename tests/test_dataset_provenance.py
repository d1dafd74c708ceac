"""A dataset's provenance and licence: set by the command or the admin site, shown on the
dataset and record pages, carried by the JSON exports of a project and of an annotation
set."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from wavetag.records.datasets import fill_about, set_about
from wavetag.records.models import AnnotationSet, Dataset, Record

from .factories import bearer, make_member, make_project, make_user

pytestmark = pytest.mark.django_db

PROVENANCE = "PhysioNet mitdb 1.0.0, https://physionet.org/content/mitdb/1.0.0/"
LICENCE = "Open Data Commons Attribution License v1.0"


@pytest.fixture
def mitdb(mitdb_100: Any) -> Dataset:
    return Dataset.objects.get(name="mitdb")


def dataset_command(*args: str) -> str:
    out = StringIO()
    call_command("dataset", *args, stdout=out)
    return out.getvalue()


class TestDatasetCommand:
    def test_set_then_show(self, mitdb: Dataset) -> None:
        assert "provenance: (not set)" in dataset_command("show", "mitdb")
        dataset_command("set", "mitdb", "--provenance", PROVENANCE, "--licence", LICENCE)
        mitdb.refresh_from_db()
        assert (mitdb.provenance, mitdb.licence) == (PROVENANCE, LICENCE)
        # One field at a time; the other is kept, and "" clears.
        dataset_command("set", "mitdb", "--licence", "ODC-By 1.0")
        mitdb.refresh_from_db()
        assert (mitdb.provenance, mitdb.licence) == (PROVENANCE, "ODC-By 1.0")
        shown = dataset_command("set", "mitdb", "--provenance", "")
        assert "provenance: (not set)" in shown and "licence:    ODC-By 1.0" in shown

    def test_refusals(self, mitdb: Dataset) -> None:
        with pytest.raises(CommandError, match="no dataset named 'nope'"):
            dataset_command("set", "nope", "--licence", "x")
        with pytest.raises(CommandError, match="give --provenance"):
            dataset_command("set", "mitdb")
        with pytest.raises(CommandError, match="licence: at most 200"):
            dataset_command("set", "mitdb", "--licence", "x" * 201)
        mitdb.refresh_from_db()
        assert mitdb.licence == ""

    def test_an_import_fills_only_blank_fields(self, mitdb: Dataset) -> None:
        set_about(mitdb, licence="as agreed with the hospital")
        kept = fill_about(mitdb, provenance=PROVENANCE, licence=LICENCE)
        mitdb.refresh_from_db()
        assert (mitdb.provenance, mitdb.licence) == (PROVENANCE, "as agreed with the hospital")
        assert kept == [
            f"licence: kept 'as agreed with the hospital' (the source says {LICENCE!r})"
        ]


class TestAdminSite:
    def test_a_site_admin_edits_them(self, mitdb: Dataset) -> None:
        client = Client()
        client.force_login(get_user_model().objects.create_superuser("it", "it@example.org"))
        url = reverse("admin:records_dataset_change", args=[mitdb.pk])
        form = client.get(url).content.decode()
        assert 'name="provenance"' in form and 'name="licence"' in form
        data = {"name": "mitdb", "description": "", "provenance": PROVENANCE, "licence": LICENCE}
        assert client.post(url, data).status_code == 302
        mitdb.refresh_from_db()
        assert (mitdb.provenance, mitdb.licence) == (PROVENANCE, LICENCE)


class TestPages:
    def test_dataset_and_record_pages_show_them(self, client: Client, mitdb: Dataset) -> None:
        client.force_login(make_user("it", staff=True))
        page = client.get(f"/datasets/{mitdb.pk}/").content.decode()
        assert page.count("not recorded") == 2
        set_about(mitdb, provenance=PROVENANCE, licence=LICENCE)
        page = client.get(f"/datasets/{mitdb.pk}/").content.decode()
        assert LICENCE in page and "not recorded" not in page
        assert 'href="https://physionet.org/content/mitdb/1.0.0/"' in page
        record = Record.objects.get(dataset=mitdb, name="100")
        page = client.get(f"/records/{record.pk}/").content.decode()
        assert 'data-testid="record-licence">Open Data Commons' in page and "PhysioNet" in page

    def test_text_is_escaped(self, client: Client, mitdb: Dataset) -> None:
        set_about(mitdb, provenance="<script>alert(1)</script>", licence="<b>x</b>")
        client.force_login(make_user("it", staff=True))
        page = client.get(f"/datasets/{mitdb.pk}/").content.decode()
        assert "<script>alert" not in page and "<b>x</b>" not in page
        assert "&lt;b&gt;x&lt;/b&gt;" in page


class TestExports:
    def test_project_and_set_json_name_the_dataset(self, client: Client, mitdb: Dataset) -> None:
        set_about(mitdb, provenance=PROVENANCE, licence=LICENCE)
        project = make_project("rhythm", "mitdb", "wearable-rhythm")
        lead = bearer(make_member(project, "lead", "admin"))
        about = {"name": "mitdb", "provenance": PROVENANCE, "licence": LICENCE}
        body = client.get(f"/api/v1/projects/{project.pk}/export", **lead).json()
        assert body["dataset"] == about
        aset = AnnotationSet.objects.get(record__name="100", name="atr")
        url = f"/api/v1/records/{aset.record_id}/annotations/export"
        body = client.get(url, {"set": "atr", "format": "json"}, **lead).json()
        assert body["dataset"] == about and body["count"] > 0
