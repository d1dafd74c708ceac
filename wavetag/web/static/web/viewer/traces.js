// Drawing a channel's pieces into its panel with one path per panel.
//
// Points are folded per device-pixel column: a column holding one point is drawn at
// the point's exact x; a column holding several becomes one vertical stroke from its
// first extreme to the other (in time order for raw samples), which looks the same as
// drawing every sample and costs two points per column whatever the zoom. Nothing is
// allocated per point. A NaN (invalid sample) or a missing piece lifts the pen.

import { indexSpan } from "./series.js";
import { gettext } from "./i18n.js";

function makeColumns(path, dpr) {
  // The column being folded: its index, point count, exact x of its only point, and
  // its extremes with the order in which they came.
  let col = NaN;
  let n = 0;
  let xOnly = 0;
  let lo = 0;
  let hi = 0;
  let loFirst = true;
  let penDown = false;
  let lastY = 0;

  function emit(x, y) {
    if (penDown) path.lineTo(x, y);
    else {
      path.moveTo(x, y);
      penDown = true;
    }
    lastY = y;
  }

  function flush() {
    if (n === 0) return;
    if (n === 1 || lo === hi) emit(n === 1 ? xOnly : (col + 0.5) / dpr, lo);
    else {
      const x = (col + 0.5) / dpr;
      // y grows downwards: "lo" here is the smallest y, the highest value on screen.
      if (loFirst) {
        emit(x, lo);
        emit(x, hi);
      } else {
        emit(x, hi);
        emit(x, lo);
      }
    }
    n = 0;
  }

  return {
    /** Add a point or a vertical extent [ya, yb] (ya first in time) at x. */
    add(x, ya, yb) {
      const c = Math.floor(x * dpr);
      if (c !== col) {
        flush();
        col = c;
      }
      const top = ya < yb ? ya : yb;
      const bottom = ya < yb ? yb : ya;
      if (n === 0) {
        xOnly = x;
        lo = top;
        hi = bottom;
        loFirst = ya <= yb;
      } else {
        if (top < lo) {
          lo = top;
          loFirst = false;
        }
        if (bottom > hi) {
          hi = bottom;
          loFirst = true;
        }
      }
      n += ya === yb ? 1 : 2;
    },
    gap() {
      flush();
      penDown = false;
    },
    flush,
    lastY: () => lastY,
  };
}

// Without a GPU (a virtual desktop, a locked-down workstation) Chromium rasterises a
// stroke wider than one device pixel through Skia's path stroker, 10-20 times the cost of
// a hairline: 150-250 ms for twelve full-width leads, during which no input is handled.
// So a line of 1-1.5 device px is drawn as one hairline, and one up to 2.5 px as two
// hairlines 0.7 px apart diagonally (thickening steep and flat segments alike). Thinner
// lines Skia already draws as (fainter) hairlines, and wider ones are stroked for real.
const HAIRLINE_MAX = 1.5;
const DOUBLE_MAX = 2.5;
const HAIRLINE = [[0, 0]];
const DOUBLE = [
  [-0.35, -0.35],
  [0.35, 0.35],
];

/** Offsets (device px) of the hairline passes for a line width, or null: a real stroke. */
export function hairlinePasses(lineWidth, dpr) {
  const device = lineWidth * dpr;
  if (device <= 1) return null;
  if (device <= HAIRLINE_MAX) return HAIRLINE;
  return device <= DOUBLE_MAX ? DOUBLE : null;
}

/** Whether drawing at full width costs more than one hairline (so drafts are worth it). */
export function heavyStroke(settings, dpr) {
  const passes = hairlinePasses(settings.line_width, dpr);
  return passes ? passes.length > 1 : settings.line_width * dpr > 1;
}

/**
 * Raw samples j0..j1 into the column folder, reduced first to each device column's
 * extremes in a tight loop of comparisons: at 25 mm/s a 1000-Hz lead has ten samples a
 * column, and one folder call each made the first (not yet optimised) draw ~10 % longer.
 */
