// The paper: 1 mm and 5 mm lines behind ECG panels, at the screen's px/mm so that
// 25 mm/s and 10 mm/mV are true to a ruler. It is drawn on its own canvas and only
// redrawn when the layout, the settings or the size change, never on a pan: the paper
// is fixed to the screen and the trace moves over it, as on a monitor.

import { pxPerMm } from "./state.js";

const OTHER_LINE = "rgba(90, 100, 120, 0.13)";
const SEPARATOR = "rgba(60, 70, 90, 0.28)";

// Lines snapped to device pixels stay one crisp pixel wide.
// A line of an odd number of device pixels is centred on a pixel, an even one on an edge.
function snap(v, dpr, odd = true) {
  return (Math.round(v * dpr) + (odd ? 0.5 : 0)) / dpr;
}

function lines(panel, step, every, dpr, vertical, horizontal, odd = true) {
  const path = new Path2D();
  const x1 = panel.x + panel.w;
  const y1 = panel.y + panel.h;
  if (vertical) {
    for (let i = Math.ceil(panel.x / step); i * step <= x1; i++) {
      if (every && i % every !== 0) continue;
      const x = snap(i * step, dpr, odd);
      path.moveTo(x, panel.y);
      path.lineTo(x, y1);
    }
  }
  if (horizontal) {
    for (let i = Math.ceil(panel.y / step); i * step <= y1; i++) {
      if (every && i % every !== 0) continue;
      const y = snap(i * step, dpr, odd);
      path.moveTo(panel.x, y);
      path.lineTo(x1, y);
    }
  }
  return path;
}

/** Draw the paper for `panels` on a context already scaled to CSS pixels. */
export function drawGrid(ctx, panels, state, size) {
  const { settings, gridOn } = state;
  const dpr = state.plot.dpr;
  const mm = pxPerMm(settings);
  ctx.fillStyle = settings.background;
  ctx.fillRect(0, 0, size.width, size.height);
  ctx.lineWidth = 1 / dpr;
  if (gridOn) {
    // Paper runs across the whole row, also where a 12-lead page stops short of the edge.
    const rows = new Map();
    for (const p of panels) if (!rows.has(p.y)) rows.set(p.y, { ...p, x: 0, w: size.width });
    for (const panel of rows.values()) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(panel.x, panel.y, panel.w, panel.h);
      ctx.clip();
      if (panel.chan.kind === "ecg") {
        if (mm * dpr >= 3) {
          ctx.globalAlpha = 0.45;
          ctx.strokeStyle = settings.grid_color;
          ctx.stroke(lines(panel, mm, 0, dpr, true, true));
        }
        ctx.globalAlpha = 1;
        ctx.strokeStyle = settings.grid_color;
        const thick = dpr >= 1.5;
        ctx.lineWidth = (thick ? 2 : 1) / dpr;
        ctx.stroke(lines(panel, mm, 5, dpr, true, true, !thick));
        ctx.lineWidth = 1 / dpr;
      } else {
        ctx.strokeStyle = OTHER_LINE;
        ctx.stroke(lines(panel, mm * 5, 0, dpr, true, false));
      }
      ctx.restore();
    }
  }
  ctx.strokeStyle = SEPARATOR;
  const edges = new Path2D();
  for (const panel of panels) {
    const bottom = panel.y + panel.h;
    if (bottom < size.height - 1) {
      edges.moveTo(panel.x, snap(bottom, dpr));
      edges.lineTo(panel.x + panel.w, snap(bottom, dpr));
    }
  }
  ctx.lineWidth = 1 / dpr;
  ctx.stroke(edges);
}
