// The beat markers of the set being edited: a line through every panel at each beat and,
// on the beat panel, a box with its WFDB code (selected beats filled). A beat being dragged
// is drawn where the pointer is.

import { markerBand } from "./bands.js";
import { isBeat } from "./beat-store.js";
import { timeOfX, xOf } from "./layout.js";

/** moving: the drag of a beat ({hit, p, x}) or null. */
export function drawBeatMarkers(ctx, frame, bp, rows, sel, moving) {
  ctx.save();
  ctx.font = "700 11px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  const box = markerBand(bp);
  for (const r of rows) {
    if (!isBeat(r) || r.time < bp.t0 || r.time > bp.t1) continue;
    let time = r.time;
    if (moving && moving.hit.id === r.id) time = timeOfX(moving.p, moving.x);
    const on = sel.has(r.id);
    ctx.strokeStyle = on ? "#0d47a1" : "rgba(13, 71, 161, 0.35)";
    for (const p of frame.panels) {
      const x = xOf(p, time);
      ctx.beginPath();
      ctx.moveTo(x + 0.5, p.y);
      ctx.lineTo(x + 0.5, p.y + p.h);
      ctx.stroke();
    }
    const x = xOf(bp, time);
    ctx.fillStyle = on ? "#0d47a1" : "#fff";
    ctx.fillRect(x - 7, box.y0, 14, box.y1 - box.y0);
    ctx.strokeRect(x - 6.5, box.y0 + 0.5, 13, box.y1 - box.y0 - 1);
    ctx.fillStyle = on ? "#fff" : r.symbol === "N" ? "#0d47a1" : "#c62828";
    ctx.fillText(r.symbol, x, box.text);
  }
  ctx.restore();
}
