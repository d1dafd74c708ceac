"""The waveform store on S3-compatible object storage (AWS S3, MinIO, Ceph RGW, ...).

:class:`S3Storage` honours the :class:`~wavetag.signal.storage.Storage` contract with
boto3, so that web and worker machines share one store without a shared file system:

- **Reads** are ranged GETs, through a :class:`~wavetag.signal.readcache.BlockCache` on
  local disk when given one: a read is cut into aligned blocks (``block_size``, 256 KiB),
  the blocks missing from the cache are fetched with one GET per contiguous run, and kept.
  Store objects never change, so a cached block is never stale.
- **Writes** of a record go to a local staging folder first (names under ``.tmp/``, the
  store's staging prefix, are local files): nothing of a record being imported reaches the
  bucket before :meth:`S3Storage.publish`.
- **Publishing** uploads the staged objects under the final prefix (several at once;
  boto3's transfer manager makes a multipart upload of any object above
  ``multipart_threshold``) and the commit object (``meta.json``, by which the store opens
  a record) last, each with ``If-None-Match: *`` so that nothing published is ever
  replaced. Until the commit object is there the record does not open; if any upload
  fails, what was uploaded is deleted again and the error raised, so a failed publish
  leaves nothing listed (a process killed half-way leaves objects without their commit
  object, which :func:`wavetag.signal.store.list_keys` lists and ``store-gc`` removes).

Credentials and region come from boto3's usual sources (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, an instance role, ...). A wrong
bucket, unreachable endpoint or refused credentials raise :class:`ObjectStoreError`
(an ``OSError``) naming what to check.
"""

from __future__ import annotations

import builtins
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlparse

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)

from wavetag.signal.readcache import BlockCache
from wavetag.signal.storage import Data, LocalStorage

STAGING = ".tmp"
COMMIT_OBJECT = "meta.json"
BLOCK_SIZE = 1 << 18
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "Forbidden"}
_MISSING = {"NoSuchKey", "404", "NotFound"}

T = TypeVar("T")


