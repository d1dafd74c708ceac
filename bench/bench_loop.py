"""Browser figures for the annotation loop: Enter on an answer to the next task drawn.

Run: ``.venv/bin/python bench/bench_loop.py [--tasks 20] [--baseline REV | --no-baseline]
[--markdown FILE]``.

1. A fresh WAVETAG_HOME under ``bench/out/``: ``wavetag demo --no-serve`` (synthetic data,
   its wearable-rhythm project: 30-s segments of a 30-min Holter), served by
   ``wavetag serve`` (waitress) on a free loopback port.
2. Debian's /usr/bin/chromium, headless, through Playwright; log in as demo-annotator1 with
   the login form and claim a batch (again whenever one is done).
3. Per task: answer with the first choice of each field, press Enter, and take the time
   from that key press (a capturing keydown listener) to ``data-state="ready"`` on the next
   task's waveform (a MutationObserver installed before any page script), both as
   ``performance.timeOrigin + performance.now()`` so that the time spans the navigation.
   Before answering, the step waits for the page to have fetched the next task (when its
   code does that: ``data-prefetch`` on the form) and THINK_S more, far less than anyone
   takes to read a strip. Two warm-up tasks first (assets into the cache); the batch's last
   task, which goes to the project page, is not counted. The time is split (see SPLIT) by
   Navigation Timing after a page load, by the page's own performance marks after a task
   shown in place (no navigation).
4. The baseline, first, in the same session on the same data: the code of ``--baseline``
   (default: the merge base of HEAD and main, the code before this branch) exported with
   ``git archive`` and put first on the server's PYTHONPATH, as demo-annotator1; then this
   commit as demo-annotator2 (each finds the same untouched tasks).

Prints median and p95 and whether the target (p95 <= 100 ms) is met; nothing fails.
"""

from __future__ import annotations

import argparse
import os
import re
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

from bench_foundation import Table, free_port, met, report, run_child, wavetag, wavetag_env  # noqa: E402
from bench_viewer import VIEWPORT, machine, ms, pct  # noqa: E402

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

USERS = ("demo-annotator1", "demo-annotator2")
PASSWORD = "bench-password-1234"
PROJECT = "wearable-rhythm"
TARGET = 100.0

THINK_S = 0.5

