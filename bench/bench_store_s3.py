"""Windows from the object store against local files: cold (every block fetched), warm (the
local read cache), and the import's upload. The S3 server is moto on loopback, a Python
server far slower than S3 or MinIO: the cold figures bound the cost of requests, not of a
real object store's latency (add ~10-30 ms per cold GET for S3 across a network).

Figures only; nothing fails. Needs the s3 and test extras (boto3, moto)::

    python bench/bench_store_s3.py [--record ../shared/data/mitdb/100]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import boto3
from moto.server import ThreadedMotoServer

from wavetag.signal.io import find_records, open_recording
from wavetag.signal.s3storage import S3Storage
from wavetag.signal.store import RecordStore, StoreWriter

WINDOWS = [(10.0, 20.0, 4000), (100.0, 160.0, 2000), (0.0, 1800.0, 2000)]


def put(root: object, key: str, record: str) -> float:
    refs, _ = find_records([record])
    source = open_recording(refs[0])
    t = time.perf_counter()
    with StoreWriter(root, key, source.channels) as writer:  # type: ignore[arg-type]
        for block in source.iter_blocks(60.0):
            writer.append(block)
        writer.commit()
    return time.perf_counter() - t


def ms_per_window(store: RecordStore, w: tuple[float, float, int], n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        store.windows([0, 1], *w)
    return (time.perf_counter() - t) / n * 1e3


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    here = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser()
    data = Path(os.environ.get("WAVETAG_TEST_DATA") or here.parent / "shared" / "data")
    parser.add_argument("--record", default=str(data / "mitdb" / "100"))
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    tmp = Path(tempfile.mkdtemp(prefix="wavetag-s3-bench-"))
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
        s3 = S3Storage.from_url("s3://bench/w", endpoint_url=endpoint, staging_dir=tmp / "stage",
                                cache_dir=tmp / "cache", cache_bytes=256 << 20)  # fmt: skip
        local_s = put(tmp / "local", "rec1", args.record)
        s3_s = put(s3, "rec1", args.record)
        print(f"store {args.record}: local {local_s * 1e3:.0f} ms, S3 (stage + upload) "
              f"{s3_s * 1e3:.0f} ms")  # fmt: skip
        local = RecordStore.open(tmp / "local", "rec1")
        remote = RecordStore.open(s3, "rec1")
        print(f"{'window (2 channels)':<28}{'local':>9}{'S3 cold':>10}{'S3 cached':>11}")
        for w in WINDOWS:
            assert s3.cache is not None
            s3.cache.clear()
            cold = ms_per_window(remote, w, 1)
            warm = ms_per_window(remote, w, 50)
            loc = ms_per_window(local, w, 50)
            label = f"{w[0]:g}-{w[1]:g} s, {w[2]} points"
            print(f"{label:<28}{loc:>6.2f} ms{cold:>7.1f} ms{warm:>8.2f} ms")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
