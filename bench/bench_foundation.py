"""End-to-end figures for long records: import cost, window latency, wire size, against wfdb.

Run: ``.venv/bin/python bench/bench_foundation.py [--hours 24] [--markdown FILE]``

Prints figures, ratios against wfdb measured in the same run, and whether each target
is met; nothing fails (exit status 0 unless something crashes). Steps:

1. Write a 3-lead 360 Hz Holter (format 212) and a 12-lead 500 Hz record (format 16)
   with :mod:`wavetag.signal.synth` into ``--out``; reused while the spec is unchanged.
2. In child processes (peak RSS of each from ``wait4``): ``wfdb.rdrecord`` of the whole
   record, then ``wavetag import PATH --dataset bench`` into a fresh SQLite home.
3. ``wavetag serve`` that home; over one keep-alive connection, random windows of 10 s,
   1 min, 1 h and 24 h (``max_points=2000``, all channels) in JSON and binary.
4. The same spans with ``wfdb.rdrecord(path, sampfrom, sampto)``: wfdb time / HTTP time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import wfdb  # noqa: E402

from wavetag.signal.synth import holter_spec, write_wfdb  # noqa: E402

SPANS = [("10 s", 10.0), ("1 min", 60.0), ("1 h", 3600.0), ("24 h", 86400.0)]
WFDB_REPS = {"10 s": 200, "1 min": 200, "1 h": 20, "24 h": 5}
RECORDS = [(3, 360.0), (12, 500.0)]  # leads, fs (3 leads: format 212; 12 leads: format 16)
RDRECORD = (
    "import sys, time, wfdb\n"
    "t = time.perf_counter()\n"
    "wfdb.rdrecord(sys.argv[1], physical=sys.argv[2] == '1')\n"
    "print(time.perf_counter() - t)\n"
)


@dataclass
class Table:
    title: str
    head: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def text(self) -> str:
        cells = [self.head, *self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.head))]
        lines = [f"\n{self.title}"]
        lines += [
            "  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells
        ]
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", "| " + " | ".join(self.head) + " |"]
        lines.append("|" + "|".join("---:" for _ in self.head) + "|")
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines) + "\n"


def report(tables: list[Table], desc: str, load: str, markdown: str | None) -> None:
    """Print the tables and the load line; with ``markdown``, also write them there, headed
    by the machine and the command that made them (every bench script ends this way)."""
    for table in tables:
        print(table.text())
    print(f"\n{load[0].lower()}{load[1:]}")
    if markdown:
        command = f"python bench/{Path(sys.argv[0]).name} " + " ".join(sys.argv[1:])
        text = f"Machine: {desc}\n\nCommand: `{command.strip()}`\n\n{load}\n\n"
        text += "\n".join(t.markdown() for t in tables)
        Path(markdown).write_text(text)
        print(f"\nwrote {markdown}")


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def ratio(r: float) -> str:
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def machine() -> str:
    import django

    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "?")
    mem = Path("/proc/meminfo").read_text().split()
    ram = int(mem[mem.index("MemTotal:") + 1]) * 1024 / 1e9
    mounts = [m.split() for m in Path("/proc/mounts").read_text().splitlines()]
    dev, _, kind = max((m for m in mounts if str(REPO).startswith(m[1])), key=lambda m: len(m[1]))[
        :3
    ]
    rot = Path(f"/sys/block/{Path(dev).name}/queue/rotational")
    rotational = rot.read_text().strip() if rot.exists() else "?"
    git = ["git", "-C", str(REPO), "describe", "--always", "--dirty"]
    commit = subprocess.run(git, capture_output=True, text=True).stdout.strip() or "?"
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GB RAM, Python {platform.python_version()}, "
        f"numpy {np.__version__}, wfdb {wfdb.__version__}, Django {django.__version__}, "
        f"disk {dev} {kind} (rotational={rotational}, {shutil.disk_usage(REPO).free / 1e9:.0f} "
        f"GB free), {platform.system()} {platform.release()}, "
        f"load average {os.getloadavg()[0]:.2f}, commit {commit}"
    )


def make_record(out: Path, hours: float, leads: int, fs: float, regenerate: bool) -> Path:
    spec = holter_spec(hours, leads, fs)
    name = spec.name.replace(".", "p")  # WFDB record names allow no dot (--hours 0.5)
    folder = out / name
    stamp = folder / "spec.txt"
    base = folder / name
    fresh = stamp.exists() and stamp.read_text() == repr(spec) and base.with_suffix(".hea").exists()
    if fresh and not regenerate:
        print(f"reusing {base} ({spec.fmt})")
        return base
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    write_wfdb(folder, name, spec)
    stamp.write_text(repr(spec))
    print(f"wrote {base} (format {spec.fmt}) in {time.perf_counter() - t0:.1f} s")
    return base


def warm(path: Path) -> None:
    """Read a file once so that every measurement starts from a warm page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run ``cmd``; return wall seconds, its own peak RSS in bytes, and its stdout."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read()
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{text}\n{err.read()}")
    return wall, usage.ru_maxrss * 1024.0, text