class ObjectStoreError(OSError):
    """The object store refused or could not be reached: a configuration problem."""


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix")``, checked.

    Raises
    ------
    ValueError
        Not an ``s3://`` URL, a bucket name S3 would refuse, or a query or fragment.
    """
    parsed = urlparse(url.strip())
    if parsed.scheme != "s3":
        raise ValueError(f"{url!r} is not an s3://bucket/prefix URL")
    if not _BUCKET.fullmatch(parsed.netloc or ""):
        raise ValueError(f"{url!r}: {parsed.netloc!r} is not a bucket name (3-63 of a-z 0-9 . -)")
    if parsed.query or parsed.fragment or parsed.params:
        raise ValueError(f"{url!r}: no query or fragment, only s3://bucket/prefix")
    prefix = parsed.path.strip("/")
    if any(p in ("", ".", "..") for p in prefix.split("/")) and prefix:
        raise ValueError(f"{url!r}: the prefix must not hold empty, '.' or '..' parts")
    return parsed.netloc, prefix


class S3Storage:
    """:class:`~wavetag.signal.storage.Storage` on a bucket of an S3-compatible store.

    Parameters
    ----------
    client
        A boto3 S3 client (thread-safe; shared by every request of the process).
    bucket, prefix : str
        Where objects go: object ``name`` is key ``prefix/name``.
    staging_dir : str or os.PathLike
        Local folder for records being written (names under ``.tmp/``).
    cache : BlockCache or None
        Local read cache; None reads every range from the object store.
    block_size : int
        Bytes per cached block (cache reads are aligned to it).
    hint : str
        Appended to configuration errors: which settings to check.
    multipart_threshold : int
        Objects at least this large are uploaded in parts (boto3's transfer manager).
    upload_threads : int
        Objects uploaded at once by :meth:`publish`.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str,
        staging_dir: str | os.PathLike[str],
        *,
        cache: BlockCache | None = None,
        block_size: int = BLOCK_SIZE,
        hint: str = "",
        multipart_threshold: int = 8 << 20,
        upload_threads: int = 8,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.staging = LocalStorage(staging_dir)
        self.cache = cache
        self.block_size = block_size
        self.hint = hint
        self.upload_threads = upload_threads
        self.transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=max(5 << 20, multipart_threshold // 2),
            use_threads=False,  # publish already uploads several objects at once
        )
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        staging_dir: str | os.PathLike[str],
        endpoint_url: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        cache_bytes: int = 0,
        hint: str = "",
        **kw: Any,
    ) -> S3Storage:
        """A storage for ``s3://bucket/prefix`` (``endpoint_url`` for a non-AWS server)."""
        bucket, prefix = parse_url(url)
        config = Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 4},
            # every server thread and every upload thread may hold a connection
            max_pool_connections=64,
            # path-style URLs work on every S3-compatible server (MinIO without DNS set-up)
            s3={"addressing_style": "path"} if endpoint_url else None,
            # checksums only where S3 requires them: older MinIO and Ceph releases refuse
            # the CRC trailers boto3 sends by default since 1.36
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)
        cache = BlockCache(cache_dir, cache_bytes) if cache_dir and cache_bytes > 0 else None
        return cls(client, bucket, prefix, staging_dir, cache=cache, hint=hint, **kw)

    def __repr__(self) -> str:
        return f"S3Storage({self.url!r})"

    # -- names -----------------------------------------------------------------------

    def _key(self, name: str) -> str:
        parts = name.split("/")
        if name.startswith("/") or any(p in (".", "..") for p in parts) or not name:
            raise ValueError(f"invalid object name {name!r}")
        return f"{self.prefix}/{name}" if self.prefix else name

    @staticmethod
    def _staged(name: str) -> bool:
        return name == STAGING or name.startswith(STAGING + "/")

    # -- the Storage contract ----------------------------------------------------------

    def read(self, name: str, offset: int = 0, length: int | None = None) -> bytearray:
        if self._staged(name):
            return self.staging.read(name, offset, length)
        key = self._key(name)
        if length is None:
            return self._whole(key, offset)
        if length == 0:
            return bytearray()
        if self.cache is None:
            data = self._get(key, offset, offset + length)
        else:
            data = self._cached(key, offset, offset + length)
        if len(data) != length:
            raise OSError(f"{name}: wanted {length} bytes at {offset}, object holds fewer")
        return data

    def write(self, name: str, data: Data) -> None:
        if self._staged(name):
            self.staging.write(name, data)
            return
        self._call(
            lambda: self.client.put_object(
                Bucket=self.bucket, Key=self._key(name), Body=bytes(data), IfNoneMatch="*"
            ),
            name,
        )

    def list(self, prefix: str) -> list[str]:
        if self._staged(prefix):
            return self.staging.list(prefix)
        names = set(self._list_remote(prefix))
        if prefix == "" and self.staging.list(STAGING):
            names.add(STAGING)
        return sorted(names)

    def delete(self, prefix: str) -> None:
        if prefix.strip("/") == "":
            raise ValueError("refusing to delete the storage root")
        if self._staged(prefix):
            self.staging.delete(prefix)
            return
        key = self._key(prefix)
        keys = [key, *self._keys_under(key + "/")]
        self._delete_keys(keys)

    def publish(self, staging: str, final: str) -> None:
        """Upload everything staged under ``staging`` to ``final``, the commit object last.

        1. Refuse if ``final`` already holds anything (published records are never
           replaced).
        2. Upload every staged object but the commit object, ``upload_threads`` at once;
           each PUT is conditional (``If-None-Match: *``).
        3. Upload the commit object; from now on the record opens.
        4. Remove the staging folder.

        A failure in 2 or 3 deletes what was uploaded and raises.
        """
        if not self._staged(staging):
            raise ValueError(f"{staging}: only staged folders ({STAGING}/...) are published")
        files = sorted(self._staged_files(staging))
        if not files:
            raise FileNotFoundError(f"nothing staged at {staging}")
        if self.list(final):
            raise FileExistsError(f"{final} already exists")
        body = [f for f in files if f != COMMIT_OBJECT]
        try:
            with ThreadPoolExecutor(self.upload_threads) as pool:
                list(pool.map(lambda f: self._upload(staging, final, f), body))
            if COMMIT_OBJECT in files:
                self._upload(staging, final, COMMIT_OBJECT)
        except BaseException:
            # other threads may have finished uploads after the one that failed: delete
            # every name the record would have, not only those known to be up
            try:
                self._delete_keys([self._key(f"{final}/{f}") for f in files])
            except Exception:
                pass  # the upload's error is the one to report
            raise
        self.staging.delete(staging)

    # -- helpers -----------------------------------------------------------------------

    def _staged_files(self, staging: str) -> Iterator[str]:
        root = self.staging.path(staging)
        for folder, _, files in os.walk(root):
            rel = os.path.relpath(folder, root)
            for f in files:
                yield f if rel == "." else f"{rel}/{f}".replace(os.sep, "/")

    def _upload(self, staging: str, final: str, name: str) -> None:
        path = self.staging.path(f"{staging}/{name}")
        key = self._key(f"{final}/{name}")
        if path.stat().st_size >= self.transfer.multipart_threshold:
            # multipart: the transfer manager cannot make the upload conditional; the
            # emptiness check of publish() stands for it (record keys are random)
            self._call(
                lambda: self.client.upload_file(str(path), self.bucket, key, Config=self.transfer),
                name,
            )
        else:
            with open(path, "rb") as f:
                data = f.read()
            self._call(
                lambda: self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*"
                ),
                f"{final}/{name}",
            )

    def _whole(self, key: str, offset: int) -> bytearray:
        # Not cached on disk: whole reads are a record's meta.json, read once per process
        # and kept in memory by RecordStore; on disk it would outlive a deleted record.
        response = self._call(lambda: self.client.get_object(Bucket=self.bucket, Key=key), key)
        return bytearray(response["Body"].read()[offset:])

    def _get(self, key: str, start: int, stop: int) -> bytearray:
        """Bytes ``[start, stop)`` of ``key`` (fewer if the object ends first)."""
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{stop - 1}"
            )
            return bytearray(response["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return bytearray()  # starts past the end: the caller reports the shortfall
            raise self._error(exc, key) from exc
        except (BotoCoreError, OSError) as exc:
            raise self._error(exc, key) from exc

    def _cached(self, key: str, start: int, stop: int) -> bytearray:
        assert self.cache is not None
        size = self.block_size
        b0, b1 = start // size, (stop - 1) // size
        blocks: dict[int, bytes] = {}
        missing: list[int] = []
        for b in range(b0, b1 + 1):
            got = self.cache.get(f"{self.bucket}/{key}@{size}:{b}")
            if got is None:
                missing.append(b)
            else:
                blocks[b] = got
        for lo, hi in _runs(missing):
            data = self._get(key, lo * size, (hi + 1) * size)
            for b in range(lo, hi + 1):
                part = bytes(data[(b - lo) * size : (b - lo + 1) * size])
                blocks[b] = part
                if len(part) == size or b == hi:  # a short block is the object's last
                    self.cache.put(f"{self.bucket}/{key}@{size}:{b}", part)
        out = bytearray()
        for b in range(b0, b1 + 1):
            lo = start - b * size if b == b0 else 0
            hi = stop - b * size if b == b1 else size
            out += blocks[b][lo:hi]
            if len(blocks[b]) < hi:
                break  # the object ends here
        return out

    def _list_remote(self, prefix: str) -> Iterator[str]:
        base = "" if prefix.strip("/") == "" else self._key(prefix.strip("/")) + "/"
        if base == "" and self.prefix:
            base = self.prefix + "/"
        pages = self._call(
            lambda: list(
                self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=base, Delimiter="/"
                )
            ),
            prefix or "/",
        )
        for page in pages:
            for common in page.get("CommonPrefixes", []):
                yield common["Prefix"][len(base) :].rstrip("/")
            for obj in page.get("Contents", []):
                yield obj["Key"][len(base) :]

    def _keys_under(self, base: str) -> builtins.list[str]:
        pages = self._call(
            lambda: list(
                self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=base
                )
            ),
            base,
        )
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]

    def _delete_keys(self, keys: builtins.list[str]) -> None:
        for i in range(0, len(keys), 1000):  # the most one DeleteObjects takes
            batch = [{"Key": k} for k in keys[i : i + 1000]]
            self._call(
                lambda batch=batch: self.client.delete_objects(  # type: ignore[misc]
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                ),
                keys[i],
            )

    def _call(self, action: Callable[[], T], name: str) -> T:
        try:
            return action()
        except (BotoCoreError, ClientError, OSError) as exc:
            raise self._error(exc, name) from exc

    def _error(self, exc: BaseException, name: str) -> OSError:
        """The exception to raise for a failed call on object ``name``."""
        where = f"object store {self.url}"
        if isinstance(exc, NoCredentialsError):
            return ObjectStoreError(
                f"{where}: no credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                f"{self.hint}"
            )
        if isinstance(exc, EndpointConnectionError):
            return ObjectStoreError(f"{where}: cannot connect ({exc}){self.hint}")
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in _MISSING:
                return FileNotFoundError(f"{name}: no such object in {self.url}")
            if code == "PreconditionFailed":
                return FileExistsError(f"{name} already exists in {self.url}")
            if code == "NoSuchBucket":
                return ObjectStoreError(
                    f"{where}: bucket {self.bucket!r} does not exist{self.hint}"
                )
            if code in _DENIED:
                return ObjectStoreError(
                    f"{where}: access denied ({code}); check AWS_ACCESS_KEY_ID, "
                    f"AWS_SECRET_ACCESS_KEY and the bucket's policy{self.hint}"
                )
            return OSError(f"{where}: {name}: {code} {error.get('Message', '')}".strip())
        if isinstance(exc, OSError):
            return exc
        return OSError(f"{where}: {name}: {exc}")


def _runs(indexes: list[int]) -> Iterator[tuple[int, int]]:
    """Consecutive runs of sorted ``indexes`` as ``(first, last)`` pairs."""
    start = prev = None
    for i in indexes:
        if start is None:
            start = prev = i
        elif i == prev + 1:  # type: ignore[operator]
            prev = i
        else:
            yield start, prev  # type: ignore[misc]
            start = prev = i
    if start is not None:
        yield start, prev  # type: ignore[misc]