function addRaw(cols, v, j0, j1, xBase, stepPx, yOf, dpr) {
  let j = j0;
  while (j < j1) {
    const first = v[j];
    if (first !== first) {
      cols.gap();
      j++;
      continue;
    }
    // The first sample of the next device column (the folder still keys on exact x, so
    // a rounding slip at a boundary only moves which column a sample is folded into).
    const nextColumn = Math.floor((xBase + j * stepPx) * dpr) + 1;
    const end = Math.min(j1, Math.max(j + 1, Math.ceil((nextColumn / dpr - xBase) / stepPx)));
    let lo = first;
    let hi = first;
    let jLo = j;
    let jHi = j;
    let m = j + 1;
    for (; m < end; m++) {
      const u = v[m];
      if (u !== u) break;
      if (u < lo) {
        lo = u;
        jLo = m;
      } else if (u > hi) {
        hi = u;
        jHi = m;
      }
    }
    const a = jLo < jHi ? jLo : jHi;
    const b = jLo < jHi ? jHi : jLo;
    const ya = yOf(v[a]);
    cols.add(xBase + a * stepPx, ya, ya);
    if (b !== a) {
      const yb = yOf(v[b]);
      cols.add(xBase + b * stepPx, yb, yb);
    }
    j = m;
  }
}

/**
 * The path of one channel in one panel, into `path` (a Path2D). `pieces` come from
 * series.channelPieces; `scale` is {perUnit, centre} (px per unit, value at mid-height).
 */
export function traceChannel(path, panel, pieces, scale, dpr) {
  const pxPerSec = panel.w / (panel.t1 - panel.t0);
  const mid = panel.y + panel.h / 2;
  const k = scale.perUnit;
  const c0 = scale.centre;
  const cols = makeColumns(path, dpr);
  for (const piece of pieces) {
    const d = piece.data;
    if (!d || d.count === 0) {
      cols.gap();
      continue;
    }
    // One sample beyond each edge, so the line reaches the panel's borders.
    const from = Math.max(piece.from, panel.t0 - d.step);
    const to = Math.min(piece.to, panel.t1 + d.step);
    if (to <= from) continue;
    const [j0, j1] = indexSpan(d, from, to);
    const xBase = panel.x + (d.t0 - panel.t0) * pxPerSec;
    if (d.kind === "raw") {
      addRaw(cols, d.values, j0, j1, xBase, d.step * pxPerSec, (u) => mid - (u - c0) * k, dpr);
    } else {
      const lo = d.min;
      const hi = d.max;
      const half = d.step * pxPerSec * 0.5;
      for (let j = j0; j < j1; j++) {
        const a = lo[j];
        if (a !== a) {
          cols.gap();
          continue;
        }
        const ya = mid - (a - c0) * k;
        const yb = mid - (hi[j] - c0) * k;
        // Join from whichever extreme is nearer the pen, so the envelope has no zigzag.
        const x = xBase + j * d.step * pxPerSec + half;
        if (Math.abs(cols.lastY() - ya) <= Math.abs(cols.lastY() - yb)) cols.add(x, ya, yb);
        else cols.add(x, yb, ya);
      }
    }
  }
  cols.flush();
}

/**
 * Stroke every panel. Each is clipped to its own columns but not its rows: as on paper,
 * a tall QRS may reach into the lead above rather than be cut off.
 */
export function drawTraces(ctx, frame, settings, dpr, draft = false) {
  // A draft (while the view moves) is one hairline whatever the width.
  const passes = draft ? HAIRLINE : hairlinePasses(settings.line_width, dpr);
  ctx.lineWidth = passes ? 1 / dpr : settings.line_width;
  ctx.lineJoin = "round";
  ctx.lineCap = "round";
  ctx.strokeStyle = settings.trace_color;
  for (const panel of frame.panels) {
    const series = frame.series.get(panel.ch);
    if (!series) continue;
    const path = new Path2D();
    traceChannel(path, panel, series.pieces, panel.scale, dpr);
    ctx.save();
    ctx.beginPath();
    ctx.rect(panel.x, 0, panel.w, frame.height);
    ctx.clip();
    if (!passes) ctx.stroke(path);
    else {
      for (const [dx, dy] of passes) {
        ctx.translate(dx / dpr, dy / dpr);
        ctx.stroke(path);
        ctx.translate(-dx / dpr, -dy / dpr);
      }
    }
    ctx.restore();
  }
  // Lead-change marks of a printed 12-lead page, between its columns.
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (const panel of frame.panels) {
    if (panel.col === 0) continue;
    ctx.moveTo(panel.x, panel.y + panel.h * 0.35);
    ctx.lineTo(panel.x, panel.y + panel.h * 0.65);
  }
  ctx.stroke();
}

/** The signals as the traces canvas's first layer (render.js), or why there are none. */
export const signalLayer = {
  draw(ctx, frame, st) {
    drawTraces(ctx, frame, st.settings, st.plot.dpr, frame.draft);
    if (!frame.panels.length) {
      ctx.fillStyle = "#5b6478";
      ctx.font = "13px system-ui, sans-serif";
      ctx.fillText(gettext("No channel shown: choose some under Channels, or press 1–9."), 12, 32);
    }
  },
};
