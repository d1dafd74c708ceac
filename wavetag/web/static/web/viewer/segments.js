// Rhythm segments of the working set: a band under the beat markers (bands.js), one
// stretch per segment. The labels a segment can take are the vocabulary's (vocabulary.js).

import { segmentBand } from "./bands.js";
import { isSegment } from "./beat-store.js";
import { xOf } from "./layout.js";
import { vocabulary } from "./vocabulary.js";

const OTHER_COLOR = "#6a1b9a"; // a label the vocabulary gives no colour
const colorOf = (label) => vocabulary().rhythmColors[label] || OTHER_COLOR;

export function segmentsIn(rows, panel) {
  return rows
    .filter((r) => isSegment(r) && r.time < panel.t1 && r.time + r.duration > panel.t0)
    .map((r) => ({
      row: r,
      x0: Math.max(panel.x, xOf(panel, r.time)),
      x1: Math.min(panel.x + panel.w, xOf(panel, r.time + r.duration)),
    }));
}

export function hitSegment(rows, panel, x, y) {
  const band = segmentBand(panel);
  if (y < band.y0 || y > band.y1) return null;
  const hit = segmentsIn(rows, panel).find((s) => x >= s.x0 && x <= s.x1);
  return hit ? hit.row : null;
}

const EDGE_PX = 5;

/** {row, edge: "start" | "end", other: the fixed edge's time} for a pointer on an edge. */
export function hitSegmentEdge(rows, panel, x, y) {
  const band = segmentBand(panel);
  if (y < band.y0 - 4 || y > band.y1 + 4) return null;
  for (const r of rows.filter(isSegment)) {
    const end = r.time + r.duration;
    if (Math.abs(xOf(panel, r.time) - x) <= EDGE_PX) return { row: r, edge: "start", other: end };
    if (Math.abs(xOf(panel, end) - x) <= EDGE_PX) return { row: r, edge: "end", other: r.time };
  }
  return null;
}

export function drawSegments(ctx, panel, rows, selected, draft) {
  const band = segmentBand(panel);
  ctx.save();
  ctx.font = "600 10px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  for (const s of segmentsIn(rows, panel)) {
    const color = colorOf(s.row.aux_note);
    ctx.globalAlpha = selected.has(s.row.id) ? 0.6 : 0.3;
    ctx.fillStyle = color;
    ctx.fillRect(s.x0, band.y0, s.x1 - s.x0, band.y1 - band.y0);
    ctx.globalAlpha = 1;
    if (selected.has(s.row.id)) {
      ctx.strokeStyle = "#0d47a1";
      ctx.strokeRect(s.x0 + 0.5, band.y0 + 0.5, s.x1 - s.x0 - 1, band.y1 - band.y0 - 1);
    }
    ctx.fillStyle = "#1b1f29";
    if (s.x1 - s.x0 > 30) ctx.fillText(s.row.aux_note, s.x0 + 4, (band.y0 + band.y1) / 2);
  }
  if (draft) {
    ctx.globalAlpha = 0.35;
    ctx.fillStyle = "#0d47a1";
    const a = Math.min(draft.x0, draft.x1);
    ctx.fillRect(a, band.y0, Math.abs(draft.x1 - draft.x0), band.y1 - band.y0);
  }
  ctx.restore();
}
