// Imported annotation sets on the trace: beat symbols at their times and rhythm episodes
// ("(AFIB" aux notes) as bands until the next rhythm change.
//
// Beats are fetched per chunk of a power-of-two span around the view and cached, and
// only drawn when the view is short enough to tell beats apart. Rhythm changes are few,
// so each set's are fetched once (aux_only), which tells the rhythm in effect anywhere,
// even at hour 20 of a Holter whose last change was at hour 3.

import { getJson, isAbort, query } from "./api.js";
import { beatPanel, laneBands } from "./bands.js";
import { vocabulary } from "./vocabulary.js";
import { gettext, interpolate } from "./i18n.js";

const BEATS_MAX_SPAN = 600; // s; beyond this only rhythm bands are drawn
const MIN_CHUNK = 16;
const MAX_CHUNKS = 256; // oldest chunks are dropped past this (a day of browsing)
// Okabe-Ito hues (blue, vermillion, bluish green, reddish purple, black), darkened to 4.5:1 on
// white; every pair, and each against the abnormal-beat red and the note grey below, stays
// apart under simulated protanopia and deuteranopia (tests/test_colours.py).
const SET_COLORS = ["#0072b2", "#c05000", "#00795a", "#8e3a8e", "#3a3a3a"];
/** The colour of the set at `index` among a record's sets. */
export const setColor = (index) => SET_COLORS[index % SET_COLORS.length];
// `label` is an aux note without its "(" (the band shows "AFIB"); the vocabulary's keys
// keep it ("(AFIB").
function rhythmColor(label) {
  const known = vocabulary().rhythmColors[`(${label}`];
  if (known) return known;
  let h = 0;
  for (const ch of label) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h}, 55%, 45%)`;
}

export function createAnnotations(store, onChange) {
  const chunks = new Map(); // `${set}|${C}|${j}` -> items | "pending"
  const rhythms = new Map(); // set -> [{time, label}] | "pending"
  const controllers = new Set();
  let chunkSpan = MIN_CHUNK;
  let enabled = false;

  function base(st, params) {
    return `${st.api}/records/${st.record.id}/annotations?${query(params)}`;
  }

  async function load(map, key, url) {
    map.set(key, "pending");
    const controller = new AbortController();
    controllers.add(controller);
    try {
      const body = await getJson(url, controller.signal);
      map.set(key, body.items);
      for (const old of map.keys()) {
        if (map.size <= MAX_CHUNKS) break;
        if (old !== key) map.delete(old);
      }
      onChange();
    } catch (error) {
      map.delete(key);
      if (!isAbort(error)) {
        store.set({
          message: interpolate(gettext("Annotations: %(error)s"), { error: error.message }),
        });
      }
    } finally {
      controllers.delete(controller);
    }
  }

  function rhythmOf(items) {
    const out = [];
    for (const a of items) {
      if (a.aux_note && a.aux_note.startsWith("(")) {
        out.push({ time: a.time, label: a.aux_note.slice(1).replace(/\0/g, "").trim() });
      }
    }
    return out;
  }

  function update() {
    const st = store.get();
    if (st.dragging || !enabled) return;
    const { start, end } = st.view;
    const span = end - start;
    for (const set of st.sets) {
      if (!set.shown || set.count === 0) continue;
      if (!rhythms.has(set.name)) {
        load(rhythms, set.name, base(st, { set: set.name, aux_only: "true" }));
      }
      if (span > BEATS_MAX_SPAN) continue;
      chunkSpan = Math.max(MIN_CHUNK, 2 ** Math.ceil(Math.log2(span)));
      const j0 = Math.max(0, Math.floor((start - span / 2) / chunkSpan));
      const j1 = Math.floor(Math.min(end + span / 2, st.record.duration) / chunkSpan);
      for (let j = j0; j <= j1; j++) {
        const key = `${set.name}|${chunkSpan}|${j}`;
        if (chunks.has(key)) continue;
        const params = { set: set.name, start: j * chunkSpan, end: (j + 1) * chunkSpan };
        load(chunks, key, base(st, params));
      }
    }
  }

  store.subscribe((st, changed) => {
    if (changed.includes("view") || changed.includes("sets") || changed.includes("dragging")) {
      update();
    }
  });

  // The lanes take the beat panel's time axis: on a 12-lead page the rhythm strip's.
  // `room`: px at the plot's left under the lane's name, where a label would be hidden.
  function drawBands(ctx, panel, list, lane, end, room) {
    const pxPerSec = panel.w / (panel.t1 - panel.t0);
    const band = laneBands(lane).rhythm;
    ctx.font = "600 9px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    for (let i = 0; i < list.length; i++) {
      const t0 = list[i].time;
      const t1 = i + 1 < list.length ? list[i + 1].time : end;
      if (t1 < panel.t0 || t0 > panel.t1) continue;
      const x0 = panel.x + Math.max(0, (t0 - panel.t0) * pxPerSec);
      const x1 = panel.x + Math.min(panel.w, (t1 - panel.t0) * pxPerSec);
      const color = rhythmColor(list[i].label);
      ctx.globalAlpha = 0.2;
      ctx.fillStyle = color;
      ctx.fillRect(x0, band.y0, x1 - x0, band.y1 - band.y0);
      ctx.globalAlpha = 1;
      const x = Math.max(x0 + 4, room);
      if (x1 - x > 20) {
        ctx.fillStyle = color;
        ctx.fillText(list[i].label, x, band.text);
      }
    }
  }

  function drawBeats(ctx, panel, lane) {
    const { set, color } = lane;
    const pxPerSec = panel.w / (panel.t1 - panel.t0);
    const y = laneBands(lane).beats.text;
    const { beatSymbols, normalBeats, rhythmChange } = vocabulary();
    const dense = (panel.t1 - panel.t0) * 2 > panel.w / 8; // more than a beat per ~8 px: ticks only
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const first = Math.max(0, Math.floor((panel.t0 - 1) / chunkSpan));
    const last = Math.floor(panel.t1 / chunkSpan);
    for (let j = first; j <= last; j++) {
      const items = chunks.get(`${set.name}|${chunkSpan}|${j}`);
      if (!Array.isArray(items)) continue;
      for (const a of items) {
        if (a.time < panel.t0 || a.time > panel.t1) continue;
        if (a.symbol === rhythmChange && a.aux_note.startsWith("(")) continue; // a band
        const x = panel.x + (a.time - panel.t0) * pxPerSec;
        const beat = beatSymbols.has(a.symbol);
        if (dense) {
          ctx.fillStyle = color;
          ctx.fillRect(x - 0.5, y - 4, 1, 8);
          continue;
        }
        // A beat of abnormal conduction stands out (bold, red); normal ones take the set's colour.
        const odd = beat && !normalBeats.has(a.symbol);
        ctx.font = `${odd ? "700" : "500"} 11px system-ui, sans-serif`;
        ctx.fillStyle = odd ? "#c62828" : beat ? color : "#5b6478";
        const text = beat ? a.symbol : (a.symbol + (a.aux_note ? ` ${a.aux_note}` : "")).trim();
        ctx.fillText(text, x, y);
      }
    }
    ctx.textAlign = "start";
  }

  // The width of the lane's name (set-lanes.js, viewer.css: 11px semibold, a swatch and
  // padding, at most 12rem, 4.5rem on a phone), so the rhythm in effect at the view's
  // start is written after it rather than under it.
  function nameRoom(ctx, set, width) {
    ctx.font = "600 11px system-ui, sans-serif";
    const text = ctx.measureText(set.label || set.name).width + 26;
    return Math.min(text, width <= 640 ? 72 : 192);
  }

  /** Draw the shown sets into their lanes of the frame (traces canvas). */
  function draw(ctx, frame, st) {
    const lanes = frame.lanes || [];
    if (!lanes.length || !frame.panels.length) return;
    const panel = beatPanel(frame);
    const beats = st.view.end - st.view.start <= BEATS_MAX_SPAN;
    ctx.save();
    // A hairline over each lane parts the rows, which share the page's background.
    ctx.strokeStyle = "#d5d9e0";
    ctx.lineWidth = 1;
    for (const lane of lanes) {
      ctx.beginPath();
      ctx.moveTo(0, lane.y0 + 0.5);
      ctx.lineTo(frame.width, lane.y0 + 0.5);
      ctx.stroke();
      const list = rhythms.get(lane.set.name);
      const bands = Array.isArray(list) ? rhythmOf(list) : [];
      if (bands.length) {
        const room = nameRoom(ctx, lane.set, frame.width);
        drawBands(ctx, panel, bands, lane, st.record.duration, room);
      }
      if (beats) drawBeats(ctx, panel, lane);
    }
    ctx.restore();
  }

  return {
    draw,
    /** Start fetching (held back until the first view is drawn: it comes first). */
    enable() {
      enabled = true;
      update();
    },
    colorOf: setColor,
    abort: () => controllers.forEach((c) => c.abort()),
  };
}
