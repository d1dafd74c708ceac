"""Dataset managers' pages: the dataset page's upload box (wavetag/web/dataset_pages.py,
static/web/upload.js) and the new-dataset form. Records used: mitdb/100 from
$WAVETAG_TEST_DATA."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories import make_member, make_project, make_user
from wavetag.records.models import Dataset, Record
from wavetag.records.uploads import create_dataset

pytestmark = pytest.mark.django_db

BOX = 'data-testid="upload"'
FORM = 'data-testid="new-dataset-form"'


@pytest.fixture
def w(settings: Any, tmp_path: Path, data_dir: Path) -> SimpleNamespace:
    """A site admin ``root``, a dataset manager ``keeper`` (granted the permission, in no
    project), an annotator ``ann`` of a project on the dataset ``uploads``, which holds
    record 100."""
    settings.STORE_DIR = tmp_path / "store"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    from tests.factories import import_ok

    w = SimpleNamespace(data=data_dir)
    w.dataset = create_dataset("uploads", "made for the tests")
    import_ok(data_dir / "mitdb/100", dataset="uploads")
    w.root = make_user("root", staff=True, password=None)
    w.keeper = make_user("keeper", password=None)
    w.keeper.user_permissions.add(Permission.objects.get(codename="manage_datasets"))
    w.ann = make_member(make_project("p", "uploads"), "ann")
    w.page = f"/datasets/{w.dataset.pk}/"
    return w


def page(client: Client, user: Any, url: str) -> tuple[int, str]:
    client.force_login(user)
    response = client.get(url)
    return response.status_code, response.content.decode()


class TestUploadBox:
    def test_managers_see_it_pointing_at_the_api(self, w: Any, client: Client) -> None:
        for user in (w.root, w.keeper):
            status, html = page(client, user, w.page)
            assert status == 200 and BOX in html, user
            assert 'data-upload-url="/api/v1/datasets/uploads/records"' in html
            assert 'type="file" multiple' in html and "web/upload.js" in html
            # The token the script sends as X-CSRFToken.
            assert re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', html)

    def test_the_api_url_holds_the_name_quoted(self, w: Any, client: Client) -> None:
        odd = create_dataset("ward 3 #2?")
        html = page(client, w.root, f"/datasets/{odd.pk}/")[1]
        assert 'data-upload-url="/api/v1/datasets/ward%203%20%232%3F/records"' in html
        with (
            open(w.data / "mitdb/105.hea", "rb") as hea,
            open(w.data / "mitdb/105.dat", "rb") as dat,
        ):
            sent = client.post("/api/v1/datasets/ward%203%20%232%3F/records", {"files": [hea, dat]})
        assert sent.status_code == 201, sent.content
        assert Record.objects.get(name="105").dataset == odd

    def test_annotators_see_the_records_and_no_upload(self, w: Any, client: Client) -> None:
        status, html = page(client, w.ann, w.page)
        assert status == 200 and ">100<" in html
        assert BOX not in html and "upload.js" not in html and 'type="file"' not in html

    def test_the_tutorials_dataset_offers_no_upload(self, w: Any, client: Client) -> None:
        Dataset.objects.filter(pk=w.dataset.pk).update(tutorial=True)
        status, html = page(client, w.root, w.page)
        assert status == 200 and BOX not in html

    def test_a_manager_in_no_project_sees_every_dataset(self, w: Any, client: Client) -> None:
        other = create_dataset("elsewhere")
        status, html = page(client, w.keeper, "/")
        assert status == 200 and f"/datasets/{other.pk}/" in html
        assert page(client, w.keeper, f"/datasets/{other.pk}/")[0] == 200
        # Without the permission, the same user is told of no such dataset.
        w.keeper.user_permissions.clear()
        keeper = type(w.keeper).objects.get(pk=w.keeper.pk)
        assert page(client, keeper, f"/datasets/{other.pk}/")[0] == 404

    def test_the_api_asks_the_session_for_its_csrf_token(self, w: Any) -> None:
        """What the script does: a session POST is refused without X-CSRFToken."""
        client = Client(enforce_csrf_checks=True)
        _, html = page(client, w.keeper, w.page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token
        url = "/api/v1/datasets/uploads/records"
        names = ("mitdb/105.hea", "mitdb/105.dat")
        handles = [open(w.data / n, "rb") for n in names]
        try:
            refused = client.post(url, {"files": handles})
            assert refused.status_code == 403 and b"CSRF" in refused.content
            for h in handles:
                h.seek(0)
            sent = client.post(url, {"files": handles}, HTTP_X_CSRFTOKEN=token.group(1))
        finally:
            for h in handles:
                h.close()
        assert sent.status_code == 201, sent.content
        assert [i["name"] for i in json.loads(sent.content)["items"]] == ["105"]
        assert Record.objects.filter(dataset=w.dataset).count() == 2


class TestNewDataset:
    def test_managers_see_the_form_on_the_home_page(self, w: Any, client: Client) -> None:
        for user in (w.root, w.keeper):
            assert FORM in page(client, user, "/")[1]
            assert FORM in page(client, user, "/datasets/new/")[1]
        assert FORM not in page(client, w.ann, "/")[1]

    def test_others_are_told_of_no_such_page(self, w: Any, client: Client) -> None:
        client.force_login(w.ann)
        assert client.get("/datasets/new/").status_code == 404
        assert client.post("/datasets/new/", {"name": "mine"}).status_code == 404
        assert not Dataset.objects.filter(name="mine").exists()

    def test_a_manager_makes_a_dataset(self, w: Any, client: Client) -> None:
        client.force_login(w.keeper)
        response = client.post(
            "/datasets/new/", {"name": " holters ", "description": "24-h ECG"}, follow=True
        )
        made = Dataset.objects.get(name="holters")
        assert made.description == "24-h ECG"
        assert response.redirect_chain == [(f"/datasets/{made.pk}/", 302)]
        html = response.content.decode()
        assert "Dataset holters made" in html and BOX in html

    @pytest.mark.parametrize(
        ("name", "status", "error"),
        [
            ("", 400, "required"),
            ("a/b", 400, "at most 200 characters, without"),
            ("uploads", 409, "exists already"),
        ],
    )
    def test_errors_at_the_field(
        self, w: Any, client: Client, name: str, status: int, error: str
    ) -> None:
        client.force_login(w.root)
        response = client.post("/datasets/new/", {"name": name, "description": "kept"})
        html = response.content.decode()
        assert response.status_code == status
        found = re.search(r'data-testid="error-name">([^<]*)<', html)
        assert found and error in found.group(1)
        assert 'aria-invalid="true" aria-describedby="error-name"' in html
        assert ">kept</textarea>" in html
        assert Dataset.objects.count() == 1

    def test_the_form_checks_csrf(self, w: Any) -> None:
        client = Client(enforce_csrf_checks=True)
        _, html = page(client, w.root, "/datasets/new/")
        assert client.post("/datasets/new/", {"name": "x"}).status_code == 403
        assert not Dataset.objects.filter(name="x").exists()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token
        data = {"name": "x", "csrfmiddlewaretoken": token.group(1)}
        assert client.post("/datasets/new/", data).status_code == 302
        assert Dataset.objects.filter(name="x").exists()
