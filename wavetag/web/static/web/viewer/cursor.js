// The cursor: one vertical line through every panel under the pointer, with the time and
// each channel's value there. It is drawn on the overlay canvas, so following the mouse
// never redraws the traces.

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

function tag(ctx, text, x, y, right) {
  const w = ctx.measureText(text).width + 8;
  const left = right ? x + 4 : x - w - 4;
  ctx.fillStyle = "rgba(255, 255, 255, 0.88)";
  ctx.fillRect(left, y - 8, w, 16);
  ctx.fillStyle = TEXT;
  ctx.fillText(text, left + 4, y + 0.5);
}

export function drawCursor(ctx, frame, st) {
  const cursor = st.cursor;
  if (!cursor || !frame.panels.length) return;
  const { x, y } = cursor;
  const under = panelAt(frame.panels, x, y);
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
    if (v) tag(ctx, formatValue(v, p.chan), x, p.y + 11, right);
    if (p === under) tag(ctx, formatTime(t), x, p.y + 29, right);
  }
  ctx.restore();
}

/** The time under the pointer, for the status line (null when off the plot). */
export function cursorTime(frame, cursor) {
  if (!cursor || !frame) return null;
  const p = panelAt(frame.panels, cursor.x, cursor.y);
  return p ? timeOfX(p, cursor.x) : null;
}
