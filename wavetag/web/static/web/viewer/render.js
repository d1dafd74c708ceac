// The frame loop: three stacked canvases (a fourth slides in during drags) redrawn only
// when their layer is dirty, at most once per animation frame however many changes arrive.
//   grid    paper; on size, layout or settings changes only
//   traces  signals, annotations, event line; on view, data, filter or gain changes.
//           While the paper is dragged, a wider canvas drawn once slides instead (slide.js).
//   overlay cursor, calipers, the beat editor's marks; cheap, so pointer moves never
//           redraw the traces
// What the traces and overlay canvases show is the layers added to them (add()), each
// drawn in the order added: a new drawing is a layer of its own module, not an edit here.
// After each trace pass the waveform element says whether the frame is complete
// (data-state="ready") and which window it shows (data-start, data-end).

import { drawGrid } from "./grid.js";
import { computePanels, createScales, placeInTime } from "./layout.js";
import { dataRange } from "./series.js";
import { shortNumber } from "./state.js";
import { levelFor } from "./tiles.js";
import { createSlide, slidable } from "./slide.js";
import { heavyStroke } from "./traces.js";

// Past this many device-pixel columns of trace a frame with wide strokes is too slow to
// follow a drag, so moving views are drawn as hairline drafts and redrawn in full once
// they have been still for SETTLE_MS.
const HEAVY_COLUMNS = 4000;
const SETTLE_MS = 140;
const SLIDE_STEP = 200; // CSS px between two frames of a drag that slides

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

/**
 * `parts`: {store, plot (the waveform element), canvases {grid, traces, overlay, slide},
 * series, onFrame(frame), available() -> px of height the rows may use}.
 *
 * A layer is {draw(ctx, frame, state), idle(state): true when it would draw nothing
 * (optional; the overlay is left alone while all its layers are idle)}. The frame holds
 * panels, lanes (the annotation sets' rows, bands.js), width, height, view, k, series
 * (per channel), complete, minmax, and draft (the traces are drawn as hairlines while
 * the view moves). Layers share the context in turn,
 * without a save/restore between them, as the drawings did before they were layers.
 */
