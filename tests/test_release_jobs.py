"""Release bundles built in the background: asked for through the API and the console, built
by the job (run here directly, as a worker would), kept in the waveform store under
``releases/`` (which ``store-gc`` leaves alone) and downloaded as a zip."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wavetag.analysis.workers import Presence
from wavetag.annotations import release_jobs
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import ReleaseBuild
from wavetag.annotations.release_jobs import build_release, execute_build, request_release
from wavetag.annotations.services import save_annotation
from wavetag.errors import StateConflict
from wavetag.records.importer import garbage_collect
from wavetag.records.models import Record
from wavetag.records.storage import store_root
from wavetag.signal.store import as_storage, list_keys

from .factories import bearer, call, icu_team, import_ok, make_member, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(icu_alarms: Any, ecg_record: Any) -> Any:
    """The ICU alarm project (records v102s and v221l) with its team, ann1 and ann2 agreeing
    on one task; ``base`` its URL."""
    w = icu_team()
    (task,) = claim_batch(w.project, w.ann1)
    claim_batch(w.project, w.ann2)
    for user in (w.ann1, w.ann2):
        save_annotation(task, user, {"decision": "True", "labels": ["pacing"]})
    w.base = f"/api/v1/projects/{w.project.pk}/releases"
    return w


def download(client: Client, w: Any, build_id: int, who: str = "lead") -> Any:
    return client.get(f"{w.base}/{build_id}/download", **w.h[who])


def unzip(response: Any) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


class TestRequest:
    def test_admin_gets_a_queued_build(self, w: Any, client: Client) -> None:
        status, body = call(client, "post", w.base, w.h["lead"], {"with_names": False})
        assert status == 202, body
        assert body["status"] == "queued" and body["with_names"] is False
        assert body["requested_by"] == "lead" and body["size"] is None
        build = ReleaseBuild.objects.get(pk=body["id"])
        assert build.project == w.project and build.task_id  # enqueued for a worker

    def test_site_admin_may_ask_with_names(self, w: Any, client: Client) -> None:
        status, body = call(client, "post", w.base, w.h["root"], {"with_names": True})
        assert status == 202 and body["with_names"] is True

    @pytest.mark.parametrize(
        ("who", "expected"),
        [("ann1", 403), ("judge", 403), ("outsider", 404), ("anonymous", 401)],
    )
    def test_others_are_refused(self, w: Any, client: Client, who: str, expected: int) -> None:
        status, body = call(client, "post", w.base, w.h[who], {"with_names": False})
        assert status == expected and body["detail"]
        status, _ = call(client, "get", w.base, w.h[who])
        assert status == expected
        assert not ReleaseBuild.objects.exists()

    def test_unknown_project(self, w: Any, client: Client) -> None:
        status, _ = call(client, "post", "/api/v1/projects/999999/releases", w.h["root"], {})
        assert status == 404

    def test_bad_bodies(self, w: Any, client: Client) -> None:
        for body, field in (({"with_names": "yes"}, "with_names"), ({"names": True}, "names")):
            status, out = call(client, "post", w.base, w.h["lead"], body)
            assert status == 400 and out["detail"].startswith(field), out

    def test_one_build_at_a_time(self, w: Any, client: Client) -> None:
        assert call(client, "post", w.base, w.h["lead"], {})[0] == 202
        status, body = call(client, "post", w.base, w.h["root"], {})
        assert status == 409 and "already being built" in body["detail"]

    def test_a_build_whose_worker_died_no_longer_blocks(self, w: Any) -> None:
        old = timezone.now() - timedelta(hours=1)
        dead = request_release(w.project, w.lead, enqueue=False)
        ReleaseBuild.objects.filter(pk=dead.pk).update(status="running", heartbeat_at=old)
        request_release(w.project, w.lead, enqueue=False)
        dead.refresh_from_db()
        assert dead.status == "failed" and "no sign of life" in dead.message

    def test_a_workers_heartbeat_fails_a_dead_build(self, w: Any) -> None:
        # Nobody asks for another build: the sweep of any worker still fails this one.
        old = timezone.now() - timedelta(hours=1)
        dead = request_release(w.project, w.lead, enqueue=False)
        ReleaseBuild.objects.filter(pk=dead.pk).update(status="running", heartbeat_at=old)
        live = ReleaseBuild.objects.get(pk=dead.pk)
        with Presence("ward3-app:4121") as presence:
            presence.beat()
        dead.refresh_from_db()
        assert live.status == "running"
        assert dead.status == "failed" and "no sign of life" in dead.message


class TestBuild:
    def test_built_and_downloaded(self, w: Any, client: Client) -> None:
        _, body = call(client, "post", w.base, w.h["lead"], {})
        status, _ = call(client, "get", f"{w.base}/{body['id']}/download", w.h["lead"])
        assert status == 409  # not built yet
        build = execute_build(body["id"])
        assert build.status == "done", build.message

        status, one = call(client, "get", f"{w.base}/{build.pk}", w.h["lead"])
        assert status == 200 and one["status"] == "done" and one["finished_at"]
        status, listed = call(client, "get", w.base, w.h["lead"])
        assert listed["count"] == 1 and listed["items"][0] == one

        response = download(client, w, build.pk)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == (
            f'attachment; filename="alarms-release-{build.pk}.zip"'
        )
        data = b"".join(response.streaming_content)
        assert len(data) == one["size"] == int(response["Content-Length"])
        assert hashlib.sha256(data).hexdigest() == one["sha256"]

        z = zipfile.ZipFile(io.BytesIO(data))
        names = z.namelist()
        assert {n.split("/")[0] for n in names} == {"alarms"}  # one top-level folder
        records = z.read("alarms/RECORDS").decode().split()
        assert sorted(records) == sorted(
            Record.objects.filter(tasks__project=w.project)
            .distinct()
            .values_list("name", flat=True)
        )
        for name in records:
            assert f"alarms/{name}.hea" in names and f"alarms/{name}.dat" in names
        sums = z.read("alarms/SHA256SUMS").decode().splitlines()
        listed_files = set()
        for line in sums:
            digest, path = line.split(maxsplit=1)
            path = path.lstrip("*")
            assert hashlib.sha256(z.read(f"alarms/{path}")).hexdigest() == digest, path
            listed_files.add(f"alarms/{path}")
        assert listed_files == set(names) - {"alarms/SHA256SUMS"}
        assert "alarms/annotators/names.csv" not in names
        answers = z.read("alarms/annotators/answers.csv").decode()
        assert len(answers.splitlines()) == 3  # a header and the two answers
        assert not any(b"ann1" in z.read(n) or b"ann2" in z.read(n) for n in names)

    def test_with_names(self, w: Any, client: Client) -> None:
        build = execute_build(request_release(w.project, w.lead, with_names=True).pk)
        names = unzip(download(client, w, build.pk)).read("alarms/annotators/names.csv")
        assert b"ann1" in names and b"ann2" in names

    def test_kept_under_releases_and_left_by_store_gc(self, w: Any, client: Client) -> None:
        build = execute_build(request_release(w.project, w.lead).pk)
        assert build.storage_name == f"releases/{build.pk}/alarms.zip"
        storage = as_storage(store_root())
        assert storage.list(f"releases/{build.pk}") == ["alarms.zip"]
        assert not any(k.startswith("releases") for k in list_keys(store_root()))
        assert not any(k.startswith("releases") for k in garbage_collect())
        assert storage.list(".tmp") == []  # the staging folder was published
        assert download(client, w, build.pk).status_code == 200

    def test_a_failure_is_reported_and_nothing_is_kept(
        self, w: Any, client: Client, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(release_jobs, "write_release", broken)
        build = execute_build(request_release(w.project, w.lead).pk)
        assert build.status == "failed" and build.finished_at
        assert "No space left on device" in build.message
        assert not build.storage_name and build.size is None
        assert as_storage(store_root()).list("releases") == []
        status, body = call(client, "get", f"{w.base}/{build.pk}/download", w.h["lead"])
        assert status == 409 and "failed" in body["detail"]
        # A new build may be asked for at once.
        assert request_release(w.project, w.lead, enqueue=False).status == "queued"

    def test_a_zip_gone_from_the_store_is_missing_not_broken(self, w: Any, client: Client) -> None:
        build = execute_build(request_release(w.project, w.lead).pk)
        as_storage(store_root()).delete(f"releases/{build.pk}")
        status, body = call(client, "get", f"{w.base}/{build.pk}/download", w.h["lead"])
        assert status == 404 and "build it again" in body["detail"]

    def test_the_worker_task_runs_a_build_once(self, w: Any) -> None:
        build = request_release(w.project, w.lead)
        assert build_release.call(build.pk) == "done"  # what the worker runs
        build.refresh_from_db()
        again = execute_build(build.pk)
        assert again.status == "done" and again.finished_at == build.finished_at

    def test_download_needs_the_admin_role(self, w: Any, client: Client) -> None:
        build = execute_build(request_release(w.project, w.lead).pk)
        assert download(client, w, build.pk, "judge").status_code == 403
        assert download(client, w, build.pk, "outsider").status_code == 404
        assert download(client, w, build.pk, "anonymous").status_code == 401
        assert download(client, w, build.pk, "root").status_code == 200
        assert client.get(f"{w.base}/999999/download", **w.h["lead"]).status_code == 404

    def test_the_service_refuses_a_second_active_build(self, w: Any) -> None:
        request_release(w.project, w.lead, enqueue=False)
        with pytest.raises(StateConflict):
            request_release(w.project, w.lead, enqueue=False)


class TestConsole:
    def test_admins_see_the_button_and_the_builds(self, w: Any) -> None:
        admin = Client()
        admin.force_login(w.lead)
        console = f"/projects/{w.project.pk}/console/"
        page = admin.get(console).content.decode()
        assert "Build release bundle" in page and 'data-testid="release-builds"' not in page

        response = admin.post(f"{console}release-bundles/", {"with_names": "1"})
        assert response.status_code == 302 and response["Location"] == console
        build = ReleaseBuild.objects.get()
        assert build.with_names and build.requested_by == w.lead and build.task_id
        page = admin.get(console).content.decode()
        assert f'data-testid="release-build-{build.pk}"' in page and "queued" in page

        execute_build(build.pk)
        page = admin.get(console).content.decode()
        link = f"/api/v1/projects/{w.project.pk}/releases/{build.pk}/download"
        assert f'href="{link}"' in page
        assert admin.get(link).status_code == 200  # the session works for the API too

    def test_a_second_request_is_refused_on_the_page(self, w: Any) -> None:
        admin = Client()
        admin.force_login(w.lead)
        url = f"/projects/{w.project.pk}/console/release-bundles/"
        admin.post(url)
        response = admin.post(url)
        assert response.status_code == 409 and "already being built" in response.content.decode()

    def test_others_get_no_console_and_cannot_post(self, w: Any) -> None:
        for name, expected in (("judge", 403), ("ann1", 403), ("outsider", 404)):
            user = Client()
            user.force_login(getattr(w, name))
            page = user.get(f"/projects/{w.project.pk}/console/")
            assert page.status_code == expected
            assert "Build release bundle" not in page.content.decode()
            posted = user.post(f"/projects/{w.project.pk}/console/release-bundles/")
            assert posted.status_code == expected
        assert not ReleaseBuild.objects.exists()

    def test_the_form_carries_a_csrf_token(self, w: Any) -> None:
        admin = Client(enforce_csrf_checks=True)
        admin.force_login(w.lead)
        url = f"/projects/{w.project.pk}/console/release-bundles/"
        assert admin.post(url).status_code == 403  # no token
        page = admin.get(f"/projects/{w.project.pk}/console/").content.decode()
        form = page[page.index('data-testid="release-bundle-form"') :]
        assert 'name="csrfmiddlewaretoken"' in form[: form.index("</form>")]


class TestObjectStore:
    def test_built_into_and_downloaded_from_the_bucket(
        self, settings: Any, s3_endpoint: str, s3_bucket: str, tmp_path: Path, data_dir: Path
    ) -> None:
        pytest.importorskip("boto3", reason="the object-store tests need the s3 extra")
        from wavetag.signal import store as wstore
        from wavetag.signal.s3storage import S3Storage

        wstore.RecordStore._cache.clear()
        settings.STORE_URL = f"s3://{s3_bucket}/wavetag"
        settings.S3_ENDPOINT_URL = s3_endpoint
        settings.HOME = tmp_path / "home"
        storage = store_root()
        assert isinstance(storage, S3Storage)
        import_ok(data_dir / "mitdb/100", dataset="s3")
        project = make_project("bucket", "s3", "wearable-rhythm", segment_seconds=30)
        lead = make_member(project, "lead", "admin")

        build = execute_build(request_release(project, lead).pk)
        assert build.status == "done", build.message
        pages = storage.client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket)
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        assert f"wavetag/releases/{build.pk}/bucket.zip" in keys
        assert storage.list(".tmp") == []  # nothing left staged
        assert garbage_collect() == []  # the zip is no record's folder

        response = Client().get(
            f"/api/v1/projects/{project.pk}/releases/{build.pk}/download", **bearer(lead)
        )
        data = b"".join(response.streaming_content)
        assert hashlib.sha256(data).hexdigest() == build.sha256 and len(data) == build.size
        z = zipfile.ZipFile(io.BytesIO(data))
        assert z.read("bucket/RECORDS") == b"100\n"
        assert z.testzip() is None
