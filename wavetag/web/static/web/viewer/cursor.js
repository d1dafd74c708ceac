// The cursor: one vertical line through every panel under the pointer, with the time and
// each channel's value there. It is drawn on the overlay canvas, so following the mouse
// never redraws the traces. Its tags keep clear of the caliper labels.

import { mvPerUnit, panelAt, timeOfX } from "./layout.js";
import { valueAt } from "./series.js";
import { formatTime } from "./state.js";

const LINE = "rgba(29, 35, 48, 0.55)";
const TEXT = "#1d2330";

function formatValue(range, chan) {
  const ecg = chan.kind === "ecg";
  const f = ecg ? mvPerUnit(chan.units) : 1;
  const units = ecg ? "mV" : chan.units;
  const lo = range.lo * f;
  const hi = range.hi * f;
  const digits = ecg ? 3 : Math.abs(hi) >= 100 ? 0 : Math.abs(hi) >= 10 ? 1 : 2;
  if (lo === hi) return `${lo.toFixed(digits)} ${units}`;
  return `${lo.toFixed(digits)}…${hi.toFixed(digits)} ${units}`;
}

const TAG_H = 16;
const GAP = 1;

const overlaps = (a, b) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Where a read-out tag of width `w` goes: beside the line at `y` on the preferred side,
 * else on the other side, else the nearest height above or below whatever it would
 * cover (caliper labels, the tags drawn already), so that it never hides one of them.
 */
function place(x, y, w, right, blocked, height) {
  const ys = [y];
  for (const b of blocked) ys.push(b.y + b.h + TAG_H / 2 + GAP, b.y - TAG_H / 2 - GAP);
  const heights = ys
    .filter((c) => c - TAG_H / 2 >= 0 && c + TAG_H / 2 <= height)
    .sort((a, b) => Math.abs(a - y) - Math.abs(b - y));
  for (const cy of heights) {
    for (const side of [right, !right]) {
      const box = { x: side ? x + 4 : x - w - 4, y: cy - TAG_H / 2, w, h: TAG_H };
      if (!blocked.some((b) => overlaps(box, b))) return box;
    }
  }
  return { x: right ? x + 4 : x - w - 4, y: y - TAG_H / 2, w, h: TAG_H };
}

function tag(ctx, text, x, y, right, blocked, height, drawn) {
  const box = place(x, y, ctx.measureText(text).width + 8, right, blocked, height);
  ctx.fillStyle = "rgba(255, 255, 255, 0.88)";
  ctx.fillRect(box.x, box.y, box.w, box.h);
  ctx.fillStyle = TEXT;
  ctx.fillText(text, box.x + 4, box.y + TAG_H / 2 + 0.5);
  drawn.push(box);
  blocked.push(box);
}

/** The cursor layer; `avoid()` gives the boxes (plot px) its read-out keeps clear of. */
export function createCursorLayer(avoid) {
  let boxes = [];
  return {
    draw(ctx, frame, st) {
      boxes = [];
      drawCursor(ctx, frame, st, avoid(), boxes);
    },
    idle: (st) => !st.cursor,
    /** The read-out's boxes as last drawn (plot px). */
    boxes: () => boxes,
  };
}

function drawCursor(ctx, frame, st, avoid, drawn) {
  const cursor = st.cursor;
  if (!cursor || !frame.panels.length) return;
  const { x, y } = cursor;
  const under = panelAt(frame.panels, x, y);
  const blocked = [...avoid];
  ctx.save();
  ctx.strokeStyle = LINE;
  ctx.lineWidth = 1;
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  ctx.beginPath();
  ctx.moveTo(Math.round(x) + 0.5, 0);
  ctx.lineTo(Math.round(x) + 0.5, frame.height);
  ctx.stroke();
  for (const p of frame.panels) {
    if (x < p.x || x >= p.x + p.w) continue;
    const t = timeOfX(p, x);
    const right = x < p.x + p.w - 110;
    const s = frame.series.get(p.ch);
    const v = s && valueAt(s.pieces, t);
    if (v) tag(ctx, formatValue(v, p.chan), x, p.y + 11, right, blocked, frame.height, drawn);
    if (p === under) tag(ctx, formatTime(t), x, p.y + 29, right, blocked, frame.height, drawn);
  }
  ctx.restore();
}

/** The time under the pointer, for the status line (null when off the plot). */
export function cursorTime(frame, cursor) {
  if (!cursor || !frame) return null;
  const p = panelAt(frame.panels, cursor.x, cursor.y);
  return p ? timeOfX(p, cursor.x) : null;
}
