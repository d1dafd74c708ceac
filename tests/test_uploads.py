"""Datasets made and records uploaded over HTTP; annotation files added to records
(``wavetag.api.uploads``, ``wavetag.records.uploads``). Records used: mitdb/100 (with its
.atr), edf/r01.edf (and r01.edf.qrs), and broken/truncated_dat, broken/bad_checksum,
broken/empty from $WAVETAG_TEST_DATA."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import time
import zipfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from wavetag.analysis.import_jobs import execute_import
from wavetag.records.models import AnnotationSet, Dataset, ImportJob, Record
from wavetag.records.uploads import create_dataset
from wavetag.signal import store as wstore

from .factories import bearer, call, make_user

pytestmark = pytest.mark.django_db

MITDB_100 = ("mitdb/100.hea", "mitdb/100.dat", "mitdb/100.atr")


@pytest.fixture
def w(settings: Any, tmp_path: Path, data_dir: Path) -> SimpleNamespace:
    """A site admin ``root``, a dataset manager ``keeper`` (granted the permission), a
    user ``ann`` without it, and an empty dataset ``uploads``."""
    settings.STORE_DIR = tmp_path / "store"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    w = SimpleNamespace(data=data_dir, tmp=tmp_path, store=tmp_path / "store")
    w.uploads = tmp_path / "uploads"
    w.root = make_user("root", staff=True, password=None)
    w.keeper = make_user("keeper", password=None)
    w.keeper.user_permissions.add(Permission.objects.get(codename="manage_datasets"))
    w.ann = make_user("ann", password=None)
    w.h = {name: bearer(getattr(w, name)) for name in ("root", "keeper", "ann")}
    w.dataset = create_dataset("uploads", "made for the tests")
    return w


def post_files(client: Client, url: str, paths: list[Path], headers: dict[str, str]) -> Any:
    handles = [open(p, "rb") for p in paths]
    try:
        response = client.post(url, {"files": handles}, **headers)
    finally:
        for h in handles:
            h.close()
    return response.status_code, json.loads(response.content)


def nothing_left(w: SimpleNamespace) -> None:
    """No record rows, no store folders, no staged files."""
    assert not Record.objects.exists()
    assert not (w.store.exists() and wstore.list_keys(w.store))
    assert not (w.uploads.exists() and any(w.uploads.iterdir())), list(w.uploads.iterdir())


def zip_of(folder: Path, into: Path, names: dict[str, Path]) -> Path:
    with zipfile.ZipFile(into, "w") as zf:
        for name, source in names.items():
            zf.write(source, f"{folder.name}/{name}")
    return into


class TestDatasets:
    def test_a_manager_makes_a_dataset_once(self, w: Any, client: Client) -> None:
        body = {"name": "holter", "description": "24-h recordings"}
        status, out = call(client, "post", "/api/v1/datasets", w.h["keeper"], body)
        assert status == 201 and out["name"] == "holter" and out["records"] == 0
        assert Dataset.objects.get(pk=out["id"]).description == "24-h recordings"
        status, out = call(client, "post", "/api/v1/datasets", w.h["root"], body)
        assert status == 409 and "holter" in out["detail"]
        _, listed = call(client, "get", "/api/v1/datasets", w.h["keeper"])
        assert {"holter", "uploads"} <= {d["name"] for d in listed["items"]}

    def test_others_are_refused(self, w: Any, client: Client) -> None:
        status, _ = call(client, "post", "/api/v1/datasets", w.h["ann"], {"name": "x"})
        assert status == 403
        assert call(client, "post", "/api/v1/datasets", {}, {"name": "x"})[0] == 401
        assert not Dataset.objects.filter(name="x").exists()

    @pytest.mark.parametrize(
        "body", [{}, {"name": ""}, {"name": 3}, {"name": "a", "extra": 1}, [1], {"name": "a/b"}]
    )
    def test_bad_bodies_answer_400(self, w: Any, client: Client, body: Any) -> None:
        status, out = call(client, "post", "/api/v1/datasets", w.h["root"], body)
        assert status == 400 and out["detail"]

    def test_the_grant_command(self, w: Any) -> None:
        user = make_user("newcomer", password=None)
        call_command("user", "grant-datasets", "newcomer", stdout=io.StringIO())
        user = type(user).objects.get(pk=user.pk)
        assert user.has_perm("records.manage_datasets")
        call_command("user", "revoke-datasets", "newcomer", stdout=io.StringIO())
        user = type(user).objects.get(pk=user.pk)
        assert not user.has_perm("records.manage_datasets")


class TestUploadRecords:
    url = "/api/v1/datasets/uploads/records"

    def test_a_wfdb_record_with_its_annotations(self, w: Any, client: Client) -> None:
        paths = [w.data / p for p in MITDB_100]
        status, out = post_files(client, self.url, paths, w.h["keeper"])
        assert status == 201, out
        assert [i["name"] for i in out["items"]] == ["100"] and out["refused"] == []
        record = Record.objects.get(pk=out["items"][0]["id"])
        assert record.dataset == w.dataset and record.imported_by == w.keeper
        assert list(record.annotation_sets.values_list("name", flat=True)) == ["atr"]
        assert record.patient_info == {}
        assert not any(w.uploads.iterdir())

    def test_a_manager_reads_what_they_uploaded_others_do_not(self, w: Any, client: Client) -> None:
        # The grant alone (no project on the dataset) lets the uploader open the record and
        # its samples; a user without it gets 404, as for any record outside their reach.
        _, out = post_files(client, self.url, [w.data / p for p in MITDB_100], w.h["keeper"])
        rid = out["items"][0]["id"]
        window = f"/api/v1/records/{rid}/window?channel=0&start=0&end=2"
        for who, status in (("keeper", 200), ("root", 200), ("ann", 404)):
            assert call(client, "get", f"/api/v1/records/{rid}", w.h[who])[0] == status, who
            assert call(client, "get", window, w.h[who])[0] == status, who
        _, listed = call(client, "get", "/api/v1/records", w.h["keeper"])
        assert [r["id"] for r in listed["items"]] == [rid]
        assert call(client, "get", "/api/v1/records", w.h["ann"])[1]["items"] == []

    def test_an_edf_file(self, w: Any, client: Client) -> None:
        status, out = post_files(client, self.url, [w.data / "edf/r01.edf"], w.h["root"])
        assert status == 201 and [i["name"] for i in out["items"]] == ["r01"]
        record = Record.objects.get(name="r01")
        assert record.format == "edf" and record.start_date is None

    def test_a_zip_of_a_folder(self, w: Any, client: Client) -> None:
        folder = w.tmp / "mitdb"
        archive = zip_of(folder, w.tmp / "mitdb.zip", {p[6:]: w.data / p for p in MITDB_100})
        status, out = post_files(client, self.url, [archive], w.h["keeper"])
        assert status == 201, out
        assert [i["name"] for i in out["items"]] == ["100"]
        assert Record.objects.get(name="100").annotation_sets.get().name == "atr"

    def test_a_tar_gz_of_a_folder(self, w: Any, client: Client) -> None:
        archive = w.tmp / "edf.tar.gz"
        with tarfile.open(archive, "w:gz") as tf:
            tf.add(w.data / "edf/r01.edf", "edf/r01.edf")
            tf.add(w.data / "edf/r01.edf.qrs", "edf/r01.edf.qrs")
        status, out = post_files(client, self.url, [archive], w.h["keeper"])
        assert status == 201, out
        record = Record.objects.get(pk=out["items"][0]["id"])
        assert record.name == "r01"
        assert set(record.annotation_sets.values_list("name", flat=True)) == {"edf", "qrs"}

    def test_broken_files_are_refused_by_name_the_others_imported(
        self, w: Any, client: Client
    ) -> None:
        broken = [w.data / "broken" / n for n in ("truncated_dat.hea", "truncated_dat.dat")]
        paths = [w.data / p for p in MITDB_100] + broken + [w.data / "mitdb/105.atr"]
        status, out = post_files(client, self.url, paths, w.h["keeper"])
        assert status == 201, out
        assert [i["name"] for i in out["items"]] == ["100"]
        refused = {r["file"]: r["error"] for r in out["refused"]}
        assert set(refused) == {"truncated_dat.hea", "105.atr"}
        assert "/uploads/" not in refused["truncated_dat.hea"]
        assert "no record" in refused["105.atr"]
        assert Record.objects.count() == 1 and not any(w.uploads.iterdir())

    def test_nothing_kept_when_every_file_fails(self, w: Any, client: Client) -> None:
        names = ("bad_checksum.hea", "bad_checksum.dat", "empty.hea", "bad_header.edf")
        paths = [w.data / "broken" / n for n in names]
        status, out = post_files(client, self.url, paths, w.h["root"])
        assert status == 400, out
        assert {r["file"] for r in out["refused"]} == {
            "bad_checksum.hea",
            "empty.hea",
            "bad_header.edf",
        }
        nothing_left(w)

    def test_files_without_records_are_named(self, w: Any, client: Client) -> None:
        archive = zip_of(w.tmp / "notes", w.tmp / "notes.zip", {"README.md": w.data / "README.md"})
        paths = [archive, w.data / "mitdb/105.atr"]
        status, out = post_files(client, self.url, paths, w.h["root"])
        assert status == 400
        assert {r["file"]: r["error"] for r in out["refused"]} == {
            "105.atr": "goes with no record uploaded (send its .hea or .edf too)",
            "notes.zip": "holds no record",
        }
        nothing_left(w)

    def test_an_archive_climbing_out_is_refused(self, w: Any, client: Client) -> None:
        archive = w.tmp / "evil.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.write(w.data / "mitdb/100.hea", "100.hea")
            zf.writestr("../../100.dat", b"\0" * 10)
        status, out = post_files(client, self.url, [archive], w.h["root"])
        assert status == 400
        (refused,) = out["refused"]
        assert refused["file"] == "evil.zip" and "../../100.dat" in refused["error"]
        assert not (w.tmp / "100.dat").exists()
        nothing_left(w)

    def test_links_and_absolute_paths_in_a_tar_are_refused(self, w: Any, client: Client) -> None:
        for name, member in (("link.tar.gz", "link"), ("abs.tar.gz", "/etc/x.hea")):
            archive = w.tmp / name
            with tarfile.open(archive, "w:gz") as tf:
                info = tarfile.TarInfo(member)
                if member == "link":
                    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                    tf.addfile(info)
                else:
                    info.size = 1
                    tf.addfile(info, io.BytesIO(b"x"))
            status, out = post_files(client, self.url, [archive], w.h["root"])
            assert status == 400 and member in out["refused"][0]["error"], out
        nothing_left(w)

    def test_an_archive_unpacking_past_the_limit_is_refused(
        self, w: Any, client: Client, settings: Any
    ) -> None:
        settings.MAX_UPLOAD = 2_000_000  # 4x: 8 MB unpacked at most
        archive = w.tmp / "bomb.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("big.dat", b"\0" * 9_000_000)
        status, out = post_files(client, self.url, [archive], w.h["root"])
        assert status == 400 and "big.dat" in out["refused"][0]["error"]
        nothing_left(w)

    def test_an_archive_of_too_many_members_is_refused(self, w: Any, client: Client) -> None:
        archive = w.tmp / "many.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for n in range(20_001):
                zf.writestr(f"m{n}", b"")
        status, out = post_files(client, self.url, [archive], w.h["root"])
        assert status == 400 and "20001 members" in out["refused"][0]["error"], out
        nothing_left(w)

    def test_an_upload_past_the_limit_answers_413(
        self, w: Any, client: Client, settings: Any
    ) -> None:
        # Under the declared length's margin (1 MB over the limit): refused while streaming.
        settings.MAX_UPLOAD = 1_500_000  # 100.dat alone is 1 950 000 bytes
        paths = [w.data / p for p in MITDB_100]
        status, out = post_files(client, self.url, paths, w.h["keeper"])
        assert status == 413 and "WAVETAG_MAX_UPLOAD" in out["detail"]
        nothing_left(w)

    def test_a_declared_length_past_the_limit_is_refused_unread(
        self, w: Any, client: Client, settings: Any
    ) -> None:
        settings.MAX_UPLOAD = 10
        response = client.post(
            self.url, b"x" * 2_000_000, content_type="multipart/form-data; boundary=x",
            **w.h["keeper"],
        )  # fmt: skip
        assert response.status_code == 413
        nothing_left(w)

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            ("{}", "application/json"),
            ('{"files": "' + "x" * 3_000_000 + '"}', "application/json"),
            ("", "multipart/form-data; boundary=x"),
            ("--x\r\nContent-Disposition: form-data; name=files\r\n\r\nhi\r\n--x--\r\n",
             "multipart/form-data; boundary=x"),
            ("junk", "multipart/form-data"),
        ],
    )  # fmt: skip
    def test_malformed_requests_answer_4xx(
        self, w: Any, client: Client, body: str, content_type: str
    ) -> None:
        response = client.post(self.url, body, content_type=content_type, **w.h["root"])
        assert 400 <= response.status_code < 500, response.content
        assert json.loads(response.content)["detail"]
        nothing_left(w)

    def test_who_may_upload(self, w: Any, client: Client) -> None:
        paths = [w.data / "edf/r01.edf"]
        assert post_files(client, self.url, paths, w.h["ann"])[0] == 403
        assert post_files(client, "/api/v1/datasets/nope/records", paths, w.h["root"])[0] == 404
        nothing_left(w)

    def test_a_session_upload_needs_the_csrf_token(self, w: Any) -> None:
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(w.keeper)
        with open(w.data / "edf/r01.edf", "rb") as f:
            response = strict.post(self.url, {"files": [f]})
        assert response.status_code == 403
        nothing_left(w)
        strict.get("/")  # sets the CSRF cookie
        token = strict.cookies["csrftoken"].value
        with open(w.data / "edf/r01.edf", "rb") as f:
            response = strict.post(self.url, {"files": [f]}, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 201, response.content

    def test_a_record_already_in_the_dataset_is_refused(self, w: Any, client: Client) -> None:
        paths = [w.data / p for p in MITDB_100]
        assert post_files(client, self.url, paths, w.h["root"])[0] == 201
        status, out = post_files(client, self.url, paths, w.h["root"])
        assert status == 400 and out["refused"][0]["file"] == "100.hea"
        assert "already in dataset uploads" in out["refused"][0]["error"]
        assert Record.objects.count() == 1


class TestImportJobs:
    url = "/api/v1/datasets/uploads/records"

    def test_a_large_upload_becomes_a_job_the_worker_runs(
        self, w: Any, client: Client, settings: Any
    ) -> None:
        settings.UPLOAD_INLINE_MAX = 1000
        paths = [w.data / p for p in MITDB_100] + [w.data / "broken/empty.hea"]
        paths.append(w.data / "mitdb/100.atr")  # refused when staged, reported by the job
        status, out = post_files(client, self.url, paths, w.h["keeper"])
        assert status == 202 and out["url"] == f"/api/v1/import-jobs/{out['job']}"
        assert not Record.objects.exists()
        status, job = call(client, "get", out["url"], w.h["keeper"])
        assert status == 200 and job["status"] == "queued"
        assert call(client, "get", out["url"], w.h["ann"])[0] == 404
        assert call(client, "get", out["url"], w.h["root"])[0] == 200
        done = execute_import(out["job"])  # what the worker runs
        assert done.status == "done"
        status, job = call(client, "get", out["url"], w.h["keeper"])
        assert job["status"] == "done" and job["total"] == 2 and job["done"] == 2
        assert [i["name"] for i in job["items"]] == ["100"]
        assert [r["file"] for r in job["refused"]] == ["100.atr", "empty.hea"]
        assert job["refused"][0]["error"] == "sent twice in one upload"
        assert Record.objects.get(name="100").dataset == w.dataset
        assert not any(w.uploads.iterdir())

    @pytest.mark.django_db(transaction=True)
    def test_the_worker_command_runs_it(self, w: Any, client: Client, settings: Any) -> None:
        settings.UPLOAD_INLINE_MAX = 0
        status, out = post_files(client, self.url, [w.data / "edf/r01.edf"], w.h["root"])
        assert status == 202
        call_command("worker", "--batch", "--no-migrate", verbosity=0)
        job = ImportJob.objects.get(pk=out["job"])
        assert job.status == "done" and job.items[0]["name"] == "r01", job.error
        assert not any(w.uploads.iterdir())

    def test_a_job_where_everything_fails(self, w: Any, client: Client, settings: Any) -> None:
        settings.UPLOAD_INLINE_MAX = 0
        paths = [w.data / "broken/bad_checksum.hea", w.data / "broken/bad_checksum.dat"]
        status, out = post_files(client, self.url, paths, w.h["root"])
        assert status == 202
        job = execute_import(out["job"])
        assert job.status == "failed" and job.refused and job.error
        nothing_left(w)

    def test_a_job_whose_worker_died_is_failed_and_its_files_removed(
        self, w: Any, client: Client, settings: Any
    ) -> None:
        settings.UPLOAD_INLINE_MAX = 0
        status, out = post_files(client, self.url, [w.data / "edf/r01.edf"], w.h["root"])
        job = ImportJob.objects.get(pk=out["job"])
        long_ago = timezone.now() - timedelta(seconds=settings.WORKER_DEAD_AFTER + 1)
        ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=long_ago)
        _, body = call(client, "get", out["url"], w.h["root"])
        assert body["status"] == "failed" and "no sign of life" in body["error"]
        nothing_left(w)

    def test_leftovers_of_killed_uploads_are_swept(self, w: Any, client: Client) -> None:
        w.uploads.mkdir()
        (w.uploads / "import-killed").mkdir()
        (w.uploads / "half.upload").write_bytes(b"x")
        for entry in w.uploads.iterdir():
            os.utime(entry, (time.time() - 2 * 86400,) * 2)
        (w.uploads / "import-recent").mkdir()
        status, _ = post_files(client, self.url, [w.data / "edf/r01.edf"], w.h["root"])
        assert status == 201
        assert [p.name for p in w.uploads.iterdir()] == ["import-recent"]


class TestAnnotationFiles:
    def record(self, w: Any, client: Client, paths: list[str]) -> Record:
        url = "/api/v1/datasets/uploads/records"
        status, out = post_files(client, url, [w.data / p for p in paths], w.h["root"])
        assert status == 201, out
        return Record.objects.get(pk=out["items"][0]["id"])

    def test_a_set_made_later_is_added_never_overwritten(self, w: Any, client: Client) -> None:
        record = self.record(w, client, ["edf/r01.edf"])
        url = f"/api/v1/records/{record.pk}/annotation-files"
        status, out = post_files(client, url, [w.data / "edf/r01.edf.qrs"], w.h["keeper"])
        assert status == 201, out
        aset = AnnotationSet.objects.get(pk=out["items"][0]["id"])
        assert aset.name == "qrs" and aset.record == record and aset.count > 0
        count = aset.count
        status, out = post_files(client, url, [w.data / "edf/r01.edf.qrs"], w.h["root"])
        assert status == 409 and "'qrs'" in out["refused"][0]["error"]
        assert AnnotationSet.objects.get(pk=aset.pk).count == count
        assert not any(w.uploads.iterdir())

    def test_a_second_reference_under_another_name(self, w: Any, client: Client) -> None:
        record = self.record(w, client, list(MITDB_100[:2]))
        shutil.copy(w.data / "mitdb/100.atr", w.tmp / "100.qrs")
        url = f"/api/v1/records/{record.pk}/annotation-files"
        paths = [w.tmp / "100.qrs", w.data / "broken/truncated_atr.atr"]
        status, out = post_files(client, url, paths, w.h["keeper"])
        assert status == 201 and [i["name"] for i in out["items"]] == ["qrs"]
        assert [r["file"] for r in out["refused"]] == ["truncated_atr.atr"]
        assert post_files(client, url, [w.tmp / "100.qrs"], w.h["ann"])[0] == 403

    def test_an_edf_plus_annotations_file(self, w: Any, client: Client) -> None:
        import edfio

        record = self.record(w, client, ["edf/r01.edf"])  # 300 s
        marks = [edfio.EdfAnnotation(10.5, 2.0, "apnea"), edfio.EdfAnnotation(100, None, "cough")]
        edfio.Edf([], annotations=marks).write(w.tmp / "r01.events.edf")
        edfio.Edf([], annotations=[edfio.EdfAnnotation(400, None, "late")]).write(
            w.tmp / "r01.late.edf"
        )
        url = f"/api/v1/records/{record.pk}/annotation-files"
        paths = [w.tmp / "r01.events.edf", w.tmp / "r01.late.edf"]
        status, out = post_files(client, url, paths, w.h["keeper"])
        assert status == 201 and [i["name"] for i in out["items"]] == ["events"], out
        assert out["refused"][0]["file"] == "r01.late.edf"
        assert "beyond the end" in out["refused"][0]["error"]
        events = record.annotation_sets.get(name="events")
        rows = list(events.items.values_list("time", "duration", "symbol"))
        assert rows == [(10.5, 2.0, "apnea"), (100.0, 0.0, "cough")]

    def test_the_command(self, w: Any, client: Client) -> None:
        record = self.record(w, client, list(MITDB_100))
        shutil.copy(w.data / "mitdb/100.atr", w.tmp / "100.qrs")
        out = io.StringIO()
        call_command(
            "import", "--annotations-only", str(w.tmp / "100.qrs"), "--dataset", "uploads",
            stdout=out, stderr=io.StringIO(),
        )  # fmt: skip
        assert "1 sets added" in out.getvalue()
        assert set(record.annotation_sets.values_list("name", flat=True)) == {"atr", "qrs"}
        err = io.StringIO()
        with pytest.raises(SystemExit):
            call_command(
                "import", "--annotations-only", str(w.data / "mitdb/100.atr"),
                "--dataset", "uploads", stdout=io.StringIO(), stderr=err,
            )  # fmt: skip
        assert "'atr' already" in err.getvalue()


class TestServer:
    def test_waitress_takes_bodies_up_to_the_upload_limit(
        self, settings: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import waitress

        from wavetag.web.management.commands import serve

        settings.MAX_UPLOAD = 5_000_000_000  # past waitress's own 1 GB default
        seen: dict[str, Any] = {}
        monkeypatch.setattr(waitress, "serve", lambda app, **kw: seen.update(kw))
        monkeypatch.setattr(serve, "raise_open_files", lambda n: None)
        serve.run_waitress(serve.Limits(threads=2, connections=10, idle_s=30), port=0)
        assert seen["max_request_body_size"] > settings.MAX_UPLOAD
