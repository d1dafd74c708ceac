"""Simulated annotators against a real ``wavetag serve`` on loopback: latency, errors, and
whether any acknowledged answer was lost or any task went over k.

Prints figures; asserts nothing (a bench, not a test; not run in CI). Two runs per database:

1. **Paced**: ``--users`` annotators (200), each logging in through the log-in page,
   claiming a batch of ``--tasks`` tasks (10) through the API, and per task loading the
   task page, the task, two signal windows (binary, as the viewer asks) and submitting an
   answer, with ``--pause`` seconds (3-10, uniform) between actions, as people work.
   Targets: p95 <= 150 ms for the task page, a window and a submit; no error.
2. **Stress**: ``--stress-clients`` clients (50) doing the same without any pause for
   ``--stress-seconds`` (60): the sustained requests per second, and the server's CPU per
   request (utime + stime of the server and its processes, from /proc).

After each run the database is checked: every answer acknowledged with 200 is stored as
submitted, and no task has more submitted answers than its k.

    .venv/bin/python bench/bench_load.py                      # SQLite, then PostgreSQL
    .venv/bin/python bench/bench_load.py --db sqlite --users 50 --tasks 3

Data: a wearable-rhythm project (10-s segments, k=2) over MIT-BIH records from
``../shared/data`` (read, never copied), as many as the annotators need.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
PASSWORD = "load test password 1"
DB = "wt_load"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"


@dataclass
class Stats:
    """Latencies by kind of request, errors, acknowledged answers (task ids)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    acknowledged: list[tuple[str, int]] = field(default_factory=list)
    # Server CPU seconds by kind of request, when measured one request at a time.
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_pid: int = 0
    measure_cpu: bool = False

    def add(self, kind: str, started: float, seconds: float) -> None:
        with self.lock:
            self.times[kind].append((started, seconds))

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Browser:
    """One annotator's keep-alive connection with its cookies (session and CSRF)."""

    def __init__(self, port: int, stats: Stats) -> None:
        self.port = port
        self.stats = stats
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(
        self, kind: str, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, bytes]:
        headers.setdefault("Host", "localhost")
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET" and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
            headers.setdefault("Referer", f"http://localhost:{self.port}/")
        cpu0 = cpu_seconds(self.stats.server_pid) if self.stats.measure_cpu else 0.0
        t0 = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError) as exc:
                # A keep-alive connection the server closed while idle: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    self.stats.error(f"{kind} {method} {path}: {exc}")
                    return 0, b""
        self.stats.add(kind, t0, time.perf_counter() - t0)
        if self.stats.measure_cpu:
            self.stats.cpu[kind].append(cpu_seconds(self.stats.server_pid) - cpu0)
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.status >= 400:
            self.stats.error(f"{kind} {method} {path}: {response.status} {data[:120]!r}")
        return response.status, data

    def login(self, username: str) -> bool:
        _, page = self.request("login-page", "GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token is None:
            self.stats.error(f"login page for {username}: no CSRF token")
            return False
        form = urllib.parse.urlencode(
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        ).encode()
        form_type = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _ = self.request("login", "POST", "/login/", form, **form_type)
        if status != 302:
            self.stats.error(f"login {username}: {status}")
        return status == 302


def annotator(
    username: str,
    project: int,
    port: int,
    stats: Stats,
    tasks: int,
    pause: tuple[float, float],
    start: threading.Barrier | None = None,
    stop: threading.Event | None = None,
) -> None:
    rnd = random.Random(username)
    browser = Browser(port, stats)

    def wait() -> None:
        if pause[1] > 0:
            time.sleep(rnd.uniform(*pause))

    ok = browser.login(username)
    if start is not None:
        start.wait()  # every client logged in before the measured stretch begins
    if not ok:
        return
    done = 0
    while done < tasks and not (stop and stop.is_set()):
        wait()
        status, body = browser.request("claim", "POST", f"/api/v1/projects/{project}/batches")
        if status != 200:
            return
        batch = json.loads(body)["tasks"]
        if not batch:
            return
        for task_id in batch:
            done += do_task(browser, task_id, rnd, wait, stats, username)
            if done >= tasks or (stop and stop.is_set()):
                break


def do_task(
    browser: Browser, task_id: int, rnd: random.Random, wait: object, stats: Stats, user: str
) -> int:
    assert callable(wait)
    wait()
    browser.request("page", "GET", f"/tasks/{task_id}/")
    status, body = browser.request("task", "GET", f"/api/v1/tasks/{task_id}")
    if status != 200:
        return 0
    task = json.loads(body)
    record, start, end = task["record"]["id"], task["window_start"], task["window_end"]
    for lo, hi in ((start, end), (max(0.0, start - 5.0), end + 5.0)):
        wait()
        browser.request(
            "window",
            "GET",
            f"/api/v1/records/{record}/window?start={lo}&end={hi}&max_points=2000&format=binary",
        )
    wait()
    answer = {
        "quality": rnd.choice("AAB"),
        "rhythm": "sinus",
        "subcategory": "sinus-normal",
        "status": "submitted",
    }
    status, _ = browser.request(
        "submit",
        "PUT",
        f"/api/v1/tasks/{task_id}/annotation",
        json.dumps(answer).encode(),
        **{"Content-Type": "application/json"},
    )
    if status == 200:
        with stats.lock:
            stats.acknowledged.append((user, task_id))
    return 1


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its live children (the server's processes)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


KINDS = ("login-page", "login", "claim", "page", "task", "window", "submit")


def report(
    title: str,
    stats: Stats,
    seconds: float,
    cpu: float | None,
    since: float = 0.0,
    until: float = float("inf"),
) -> None:
    """Latency table of the requests started in [``since``, ``until``) (perf_counter);
    the server's CPU per request when ``cpu`` is the CPU of that stretch."""
    times = {k: [d for t, d in v if since <= t < until] for k, v in stats.times.items()}
    n = sum(len(v) for v in times.values())
    print(f"\n### {title}")
    print(f"{n} requests in {seconds:.0f} s: {n / seconds:.1f} req/s", end="")
    if cpu is None:
        print()
    else:
        print(f"; server CPU {cpu:.1f} s, {1000 * cpu / max(n, 1):.2f} ms a request")
    print("| request | count | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in KINDS:
        v = times.get(kind)
        if not v:
            continue
        print(
            f"| {kind} | {len(v)} | {1000 * statistics.median(v):.1f} |"
            f" {1000 * percentile(v, 95):.1f} | {1000 * percentile(v, 99):.1f} |"
            f" {1000 * max(v):.1f} |"
        )
    first = f" (first: {stats.errors[:3]})" if stats.errors else ""
    print(f"errors: {len(stats.errors)}{first}")


def setup(home: Path, env: dict[str, str], data: Path, users: int, tasks: int) -> int:
    """Import records, make the project and the annotators; returns the project id."""
    records = sorted(
        str(p.with_suffix("")) for d in ("mitdb", "mitdb-ds1") for p in (data / d).glob("*.hea")
    )
    script = f"""
import os, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from wavetag.records.importer import import_paths
from wavetag.projects.services import add_member, create_project
records = {records!r}
need = {users} * {tasks} * 2 // 180 + 2   # 180 ten-second tasks a record, k=2
res = import_paths(records[:need], "load")
assert all(r.ok for r in res), [r.message for r in res if not r.ok]
project = create_project("load", "load", template="wearable-rhythm", segment_seconds=10,
    annotators_per_task=2, max_annotators=2, batch_size={min(tasks, 10)})
hashed = make_password({PASSWORD!r})
User = get_user_model()
User.objects.bulk_create([User(username=f"a{{i:04d}}", password=hashed) for i in range({users})])
for u in User.objects.filter(username__startswith="a"):
    add_member(project, u, "annotator")
print(project.pk)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"set-up failed:\n{out.stderr[-3000:]}")
    return int(out.stdout.strip().splitlines()[-1])


def check(env: dict[str, str], acknowledged: list[tuple[str, int]]) -> str:
    """Acknowledged answers all stored; no task over k."""
    pairs = json.dumps(acknowledged)
    script = f"""
import json, django
django.setup()
from django.db.models import Count, Q
from wavetag.annotations.models import Annotation
from wavetag.projects.models import Task
acked = json.loads({pairs!r})
stored = set(Annotation.objects.filter(status="submitted").values_list("user__username", "task_id"))
lost = [p for p in acked if tuple(p) not in stored]
over = Task.objects.annotate(n=Count("annotations", filter=Q(annotations__status="submitted")))
over = [t.pk for t in over if t.n > t.annotators_needed]
print(f"acknowledged answers {{len(acked)}}, lost {{len(lost)}}; tasks over k: {{len(over)}}")
"""
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or out.stderr[-2000:]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_db(db: str, a: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix=f"bench-load-{db}-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.update(WAVETAG_HOME=str(home), DJANGO_SETTINGS_MODULE="wavetag.settings")
    if db == "postgresql":
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB])
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
        env["DATABASE_URL"] = PG_URL
    try:
        project = setup(home, env, a.data, a.accounts, a.tasks)
        port = free_port()
        log = Path(tempfile.gettempdir()) / f"bench-load-{db}-server.log"
        print(f"server log: {log}")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wavetag",
                "serve",
                "--no-migrate",
                "--no-worker",
                "--port",
                str(port),
                "--processes",
                str(a.processes),
                "--threads",
                str(a.threads),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        try:
            wait_ready(port)
            print(f"\n## {db}: {a.processes} server process(es) x {a.threads} threads")
            paced(a, project, port, server.pid, env)
            stress(a, project, port, server.pid, env)
            cost(a, project, port, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if db == "postgresql":
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB])


def users_for(a: argparse.Namespace, first: int, count: int) -> list[str]:
    return [f"a{(first + i) % a.accounts:04d}" for i in range(count)]


def paced(a: argparse.Namespace, project: int, port: int, pid: int, env: dict[str, str]) -> None:
    """Annotators logging in over the ramp, then working with pauses; latencies reported
    for the whole run and for the steady stretch after the last log-in."""
    stats = Stats()
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    threads = []
    for name in users_for(a, 0, a.users):
        th = threading.Thread(
            target=annotator, args=(name, project, port, stats, a.tasks, a.pause), daemon=True
        )
        threads.append(th)
        th.start()
        time.sleep(a.ramp / a.users)  # log-ins spread over the ramp
    ramp_end = time.perf_counter()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds(pid) - cpu0
    title = f"paced: {a.users} annotators, {a.tasks} tasks each, pauses {a.pause} s"
    report(f"{title}; log-ins over {a.ramp:.0f} s", stats, seconds, cpu)
    after = time.perf_counter() - ramp_end
    report(f"{title}; requests after the last log-in", stats, after, None, since=ramp_end)
    print(check(env, stats.acknowledged))


def stress(a: argparse.Namespace, project: int, port: int, pid: int, env: dict[str, str]) -> None:
    """Clients without pauses for ``stress_seconds``, timed from when all have logged in."""
    stats = Stats()
    start = threading.Barrier(a.stress_clients + 1)
    stop = threading.Event()
    threads = []
    for name in users_for(a, a.users, a.stress_clients):
        th = threading.Thread(
            target=annotator,
            args=(name, project, port, stats, 10**6, (0.0, 0.0), start, stop),
            daemon=True,
        )
        threads.append(th)
        th.start()
    start.wait()
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(a.stress_seconds)
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds(pid) - cpu0
    # The clients finish the task in hand and stop: none may still be at work when the
    # answers are counted or while the next part measures one request at a time.
    stop.set()
    for th in threads:
        th.join()
    title = f"stress: {a.stress_clients} clients without pauses, {a.stress_seconds:.0f} s"
    report(title, stats, seconds, cpu, since=t0, until=t0 + seconds)
    print(check(env, stats.acknowledged))


def cost(a: argparse.Namespace, project: int, port: int, pid: int) -> None:
    """Where the time goes: server CPU per request, by kind, one request at a time (the
    mean: /proc counts CPU in 10-ms ticks, so one request's figure is coarse)."""
    stats = Stats(server_pid=pid, measure_cpu=True)
    (name,) = users_for(a, a.users + a.stress_clients, 1)
    annotator(name, project, port, stats, 40, (0.0, 0.0))
    print("\n### server CPU by request (one client, one request at a time)")
    print("| request | count | CPU ms (mean) | wall ms (median) |")
    print("|---|---:|---:|---:|")
    for kind in KINDS:
        if stats.cpu.get(kind):
            wall = [d for _, d in stats.times[kind]]
            print(
                f"| {kind} | {len(wall)} | {1000 * statistics.fmean(stats.cpu[kind]):.1f} |"
                f" {1000 * statistics.median(wall):.1f} |"
            )


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz", headers={"Host": "localhost"})
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


def pair(text: str) -> tuple[float, float]:
    lo, hi = (float(x) for x in text.split(","))
    return lo, hi


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = Path(os.environ.get("WAVETAG_TEST_DATA") or DEFAULT_DATA)
    p.add_argument("--data", type=Path, default=data)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--tasks", type=int, default=10)
    p.add_argument("--pause", type=pair, default=(3.0, 10.0), help="LO,HI seconds (3,10)")
    p.add_argument("--ramp", type=float, default=120.0, help="seconds over which users log in")
    p.add_argument("--stress-clients", type=int, default=50)
    p.add_argument("--stress-seconds", type=float, default=60.0)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    a = p.parse_args()
    a.accounts = a.users + a.stress_clients + 1
    # Stress clients never pause: they claim until the time is up.
    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus;"
        f" load average at start {os.getloadavg()[0]:.2f}"
    )
    for db in ("sqlite", "postgresql") if a.db == "both" else (a.db,):
        run_db(db, a)
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