# A task shown in place keeps the page: its ready counts once the address is another.
INIT = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    sessionStorage.setItem('loopEnter', String(now()));
    window.__enterPath = location.pathname;
    window.__readyAt = undefined;
  }, true);
  new MutationObserver((list) => {
    for (const r of list) {
      const el = r.target;
      if (el.dataset && el.dataset.testid === 'waveform' && el.dataset.state === 'ready'
          && window.__readyAt === undefined && location.pathname !== window.__enterPath)
        window.__readyAt = now();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
})();"""

# Enter to ready, and its parts: Enter to the next page's navigation start or to the
# save's answer (in place), to that page's HTML received or to the task swapped in (the
# page's content replaced, the viewer mounted), to ready (scripts, the first window,
# drawing); and whether it was shown in place.
SPLIT = """() => {
  const enter = Number(sessionStorage.getItem('loopEnter'));
  const at = (name) => {
    const all = performance.getEntriesByName(name);
    return all.length ? performance.timeOrigin + all[all.length - 1].startTime : 0;
  };
  const shown = at('wt-advance-shown');
  if (shown > enter) {
    const saved = at('wt-advance-saved');
    return [window.__readyAt - enter, saved - enter, shown - saved, window.__readyAt - shown,
            true];
  }
  const nav = performance.getEntriesByType('navigation')[0];
  const start = performance.timeOrigin + (nav.activationStart || 0);
  const html = performance.timeOrigin + Math.max(nav.responseEnd, nav.activationStart || 0);
  const ready = window.__readyAt;
  return [ready - enter, start - enter, html - start, ready - html, false];
}"""

# The first choice of each field, as a click would give it.
ANSWER = """() => {
  const form = document.querySelector('form[data-testid=answer-form]');
  for (const fs of form.querySelectorAll('fieldset[data-field]')) {
    const input = fs.querySelector('input[type=radio], input[type=checkbox]');
    if (input && !fs.querySelector('input:checked')) input.click();
  }
  document.activeElement?.blur();
}"""


def baseline_code(rev: str, into: Path) -> Path:
    """The wavetag package of ``rev``, exported with ``git archive`` under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "wavetag"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def start_server(home: Path, code: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    env = wavetag_env(home)
    if not (home / "done").exists():
        home.mkdir(parents=True, exist_ok=True)
        demo_env = {**env, "WAVETAG_DEMO_PASSWORD": PASSWORD}
        run_child(wavetag("demo", "--no-serve"), demo_env)
        (home / "done").write_text("demo\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = wavetag("serve", "--port", str(port), "--no-migrate")
    if code is not None:
        env = {**env, "PYTHONPATH": os.pathsep.join([str(code), env["PYTHONPATH"]])}
    # Started in the code's folder: ``python -m`` puts the working directory first on the
    # path, which would otherwise be this checkout whatever PYTHONPATH says.
    where = str(code) if code is not None else None
    proc = subprocess.Popen(
        cmd, env=env, cwd=where, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=5).read()
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def project_id(page: Any, base: str) -> int:
    page.goto(base + "/")
    link = page.locator(f"a:has-text('{PROJECT}')").first
    match = re.search(r"/projects/(\d+)/", link.get_attribute("href") or "")
    assert match, "no wearable-rhythm project on the home page"
    return int(match.group(1))


def open_task(page: Any, base: str, project: int) -> bool:
    """Claim a batch if none is open, and open its next task; False when none is left."""
    page.goto(f"{base}/projects/{project}/continue/")
    if "/tasks/" not in page.url:
        page.goto(f"{base}/projects/{project}/")
        claim = page.locator("[data-testid=claim-batch]")
        if not claim.count():
            return False
        claim.click()
        if "/tasks/" not in page.url:
            return False
    page.wait_for_selector("[data-testid=waveform][data-state=ready]", timeout=60000)
    return True


def one_step(page: Any) -> list[float] | None:
    """Answer, press Enter; ms to the next task's ready and its parts (see SPLIT), None
    when the batch ended."""
    before = page.url
    page.wait_for_function(
        "() => !document.querySelector('form[data-following]')"
        " || document.querySelector('form[data-prefetch]')",
        timeout=60000,
    )
    time.sleep(THINK_S)
    page.evaluate(ANSWER)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: u != before, timeout=60000)
    if "/tasks/" not in page.url:
        return None
    page.wait_for_selector("[data-testid=waveform][data-state=ready]", timeout=60000)
    page.wait_for_function("() => window.__readyAt !== undefined", timeout=60000)
    return [float(x) for x in page.evaluate(SPLIT)]


def run(home: Path, code: Path | None, user: str, tasks: int) -> list[list[float]]:
    """Serve ``home`` (with the wavetag package of ``code`` if given) and time ``tasks``
    steps of the loop as ``user``."""
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    proc, base = start_server(home, code)
    print(f"server ready in {time.perf_counter() - t0:.1f} s", flush=True)
    times: list[list[float]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT, base_url=base)
            context.add_init_script(INIT)
            page = context.new_page()
            page.goto(base + "/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            # The login form's button (the header has buttons of its own).
            page.click("form:has(input[name=password]) [type=submit]")
            page.wait_for_url(base + "/", timeout=120000)
            project = project_id(page, base)
            warm = 2
            opened = open_task(page, base, project)
            while opened and len(times) < tasks:
                took = one_step(page)
                if took is None:
                    opened = open_task(page, base, project)
                    continue
                if warm:
                    warm -= 1
                    continue
                times.append(took)
                print(f"task {len(times)}: " + ", ".join(ms(x) for x in took[:4]), flush=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--markdown")
    parser.add_argument("--baseline", help="git revision (default: merge base with main)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="loop-home-", dir=out))
    rev = (
        args.baseline
        or subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"], capture_output=True, text=True
        ).stdout.strip()
    )
    runs: list[tuple[str, list[list[float]]]] = []
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        code = baseline_code(rev, Path(tmp)) if rev and not args.no_baseline else None
        # Each path with its own annotator: both find the same untouched tasks.
        plan = [("baseline " + rev[:8], code, USERS[0])] if code else []
        plan.append(("this commit", None, USERS[1]))
        for label, where, user in plan:
            print(f"-- {label}", flush=True)
            runs.append((label, run(home, where, user, args.tasks)))
    shutil.rmtree(home, ignore_errors=True)
    table = Table(
        "Enter on an answer to the next task's waveform ready (wearable-rhythm, demo data)",
        ["code", "tasks", "p50", "p95", "in place", f"target p95 <= {TARGET:.0f} ms"],
    )
    parts = Table(
        "Its parts, p50 (p95)",
        ["code", "Enter to navigation or answer (save)", "to HTML or swapped in", "to ready"],
    )
    for label, times in runs:
        total = [t[0] for t in times]
        p95 = pct(total, 0.95)
        shown = sum(1 for t in times if t[4])
        table.rows.append(
            [label, str(len(times)), ms(pct(total, 0.5)), ms(p95), str(shown),
             met(p95 <= TARGET)]
        )  # fmt: skip
        parts.rows.append(
            [label]
            + [f"{ms(pct([t[i] for t in times], 0.5))} ({ms(pct([t[i] for t in times], 0.95))})"
               for i in (1, 2, 3)]
        )  # fmt: skip
    one, five, _ = os.getloadavg()
    load = f"Load average at the end: {one:.2f} (1 min), {five:.2f} (5 min)"
    report([table, parts], machine(), load, args.markdown)


if __name__ == "__main__":
    main()
