"""Browser figures for the waveform viewer: first view, next view, drag frames, JS heap.

Run: ``.venv/bin/python bench/bench_viewer.py [--loads 20] [--steps 50] [--stale 3]
[--markdown FILE] [--home DIR]`` (``--home`` keeps the imported records for the next run).

Prints p50/p95 figures and whether each target is met; nothing fails on a missed target.
Steps:

1. A fresh WAVETAG_HOME under ``bench/out/``: migrate, import the ICU alarm records
   challenge2015/v102s and v221l, ptbdb/s0010_re (15 channels) and two synthetic 24-h
   Holters written with :mod:`wavetag.signal.synth` (3 leads at 360 Hz, 12 leads at 500 Hz;
   reused from ``bench/out/`` while their spec is unchanged), create a user, and serve the
   home with ``wavetag serve`` (waitress) on a free loopback port.
2. Debian's /usr/bin/chromium, headless, through Playwright; log in with the login form.
3. First view: navigation start to ``data-state="ready"`` on the waveform element (a
   MutationObserver installed before any page script records when it happens), once in a
   fresh browser context (cold: nothing cached) and ``--loads`` times after a warm-up load;
   three loads under a Chrome trace give the renderer's main-thread CPU up to ready;
   ``--stale N``: N loads each after 61 s idle (cached files past their max-age).
4. Next view: "next page" (PageDown / PageUp at the record's end) to ready, ``--steps``
   times, each after the prefetch of the step before has finished (a reader looks at a
   page before turning it); bytes of window responses per step from Resource Timing.
5. Drag frames at 12 leads: a scripted mouse drag (a move every 8 ms) across the 24-h
   12-lead record; requestAnimationFrame timestamps and, per frame, the main-thread time
   from the frame's start to the first task after it (input, draw, style, paint: an
   upper bound, as that task may wait behind input queued meanwhile); then one drag
   under a Chrome trace: wall and CPU (thread) time of each frame's task, the CPU time
   being what the renderer did whatever else the shared machine was running. The target
   takes the traced wall time of the frames' tasks, with frames at the display rate.
6. JS heap after opening each 24-h record (CDP HeapProfiler.collectGarbage, then
   Performance.getMetrics JSHeapUsedSize), then after zooming out to the whole day.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_foundation import (  # noqa: E402
    Table,
    free_port,
    make_record,
    met,
    report,
    run_child,
    wavetag,
    wavetag_env,
)

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DATA = Path(os.environ.get("WAVETAG_TEST_DATA") or REPO.parent / "shared" / "data")
VIEWPORT = {"width": 1400, "height": 900}
USER, PASSWORD = "bench", "bench-password-1234"
SHARED = [
    ("challenge2015", "challenge2015/v102s"),
    ("challenge2015", "challenge2015/v221l"),
    ("ptbdb", "ptbdb/s0010_re"),
]
HOLTERS = [(3, 360.0), (12, 500.0)]  # leads, fs
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline"]
TARGETS = {"first": 300.0, "next": 50.0, "frame": 16.0, "heap": 100.0}

# Before any page script: when the waveform says ready (and which window), when the
# first task after that frame ran (its canvases rasterised and committed: painted), key
# presses, and room for every resource timing entry.
INIT = """(() => {
  performance.setResourceTimingBufferSize(100000);
  const b = (window.__bench = { ready: [], keys: [] });
  const ch = new MessageChannel();
  ch.port1.onmessage = (e) => { b.ready[e.data].painted = performance.now(); };
  new MutationObserver((list) => {
    for (const r of list) {
      const el = r.target;
      if (el.dataset && el.dataset.testid === 'waveform' && el.dataset.state === 'ready') {
        b.ready.push({ t: performance.now(), start: Number(el.dataset.start) });
        ch.port2.postMessage(b.ready.length - 1);
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  addEventListener('keydown', () => b.keys.push(performance.now()), true);
})();"""

IDLE = """() => {
  const v = document.querySelector('.wt-viewer').wtViewer;
  const w = document.querySelector('[data-testid=waveform]');
  return w.dataset.state === 'ready' && v.stats().inFlight === 0;
}"""

# Frame starts (rAF timestamps) and, per frame, when the first task after it ran and
# which window was drawn then (a frame that moved nothing did no work to speak of).
FRAMES_START = """() => {
  const f = (window.__frames = { ts: [], end: [], start: [], on: true });
  const w = document.querySelector('[data-testid=waveform]');
  const ch = new MessageChannel();
  ch.port1.onmessage = () => {
    f.end.push(performance.now());
    f.start.push(w.dataset.start);
  };
  const loop = (ts) => {
    if (!f.on) return;
    f.ts.push(ts);
    ch.port2.postMessage(0);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
}"""
FRAMES_STOP = """() => {
  const f = window.__frames;
  f.on = false;
  return [f.ts, f.end, f.start];
}"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def ms(x: float) -> str:
    return f"{x:.0f} ms" if x >= 10 else f"{x:.1f} ms"


def machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "?")
    mem = Path("/proc/meminfo").read_text().split()
    ram = int(mem[mem.index("MemTotal:") + 1]) * 1024 / 1e9
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    git = ["git", "-C", str(REPO), "describe", "--always", "--dirty"]
    commit = subprocess.run(git, capture_output=True, text=True).stdout.strip() or "?"
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GB RAM, {version.strip()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
        f"commit {commit}"
    )


class Server:
    """A WAVETAG_HOME with the benchmark records, served by ``wavetag serve``."""

    def __init__(self, out: Path, regenerate: bool, home: Path | None) -> None:
        self.reused = home is not None and (home / "done").exists()
        self.owned = home is None
        self.home = home or Path(tempfile.mkdtemp(prefix="viewer-home-", dir=out))
        env = wavetag_env(self.home)
        if not self.reused:
            self.setup(env, out, regenerate)
        self.port = free_port()

    def setup(self, env: dict[str, str], out: Path, regenerate: bool) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        run_child(wavetag("migrate", "--verbosity", "0"), env)
        paths = [(ds, DATA / p) for ds, p in SHARED]
        paths += [("bench", make_record(out, 24.0, n, fs, regenerate)) for n, fs in HOLTERS]
        for dataset, path in paths:
            t0 = time.perf_counter()
            run_child(wavetag("import", str(path), "--dataset", dataset, "--no-progress"), env)
            print(f"imported {path.name} in {time.perf_counter() - t0:.1f} s", flush=True)
        create = ("createsuperuser", "--noinput", "--username", USER, "--email", "b@x.org")
        run_child(wavetag(*create), {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD})
        (self.home / "done").write_text("imported\n")

    def start(self) -> None:
        env = wavetag_env(self.home)
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = wavetag("serve", "--port", str(self.port), "--no-migrate")
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=5).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self, keep: bool) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        if not keep and self.owned:
            shutil.rmtree(self.home, ignore_errors=True)


def login(context: Any, base: str) -> None:
    page = context.new_page()
    page.goto(base + "/login/")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(base + "/")
    page.close()


def records_by_name(context: Any, base: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for dataset in ("challenge2015", "ptbdb", "bench"):
        response = context.request.get(f"{base}/api/v1/records?dataset={dataset}")
        for item in response.json()["items"]:
            found[item["name"]] = item
    return found


def first_ready(page: Any, url: str) -> tuple[float, float, float]:
    """Navigate; ms from navigation start to the first ready, to its paint, and to the
    last ready a moment later (a heavy opening is drawn as a hairline draft, then refined;
    annotations arriving later redraw too)."""
    page.goto(url)
    page.wait_for_selector("[data-testid=waveform][data-state=ready]", timeout=60000)
    page.wait_for_function(IDLE, timeout=60000)
    page.wait_for_timeout(250)
    got = page.evaluate("() => window.__bench.ready.map((r) => [r.t, r.painted || r.t])")
    return got[0][0], got[0][1], got[-1][0]


def traced_first(browser: Any, page: Any, url: str) -> tuple[float, float]:
    """One warm load under a Chrome trace: wall and CPU ms of the renderer's main-thread
    tasks from navigation start to ready (the page's own work, whatever else runs)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trace.json"
        browser.start_tracing(page=page, path=str(path), categories=TRACE_CATEGORIES)
        ready = first_ready(page, url)[0]
        browser.stop_tracing()
        data = json.loads(path.read_text())
    events = data["traceEvents"] if isinstance(data, dict) else data
    rafs = [e for e in events if e.get("name") == "FireAnimationFrame" and e.get("ph") == "X"]
    if not rafs:
        return float("nan"), float("nan")
    thread = max({(e["pid"], e["tid"]) for e in rafs}, key=lambda k: sum(
        1 for e in rafs if (e["pid"], e["tid"]) == k))  # fmt: skip
    navs = [e["ts"] for e in events if e.get("name") == "navigationStart"]
    t0 = max(navs) if navs else min(e["ts"] for e in rafs)
    wall = cpu = 0.0
    for e in events:
        if (
            e.get("name") == "RunTask"
            and e.get("ph") == "X"
            and (e["pid"], e["tid"]) == thread
            and t0 <= e["ts"] <= t0 + ready * 1000
        ):
            wall += e["dur"] / 1000
            cpu += e.get("tdur", e["dur"]) / 1000
    return wall, cpu


def bench_first(context: Any, browser: Any, base: str, urls: list[tuple[str, str]], n: int):
    table = Table(
        "First view: navigation start to data-state=ready",
        [
            "record",
            "cold",
            "warm p50",
            "warm p95",
            "painted p50",
            "p95",
            "last redraw p50",
            "loads",
            "main-thread CPU to ready (traced) p50",
        ],
    )
    warm_p95: list[float] = []
    cookies = context.cookies()
    for label, url in urls:
        cold_ctx = browser.new_context(viewport=VIEWPORT)
        cold_ctx.add_init_script(INIT)
        cold_ctx.add_cookies(cookies)
        cold = first_ready(cold_ctx.new_page(), base + url)[0]
        cold_ctx.close()
        page = context.new_page()
        first_ready(page, base + url)  # warm-up: assets into the cache
        firsts, painted, lasts = [], [], []
        for _ in range(n):
            a, b, c = first_ready(page, base + url)
            firsts.append(a)
            painted.append(b)
            lasts.append(c)
        cpu = [traced_first(browser, page, base + url)[1] for _ in range(3)]
        page.close()
        warm_p95.append(pct(firsts, 0.95))
        table.rows.append(
            [label, ms(cold), ms(pct(firsts, 0.5)), ms(pct(firsts, 0.95)),
             ms(pct(painted, 0.5)), ms(pct(painted, 0.95)), ms(pct(lasts, 0.5)), str(n),
             ms(pct(cpu, 0.5))]
        )  # fmt: skip
        print(table.text().splitlines()[-1], flush=True)
    return table, max(warm_p95)


def bench_stale(context: Any, base: str, label: str, url: str, n: int) -> Table:
    """First views after the cache's freshness (whitenoise: 60 s) has run out, each after
    61 s without a load: what a reader opening a record every few minutes gets."""
    table = Table(
        "First view after 61 s idle (cached files past their max-age)",
        ["record", "ready", "painted", "static requests sent"],
    )
    page = context.new_page()
    first_ready(page, base + url)
    for _ in range(n):
        time.sleep(61)
        page.evaluate("() => performance.clearResourceTimings()")
        a, b, _ = first_ready(page, base + url)
        # Files taken from the cache without asking the server show no transfer at all.
        asked = page.evaluate(
            """() => performance.getEntriesByType('resource')
                 .filter((e) => e.name.includes('/static/') && e.transferSize > 0).length"""
        )
        table.rows.append([label, ms(a), ms(b), str(asked)])
        print(table.text().splitlines()[-1], flush=True)
    page.close()
    return table


def bench_next(context: Any, base: str, urls: list[tuple[str, str, float]], steps: int):
    table = Table(
        "Next view: PageDown to data-state=ready, prefetch of the step before finished",
        ["record", "p50", "p95", "worst", "KB/step", "requests/step", "steps"],
    )
    worst = 0.0
    for label, url, duration in urls:
        page = context.new_page()
        page.goto(base + url)
        page.wait_for_function(IDLE, timeout=60000)
        page.wait_for_timeout(300)
        times, sizes, counts = [], [], []
        key = "PageDown"
        for _ in range(steps):
            end = float(page.get_attribute("[data-testid=waveform]", "data-end"))
            start = float(page.get_attribute("[data-testid=waveform]", "data-start"))
            if key == "PageDown" and end >= duration - 1e-3:
                key = "PageUp"
            elif key == "PageUp" and start <= 1e-3:
                key = "PageDown"
            page.evaluate(
                "() => { window.__bench.ready = []; window.__bench.keys = [];"
                " performance.clearResourceTimings(); }"
            )
            page.keyboard.press(key)
            page.wait_for_function(
                f"() => window.__bench.ready.some((r) => r.start !== {start})", timeout=60000
            )
            page.wait_for_function(IDLE, timeout=60000)
            page.wait_for_timeout(50)
            t_key, t_ready, size, count = page.evaluate(
                f"""() => {{
                  const b = window.__bench;
                  const r = b.ready.find((x) => x.start !== {start});
                  const w = performance.getEntriesByType('resource')
                    .filter((e) => e.name.includes('/window?'));
                  return [b.keys[0], r.t, w.reduce((s, e) => s + e.transferSize, 0), w.length];
                }}"""
            )
            times.append(t_ready - t_key)
            sizes.append(size)
            counts.append(count)
        page.close()
        worst = max(worst, pct(times, 0.95))
        table.rows.append(
            [label, ms(pct(times, 0.5)), ms(pct(times, 0.95)), ms(max(times)),
             f"{sum(sizes) / len(sizes) / 1024:.0f}", f"{sum(counts) / len(counts):.1f}",
             str(steps)]
        )  # fmt: skip
        print(table.text().splitlines()[-1], flush=True)
    return table, worst


# Frames the viewer showed by sliding a canvas drawn before (slide.js), not drawing.
SLID = "() => document.querySelector('.wt-viewer').wtViewer.stats().slidFrames"


def drag(page: Any, x0: float, x1: float, y: float, every_s: float = 0.008) -> None:
    page.mouse.move(x0, y)
    page.mouse.down()
    n = int(abs(x1 - x0) / 3)
    next_at = time.perf_counter()
    for i in range(1, n + 1):
        page.mouse.move(x0 + (x1 - x0) * i / n, y)
        next_at += every_s
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    page.mouse.up()


def traced_frames(
    browser: Any, page: Any, action: Any, *args: Any
) -> tuple[list[float], list[float]]:
    """Run action(*args) under a Chrome trace; wall and CPU (thread) ms of every main-thread
    task that ran animation frames (input, draw, style, paint and commit of one frame).
    CPU time counts only what the renderer itself did, whatever else the machine runs."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trace.json"
        browser.start_tracing(page=page, path=str(path), categories=TRACE_CATEGORIES)
        action(*args)
        browser.stop_tracing()
        data = json.loads(path.read_text())
    events = data["traceEvents"] if isinstance(data, dict) else data
    rafs = [e for e in events if e.get("name") == "FireAnimationFrame" and e.get("ph") == "X"]
    threads = {(e["pid"], e["tid"]) for e in rafs}
    tasks = [
        e
        for e in events
        if e.get("name") == "RunTask" and e.get("ph") == "X" and (e["pid"], e["tid"]) in threads
    ]
    tasks.sort(key=lambda e: e["ts"])
    starts = [e["ts"] for e in tasks]
    seen: set[int] = set()
    wall, cpu = [], []
    for r in rafs:
        i = bisect.bisect_right(starts, r["ts"]) - 1
        if i < 0 or i in seen or r["ts"] > tasks[i]["ts"] + tasks[i]["dur"]:
            continue
        seen.add(i)
        wall.append(tasks[i]["dur"] / 1000)
        cpu.append(tasks[i].get("tdur", tasks[i]["dur"]) / 1000)
    return wall, cpu


def bench_drag(
    browser: Any, context: Any, base: str, cases: list[tuple[str, str, str | None, bool]]
) -> tuple[Table, float, float, float, float]:
    """Each case: label, URL, key switching the layout (or None), whether the target counts
    it (the target is for 12 leads; the 15-channel PTB record is shown beside)."""
    table = Table(
        "Drag frames: scripted mouse drag, a move every 8 ms, 4 drags of ~900 px, then one "
        "traced drag",
        ["record", "layout", "frames", "interval p50", "p95", "worst",
         "moved", "work p50", "p95", "worst", "> 20 ms intervals",
         "traced frames", "slid", "task p50", "p95", "CPU p50", "p95"],
    )  # fmt: skip
    worst_cpu = worst_task = 0.0
    worst_p95 = worst_interval = 0.0
    for label, url, layout_key, counts in cases:
        page = context.new_page()
        page.goto(base + url)
        page.wait_for_function(IDLE, timeout=60000)
        if layout_key:
            page.keyboard.press(layout_key)
            page.wait_for_function(IDLE, timeout=60000)
        page.wait_for_timeout(300)
        box = page.locator("[data-testid=waveform]").bounding_box()
        y = box["y"] + box["height"] * 0.45
        left, right = box["x"] + 200, box["x"] + box["width"] - 200
        page.evaluate(FRAMES_START)
        for a, b in ((right, left), (left, right), (right, left), (left, right)):
            drag(page, a, b, y)
        ts, end, shown = page.evaluate(FRAMES_STOP)
        page.wait_for_function(IDLE, timeout=60000)
        page.wait_for_timeout(300)
        slid = page.evaluate(SLID)
        wall, cpu = traced_frames(browser, page, drag, page, right, left, y)
        slid = page.evaluate(SLID) - slid
        if counts:
            worst_cpu = max(worst_cpu, pct(cpu, 0.95) if cpu else float("inf"))
            worst_task = max(worst_task, pct(wall, 0.95) if wall else float("inf"))
        page.wait_for_function(IDLE, timeout=60000)
        page.close()
        intervals = [b - a for a, b in zip(ts, ts[1:], strict=False)]
        moved = [i for i in range(1, len(shown)) if shown[i] != shown[i - 1]]
        work = [end[i] - ts[i] for i in moved if i < len(ts)]
        # "work" runs from a frame's start to the first task after it: an upper bound of
        # the frame's main-thread time, since that task may wait behind the input events
        # queued meanwhile (two pointer moves per frame). The traced wall time of the
        # frame's own task is the frame's time; frames come at the display rate when the
        # intervals are 16.7 ms (60 Hz: every frame made).
        if counts:
            worst_p95 = max(worst_p95, pct(work, 0.95))
            worst_interval = max(worst_interval, pct(intervals, 0.95))
        slow = sum(1 for x in intervals if x > 20)
        table.rows.append(
            [label, layout_key and "3x4" or "stacked", str(len(ts)),
             ms(pct(intervals, 0.5)), ms(pct(intervals, 0.95)), ms(max(intervals)),
             str(len(work)), ms(pct(work, 0.5)), ms(pct(work, 0.95)), ms(max(work)),
             f"{slow} ({100 * slow / max(1, len(intervals)):.0f} %)",
             str(len(wall)), str(slid), ms(pct(wall, 0.5)), ms(pct(wall, 0.95)),
             ms(pct(cpu, 0.5)), ms(pct(cpu, 0.95))]
        )  # fmt: skip
        print(table.text().splitlines()[-1], flush=True)
    return table, worst_p95, worst_interval, worst_cpu, worst_task


def heap_mb(page: Any) -> tuple[float, float]:
    """JS heap used after a forced GC, and ArrayBuffer backing stores (outside that heap:
    the tiles' typed arrays live there), in MB."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.enable")
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("Performance.enable")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    usage = cdp.send("Runtime.getHeapUsage")
    cdp.detach()
    return metrics["JSHeapUsedSize"] / 2**20, usage.get("backingStorageSize", 0) / 2**20


def mb(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.1f} MB + {pair[1]:.1f} MB"


def bench_heap(context: Any, base: str, urls: list[tuple[str, str]]):
    table = Table(
        "JS heap after GC (CDP JSHeapUsedSize + ArrayBuffer backing stores)",
        ["record", "opened", "after 30 pages", "whole record shown", "tiles cached"],
    )
    opened_max = 0.0
    for label, url in urls:
        page = context.new_page()
        page.goto(base + url)
        page.wait_for_function(IDLE, timeout=60000)
        page.wait_for_timeout(300)
        opened = heap_mb(page)
        for _ in range(30):
            page.keyboard.press("PageDown")
            page.wait_for_function(IDLE, timeout=60000)
        paged = heap_mb(page)
        page.evaluate("() => document.querySelector('.wt-viewer').wtViewer.goTo(0, 1e9)")
        page.wait_for_timeout(200)
        page.wait_for_function(IDLE, timeout=60000)
        whole = heap_mb(page)
        stats = page.evaluate("() => document.querySelector('.wt-viewer').wtViewer.stats()")
        page.close()
        opened_max = max(opened_max, sum(opened))
        table.rows.append(
            [label, mb(opened), mb(paged), mb(whole),
             f"{stats['tiles']} ({stats['bytes'] / 2**20:.1f} MB)"]
        )  # fmt: skip
        print(table.text().splitlines()[-1], flush=True)
    return table, opened_max


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "bench" / "out"), help="records folder")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the Holters")
    parser.add_argument("--loads", type=int, default=20, help="warm loads per record")
    parser.add_argument("--steps", type=int, default=50, help="next-view steps per record")
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables as markdown")
    parser.add_argument(
        "--stale", type=int, default=0, help="first views after 61 s idle (each adds 61 s)"
    )
    parser.add_argument("--keep-home", action="store_true", help="keep the WAVETAG_HOME used")
    parser.add_argument(
        "--home", type=Path, help="WAVETAG_HOME to use (imported into on first use, then kept)"
    )
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    desc = machine()
    print(f"machine: {desc}")
    loads = [os.getloadavg()[0]]
    server = Server(out, args.regenerate, args.home and args.home.resolve())
    server.start()
    tables: list[Table] = []
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport=VIEWPORT)
            context.add_init_script(INIT)
            login(context, server.url)
            recs = records_by_name(context, server.url)
            url = {name: f"/records/{r['id']}/" for name, r in recs.items()}
            dur = {name: r["duration"] for name, r in recs.items()}
            h3, h12 = "holter3_360hz_24h", "holter12_500hz_24h"
            names = ["v102s", "v221l", "s0010_re", h3, h12]
            loads.append(os.getloadavg()[0])
            first = [(n, url[n]) for n in names]
            first += [(f"{n} at the alarm (t=300)", url[n] + "?t=300") for n in names[:2]]
            t_first, first_p95 = bench_first(context, browser, server.url, first, args.loads)
            if args.stale:
                tables.append(bench_stale(context, server.url, "v102s", url["v102s"], args.stale))
            loads.append(os.getloadavg()[0])
            nxt = [(n, url[n], dur[n]) for n in names]
            t_next, next_p95 = bench_next(context, server.url, nxt, args.steps)
            loads.append(os.getloadavg()[0])
            drags = [
                (h12, url[h12], None, True),
                (h12, url[h12], "l", True),
                ("s0010_re (15 channels, 1000 Hz)", url["s0010_re"], None, False),
            ]
            t_drag, frame_p95, interval_p95, cpu_p95, task_p95 = bench_drag(
                browser, context, server.url, drags
            )
            loads.append(os.getloadavg()[0])
            t_heap, heap = bench_heap(context, server.url, [(h3, url[h3]), (h12, url[h12])])
            loads.append(os.getloadavg()[0])
            browser.close()
        summary = Table("Targets", ["target", "figure", "status"])
        summary.rows += [
            ["first view <= 300 ms (warm p95, worst record)", ms(first_p95),
             met(first_p95 <= TARGETS["first"])],
            ["next view <= 50 ms p95 (worst record)", ms(next_p95),
             met(next_p95 <= TARGETS["next"])],
            ["drag frames <= 16 ms at 12 leads, wall time of each frame's task (traced, p95; "
             "interval p95 <= 18 ms)", f"{ms(task_p95)}; interval {ms(interval_p95)}",
             met(task_p95 <= TARGETS["frame"] and interval_p95 <= 18)],
            ["drag frames <= 16 ms at 12 leads, renderer CPU per frame (traced, p95)", ms(cpu_p95),
             met(cpu_p95 <= TARGETS["frame"])],
            ["JS heap <= 100 MB after opening a 24-h record (with buffers)", f"{heap:.1f} MB",
             met(heap <= TARGETS["heap"])],
            ["(drag, untraced: frame start to the next task, an upper bound, p95)",
             ms(frame_p95), "for reference"],
        ]  # fmt: skip
        tables = [t_first, *tables, t_next, t_drag, t_heap, summary]
    finally:
        server.stop(args.keep_home)
    load_text = ", ".join(f"{x:.2f}" for x in loads)
    load_line = f"Load average (1 min) at start, then after each part: {load_text}"
    report(tables, desc, load_line, args.markdown)


if __name__ == "__main__":
    main()
