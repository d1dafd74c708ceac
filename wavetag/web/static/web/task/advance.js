// The next task without a page load. While a task is open, the page asks the server which
// task a save would open (GET /api/v1/tasks/{id}/following, the same choice the save
// makes), fetches that task's page (the same view, the same access checks as opening it)
// and its first window of signal. After a save, when the server's answer names that same
// page, the page swaps to it in place: content, viewer (new record and window), title and
// history entry. Anything else (no prefetch yet, a failed one, a next page that is not a
// task form, a task taken meanwhile) is a full navigation, as without this script.

import { mountViewer, preloadWindow } from "../viewer/main.js";

const PREFETCH_AFTER_MS = 1500; // at the latest, when the viewer never says "ready"

// Scripts and module links of the fetched page: the ones loaded here serve it.
const DROP = 'script:not([type="application/json"]), link[rel="modulepreload"]';

const KNOWN = ["/web/task/main.js", "/web/viewer/main.js"];

function currentViewer() {
  return document.querySelector(".wt-viewer")?.wtViewer || null;
}

async function fetchPage(url, signal) {
  const response = await fetch(url, { signal, credentials: "same-origin" });
  // A redirect (logged out) or an error: not a task page to show.
  if (!response.ok || response.redirected) return null;
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const main = doc.querySelector("main");
  if (!main?.querySelector('form[data-testid="answer-form"]')) return null;
  // A page with scripts of its own besides these two needs a real load.
  const own = [...main.querySelectorAll("script[src]")].map((s) => new URL(s.src).pathname);
  if (own.some((p) => !KNOWN.some((k) => p.endsWith(k)))) return null;
  const source = main.querySelector(".wt-viewer[data-config]");
  const json = source && doc.getElementById(source.dataset.config);
  if (!json) return null;
  return { main, title: doc.title, config: JSON.parse(json.textContent) };
}

/**
 * boot(form) wires a task form and returns {detach}; it is called for each task shown.
 */
export function createAdvance(boot) {
  let ahead = null; // {url, page, preloaded} once the next task is in
  let controller = null;
  let wiring = null;
  let shownPath = location.pathname;

  function drop() {
    controller?.abort();
    controller = null;
    ahead?.preloaded.loader.abortAll();
    ahead = null;
  }

  async function prefetch(form) {
    drop();
    const mine = new AbortController();
    controller = mine;
    try {
      const response = await fetch(form.dataset.following, {
        signal: mine.signal,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const { url } = await response.json();
      if (!url) return;
      const page = await fetchPage(url, mine.signal);
      const viewer = currentViewer();
      if (!page || !viewer || controller !== mine) return;
      const preloaded = preloadWindow(page.config, viewer.store.get().plot);
      ahead = { url, page, preloaded };
      form.dataset.ahead = url; // for tests: the next task is ready
    } catch {
      // No prefetch: the save then loads the next page as usual.
    } finally {
      // For tests and benchmarks: nothing more will come for this task.
      if (controller === mine) form.dataset.prefetch = "done";
    }
  }

  function schedule(form) {
    const viewer = currentViewer();
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      clearTimeout(timer);
      off?.();
      prefetch(form);
    };
    // After this task's own first window: the prefetch must not slow it down.
    const off = viewer?.on("ready", start);
    const timer = setTimeout(start, PREFETCH_AFTER_MS);
  }

  /** Show `url` in place if it is the prefetched task; false when it is not. */
  function go(url) {
    const next = ahead;
    if (!next || next.url !== url) {
      drop();
      return false;
    }
    ahead = null;
    wiring?.detach();
    currentViewer()?.destroy();
    const main = document.querySelector("main");
    next.page.main.querySelectorAll(DROP).forEach((el) => el.remove());
    main.replaceChildren(...[...next.page.main.childNodes].map((n) => document.adoptNode(n)));
    document.title = next.page.title;
    history.pushState({ task: url }, "", url);
    shownPath = location.pathname;
    window.scrollTo(0, 0);
    const root = main.querySelector(".wt-viewer[data-config]");
    root.wtViewer = mountViewer(root, next.page.config, {
      globalKeys: true,
      focus: true,
      preloaded: next.preloaded,
    });
    start(main.querySelector('form[data-testid="answer-form"]'));
    performance.mark("wt-advance-shown");
    return true;
  }

  function start(form) {
    wiring = boot(form);
    schedule(form);
  }

  // Back and Forward between the tasks shown here: load the page of the address now
  // shown, as if it had been navigated to (a change of #fragment only is left alone).
  window.addEventListener("popstate", () => {
    if (location.pathname !== shownPath) location.reload();
  });

  return { start, go };
}
