"""One large upload streamed to a real ``wavetag serve`` on loopback: the server's memory
while it receives the body, the rate, and the disk it holds at most.

Prints figures; asserts nothing (a bench, not a test; not run in CI).

1. A temporary WAVETAG_HOME is migrated; a site admin, an API token and a dataset are
   made.
2. ``wavetag serve --processes 1 --no-worker`` is started on it, with TMPDIR inside the
   home so that waitress's buffer file can be found and measured.
3. The idle server's RSS is sampled for a second (the baseline).
4. One multipart request with a single ``--size`` byte file (2 GB; bytes generated on
   the fly, never written by the client) is sent to ``POST /api/v1/datasets/{name}/
   records`` in 1 MiB chunks with ``http.client``. Meanwhile, every 50 ms, the server's
   RSS (/proc/PID/status VmRSS) is read, and the disk it holds: the regular files it has
   open under the home (waitress's buffer is unlinked, so only its descriptor shows it)
   plus the files under WAVETAG_HOME/uploads, each inode counted once.
5. The answer is read: the upload is larger than WAVETAG_UPLOAD_INLINE_MAX, so it is
   queued as an import job (202); no worker runs, so the job is never carried out: what is
   measured is the receiving.

    .venv/bin/python bench/bench_upload.py              # 2 GB
    .venv/bin/python bench/bench_upload.py --size 200e6
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import free_port, wait_ready  # the same server, started alike

CHUNK = 1024 * 1024
BOUNDARY = "wavetag-bench-upload-boundary"
DATASET = "bench"


def setup(env: dict[str, str]) -> str:
    """Migrate, make the admin, the dataset and a token; returns the token."""
    script = f"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from wavetag.accounts.services import create_token
from wavetag.records.uploads import create_dataset
root = get_user_model().objects.create_user("root", is_staff=True, is_superuser=True)
create_dataset({DATASET!r})
print(create_token(root, "bench")[1])
"""
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"set-up failed:\n{out.stderr[-3000:]}")
    return out.stdout.strip().splitlines()[-1]


def status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def disk_held(pid: int, home: Path) -> int:
    """Bytes of the regular files under ``home`` that the server has open or that lie in
    home/uploads; an inode once (Django's temporary file is linked into the staged
    folder, not copied)."""
    seen: dict[tuple[int, int], int] = {}
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(fd_dir / fd)
            if not target.startswith(str(home)) or target.endswith((".sqlite3", "-wal", "-shm")):
                continue
            st = os.stat(fd_dir / fd)
        except OSError:
            continue
        seen[(st.st_dev, st.st_ino)] = st.st_size
    for folder, _, files in os.walk(home / "uploads"):
        for name in files:
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values())


class Sampler(threading.Thread):
    def __init__(self, pid: int, home: Path) -> None:
        super().__init__(daemon=True)
        self.pid, self.home = pid, home
        self.stop = threading.Event()
        self.rss_kb: list[int] = []
        self.disk: list[int] = []

    def run(self) -> None:
        while not self.stop.is_set():
            self.rss_kb.append(status_kb(self.pid, "VmRSS"))
            self.disk.append(disk_held(self.pid, self.home))
            time.sleep(0.05)


def body_parts(size: int) -> tuple[bytes, bytes]:
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="files"; filename="big.dat"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def upload(port: int, token: str, size: int) -> tuple[int, str, float]:
    """Send the body in chunks; returns (status, answer, seconds)."""
    head, tail = body_parts(size)
    block = os.urandom(CHUNK)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    started = time.monotonic()
    conn.putrequest("POST", f"/api/v1/datasets/{DATASET}/records", skip_host=True)
    conn.putheader("Host", "localhost")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.endheaders()
    conn.send(head)
    left = size
    while left:
        n = min(CHUNK, left)
        conn.send(block if n == CHUNK else block[:n])
        left -= n
    conn.send(tail)
    response = conn.getresponse()
    answer = response.read().decode(errors="replace")
    return response.status, answer[:300], time.monotonic() - started


def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=float, default=2e9, help="bytes of the file sent (2e9)")
    a = p.parse_args()
    size = int(a.size)
    home = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    (home / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        WAVETAG_HOME=str(home), DJANGO_SETTINGS_MODULE="wavetag.settings", TMPDIR=str(home / "tmp")
    )
    try:
        token = setup(env)
        port = free_port()
        log = Path(tempfile.gettempdir()) / "bench-upload-server.log"
        print(f"server log: {log}")
        server = subprocess.Popen(
            [sys.executable, "-m", "wavetag", "serve", "--no-migrate", "--no-worker"]
            + ["--port", str(port), "--processes", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        try:
            wait_ready(port)
            idle = []
            for _ in range(20):
                idle.append(status_kb(server.pid, "VmRSS"))
                time.sleep(0.05)
            load_before = os.getloadavg()
            sampler = Sampler(server.pid, home)
            sampler.start()
            status, answer, seconds = upload(port, token, size)
            sampler.stop.set()
            sampler.join()
            hwm = status_kb(server.pid, "VmHWM")
            load_after = os.getloadavg()
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    baseline = max(idle) * 1024
    peak = max(sampler.rss_kb) * 1024
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    print(f"load average after:  {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"file sent: {mb(size)} in {seconds:.1f} s = {size / 1e6 / seconds:.0f} MB/s")
    print(f"answer: {status} {answer}")
    print(f"server RSS idle: {mb(baseline)}; peak while receiving: {mb(peak)}")
    print(f"  peak - idle = {mb(peak - baseline)} ({(peak - baseline) / size:.2%} of the file)")
    print(f"  VmHWM at the end: {mb(hwm * 1024)}")
    print(f"disk held at most: {mb(max(sampler.disk))} ({max(sampler.disk) / size:.2f}x the file)")
    print(f"samples: {len(sampler.rss_kb)}")


if __name__ == "__main__":
    main()
