// Fiducial points of the selected beat: P on/off, QRS on/off, T peak/end. They are drawn
// as handles in a band near the bottom of the beat panel (away from the beat markers at
// the top, so a QRS onset 40 ms before its R peak can still be grabbed); a point not
// yet set shows as a faint handle at a typical place, and dragging it sets it.

import { fiducialKind, FIDUCIALS } from "./beat-store.js";
import { xOf } from "./layout.js";

// Typical offsets from the R peak (s), for points not yet set.
const TYPICAL = {
  P_on: -0.2,
  P_off: -0.1,
  QRS_on: -0.045,
  QRS_off: 0.045,
  T_peak: 0.25,
  T_end: 0.36,
};
const SHORT = { P_on: "P(", P_off: "P)", QRS_on: "Q(", QRS_off: "Q)", T_peak: "T", T_end: "T)" };
const COLOR = "#00796b";
const HIT_PX = 6;

/** The band where handles live, in plot pixels. */
export function fiducialBand(panel) {
  const y1 = panel.y + panel.h - 30;
  return { y0: y1 - 22, y1 };
}

/** Handles {kind, time, set (a point exists), x} of a beat's fiducial points. */
export function fiducialHandles(rows, beat, panel) {
  const have = new Map();
  for (const r of rows) if (r.beat === beat.id) have.set(fiducialKind(r), r);
  return Object.keys(FIDUCIALS).map((kind) => {
    const row = have.get(kind);
    const time = row ? row.time : beat.time + TYPICAL[kind];
    return { kind, time, set: Boolean(row), x: panel ? xOf(panel, time) : null };
  });
}

export function hitFiducial(handles, panel, x, y) {
  const band = fiducialBand(panel);
  if (y < band.y0 - 4 || y > band.y1 + 4) return null;
  let best = null;
  for (const hdl of handles) {
    const d = Math.abs(hdl.x - x);
    if (d <= HIT_PX && (!best || d < Math.abs(best.x - x))) best = hdl;
  }
  return best;
}

export function drawFiducials(ctx, panel, handles, dragging) {
  const band = fiducialBand(panel);
  ctx.save();
  ctx.font = "600 9px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const hdl of handles) {
    const time = dragging && dragging.kind === hdl.kind ? dragging.time : hdl.time;
    const x = xOf(panel, time);
    if (x < panel.x || x > panel.x + panel.w) continue;
    ctx.globalAlpha = hdl.set || (dragging && dragging.kind === hdl.kind) ? 1 : 0.35;
    ctx.strokeStyle = COLOR;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x + 0.5, panel.y);
    ctx.lineTo(x + 0.5, band.y0);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = COLOR;
    ctx.fillRect(x - 6, band.y0, 12, band.y1 - band.y0);
    ctx.fillStyle = "#fff";
    ctx.fillText(SHORT[hdl.kind], x, (band.y0 + band.y1) / 2);
  }
  ctx.restore();
}
