// Fiducial points of the selected beat: P on/off, QRS on/off, T peak/end. They are drawn
// as handles in their band near the bottom of the beat panel (bands.js), one row per kind;
// a point not yet set shows as a faint handle at a typical place, and dragging it sets it.

import { fiducialBand, HANDLE_ROW as ROW } from "./bands.js";
import { fiducialKind } from "./beat-store.js";
import { xOf } from "./layout.js";
import { vocabulary } from "./vocabulary.js";

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
const HIT_PX = 10; // half a handle's width, and a pixel

function rowTop(panel, kind) {
  const kinds = vocabulary().fiducialKinds;
  return fiducialBand(panel, kinds.length).y0 + ROW * kinds.indexOf(kind);
}

/** Handles {kind, time, set (a point exists), x, y (centre)} of a beat's fiducial points. */
export function fiducialHandles(rows, beat, panel) {
  const have = new Map();
  for (const r of rows) if (r.beat === beat.id) have.set(fiducialKind(r), r);
  return vocabulary().fiducialKinds.map((kind) => {
    const row = have.get(kind);
    const time = row ? row.time : beat.time + TYPICAL[kind];
    const x = panel ? xOf(panel, time) : null;
    const y = panel ? rowTop(panel, kind) + ROW / 2 : null;
    return { kind, time, set: Boolean(row), x, y };
  });
}

export function hitFiducial(handles, panel, x, y) {
  let best = null;
  for (const hdl of handles) {
    const d = Math.abs(hdl.x - x);
    if (Math.abs(hdl.y - y) > ROW / 2 + 1 || d > HIT_PX) continue;
    if (!best || d < Math.abs(best.x - x)) best = hdl;
  }
  return best;
}

export function drawFiducials(ctx, panel, handles, dragging) {
  ctx.save();
  ctx.font = "600 9px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const hdl of handles) {
    const active = dragging && dragging.kind === hdl.kind;
    const x = xOf(panel, active ? dragging.time : hdl.time);
    if (x < panel.x || x > panel.x + panel.w) continue;
    const top = rowTop(panel, hdl.kind);
    ctx.globalAlpha = hdl.set || active ? 1 : 0.4;
    ctx.strokeStyle = COLOR;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x + 0.5, panel.y);
    ctx.lineTo(x + 0.5, top);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = COLOR;
    ctx.fillRect(x - 9, top, 18, ROW - 1);
    ctx.fillStyle = "#fff";
    ctx.fillText(SHORT[hdl.kind], x, top + ROW / 2);
  }
  ctx.restore();
}
