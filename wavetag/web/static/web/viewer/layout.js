// Where each channel goes (panels) and how its values map to pixels (scales).
//
// A panel is a rectangle of the plot showing one channel over a time span:
// {key, ch, chan, role, x, y, w, h, col, cols}; at draw time it also gets t0/t1.
// ECG panels are calibrated (mm/mV on the paper grid) and only re-centred when the
// trace would leave them; other signals are auto-scaled to "nice" ranges that only
// change when the data outgrows or shrinks well inside them, so panning is calm.

import { setColor } from "./annotations.js";
import { LANE_HEIGHT, placeLanes } from "./bands.js";
import { panels12, ROWS_12 } from "./layout12.js";
import { pxPerMm } from "./state.js";

const MIN_ROW = 56;
const MAX_ROW = 220;

export function rowHeight(rows, available) {
  return Math.round(Math.min(MAX_ROW, Math.max(MIN_ROW, available / Math.max(rows, 1))));
}

/**
 * Panels, the annotation sets' lanes under them (bands.js) and the plot's height for the
 * current layout; the lanes take their room from the traces' rows.
 */
export function computePanels(state, available) {
  const shownSets = state.sets.filter((s) => s.shown).length;
  const { panels, height } = tracePanels(state, available - shownSets * LANE_HEIGHT);
  const lanes = placeLanes(state.sets, height, setColor);
  return { panels, lanes, height: height + lanes.length * LANE_HEIGHT };
}

function tracePanels(state, available) {
  const width = state.plot.width;
  if (state.layout === "12") {
    const h = rowHeight(ROWS_12, available);
    const panels = panels12(state.channels, width, h);
    if (panels.length) return { panels, height: h * ROWS_12 };
  }
  const shown = state.channels.filter((c) => c.shown);
  const h = rowHeight(shown.length, available);
  const panels = shown.map((chan, r) => ({
    key: `${chan.index}:lead`,
    ch: chan.index,
    chan,
    role: "lead",
    x: 0,
    y: r * h,
    w: width,
    h,
    col: 0,
    cols: 1,
  }));
  return { panels, height: Math.max(h * shown.length, MIN_ROW) };
}

/**
 * Give each panel its time span for the view. A 12-lead page (panels marked `fit`) is
 * narrowed to the part of the view inside the record, at the same px per second: a
 * 10-s ECG at 25 mm/s is then the printed 250 mm page, not four columns of which the
 * last ones are blank.
 */
export function placeInTime(panels, view, duration, width) {
  const span = view.end - view.start;
  const inside = Math.min(view.end, duration) - view.start;
  const shown = Math.min(span, Math.max(inside, span * 0.05));
  for (const p of panels) {
    if (p.fit) {
      const w = (width * shown) / span / p.cols;
      p.x = p.col * w;
      p.w = w;
      p.t0 = view.start + (p.col * shown) / p.cols;
      p.t1 = p.t0 + shown / p.cols;
    } else {
      p.t0 = view.start + (p.col * span) / p.cols;
      p.t1 = p.t0 + span / p.cols;
    }
  }
}

/** Millivolts per unit of an ECG channel (ECG is drawn in mV on the paper). */
export function mvPerUnit(units) {
  const u = (units || "").trim().toLowerCase();
  if (u === "uv" || u === "µv" || u === "μv") return 0.001;
  if (u === "v") return 1000;
  return 1;
}

