"""PhysioNet databases imported by a job (``POST /api/v1/datasets/{name}/physionet``,
``GET /api/v1/physionet/{database}/records``, ``wavetag.records.physionet``), from a local
mirror in both layouts (``tests/physionet_mirror.py``): MIT-BIH 100 and 105 from
$WAVETAG_TEST_DATA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from wavetag.analysis.import_jobs import execute_import, physionet_job
from wavetag.records import physionet
from wavetag.records.models import AnnotationSet, Dataset, ImportJob, Record

from . import physionet_mirror
from .factories import bearer, call, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(settings: Any, tmp_path: Path, data_dir: Path, monkeypatch: Any) -> Iterator[Any]:
    """A dataset manager ``keeper``, a user ``ann`` without the permission, and the mirror."""
    settings.STORE_DIR = tmp_path / "store"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    w = SimpleNamespace(uploads=tmp_path / "uploads")
    w.root = physionet_mirror.build(tmp_path / "mirror", data_dir)
    w.keeper = make_user("keeper", password=None)
    w.keeper.user_permissions.add(Permission.objects.get(codename="manage_datasets"))
    w.ann = make_user("ann", password=None)
    w.h = {"keeper": bearer(w.keeper), "ann": bearer(w.ann)}
    with physionet_mirror.serve(w.root) as url:
        monkeypatch.setenv("WAVETAG_PHYSIONET_URL", url)
        yield w


def start(client: Client, w: Any, body: dict[str, Any], dataset: str = "arrhythmia") -> Any:
    return call(client, "post", f"/api/v1/datasets/{dataset}/physionet", w.h["keeper"], body)


class TestRecordList:
    @pytest.mark.parametrize(
        ("url", "version"),
        [
            ("/api/v1/physionet/mitdb/records", "1.0.0"),  # the current version, from its page
            ("/api/v1/physionet/mitdb/records?version=1.0.0", "1.0.0"),
            ("/api/v1/physionet/nsrdb/records", ""),  # flat layout
        ],
    )
    def test_both_layouts(self, w: Any, client: Client, url: str, version: str) -> None:
        status, out = call(client, "get", url, w.h["keeper"])
        assert status == 200, out
        assert out["version"] == version and out["records"] == ["100", "105"]

    @pytest.mark.parametrize(
        ("url", "named"),
        [
            ("/api/v1/physionet/nosuchdb/records", "no database named 'nosuchdb'"),
            ("/api/v1/physionet/mitdb/records?version=9.9.9", "no version 9.9.9 of mitdb"),
            ("/api/v1/physionet/nsrdb/records?version=1.0.0", "no version 1.0.0 of nsrdb"),
            ("/api/v1/physionet/mit_db/records", "'mit_db' is not a PhysioNet database"),
            ("/api/v1/physionet/mitdb/records?version=../x", "'../x' is not a version"),
        ],
    )
    def test_unknown_is_refused_naming_it(
        self, w: Any, client: Client, url: str, named: str
    ) -> None:
        status, out = call(client, "get", url, w.h["keeper"])
        assert status == 400 and named in out["detail"], out

    def test_a_mirror_without_pages_needs_the_version(self, w: Any, client: Client) -> None:
        (w.root / "content/mitdb/index.html").unlink()
        status, out = call(client, "get", "/api/v1/physionet/mitdb/records", w.h["keeper"])
        assert status == 400 and "give the version" in out["detail"]
        url = "/api/v1/physionet/mitdb/records?version=1.0.0"
        assert call(client, "get", url, w.h["keeper"])[0] == 200

    def test_others_are_refused(self, w: Any, client: Client) -> None:
        status, _ = call(client, "get", "/api/v1/physionet/mitdb/records", w.h["ann"])
        assert status == 403


class TestStart:
    def test_unknown_database_or_version_queues_nothing(self, w: Any, client: Client) -> None:
        for body, named in (
            ({"database": "nosuchdb"}, "nosuchdb"),
            ({"database": "mitdb", "version": "2.0.0"}, "2.0.0"),
            ({"database": "mitdb", "records": ["999"]}, "'999'"),
        ):
            status, out = start(client, w, body)
            assert status == 400 and named in out["detail"], out
        assert not ImportJob.objects.exists() and not Dataset.objects.exists()

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"database": 7},
            {"database": "mitdb", "version": 1},
            {"database": "mitdb", "records": "100"},
            {"database": "mitdb", "records": []},
            {"database": "mitdb", "colour": "red"},
            ["mitdb"],
        ],
    )
    def test_malformed_bodies_are_400(self, w: Any, client: Client, body: Any) -> None:
        status, out = start(client, w, body)
        assert status == 400, out
        assert not ImportJob.objects.exists()

    def test_the_tutorials_dataset_is_refused(self, w: Any, client: Client) -> None:
        Dataset.objects.create(name="tutorial", tutorial=True)
        status, out = start(client, w, {"database": "mitdb"}, dataset="tutorial")
        assert status == 409 and "tutorial" in out["detail"]
        assert not ImportJob.objects.exists()

    def test_an_unreachable_mirror_is_502(self, w: Any, client: Client, monkeypatch: Any) -> None:
        monkeypatch.setenv("WAVETAG_PHYSIONET_URL", "http://127.0.0.1:9")
        status, out = start(client, w, {"database": "mitdb"})
        assert status == 502 and "download failed" in out["detail"]
        assert "127.0.0.1:9" not in out["detail"] and not ImportJob.objects.exists()

    def test_others_are_refused(self, w: Any, client: Client) -> None:
        url = "/api/v1/datasets/x/physionet"
        status, _ = call(client, "post", url, w.h["ann"], {"database": "mitdb"})
        assert status == 403 and not ImportJob.objects.exists()


class TestJob:
    @pytest.mark.parametrize(("database", "version"), [("mitdb", "1.0.0"), ("nsrdb", "")])
    def test_download_and_import_in_both_layouts(
        self, w: Any, client: Client, database: str, version: str
    ) -> None:
        status, out = start(client, w, {"database": database, "records": None})
        assert status == 202 and out["url"] == f"/api/v1/import-jobs/{out['job']}"
        status, job = call(client, "get", out["url"], w.h["keeper"])
        assert job["status"] == "queued" and job["total"] == 2 and job["downloaded"] == 0
        assert job["source"] == {"kind": "physionet", "database": database, "version": version}
        assert not Record.objects.exists()
        assert execute_import(out["job"]).status == "done"  # what the worker runs
        status, job = call(client, "get", out["url"], w.h["keeper"])
        assert (job["downloaded"], job["done"], job["total"]) == (2, 2, 2)
        assert [i["name"] for i in job["items"]] == ["100", "105"] and job["refused"] == []
        dataset = Dataset.objects.get(name="arrhythmia")
        assert Record.objects.filter(dataset=dataset).count() == 2
        assert AnnotationSet.objects.filter(name="atr").count() == 2
        page = f"https://physionet.org/content/{database}/" + (f"{version}/" if version else "")
        assert dataset.provenance.endswith(page)
        assert dataset.licence == (physionet_mirror.LICENCE if version else "")
        assert not any(w.uploads.iterdir())

    def test_a_record_missing_on_the_mirror_is_refused_the_others_import(
        self, w: Any, client: Client
    ) -> None:
        files = w.root / "files/mitdb/1.0.0"
        (files / "RECORDS").write_text("100\n105\n107\n")
        (files / "105.dat").unlink()
        status, out = start(client, w, {"database": "mitdb", "version": "1.0.0"})
        assert status == 202
        job = execute_import(out["job"])
        assert job.status == "done" and (job.downloaded, job.done, job.total) == (3, 3, 3)
        assert [i["name"] for i in job.items] == ["100"]
        assert job.refused == [
            {"file": "105", "error": "105.dat: not on the mirror"},
            {"file": "107", "error": "107.hea: not on the mirror"},
        ]
        assert list(Record.objects.values_list("name", flat=True)) == ["100"]

    def test_progress_is_reported_while_it_runs(self, w: Any, monkeypatch: Any) -> None:
        (w.root / "files/mitdb/1.0.0/RECORDS").write_text("107\n100\n105\n")
        job = physionet_job("arrhythmia", "mitdb", "1.0.0", user=w.keeper, enqueue=False)
        seen: list[tuple[int, int]] = []
        fetch = physionet.fetch_record

        def watched(*args: Any) -> Any:
            row = ImportJob.objects.get(pk=job.pk)
            seen.append((row.downloaded, row.done))
            return fetch(*args)

        monkeypatch.setattr(physionet, "fetch_record", watched)
        job = execute_import(job.pk)
        # 107 is refused at once (downloaded and done), then 100 and 105 are fetched.
        assert seen == [(0, 0), (1, 1), (2, 1)]
        assert (job.downloaded, job.done, job.total) == (3, 3, 3)

    def test_chosen_records_into_an_existing_dataset(self, w: Any) -> None:
        Dataset.objects.create(name="arrhythmia", licence="kept as set")
        job = physionet_job("arrhythmia", "mitdb", None, ["105"], user=w.keeper, enqueue=False)
        job = execute_import(job.pk)
        assert [i["name"] for i in job.items] == ["105"]
        assert Dataset.objects.get(name="arrhythmia").licence == "kept as set"

    def test_a_mirror_gone_during_the_job_fails_each_record(self, w: Any) -> None:
        job = physionet_job("arrhythmia", "nsrdb", user=w.keeper, enqueue=False)
        for path in (w.root / "files/nsrdb").iterdir():
            path.unlink()
        job = execute_import(job.pk)
        assert job.status == "failed" and job.error == "nothing could be imported (see refused)"
        assert [r["file"] for r in job.refused] == ["100", "105"]
        assert not Record.objects.exists() and not any(w.uploads.iterdir())

    def test_unsafe_names_from_the_server_are_refused(self, w: Any) -> None:
        (w.root / "files/nsrdb/RECORDS").write_text("../../etc/passwd\n")
        with pytest.raises(physionet.DownloadError, match="unsafe record name"):
            physionet.resolve("nsrdb")


class TestPage:
    def test_for_dataset_managers_only(self, w: Any, client: Client) -> None:
        assert client.get("/datasets/physionet/").status_code == 302  # to the login page
        client.force_login(w.ann)
        assert client.get("/datasets/physionet/").status_code == 403
        assert b"Import from PhysioNet" not in client.get("/").content
        client.force_login(w.keeper)
        page = client.get("/datasets/physionet/?dataset=arrhythmia")
        assert page.status_code == 200
        assert b'value="arrhythmia"' in page.content and b'<option value="ptb-xl">' in page.content
        assert b'data-testid="physionet-import"' in client.get("/").content


class TestCommandLineDownload:
    """``wavetag import --physionet`` downloads through the same functions."""

    def test_flat_layout_and_chosen_records(self, w: Any, settings: Any, tmp_path: Path) -> None:
        settings.HOME = tmp_path / "home"
        got = physionet.download("nsrdb", ["105"])
        assert sorted(p.name for p in got.folder.iterdir()) == [
            "105.atr",
            "105.dat",
            "105.hea",
            "RECORDS",
        ]
        assert got.provenance == "PhysioNet nsrdb, https://physionet.org/content/nsrdb/"
        with pytest.raises(physionet.DownloadError, match="no version 2.0.0 of mitdb"):
            physionet.download("mitdb/2.0.0")
