"""A deployment whose waveform store is S3-compatible object storage (moto on loopback).

The importer, the window endpoint, the analysis job and ``store-gc`` all go through
``wavetag.records.storage.store_root``: a real record imported into the object store must
serve the same windows, and give the same analysis, as the same record stored locally.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client

pytest.importorskip("boto3", reason="the object-store tests need the s3 extra")

from wavetag.analysis.jobs import execute_run
from wavetag.analysis.models import RunStatus
from wavetag.analysis.services import request_analysis
from wavetag.records.importer import import_paths
from wavetag.records.models import Dataset, Record
from wavetag.records.storage import _object_store, store_root
from wavetag.settings import store_url
from wavetag.signal import store as wstore
from wavetag.signal.analysis import AnalysisConfig
from wavetag.signal.s3storage import S3Storage

from .factories import bearer, import_ok, make_user

pytestmark = pytest.mark.django_db

WINDOWS = [  # (start, end, channels, max_points): raw and min/max, one and both channels
    (0.0, 10.0, "0,1", 4000),
    (100.5, 103.25, "1", 2000),
    (0.0, 1805.0, "0,1", 1500),
    (600.0, 1200.0, "0", 300),
    (1799.0, 1806.0, "0,1", 5000),
]


@pytest.fixture
def local(settings: Any, tmp_path: Path) -> Path:
    settings.STORE_URL = None
    settings.STORE_DIR = tmp_path / "store"
    return settings.STORE_DIR


def use_s3(settings: Any, endpoint: str, bucket: str, tmp_path: Path, cache_mb: float = 64.0
           ) -> S3Storage:  # fmt: skip
    """Point the settings at the bucket; the store every part of wavetag will use."""
    wstore.RecordStore._cache.clear()
    settings.STORE_URL = f"s3://{bucket}/wavetag"
    settings.S3_ENDPOINT_URL = endpoint
    settings.HOME = tmp_path / "home"
    settings.STORE_CACHE_MB = cache_mb
    storage = store_root()
    assert isinstance(storage, S3Storage)
    return storage


@pytest.fixture
def s3(settings: Any, s3_endpoint: str, s3_bucket: str, tmp_path: Path) -> S3Storage:
    return use_s3(settings, s3_endpoint, s3_bucket, tmp_path)


def bucket_keys(storage: S3Storage) -> list[str]:
    pages = storage.client.get_paginator("list_objects_v2").paginate(Bucket=storage.bucket)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def window(client: Client, headers: dict[str, str], record: int, w: tuple[Any, ...],
           fmt: str) -> bytes:  # fmt: skip
    start, end, channels, points = w
    url = (
        f"/api/v1/records/{record}/window?start={start}&end={end}&channels={channels}"
        f"&max_points={points}&format={fmt}"
    )
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:300]
    return bytes(response.content)


class TestImportAndWindows:
    def test_windows_from_the_object_store_equal_the_local_ones(
        self, settings: Any, local: Path, s3_endpoint: str, s3_bucket: str, tmp_path: Path,
        data_dir: Path,
    ) -> None:  # fmt: skip
        (here,) = import_ok(data_dir / "mitdb/100", dataset="local")
        assert wstore.list_keys(local)
        s3 = use_s3(settings, s3_endpoint, s3_bucket, tmp_path)
        (there,) = import_ok(data_dir / "mitdb/100", dataset="s3")
        key = Record.objects.get(pk=there.record_id).store_key
        assert wstore.list_keys(s3) == [key]
        assert f"wavetag/{key[:2]}/{key}/meta.json" in bucket_keys(s3)
        assert s3.list(".tmp") == []  # nothing left staged on local disk

        client, headers = Client(), bearer(make_user("root", staff=True, password=None))
        for w in WINDOWS:
            for fmt in ("json", "binary"):
                got = window(client, headers, there.record_id, w, fmt)
                settings.STORE_URL = None  # the same request, on the local copy
                want = window(client, headers, here.record_id, w, fmt)
                settings.STORE_URL = s3.url
                if fmt == "json":
                    got, want = json.loads(got), json.loads(want)
                    assert got["channels"] and got["channels"] == want["channels"], w
                else:
                    assert got == want, w

    def test_a_second_window_read_hits_the_cache(self, s3: S3Storage, data_dir: Path) -> None:
        (there,) = import_ok(data_dir / "mitdb/100", dataset="s3")
        gets: list[Any] = []
        s3.client.meta.events.register("before-call.s3.GetObject", lambda **kw: gets.append(1))
        client, headers = Client(), bearer(make_user("root", staff=True, password=None))
        assert s3.cache is not None
        first = window(client, headers, there.record_id, WINDOWS[1], "binary")
        n, hits = len(gets), s3.cache.hits
        assert n >= 1
        second = window(client, headers, there.record_id, WINDOWS[1], "binary")
        assert second == first and len(gets) == n and s3.cache.hits > hits
        assert 0 < s3.cache.size() <= 64e6

    def test_a_failed_upload_leaves_no_record_dataset_or_object(
        self, s3: S3Storage, data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        put = s3.client.put_object
        calls = {"n": 0}

        def flaky_put(**kw: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 4:
                raise ConnectionResetError("connection reset by peer")
            return put(**kw)

        monkeypatch.setattr(s3.client, "put_object", flaky_put)
        (result,) = import_paths([str(data_dir / "mitdb/100")], "s3")
        assert not result.ok and "could not be stored" in result.message, result.message
        assert "connection reset" in result.message
        assert not Record.objects.exists() and not Dataset.objects.filter(name="s3").exists()
        assert bucket_keys(s3) == [] and s3.list(".tmp") == []

    def test_refused_access_fails_the_import_naming_the_settings(
        self, s3: S3Storage, data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        _object_store.cache_clear()  # as a process started like this
        (result,) = import_paths([str(data_dir / "mitdb/100")], "s3")
        assert not result.ok
        for name in ("AWS_ACCESS_KEY_ID", "WAVETAG_STORE_URL", "WAVETAG_S3_ENDPOINT_URL"):
            assert name in result.message, result.message
        _object_store.cache_clear()


class TestAnalysisAndHousekeeping:
    def test_the_analysis_job_reads_the_object_store(
        self, settings: Any, local: Path, s3_endpoint: str, s3_bucket: str, tmp_path: Path,
        data_dir: Path,
    ) -> None:  # fmt: skip
        (here,) = import_ok(data_dir / "mitdb/100", dataset="local")
        user = make_user("root", staff=True, password=None)
        conf = AnalysisConfig(chunk_s=300.0)
        local_run = execute_run(request_analysis(Record.objects.get(pk=here.record_id), user).pk,
                                conf)  # fmt: skip
        s3 = use_s3(settings, s3_endpoint, s3_bucket, tmp_path)
        (there,) = import_ok(data_dir / "mitdb/100", dataset="s3")
        gets: list[Any] = []
        s3.client.meta.events.register("before-call.s3.GetObject", lambda **kw: gets.append(1))
        run = execute_run(request_analysis(Record.objects.get(pk=there.record_id), user).pk, conf)
        assert run.status == RunStatus.DONE, run.error
        assert gets  # read from the bucket, not from a local folder
        assert local_run.status == RunStatus.DONE
        assert run.beats == local_run.beats and run.beats is not None and run.beats > 2200
        assert run.result == local_run.result

    def test_store_gc_removes_unreferenced_records_from_the_bucket(
        self, s3: S3Storage, data_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (kept,) = import_ok(data_dir / "mitdb/100", dataset="s3")
        with wstore.StoreWriter(s3, "orphan1", [_channel()]) as writer:  # a killed import's
            writer.append([np.arange(100, dtype=np.int16)])
            writer.commit()
        assert "orphan1" in wstore.list_keys(s3)
        call_command("store_gc", dry_run=True)
        assert capsys.readouterr().out.splitlines() == [
            "would remove orphan1",
            "would remove 1 unreferenced store folder(s)",
        ]
        assert "orphan1" in wstore.list_keys(s3)
        call_command("store_gc")
        assert capsys.readouterr().out.splitlines() == [
            "removed orphan1",
            "removed 1 unreferenced store folder(s)",
        ]
        assert wstore.list_keys(s3) == [Record.objects.get(pk=kept.record_id).store_key]
        assert not any("orphan1" in k for k in bucket_keys(s3))


class TestReadiness:
    def test_readyz_lists_the_bucket(self, settings: Any, s3: S3Storage, tmp_path: Path) -> None:
        response = Client().get("/readyz")
        assert response.status_code == 200, response.content
        assert response.json()["checks"]["store"] == "ok"
        use_s3(settings, s3.client.meta.endpoint_url, "no-such-bucket", tmp_path)
        response = Client().get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["store"] == "failed (ObjectStoreError)"


class TestSettings:
    @pytest.mark.parametrize("url", ["ftp://bucket/x", "/srv/store", "s3://Bad_Name/x"])
    def test_a_bad_store_url_names_the_setting(self, url: str) -> None:
        with pytest.raises(ValueError, match="WAVETAG_STORE_URL"):
            store_url(url)

    def test_unset_means_local_files(self, local: Path) -> None:
        assert store_url("") is None and store_root() == local


def _channel() -> Any:
    from wavetag.signal.recording import ChannelInfo

    return ChannelInfo(0, "x", "mV", 100.0, 200.0, 0, 100, 12, "int16", None)