function niceStep(range) {
  const raw = range / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/** Scales remembered per panel key so that they move only when they must. */
export function createScales() {
  const memory = new Map();

  function ecg(panel, settings, range) {
    const perUnit =
      settings.gain * pxPerMm(settings) * panel.chan.gain * mvPerUnit(panel.chan.units);
    const half = panel.h / 2 / perUnit;
    let centre = memory.get(panel.key);
    if (Number.isFinite(range.lo)) {
      const want = (range.lo + range.hi) / 2;
      const fits = range.hi - range.lo <= 1.8 * half;
      if (centre === undefined) centre = want;
      else if (fits && (range.lo < centre - 0.95 * half || range.hi > centre + 0.95 * half)) {
        centre = want;
      } else if (!fits && Math.abs(want - centre) > 0.15 * half) centre = want;
    }
    if (centre === undefined) centre = 0;
    memory.set(panel.key, centre);
    const mmPerMv = settings.gain * panel.chan.gain;
    return { ecg: true, perUnit, centre, readout: `${+mmPerMv.toFixed(2)} mm/mV` };
  }

  function auto(panel, range) {
    let kept = memory.get(panel.key);
    if (Number.isFinite(range.lo)) {
      const span = Math.max(range.hi - range.lo, Math.abs(range.hi) * 1e-3, 1e-6);
      const inside = kept && range.lo >= kept.lo && range.hi <= kept.hi;
      if (!kept || !inside || span < 0.45 * (kept.hi - kept.lo)) {
        const step = niceStep(span * 1.1);
        kept = { lo: Math.floor((range.lo - span * 0.04) / step) * step, hi: 0 };
        kept.hi = Math.ceil((range.hi + span * 0.04) / step) * step;
        memory.set(panel.key, kept);
      }
    }
    const lo0 = kept ? kept.lo : -1;
    const hi0 = kept ? kept.hi : 1;
    const centre = (lo0 + hi0) / 2;
    const half = (hi0 - lo0) / 2 / panel.chan.gain;
    const perUnit = (panel.h / 2 - 3) / half;
    const digits = Math.max(0, Math.min(3, -Math.floor(Math.log10(half / 2))));
    const lo = (centre - half).toFixed(digits);
    const hi = (centre + half).toFixed(digits);
    return { ecg: false, perUnit, centre, readout: `${lo} – ${hi}` };
  }

  return {
    /** The scale of a panel given its data range {lo, hi} in the visible span. */
    scale(panel, settings, range) {
      return panel.chan.kind === "ecg" ? ecg(panel, settings, range) : auto(panel, range);
    },
    reset: () => memory.clear(),
  };
}

/** y (CSS px) of a value in a panel, and back. */
export const yOf = (panel, scale, v) => panel.y + panel.h / 2 - (v - scale.centre) * scale.perUnit;
export const valueOfY = (panel, scale, y) =>
  scale.centre + (panel.y + panel.h / 2 - y) / scale.perUnit;
export const xOf = (panel, t) => panel.x + ((t - panel.t0) / (panel.t1 - panel.t0)) * panel.w;
export const timeOfX = (panel, x) => panel.t0 + ((x - panel.x) / panel.w) * (panel.t1 - panel.t0);

/** Whether a panel's trace (its data range at draw time) leaves the panel's rows. */
export function overflows(panel) {
  const r = panel.range;
  if (!r || !Number.isFinite(r.lo) || !panel.scale) return false;
  const top = yOf(panel, panel.scale, r.hi);
  return top < panel.y || yOf(panel, panel.scale, r.lo) > panel.y + panel.h;
}

/**
 * The gain factor per channel that fits its trace into its lanes (`room` of their
 * height), for the ECG channels that do not fit; others are left out.
 */
export function fitFactors(panels, room = 0.85) {
  const factors = new Map();
  for (const p of panels) {
    const r = p.range;
    if (p.chan.kind !== "ecg" || !r || !Number.isFinite(r.lo) || !p.scale) continue;
    const px = (r.hi - r.lo) * p.scale.perUnit;
    if (px <= room * p.h) continue;
    const f = (room * p.h) / px;
    factors.set(p.ch, Math.min(f, factors.get(p.ch) ?? 1));
  }
  return factors;
}

/** The panel under a point, or null. */
export function panelAt(panels, x, y) {
  for (const p of panels) if (x >= p.x && x < p.x + p.w && y >= p.y && y < p.y + p.h) return p;
  return null;
}
