// Keyboard first: every action has a key, and "?" lists them all. The table below is
// both the key map and the help text, so the two cannot drift apart.

import { h } from "./dom.js";
import { gettext, gettext_noop } from "./i18n.js";

const BINDINGS = [
  { keys: ["←", "→"], what: gettext_noop("Pan half a page"), match: (e) => !e.shiftKey && arrow(e) },
  { keys: ["Shift+←", "Shift+→", "PgUp", "PgDn"], what: gettext_noop("Pan a whole page"), match: page },
  { keys: ["+", "−"], what: gettext_noop("Zoom in / out"), match: zoom },
  {
    keys: ["0"],
    what: gettext_noop("Reset zoom to the paper speed"),
    match: (e) => e.key === "0",
    run: "zoomReset",
  },
  { keys: ["Home", "End"], what: gettext_noop("Start / end of the record"), match: ends },
  { keys: ["↑", "↓"], what: gettext_noop("Gain up / down (all channels)"), match: gain },
  {
    keys: ["c"],
    what: gettext_noop("Caliper mode: drag on a trace to measure"),
    match: key("c"),
    run: "caliperMode",
  },
  {
    keys: ["Shift+C"],
    what: gettext_noop("Add a caliper in the middle of the view"),
    match: key("C"),
    run: "addCaliper",
  },
  { keys: ["Del"], what: gettext_noop("Remove the last caliper"), match: del, run: "removeCaliper" },
  { keys: ["Esc"], what: gettext_noop("Close menus; clear calipers"), match: key("Escape"), run: "escape" },
  { keys: ["g"], what: gettext_noop("Grid on / off"), match: key("g"), run: "grid" },
  { keys: ["f"], what: gettext_noop("Display filters on / off"), match: key("f"), run: "filters" },
  { keys: ["a"], what: gettext_noop("Annotations on / off"), match: key("a"), run: "annotations" },
  { keys: ["l"], what: gettext_noop("12-lead 3×4 layout on / off"), match: key("l"), run: "layout" },
  { keys: ["e"], what: gettext_noop("Jump to the event"), match: key("e"), run: "event" },
  {
    keys: ["[", "]"],
    what: gettext_noop("Previous / next event of the shown sets (not a normal beat)"),
    match: (e) => (e.key === "]" ? "nextEvent" : e.key === "[" ? "previousEvent" : null),
  },
  { keys: ["1", "…", "9"], what: gettext_noop("Show / hide channel 1–9"), match: digit },
  {
    keys: ["b"],
    what: gettext_noop(
      "Edit beats (record page): N V A … relabel, Del deletes, Shift+C cluster, Ctrl+Z undo",
    ),
    match: key("b"),
    run: "beatEditor",
  },
  { keys: ["s"], what: gettext_noop("Save a screenshot (PNG)"), match: key("s"), run: "screenshot" },
  { keys: ["p"], what: gettext_noop("Viewer settings"), match: key("p"), run: "settings" },
  { keys: ["?"], what: gettext_noop("This help"), match: key("?"), run: "help" },
];

function key(k) {
  return (e) => e.key === k;
}
function arrow(e) {
  if (e.key === "ArrowLeft") return "panHalfBack";
  if (e.key === "ArrowRight") return "panHalfForward";
  return null;
}
function page(e) {
  if (e.key === "PageUp" || (e.shiftKey && e.key === "ArrowLeft")) return "pageBack";
  if (e.key === "PageDown" || (e.shiftKey && e.key === "ArrowRight")) return "pageForward";
  return null;
}
function zoom(e) {
  if (e.key === "+" || e.key === "=") return "zoomIn";
  if (e.key === "-" || e.key === "_") return "zoomOut";
  return null;
}
function ends(e) {
  return e.key === "Home" ? "home" : e.key === "End" ? "end" : null;
}
function gain(e) {
  return e.key === "ArrowUp" ? "gainUp" : e.key === "ArrowDown" ? "gainDown" : null;
}
function del(e) {
  return e.key === "Delete" || e.key === "Backspace";
}
function digit(e) {
  return /^[1-9]$/.test(e.key) ? () => Number(e.key) : null;
}

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);

/** The action a key press asks for: a name, a function of actions, or null. */
function resolve(e) {
  for (const b of BINDINGS) {
    const m = b.match(e);
    if (!m) continue;
    if (typeof m === "function") return (actions) => actions.channel(m());
    return typeof m === "string" ? m : b.run;
  }
  return null;
}

/**
 * Listen for shortcuts on the document, acting on keys typed inside `root`, or anywhere
 * outside a form control when `global` is set (a page whose main content is the viewer).
 */
export function attachKeyboard(root, actions, global) {
  function onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    const inside = root.contains(t);
    if (!inside && !(global && (t === document.body || t === document.documentElement))) return;
    if (TYPING.has(t.tagName) || t.isContentEditable || t.closest("dialog")) return;
    const action = resolve(e);
    if (!action) return;
    e.preventDefault();
    if (typeof action === "function") action(actions);
    else actions[action]();
  }
  document.addEventListener("keydown", onKey);
  return { detach: () => document.removeEventListener("keydown", onKey) };
}

/** The help overlay: a modal dialog listing BINDINGS. */
export function createHelp(root) {
  const rows = BINDINGS.map((b) =>
    h("tr", {}, [
      h(
        "td",
        {},
        b.keys.flatMap((k, i) => (i ? [" ", h("kbd", {}, k)] : [h("kbd", {}, k)])),
      ),
      h("td", {}, gettext(b.what)),
    ]),
  );
  const close = h(
    "button",
    { type: "button", class: "wt-btn", "aria-label": gettext("Close help") },
    gettext("Close"),
  );
  const dialog = h("dialog", { class: "wt-dialog wt-help", "aria-labelledby": "" }, [
    h("h2", {}, gettext("Keyboard shortcuts")),
    h(
      "p",
      { class: "wt-note" },
      gettext(
        "Mouse and touch: drag or swipe to pan, wheel or pinch to zoom, drag on the overview to jump; drag a channel name up or down to change its gain.",
      ),
    ),
    h("table", {}, h("tbody", {}, rows)),
    h("div", { class: "wt-dialog-actions" }, close),
  ]);
  const title = dialog.querySelector("h2");
  title.id = `wt-help-${Math.random().toString(36).slice(2, 8)}`;
  dialog.setAttribute("aria-labelledby", title.id);
  dialog.dataset.testid = "help";
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close(); // a click on the backdrop
  });
  root.append(dialog);
  return {
    toggle() {
      if (dialog.open) dialog.close();
      else dialog.showModal();
    },
  };
}
