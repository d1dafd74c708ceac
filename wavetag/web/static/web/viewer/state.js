// The viewer's one store: every piece of viewer state lives in the object it holds,
// and modules react to changes through subscribe() instead of sharing variables.
// View arithmetic (zoom, pan, limits) lives here too, as pure functions over that state.

export const NOMINAL_PX_PER_MM = 96 / 25.4;
export const MIN_SPAN = 0.25; // s: a few beats of QRS detail at most zoom

/**
 * A minimal observable store. Listeners get (state, changedKeys). Every key is declared in
 * the initial state: setting another one is reported as an error (the browser tests fail
 * on any), as a key that no one declared is one that no reader of initialState knows of.
 */
export function createStore(initial) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      const changed = [];
      for (const key of Object.keys(patch)) {
        if (!(key in initial)) console.error(`viewer store: undeclared key "${key}"`);
        if (patch[key] !== state[key]) changed.push(key);
      }
      if (changed.length === 0) return;
      state = { ...state, ...patch };
      for (const fn of listeners) fn(state, changed);
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

export function pxPerMm(settings) {
  return settings.px_per_mm > 0 ? settings.px_per_mm : NOMINAL_PX_PER_MM;
}

function shownByDefault(channels, names) {
  const wanted = new Set((names || []).map((n) => n.toLowerCase()));
  const any = channels.some((c) => wanted.has(c.name.toLowerCase()));
  // A saved list that matches nothing here would leave an empty viewer: show all instead.
  return channels.map((c) => !any || wanted.has(c.name.toLowerCase()));
}

/** The state a viewer starts from, before the plot has been measured. */
export function initialState(config) {
  const record = config.record;
  const settings = { ...config.settings };
  const shown = shownByDefault(record.channels, settings.channels_shown);
  // A given window (a task's) wins over the user's seconds around the event.
  const eventView = config.window
    ? { start: config.window.start, end: config.window.end }
    : config.event == null
      ? null
      : { start: config.event - settings.event_before, end: config.event + settings.event_after };
  return {
    record,
    api: config.api || "/api/v1",
    event: config.event ?? null,
    eventView,
    settings,
    view: { start: 0, end: Math.min(10, record.duration) },
    plot: { width: 0, height: 0, dpr: 1 },
    channels: record.channels.map((c, i) => ({ ...c, shown: shown[i], gain: 1 })),
    layout: "stack",
    gridOn: settings.grid,
    filters: { on: false, highpass: true, notch: 50, lowpass: true },
    // Reference and human sets are what a reader wants to see; machine sets (detector
    // output) would clutter the trace, so they start hidden.
    sets: record.annotation_sets.map((s) => ({ ...s, shown: s.origin !== "machine" })),
    calipers: [],
    caliperMode: false,
    cursor: null,
    dragging: false,
    message: "",
    // The beat editor (beat-editor.js, beat-store.js), declared here even on pages
    // without it: the set being edited {id, name} and its rows as shown; the selected
    // rows' ids; the code new beats get; edits not yet answered by the server and the
    // save status ("" | "saving" | "saved" | "error: ...").
    editOn: false,
    editSet: null,
    editRows: [],
    selection: [],
    editCode: "N",
    editPending: 0,
    editStatus: "",
  };
}

/**
 * Where the view may go: the record, stretched to the event window when that overflows,
 * and to one page at the paper speed, so a record shorter than the plot still opens at
 * a true 25 mm/s (with blank paper after its end) rather than stretched to fit.
 */
export function viewLimits(state) {
  let lo = 0;
  let hi = Math.max(state.record.duration, calibratedSpan(state, state.settings.paper_speed));
  if (state.eventView) {
    lo = Math.min(lo, state.eventView.start);
    hi = Math.max(hi, state.eventView.end);
  }
  return { lo, hi };
}

export function clampView(state, start, end) {
  const { lo, hi } = viewLimits(state);
  let span = Math.min(Math.max(end - start, MIN_SPAN), hi - lo);
  if (!(span > 0)) span = hi - lo;
  let s = start + (end - start - span) / 2;
  if (s < lo) s = lo;
  if (s + span > hi) s = hi - span;
  return { start: s, end: s + span };
}

/** Seconds shown across the plot at a paper speed (mm/s). */
export function calibratedSpan(state, speed) {
  const width = state.plot.width || 800;
  return width / (speed * pxPerMm(state.settings));
}

/** The paper speed (mm/s) the current view amounts to. */
export function currentSpeed(state) {
  const span = state.view.end - state.view.start;
  return state.plot.width / (span * pxPerMm(state.settings));
}

/** The view a viewer opens on: the event window, or the record's start at paper speed. */
export function openingView(state) {
  if (state.eventView) return clampView(state, state.eventView.start, state.eventView.end);
  return clampView(state, 0, calibratedSpan(state, state.settings.paper_speed));
}

export function zoomView(state, factor, anchor) {
  const { start, end } = state.view;
  const at = anchor ?? (start + end) / 2;
  return clampView(state, at - (at - start) / factor, at + (end - at) / factor);
}

export function panView(state, seconds) {
  const { start, end } = state.view;
  return clampView(state, start + seconds, end + seconds);
}

export function speedView(state, speed) {
  const { start, end } = state.view;
  const mid = (start + end) / 2;
  const span = calibratedSpan(state, speed);
  return clampView(state, mid - span / 2, mid + span / 2);
}

/** Update one channel (by record index) without touching the others. */
export function withChannel(state, index, patch) {
  return state.channels.map((c) => (c.index === index ? { ...c, ...patch } : c));
}

/** Seconds as h:mm:ss.mmm (or m:ss.mmm under an hour) for read-outs. */
export function formatTime(t, digits = 3) {
  const sign = t < 0 ? "-" : "";
  let rest = Math.abs(t);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = (rest - m * 60).toFixed(digits).padStart(digits ? digits + 3 : 2, "0");
  return h ? `${sign}${h}:${String(m).padStart(2, "0")}:${s}` : `${sign}${m}:${s}`;
}

/** Short decimal for attributes and file names: no float noise, no trailing zeros. */
export function shortNumber(x, digits = 3) {
  return String(Number(x.toFixed(digits)));
}