export function createRenderer(parts) {
  const { store, plot, canvases, series, onFrame, available } = parts;
  const layers = { traces: [], overlay: [] };
  const scales = createScales();
  const dirty = { layout: true, grid: true, traces: true, overlay: true };
  let raf = 0;
  let layout = { panels: [], lanes: [], height: 0 };
  let frame = null;
  let ctx = {};
  // The opening counts as a move: a heavy first view is drafted, then refined.
  let lastMove = performance.now();
  let settleTimer = 0;
  // Whether anything but the view changed since the traces were drawn; the last view drawn.
  let full = true;
  let last = null;
  let overlayClear = false; // the overlay was left empty
  const slide = createSlide(canvases.slide);

  // A drag moves a few px a frame; the overview's drag, a pinch or a key may jump: those
  // are drawn in place, as a slide's canvas would have to be drawn anew for each.
  function smallStep(frame) {
    const span = frame.view.end - frame.view.start;
    if (!last || Math.abs(span - last.span) > span * 1e-9) return false; // (rounding)
    const p = frame.panels[0];
    return (Math.abs(p.t0 - last.t0) * p.w) / (p.t1 - p.t0) <= SLIDE_STEP;
  }

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

  function piecesOf(cov, panels, filters) {
    const perChannel = new Map();
    for (const p of panels) {
      if (!perChannel.has(p.ch)) perChannel.set(p.ch, series.channelPieces(cov, p.ch, filters));
    }
    return perChannel;
  }

  /** The traces of `frame` and half a plot on each side, onto the sliding canvas. */
  function drawWide(st, frame, dpr) {
    const { ctx: c, panels, width, span } = slide.begin(frame, dpr);
    const cov = series.coverage(frame.k, Math.max(0, span[0]), span[1]);
    const wide = { ...frame, panels, width, series: piecesOf(cov, panels, st.filters) };
    wide.draft = heavyStroke(st.settings, dpr) && panels.length * width * dpr > HEAVY_COLUMNS;
    for (const layer of layers.traces) layer.draw(c, wide, st);
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
    const perChannel = piecesOf(cov, panels, st.filters);
    let unfiltered = false;
    for (const s of perChannel.values()) {
      if (!s.filtered && s.pieces.some((x) => x.data && x.data.kind === "minmax"))
        unfiltered = true;
    }
    for (const p of panels) {
      const range = dataRange(perChannel.get(p.ch).pieces, p.t0, p.t1);
      p.scale = scales.scale(p, st.settings, range);
      p.range = range; // for the overflow marks and the fit to lanes
    }
    return {
      panels,
      lanes: layout.lanes,
      width: st.plot.width,
      height: layout.height,
      view: st.view,
      k,
      series: perChannel,
      complete: cov.complete,
      minmax: unfiltered,
      draft: false,
    };
  }

  let drawMs = 0;
  let slidFrames = 0;

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
      if (st.dragging && slidable(frame) && smallStep(frame)) {
        // Drawn anew when the moved canvas would not show this view: the first frame of
        // a drag, past its margin, new data, other scales.
        if (full || !slide.covers(frame, dpr)) drawWide(st, frame, dpr);
        else slidFrames++;
        slide.place(frame);
        canvases.traces.hidden = true;
      } else {
        slide.hide();
        canvases.traces.hidden = false;
        c.clearRect(0, 0, st.plot.width, layout.height);
        let columns = 0;
        for (const p of frame.panels) columns += p.w * dpr;
        const moving = performance.now() - lastMove < SETTLE_MS;
        frame.draft = moving && columns > HEAVY_COLUMNS && heavyStroke(st.settings, dpr);
        for (const layer of layers.traces) layer.draw(c, frame, st);
        if (frame.draft) settleLater();
      }
      full = false;
      last = {
        t0: frame.panels.length ? frame.panels[0].t0 : 0,
        span: frame.view.end - frame.view.start,
      };
      plot.dataset.start = shortNumber(st.view.start);
      plot.dataset.end = shortNumber(st.view.end);
      plot.dataset.state = frame.complete ? "ready" : "loading";
      dirty.overlay = true;
      onFrame(frame);
    }
    if (dirty.overlay && frame) {
      // An overlay left clear is not cleared again: each canvas drawn is copied whole to
      // the compositor, ~3.5 ms a frame for a 12-lead plot without a GPU.
      const idle = layers.overlay.every((o) => o.idle && o.idle(st));
      if (!idle || !overlayClear || dirty.layout) {
        ctx.overlay.clearRect(0, 0, st.plot.width, layout.height);
        for (const o of layers.overlay) o.draw(ctx.overlay, frame, st);
      }
      overlayClear = idle;
    }
    dirty.layout = dirty.grid = dirty.traces = dirty.overlay = false;
    drawMs = performance.now() - began;
  }

  return {
    invalidate,
    /** Draw `layer` on `canvas` ("traces" | "overlay"), over those added before; -> remove(). */
    add(canvas, layer) {
      const list = layers[canvas];
      if (!list) throw new Error(`No canvas "${canvas}" takes layers.`);
      list.push(layer);
      invalidate(canvas);
      return () => {
        const i = list.indexOf(layer);
        if (i >= 0) list.splice(i, 1);
        invalidate(canvas);
      };
    },
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
      dirty.traces = true; // not invalidate(): a drag may just slide the wide canvas
      request();
    },
    frame: () => frame,
    /** Milliseconds the last frame took to draw (for benchmarks). */
    lastDrawMs: () => drawMs,
    /** Frames shown by sliding a canvas drawn before, without drawing (for tests, benches). */
    slidFrames: () => slidFrames,
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
