"""The waveform store on S3-compatible object storage (a moto server on loopback).

The same contract as the local store: exact windows, write-once objects, atomic
publication, housekeeping; plus what only an object store has: range reads through a
bounded local cache, uploads that fail without leaving anything listed, and errors that
say which setting to check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("boto3", reason="the object-store tests need the s3 extra")

from wavetag.signal.readcache import BlockCache
from wavetag.signal.s3storage import ObjectStoreError, S3Storage, parse_url
from wavetag.signal.store import (
    RecordStore,
    StoreWriter,
    cleanup_temp,
    delete_record,
    list_keys,
)

from .test_store import SMALL, assert_window, channel, signal, write


def make_storage(
    endpoint: str, bucket: str, tmp_path: Path, *, cache_bytes: int = 0, **kw: Any
) -> S3Storage:
    return S3Storage.from_url(
        f"s3://{bucket}/waves",
        endpoint_url=endpoint,
        staging_dir=tmp_path / "staging",
        cache_dir=tmp_path / "cache",
        cache_bytes=cache_bytes,
        **kw,
    )


@pytest.fixture
def s3(s3_endpoint: str, s3_bucket: str, tmp_path: Path) -> S3Storage:
    return make_storage(s3_endpoint, s3_bucket, tmp_path, cache_bytes=8 << 20)


@pytest.fixture(autouse=True)
def _fresh_store_cache() -> None:
    RecordStore._cache.clear()


def bucket_keys(storage: S3Storage) -> list[str]:
    pages = storage.client.get_paginator("list_objects_v2").paginate(Bucket=storage.bucket)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


class GetCounter:
    """Counts the GET requests a client sends (``ranges`` holds their Range headers)."""

    def __init__(self, storage: S3Storage) -> None:
        self.ranges: list[str | None] = []
        storage.client.meta.events.register("before-call.s3.GetObject", self._seen)

    def _seen(self, params: dict[str, Any], **kwargs: Any) -> None:
        self.ranges.append(params.get("headers", {}).get("Range"))


class TestStorageContract:
    def test_objects_are_write_once_and_read_by_range(self, s3: S3Storage) -> None:
        s3.write("a/b/obj", b"0123456789")
        assert s3.read("a/b/obj") == b"0123456789"
        assert s3.read("a/b/obj", 3, 4) == b"3456"
        assert s3.read("a/b/obj", 10, 0) == b""
        with pytest.raises(FileExistsError):
            s3.write("a/b/obj", b"x")
        with pytest.raises(OSError):
            s3.read("a/b/obj", 8, 5)
        with pytest.raises(FileNotFoundError):
            s3.read("a/b/missing", 0, 4)
        assert s3.list("a") == ["b"] and s3.list("nowhere") == []
        assert bucket_keys(s3) == ["waves/a/b/obj"]  # under the URL's prefix

    def test_names_stay_inside_the_prefix(self, s3: S3Storage) -> None:
        for name in ("../x", "/abs", "a/../../x", "a/./b"):
            with pytest.raises(ValueError):
                s3.write(name, b"x")
        with pytest.raises(ValueError):
            s3.delete("")

    def test_publish_uploads_the_staged_folder_and_never_replaces(self, s3: S3Storage) -> None:
        s3.write(".tmp/s1/x", b"1")
        s3.write(".tmp/s1/meta.json", b"{}")
        s3.write(".tmp/s2/x", b"2")
        assert bucket_keys(s3) == []  # staged objects stay on local disk
        s3.publish(".tmp/s1", "final/rec")
        assert s3.read("final/rec/x") == b"1" and s3.list("final/rec") == ["meta.json", "x"]
        assert s3.list(".tmp") == ["s2"]
        with pytest.raises(FileExistsError):
            s3.publish(".tmp/s2", "final/rec")
        assert s3.read("final/rec/x") == b"1"
        with pytest.raises(FileNotFoundError):
            s3.publish(".tmp/nothing", "final/other")
        s3.delete("final/rec")
        s3.delete("final/rec")
        assert s3.list("final") == [] and bucket_keys(s3) == []

    def test_a_large_object_goes_up_in_parts(self, s3_endpoint: str, s3_bucket: str,
                                             tmp_path: Path) -> None:  # fmt: skip
        s3 = make_storage(s3_endpoint, s3_bucket, tmp_path, multipart_threshold=6 << 20)
        big = np.random.default_rng(1).integers(0, 256, 13 << 20, dtype=np.uint8).tobytes()
        s3.write(".tmp/s/big", big)
        s3.publish(".tmp/s", "rec")
        head = s3.client.head_object(Bucket=s3_bucket, Key="waves/rec/big")
        assert head["ETag"].strip('"').endswith("-3")  # 3 parts: 6 + 6 + 1 MiB
        assert s3.read("rec/big", (7 << 20) - 3, 10) == big[(7 << 20) - 3 : (7 << 20) + 7]


class TestStoreOnS3:
    """The tests of the local store (tests/signal/test_store.py), on the object store."""

    @pytest.mark.parametrize("dtype", ["int16", "int32"])
    def test_random_windows_match_the_source(self, s3: S3Storage, dtype: str) -> None:
        n = 20_000
        x = signal(n, dtype, seed=3, invalid=np.iinfo(dtype).min)
        info = channel(0, n, dtype=dtype, invalid=int(np.iinfo(dtype).min))
        store = write(s3, "rnd", [info], [x], **SMALL)
        rng = np.random.default_rng(5)
        for _ in range(60):
            a, b = sorted(rng.uniform(-1, n / 250 + 1, 2))
            assert_window(store, 0, x, float(a), float(b) + 1e-3, int(rng.integers(1, 400)))

    def test_channels_at_different_rates(self, s3: S3Storage) -> None:
        xs = [signal(9000, seed=1), signal(4500, seed=2)]
        infos = [channel(0, 9000, fs=500.0), channel(1, 4500, fs=250.0)]
        store = write(s3, "rates", infos, xs, **SMALL)
        for ch, x in enumerate(xs):
            for start, end, points in ((0, 18, 50), (3.3, 7.9, 5000), (17.9, 30, 7)):
                assert_window(store, ch, x, start, end, points)

    def test_published_only_at_commit(self, s3: S3Storage) -> None:
        writer = StoreWriter(s3, "atom", [channel(0, 3000)], **SMALL)
        writer.append([signal(3000)])
        assert list_keys(s3) == [] and bucket_keys(s3) == []
        with pytest.raises(FileNotFoundError):
            RecordStore.open(s3, "atom")
        writer.commit()
        assert list_keys(s3) == ["atom"]
        assert s3.list(".tmp") == []  # the staging folder went with the upload
        assert RecordStore.open(s3, "atom").channels[0].n_samples == 3000

    def test_abort_and_killed_writers_leave_nothing_in_the_bucket(self, s3: S3Storage) -> None:
        with pytest.raises(RuntimeError), StoreWriter(s3, "gone", [channel(0, 100)]) as w:
            w.append([signal(100)])
            raise RuntimeError("boom")
        assert s3.list(".tmp") == [] and bucket_keys(s3) == []
        # a writer that is never committed nor aborted (a killed import) leaves local files
        # only, which cleanup_temp removes once they are old enough
        w = StoreWriter(s3, "kild", [channel(0, 100)], chunk_values=64)
        w.append([signal(100)])
        assert bucket_keys(s3) == [] and s3.list(".tmp") != []
        assert cleanup_temp(s3, older_than_seconds=-1) and s3.list(".tmp") == []

    def test_existing_key_is_never_replaced(self, s3: S3Storage) -> None:
        write(s3, "dupe", [channel(0, 500)], [signal(500, seed=1)], **SMALL)
        with pytest.raises(FileExistsError):
            StoreWriter(s3, "dupe", [channel(0, 500)])
        before = RecordStore.open(s3, "dupe").read_samples(0, 0, 500)
        np.testing.assert_array_equal(before, signal(500, seed=1))

    def test_list_and_delete(self, s3: S3Storage) -> None:
        for key in ("k1", "k2", "x9"):
            write(s3, key, [channel(0, 300)], [signal(300)], **SMALL)
        assert list_keys(s3) == ["k1", "k2", "x9"]
        assert delete_record(s3, "k2") and not delete_record(s3, "k2")
        assert list_keys(s3) == ["k1", "x9"]
        with pytest.raises(FileNotFoundError):
            RecordStore.open(s3, "k2")


class TestReadCache:
    def test_a_second_read_comes_from_the_cache(self, s3: S3Storage) -> None:
        x = signal(50_000, seed=4)
        store = write(s3, "cach", [channel(0, 50_000)], [x])
        gets = GetCounter(s3)
        first = store.window(0, 10.0, 20.0, 5000)
        assert gets.ranges and all(r and r.startswith("bytes=") for r in gets.ranges)
        n = len(gets.ranges)
        RecordStore._cache.clear()  # as in another process: the metadata is read again,
        second = RecordStore.open(s3, "cach").window(0, 10.0, 20.0, 5000)
        assert gets.ranges[n:] == [None]  # whole, but no sample is asked for again
        np.testing.assert_array_equal(first.values, second.values)
        np.testing.assert_array_equal(second.values, x[2500:5000])
        assert s3.cache is not None and s3.cache.hits >= 1

    def test_range_reads_fetch_only_the_blocks_asked_for(self, s3: S3Storage) -> None:
        data = bytes(range(256)) * 8192  # 2 MiB
        s3.write("obj", data)
        gets = GetCounter(s3)
        size = s3.block_size
        assert s3.read("obj", size + 5, 10) == data[size + 5 : size + 15]
        assert gets.ranges == [f"bytes={size}-{2 * size - 1}"]
        # two blocks, the first of them cached: one GET for the missing one only
        assert s3.read("obj", size + 7, size) == data[size + 7 : 2 * size + 7]
        assert gets.ranges[1:] == [f"bytes={2 * size}-{3 * size - 1}"]
        assert s3.read("obj", len(data) - 3, 3) == data[-3:]

    def test_the_cache_stays_within_its_size_and_keeps_recent_blocks(
        self, s3_endpoint: str, s3_bucket: str, tmp_path: Path
    ) -> None:
        s3 = make_storage(s3_endpoint, s3_bucket, tmp_path, cache_bytes=10 * 4096,
                          block_size=4096)  # fmt: skip
        assert s3.cache is not None
        data = np.random.default_rng(2).integers(0, 256, 100 * 4096, dtype=np.uint8).tobytes()
        s3.write("obj", data)
        for b in range(40):
            assert s3.read("obj", b * 4096, 100) == data[b * 4096 : b * 4096 + 100]
            assert s3.read("obj", 0, 10) == data[:10]  # block 0 stays in use
            assert s3.cache.size() <= 10 * 4096
        gets = GetCounter(s3)
        s3.read("obj", 0, 10)
        s3.read("obj", 39 * 4096, 10)
        assert gets.ranges == []  # the most recent blocks are still there
        s3.read("obj", 5 * 4096, 10)
        assert len(gets.ranges) == 1  # an old one was evicted

    def test_processes_sharing_a_cache_keep_it_within_its_size(self, tmp_path: Path) -> None:
        script = (
            "import sys; from wavetag.signal.readcache import BlockCache\n"
            "c = BlockCache(sys.argv[1], 50_000)\n"
            "for i in range(300): c.put(f'{sys.argv[2]}-{i}', bytes(1000 + i % 7))\n"
        )
        procs = [
            subprocess.Popen([sys.executable, "-c", script, str(tmp_path), f"p{i}"])
            for i in range(3)
        ]
        assert [p.wait(60) for p in procs] == [0, 0, 0]
        cache = BlockCache(tmp_path, 50_000)
        assert 40_000 <= cache.size() <= 50_000
        # The last block written (one process's last; which one finished last varies) is
        # kept: eviction takes the oldest.
        last = [cache.get(f"p{i}-299") for i in range(3)]
        assert bytes(1000 + 299 % 7) in last


class TestFailures:
    def test_a_failed_upload_leaves_nothing_listed(
        self, s3: S3Storage, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls = {"n": 0}
        put = s3.client.put_object

        def flaky_put(**kw: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError("connection reset by peer")
            return put(**kw)

        monkeypatch.setattr(s3.client, "put_object", flaky_put)
        x = signal(5000)
        with pytest.raises(OSError, match="connection reset"):
            write(s3, "fail", [channel(0, 5000)], [x], **SMALL)
        assert calls["n"] >= 3
        assert list_keys(s3) == [] and bucket_keys(s3) == [] and s3.list(".tmp") == []

    def test_a_missing_bucket_names_the_setting(self, s3_endpoint: str, tmp_path: Path) -> None:
        s3 = make_storage(s3_endpoint, "no-such-bucket", tmp_path, hint=" (check STORE_URL)")
        with pytest.raises(ObjectStoreError, match=r"no-such-bucket.*does not exist.*STORE_URL"):
            s3.list("")

    def test_an_unreachable_endpoint_says_so(self, tmp_path: Path) -> None:
        import socket

        with socket.socket() as sock:  # a port nothing listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        s3 = make_storage(f"http://127.0.0.1:{port}", "bkt", tmp_path, hint=" (ENDPOINT)")
        s3.client.meta.config.retries = {"max_attempts": 1}
        with pytest.raises(ObjectStoreError, match=r"cannot connect.*ENDPOINT"):
            s3.read("x/meta.json")

    def test_refused_credentials_name_the_variables(
        self, s3_endpoint: str, s3_bucket: str, tmp_path: Path
    ) -> None:
        def auth(count: str) -> None:  # moto's switch for checking credentials
            req = urllib.request.Request(
                f"{s3_endpoint}/moto-api/reset-auth", data=count.encode(), method="POST",
                headers={"Content-Type": "text/plain"},
            )  # fmt: skip
            urllib.request.urlopen(req, timeout=5).close()

        s3 = make_storage(s3_endpoint, s3_bucket, tmp_path)
        auth("0")
        try:
            with pytest.raises(ObjectStoreError, match="access denied.*AWS_ACCESS_KEY_ID"):
                s3.list("")
        finally:
            auth("inf")

    def test_no_credentials_name_the_variables(
        self, s3_endpoint: str, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        s3 = make_storage(s3_endpoint, s3_bucket, tmp_path)
        with pytest.raises(ObjectStoreError, match="no credentials.*AWS_ACCESS_KEY_ID"):
            s3.list("")

    @pytest.mark.parametrize(
        "url", ["http://bucket/x", "s3://", "s3://Bad_Bucket/x", "s3://ok-bucket/a?x=1",
                "s3://ok-bucket/a//b", "s3://ok-bucket/../b"],
    )  # fmt: skip
    def test_bad_urls_are_refused(self, url: str) -> None:
        with pytest.raises(ValueError):
            parse_url(url)

    def test_good_urls(self) -> None:
        assert parse_url("s3://my.bucket-1") == ("my.bucket-1", "")
        assert parse_url("s3://bkt/a/b/") == ("bkt", "a/b")


def test_a_forked_process_takes_its_own_lock(tmp_path: Path) -> None:
    cache = BlockCache(tmp_path, 10_000)
    cache.put("parent", b"p")
    pid = os.fork()
    if pid == 0:  # the child: a lock of its own, or the parent's flock would not exclude it
        try:
            cache.put("child", b"c")
            os._exit(0 if cache._pid == os.getpid() else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.get("child") == b"c" and cache._pid == os.getpid()


def test_the_cache_folder_is_shared_by_name(tmp_path: Path) -> None:
    a, b = BlockCache(tmp_path, 10_000), BlockCache(os.fspath(tmp_path), 10_000)
    a.put("k", b"abc")
    assert b.get("k") == b"abc" and b.get("other") is None
