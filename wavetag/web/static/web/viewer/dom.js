// Building the viewer's DOM: a tiny element helper, the icons, and the skeleton that
// the other modules fill in.

import { gettext } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";

/** h("button", {class: "x", onclick: fn}, ["text", child]) -> element. */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function")
      el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of [].concat(children)) {
    if (child !== null && child !== undefined) el.append(child);
  }
  return el;
}

// 16x16 strokes, drawn here rather than loaded: one request fewer per page.
const ICONS = {
  zoomIn: "M7 3v8M3 7h8M10.5 10.5L14 14M7 1.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11",
  zoomOut: "M3 7h8M10.5 10.5L14 14M7 1.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11",
  zoomReset: "M2 8a6 6 0 1 0 2-4.5M2 2v3h3",
  left: "M10 3L5 8l5 5",
  right: "M6 3l5 5-5 5",
  caliper: "M3 2v12M13 2v12M3 8h10M5 6L3 8l2 2M11 6l2 2-2 2",
  filter: "M1 8h2l2-5 3 10 2-5h5",
  channels: "M2 4h12M2 8h12M2 12h12",
  annotations: "M2 3h7l5 5-5 5H2zM5 8h.01",
  layout: "M2 2h12v12H2zM2 6.5h12M2 11h12M5 2v9M8 2v9M11 2v9",
  grid: "M2 2h12v12H2zM6 2v12M10 2v12M2 6h12M2 10h12",
  camera: "M2 5h3l1.5-2h3L11 5h3v8H2zM8 6.5a2.5 2.5 0 1 0 0 5a2.5 2.5 0 1 0 0-5",
  settings:
    "M8 5.5a2.5 2.5 0 1 0 0 5a2.5 2.5 0 1 0 0-5M8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.5 1.5M11.5 11.5L13 13M3 13l1.5-1.5M11.5 4.5L13 3",
  help: "M5.5 6a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5V11M8 13.5v.01",
  event: "M8 1v14M8 2l5 2-5 2",
  fit: "M8 1v5M5.5 3.5L8 6l2.5-2.5M8 15v-5M5.5 12.5L8 10l2.5 2.5M2 8h12",
  editBeats: "M2 14l1-3.5 8-8 2.5 2.5-8 8zM9.5 4l2.5 2.5",
};

export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

/** A toolbar button: icon, optional visible text, an accessible name and a tooltip. */
export function button(
  name,
  label,
  { text = "", testid = "", pressed = null, shortcut = "" } = {},
) {
  const title = shortcut ? `${label} (${shortcut})` : label;
  return h(
    "button",
    {
      type: "button",
      class: "wt-btn",
      title,
      "aria-label": label,
      "data-testid": testid || null,
      "data-action": name,
      "aria-pressed": pressed === null ? null : String(pressed),
    },
    [icon(name), text ? h("span", { class: "wt-btn-text" }, text) : null],
  );
}

/** The skeleton; returns the parts other modules attach to. */
export function buildSkeleton(root, record) {
  const toolbar = h("div", { class: "wt-toolbar", role: "toolbar", "aria-label": gettext("Viewer") });
  const overview = h("canvas", {
    class: "wt-overview",
    "data-testid": "overview",
    tabindex: "0",
    role: "slider",
    "aria-label": gettext("Whole record: drag or click to move the window"),
    "aria-valuemin": "0",
    "aria-valuemax": String(Math.round(record.duration)),
  });
  const grid = h("canvas", { class: "wt-layer", "aria-hidden": "true" });
  const traces = h("canvas", { class: "wt-layer", "aria-hidden": "true" });
  // The sliding canvas of a drag (slide.js), between the traces and the overlay.
  const slide = h("canvas", { class: "wt-layer", "aria-hidden": "true", hidden: "" });
  const overlay = h("canvas", { class: "wt-layer", "aria-hidden": "true" });
  const labels = h("div", { class: "wt-labels" });
  const plot = h(
    "div",
    {
      class: "wt-plot",
      "data-testid": "waveform",
      "data-state": "loading",
      tabindex: "0",
      role: "region",
      "aria-roledescription": gettext("waveform viewer"),
      // Without the record's name, which is data (the page's heading gives it).
      "aria-label": gettext("Waveforms: arrow keys pan, + and − zoom, ? lists all keys"),
    },
    [grid, traces, slide, overlay, labels],
  );
  const calipers = h("ul", {
    class: "wt-calipers",
    "aria-label": gettext("Caliper read-outs"),
    hidden: true,
  });
  const message = h("p", { class: "wt-message", role: "status", "aria-live": "polite" });
  root.classList.add("wt-mounted");
  root.replaceChildren(
    toolbar,
    h("div", { class: "wt-overview-wrap" }, overview),
    plot,
    calipers,
    message,
  );
  return {
    toolbar,
    overview,
    plot,
    canvases: { grid, traces, slide, overlay },
    labels,
    calipers,
    message,
  };
}