def wavetag_env(home: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE (set on some build machines) would make every child compile
    # wavetag from source, ~1 s of start-up that no installed copy pays.
    dropped = ("DATABASE_URL", "WAVETAG_STORE_DIR", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        WAVETAG_HOME=str(home),
        DJANGO_SUPERUSER_PASSWORD="bench-password-1234",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


def wavetag(*args: str) -> list[str]:
    return [sys.executable, "-m", "wavetag", *args]


def bench_import(records: list[Path], home: Path, tables: list[Table]) -> dict[str, float]:
    env = wavetag_env(home)
    run_child(wavetag("migrate", "--verbosity", "0"), env)
    startup = run_child(wavetag("migrate", "--verbosity", "0"), env)[0]
    print(f"wavetag command start-up (a no-op migrate, as import runs one): {startup:.2f} s")
    imp = Table(
        "Import (child processes, page cache warm)",
        ["record", "samples", "rdrecord phys", "peak", "rdrecord dig", "peak",
         "import", "peak", "import/rdrecord", "M samples/s"],
    )  # fmt: skip
    ratios = {}
    for base in records:
        header = wfdb.rdheader(str(base))
        n = header.sig_len * header.n_sig
        warm(base.with_suffix(".dat"))
        phys = run_child([sys.executable, "-c", RDRECORD, str(base), "1"])
        dig = run_child([sys.executable, "-c", RDRECORD, str(base), "0"])
        t_phys, t_dig = float(phys[2]), float(dig[2])
        warm(base.with_suffix(".dat"))
        wall, rss, _ = run_child(
            wavetag("import", str(base), "--dataset", "bench", "--no-progress"), env
        )
        ratios[base.name] = wall / t_phys
        imp.rows.append(
            [base.name, f"{n / 1e6:.0f} M", f"{t_phys:.2f} s", f"{phys[1] / 1e9:.2f} GB",
             f"{t_dig:.2f} s", f"{dig[1] / 1e9:.2f} GB", f"{wall:.2f} s", f"{rss / 1e9:.2f} GB",
             ratio(wall / t_phys), f"{n / wall / 1e6:.0f}"]
        )  # fmt: skip
        ratios[base.name + ":rss"] = rss
        print(imp.text().splitlines()[-1], flush=True)
    tables.append(imp)
    return ratios


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def count_points(body: bytes, binary: bool) -> tuple[int, int]:
    """Numbers sent (min and max count one each), and bytes of the binary header."""
    if binary:
        (size,) = struct.unpack("<I", body[4:8])
        head = json.loads(body[8 : 8 + size])
        return sum(c["count"] * len(c["lengths"]) for c in head["channels"]), 8 + size
    doc = json.loads(body)
    chans = doc["channels"]
    return sum(len(c.get("values") or ()) + len(c.get("min") or ()) * 2 for c in chans), 0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Windows:
    starts: dict[str, list[float]]  # span label -> window starts (s)
    spans: dict[str, float]
    http_median: dict[tuple[str, bool], float] = field(default_factory=dict)


def bench_http(
    home: Path, records: list[Path], n: int, seed: int, tables: list[Table], summary: dict
) -> dict[str, Windows]:
    env = wavetag_env(home)
    run_child(
        wavetag("createsuperuser", "--noinput", "--username", "bench", "--email", "b@x.org"), env
    )
    token = run_child(wavetag("token", "create", "bench"), env)[2].strip().splitlines()[-1]
    port = free_port()
    cmd = wavetag("serve", "--port", str(port), "--no-migrate")
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, Windows] = {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().read():
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                conn.close()
                time.sleep(0.2)
        auth = {"Authorization": f"Bearer {token}"}

        # Bodies are read into one reused buffer, as a client with a buffer pool would:
        # a fresh 250 KB bytes object per response costs this Python client ~1 ms of page
        # faults (glibc maps each one anew), which is no part of the server's latency.
        buffer = memoryview(bytearray(64 << 20))

        def timed_get(url: str) -> tuple[float, bytes]:
            t0 = time.perf_counter()
            conn.request("GET", url, headers=auth)
            resp = conn.getresponse()
            length = resp.getheader("Content-Length")
            if resp.status != 200 or length is None or int(length) > len(buffer):
                raise RuntimeError(f"GET {url}: {resp.status} {resp.read()[:300]!r}")
            got, want = 0, int(length)
            while got < want:
                n = resp.readinto(buffer[got:want])
                if not n:
                    raise RuntimeError(f"GET {url}: the body ended after {got} of {want} bytes")
                got += n
            elapsed = time.perf_counter() - t0
            return elapsed, bytes(buffer[:want])

        def get(url: str) -> bytes:
            return timed_get(url)[1]

        listing = json.loads(get("/api/v1/records?dataset=bench"))
        ids = {r["name"]: (r["id"], r["duration"]) for r in listing["items"]}
        lat = Table(
            "Windows over HTTP (one keep-alive connection, max_points=2000, all channels)",
            "record span format median p95 kind numbers bytes header B/number".split(),
        )
        rng = random.Random(seed)
        for base in records:
            rid, duration = ids[base.name]
            win = Windows({}, {})
            for label, span in SPANS:
                if span > duration:
                    print(f"{base.name}: the {label} span is clipped to the record ({duration} s)")
                    span = duration
                win.spans[label] = span
                win.starts[label] = [round(rng.uniform(0, duration - span), 3) for _ in range(n)]
            for label, _ in SPANS:  # warm up: URL resolution, store metadata, chunk cache
                get(f"/api/v1/records/{rid}/window?start=0&end={win.spans[label]}")
            for label, _ in SPANS:
                span = win.spans[label]
                for binary in (False, True):
                    times, sizes, points, heads, kind = [], 0, 0, 0, ""
                    for start in win.starts[label]:
                        url = (
                            f"/api/v1/records/{rid}/window?start={start}&end={start + span:.3f}"
                            f"&max_points=2000{'&format=binary' if binary else ''}"
                        )
                        elapsed, body = timed_get(url)
                        times.append(elapsed)
                        sizes += len(body)
                        counted, head_bytes = count_points(body, binary)
                        points, heads = points + counted, heads + head_bytes
                        if not kind:
                            kind = "raw" if b'"raw"' in body[:4000] else "minmax"
                    fmt = "binary" if binary else "json"
                    med, bpp = statistics.median(times), sizes / points
                    win.http_median[(label, binary)] = med
                    summary["lat"].append((base.name, label, fmt, med))
                    summary["bpp"].append((base.name, label, fmt, bpp))
                    lat.rows.append(
                        [base.name, label, fmt, f"{med * 1e3:.2f} ms",
                         f"{pct(times, 0.95) * 1e3:.2f} ms", kind, f"{points / n:.0f}",
                         f"{sizes / n:.0f}", f"{heads / n:.0f}" if binary else "-", f"{bpp:.2f}"]
                    )  # fmt: skip
                    print(lat.text().splitlines()[-1], flush=True)
            out[base.name] = win
        conn.close()
        tables.append(lat)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def bench_wfdb(records: list[Path], wins: dict[str, Windows], tables: list[Table], summary: dict):
    cmp = Table(
        "Same spans with wfdb.rdrecord(path, sampfrom, sampto), in-process, physical",
        ["record", "span", "reps", "wfdb median", "HTTP json", "wfdb/json", "HTTP binary",
         "wfdb/binary"],
    )  # fmt: skip
    for base in records:
        win = wins[base.name]
        header = wfdb.rdheader(str(base))
        for label, _ in SPANS:
            reps = WFDB_REPS[label]
            times = []
            for start in win.starts[label][:reps]:
                first = int(round(start * header.fs))
                stop = min(header.sig_len, first + int(round(win.spans[label] * header.fs)))
                t0 = time.perf_counter()
                wfdb.rdrecord(str(base), sampfrom=first, sampto=stop)
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            hj, hb = win.http_median[(label, False)], win.http_median[(label, True)]
            summary["speedup"].append((base.name, label, med / hj, med / hb))
            cmp.rows.append(
                [base.name, label, str(reps), f"{med * 1e3:.1f} ms", f"{hj * 1e3:.2f} ms",
                 ratio(med / hj), f"{hb * 1e3:.2f} ms", ratio(med / hb)]
            )  # fmt: skip
            print(cmp.text().splitlines()[-1], flush=True)
    tables.append(cmp)


def targets(imports: dict[str, float], summary: dict, records: list[Path]) -> Table:
    t = Table("Targets", ["target", "record", "figure", "status"])
    for base in records:
        r = imports[base.name]
        t.rows.append(["import <= 2x rdrecord", base.name, f"{r:.2f}x", met(r <= 2)])
    big = records[-1].name
    rss = imports[big + ":rss"]
    t.rows.append(["import peak RSS <= 1.5 GB", big, f"{rss / 1e9:.2f} GB", met(rss <= 1.5e9)])
    for name, label, fmt, med in summary["lat"]:
        t.rows.append(
            [f"median {label} {fmt} <= 5 ms", name, f"{med * 1e3:.2f} ms", met(med <= 5e-3)]
        )
    for name, label, fmt, bpp in summary["bpp"]:
        limit = 8.0 if fmt == "json" else 2.0
        t.rows.append(
            [f"{fmt} {label} <= {limit:g} B/number", name, f"{bpp:.2f}", met(bpp <= limit)]
        )
    for name, label, sj, sb in summary["speedup"]:
        need = {"1 h": 10, "24 h": 100}.get(label)
        if need:
            for fmt, s in (("json", sj), ("binary", sb)):
                t.rows.append(
                    [f"HTTP {fmt} {label} >= {need}x wfdb", name, ratio(s), met(s >= need)]
                )
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0, help="record length (default 24)")
    parser.add_argument("--out", default=str(REPO / "bench" / "out"), help="records folder")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the records")
    parser.add_argument("--windows", type=int, default=200, help="windows per span and format")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables as markdown")
    parser.add_argument("--keep-home", action="store_true", help="keep the WAVETAG_HOME used")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    desc = machine()
    print(f"machine: {desc}")
    records = [make_record(out, args.hours, leads, fs, args.regenerate) for leads, fs in RECORDS]
    home = Path(tempfile.mkdtemp(prefix="home-", dir=out))
    tables: list[Table] = []
    summary: dict[str, list] = {"lat": [], "bpp": [], "speedup": []}
    try:
        imports = bench_import(records, home, tables)
        wins = bench_http(home, records, args.windows, args.seed, tables, summary)
        bench_wfdb(records, wins, tables, summary)
        tables.append(targets(imports, summary, records))
    finally:
        if not args.keep_home:
            shutil.rmtree(home, ignore_errors=True)
    report(tables, desc, f"Load average at the end: {os.getloadavg()[0]:.2f}", args.markdown)


if __name__ == "__main__":
    main()
