// The frame loop: three stacked canvases redrawn only when their layer is dirty, at most
// once per animation frame however many changes arrive.
//   grid    paper; on size, layout or settings changes only
//   traces  signals, annotations, event line; on view, data, filter or gain changes. A
//           view that only slid sideways (a drag) is drawn by shifting the bitmap and
//           drawing the uncovered strip, then in full once it has been still.
//   overlay cursor and calipers; cheap, so pointer moves never redraw the traces
// After each trace pass the waveform element says whether the frame is complete
// (data-state="ready") and which window it shows (data-start, data-end).

import { drawGrid } from "./grid.js";
import { computePanels, createScales, placeInTime } from "./layout.js";
import { dataRange } from "./series.js";
import { shortNumber } from "./state.js";
import { levelFor } from "./tiles.js";
import { drawTraces, heavyStroke } from "./traces.js";

const EVENT_COLOR = "#c62828";
// Past this many device-pixel columns of trace a frame with wide strokes is too slow to
// follow a drag, so moving views are drawn as hairline drafts and redrawn in full once
// they have been still for SETTLE_MS.
const HEAVY_COLUMNS = 4000;
const SETTLE_MS = 140;

function sizeCanvas(canvas, width, height, dpr) {
  const w = Math.max(1, Math.round(width * dpr));
  const h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

function drawEvent(ctx, frame, event) {
  if (event == null) return;
  ctx.save();
  ctx.strokeStyle = EVENT_COLOR;
  ctx.fillStyle = EVENT_COLOR;
  ctx.lineWidth = 1.5;
  ctx.setLineDash([6, 4]);
  let flagged = false;
  for (const p of frame.panels) {
    if (event < p.t0 || event > p.t1) continue;
    const x = p.x + ((event - p.t0) / (p.t1 - p.t0)) * p.w;
    ctx.beginPath();
    ctx.moveTo(x, p.y);
    ctx.lineTo(x, p.y + p.h);
    ctx.stroke();
    if (!flagged) {
      flagged = true;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(x, p.y);
      ctx.lineTo(x + 7, p.y + 4);
      ctx.lineTo(x, p.y + 8);
      ctx.fill();
      ctx.setLineDash([6, 4]);
    }
  }
  ctx.restore();
}

// What the traces bitmap shows, for deciding whether the next frame can reuse it.
function describe(frame, dpr) {
  return {
    dpr,
    width: frame.width,
    height: frame.height,
    panels: frame.panels.map((p) => ({ key: p.key, x: p.x, w: p.w, t0: p.t0, t1: p.t1 })),
    scales: frame.panels.map((p) => [p.scale.perUnit, p.scale.centre]),
  };
}

/**
 * Device pixels the drawn bitmap must move by to show `frame`, or null when it cannot be
 * reused: only one time axis (stacked leads, not the 3×4 page) that slid by a whole number
 * of device pixels, less than its width, with every panel's place and scale unchanged.
 * Redrawing twelve full-width leads took 10-11 ms a frame, most of a 60-Hz frame's budget.
 */
function shiftOf(drawn, frame, dpr) {
  if (!drawn || drawn.dpr !== dpr || !frame.panels.length) return null;
  if (drawn.width !== frame.width || drawn.height !== frame.height) return null;
  if (drawn.panels.length !== frame.panels.length) return null;
  const first = frame.panels[0];
  const span = first.t1 - first.t0;
  const pxPerSec = first.w / span;
  const move = (drawn.panels[0].t0 - first.t0) * pxPerSec * dpr;
  const k = Math.round(move);
  if (Math.abs(move - k) > 0.01 || Math.abs(k) >= first.w * dpr * 0.9) return null;
  for (let i = 0; i < frame.panels.length; i++) {
    const p = frame.panels[i];
    const d = drawn.panels[i];
    if (p.key !== d.key || p.x !== first.x || p.w !== first.w || d.x !== p.x || d.w !== p.w)
      return null;
    if (p.t0 !== first.t0 || Math.abs(d.t1 - d.t0 - span) > span * 1e-9) return null;
    const [perUnit, centre] = drawn.scales[i];
    if (p.scale.perUnit !== perUnit || p.scale.centre !== centre) return null;
  }
  return k;
}

/**
 * `parts`: {store, plot (the waveform element), canvases {grid, traces, overlay}, series,
 * annotations (draw(ctx, frame, state)), overlays ([{draw(ctx, frame, state), idle(state):
 * true when it would draw nothing}]),
 * onFrame(frame), available() -> px of height the rows may use}.
 */
export function createRenderer(parts) {
  const { store, plot, canvases, series, annotations, overlays, onFrame, available } = parts;
  const scales = createScales();
  const dirty = { layout: true, grid: true, traces: true, overlay: true };
  let raf = 0;
  let layout = { panels: [], height: 0 };
  let frame = null;
  let ctx = {};
  // The opening counts as a move: a heavy first view is drafted, then refined.
  let lastMove = performance.now();
  let settleTimer = 0;
  // What the traces bitmap holds, and whether anything but the view changed since.
  let drawn = null;
  let full = true;
  let overlayClear = false;

  let held = true;

  function request() {
    if (!raf && !held) raf = requestAnimationFrame(draw);
  }

  function invalidate(...layers) {
    for (const layer of layers) {
      dirty[layer] = true;
      if (layer === "traces" || layer === "layout") full = true;
    }
    request();
  }

  function settleLater() {
    clearTimeout(settleTimer);
    settleTimer = setTimeout(() => invalidate("traces"), SETTLE_MS);
  }

  /** The strip a shift by `k` device px uncovered, drawn into the moved bitmap. */
  function drawStrip(c, st, k, dpr) {
    const canvas = c.canvas;
    c.save();
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.globalCompositeOperation = "copy";
    c.drawImage(canvas, k, 0);
    c.restore();
    const p0 = frame.panels[0];
    const left = Math.round(p0.x * dpr);
    const right = Math.round((p0.x + p0.w) * dpr);
    // Two device px more than uncovered, so the seam is drawn from complete columns.
    const x0 = k > 0 ? left : Math.max(left, right + k - 2);
    const x1 = k > 0 ? Math.min(right, left + k + 2) : right;
    const cssX0 = x0 / dpr;
    const cssX1 = x1 / dpr;
    c.clearRect(0, 0, left / dpr, frame.height);
    c.clearRect(right / dpr, 0, frame.width - right / dpr, frame.height);
    c.clearRect(cssX0, 0, cssX1 - cssX0, frame.height);
    c.save();
    c.beginPath();
    c.rect(cssX0, 0, cssX1 - cssX0, frame.height);
    c.clip();
    // The traces of the strip alone (their columns are the full frame's: folding keys on
    // absolute device columns), starting a few columns early so the first is complete.
    const pxPerSec = p0.w / (p0.t1 - p0.t0);
    const from = cssX0 - 3 / dpr;
    const strip = frame.panels.map((p) => ({
      ...p,
      x: from,
      w: cssX1 - from,
      t0: p.t0 + (from - p.x) / pxPerSec,
      t1: p.t0 + (cssX1 - p.x) / pxPerSec,
    }));
    drawTraces(c, { ...frame, panels: strip }, st.settings, dpr, false);
    annotations.draw(c, frame, st);
    drawEvent(c, frame, st.event);
    c.restore();
  }

  function buildFrame(st) {
    const panels = layout.panels;
    // Layout is kept across frames; the channel objects (gain, name) are today's.
    const byIndex = new Map(st.channels.map((c) => [c.index, c]));
    for (const p of panels) p.chan = byIndex.get(p.ch);
    placeInTime(panels, st.view, st.record.duration, st.plot.width);
    const span = st.view.end - st.view.start;
    const k = levelFor(span, st.plot.width * st.plot.dpr, st.record.duration);
    const cov = series.coverage(k, st.view.start, st.view.end);
    const perChannel = new Map();
    let unfiltered = false;
    for (const p of panels) {
      if (perChannel.has(p.ch)) continue;
      const s = series.channelPieces(cov, p.ch, st.filters);
      if (!s.filtered && s.pieces.some((x) => x.data && x.data.kind === "minmax"))
        unfiltered = true;
      perChannel.set(p.ch, s);
    }
    for (const p of panels) {
      const range = dataRange(perChannel.get(p.ch).pieces, p.t0, p.t1);
      p.scale = scales.scale(p, st.settings, range);
    }
    return {
      panels,
      width: st.plot.width,
      height: layout.height,
      view: st.view,
      k,
      series: perChannel,
      complete: cov.complete,
      minmax: unfiltered,
    };
  }

  let drawMs = 0;
  let shiftedFrames = 0;

  function draw() {
    raf = 0;
    const st = store.get();
    if (st.plot.width <= 0) return;
    const began = performance.now();
    const dpr = st.plot.dpr;
    if (dirty.layout) {
      layout = computePanels(st, available());
      plot.style.height = `${layout.height}px`;
      ctx = {
        grid: sizeCanvas(canvases.grid, st.plot.width, layout.height, dpr),
        traces: sizeCanvas(canvases.traces, st.plot.width, layout.height, dpr),
        overlay: sizeCanvas(canvases.overlay, st.plot.width, layout.height, dpr),
      };
      scales.reset();
      dirty.grid = dirty.traces = dirty.overlay = true;
    }
    if (dirty.grid) {
      drawGrid(ctx.grid, layout.panels, st, { width: st.plot.width, height: layout.height });
    }
    if (dirty.traces) {
      frame = buildFrame(st);
      const c = ctx.traces;
      const shift = full ? null : shiftOf(drawn, frame, dpr);
      if (shift !== null) {
        if (shift !== 0) drawStrip(c, st, shift, dpr);
        shiftedFrames++;
        settleLater(); // in full once still: a band's label goes back to the left edge
      } else {
        c.clearRect(0, 0, st.plot.width, layout.height);
        let columns = 0;
        for (const p of frame.panels) columns += p.w * dpr;
        const moving = performance.now() - lastMove < SETTLE_MS;
        const draft = moving && columns > HEAVY_COLUMNS && heavyStroke(st.settings, dpr);
        drawTraces(c, frame, st.settings, dpr, draft);
        if (draft) settleLater();
        if (!frame.panels.length) {
          c.fillStyle = "#5b6478";
          c.font = "13px system-ui, sans-serif";
          c.fillText("No channel shown: choose some under Channels, or press 1–9.", 12, 32);
        }
        annotations.draw(c, frame, st);
        drawEvent(c, frame, st.event);
      }
      drawn = describe(frame, dpr);
      full = false;
      plot.dataset.start = shortNumber(st.view.start);
      plot.dataset.end = shortNumber(st.view.end);
      plot.dataset.state = frame.complete ? "ready" : "loading";
      dirty.overlay = true;
      onFrame(frame);
    }
    if (dirty.overlay && frame) {
      // An overlay left clear is not cleared again: each canvas drawn is copied whole to
      // the compositor, ~3.5 ms a frame for a 12-lead plot without a GPU.
      const idle = overlays.every((o) => o.idle && o.idle(st));
      if (!idle || !overlayClear || dirty.layout) {
        ctx.overlay.clearRect(0, 0, st.plot.width, layout.height);
        for (const o of overlays) o.draw(ctx.overlay, frame, st);
      }
      overlayClear = idle;
    }
    dirty.layout = dirty.grid = dirty.traces = dirty.overlay = false;
    drawMs = performance.now() - began;
  }

  return {
    invalidate,
    /** Start drawing (the first frame waits for data, see main.js). */
    release() {
      if (!held) return;
      held = false;
      invalidate();
    },
    /** Say "loading" as soon as the view moves, not one animation frame later. */
    viewMoved() {
      lastMove = performance.now();
      plot.dataset.state = "loading";
      dirty.traces = true; // not invalidate(): a slide alone may reuse the bitmap
      request();
    },
    frame: () => frame,
    /** Milliseconds the last frame took to draw (for benchmarks). */
    lastDrawMs: () => drawMs,
    /** Frames drawn by shifting the last one (for tests and benchmarks). */
    shiftedFrames: () => shiftedFrames,
    canvases,
    drawNow() {
      if (raf) cancelAnimationFrame(raf);
      draw();
    },
    stop() {
      held = true;
      if (raf) cancelAnimationFrame(raf);
      raf = 0;
      clearTimeout(settleTimer);
    },
  };
}
