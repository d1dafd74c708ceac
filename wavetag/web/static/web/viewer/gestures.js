// Pointer gestures on the plot, for mouse, pen and touch alike (pointer events):
//   drag / swipe      pan              wheel (vertical)   zoom about the pointer
//   two fingers       pinch zoom + pan  wheel (horizontal) pan
//   on a caliper      move or resize it; in caliper mode a drag draws a new one
//   hover / tap       cursor read-out
// The plot has touch-action: pan-y, so a vertical swipe still scrolls the page.
// While a gesture runs the store says dragging=true, which holds back fetching.

import { panelAt, timeOfX } from "./layout.js";
import { clampView, zoomView } from "./state.js";

const WHEEL_IDLE_MS = 160;
const TAP_SLOP = 4; // px a tap may wander and stay a tap

export function attachGestures({ store, plot, renderer, calipers }) {
  const pointers = new Map();
  let mode = null;
  let pan = null;
  let pinch = null;
  let wheelTimer = 0;

  const local = (e) => {
    const r = plot.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const secondsPerPx = (st, view = st.view) => (view.end - view.start) / st.plot.width;

  function timeAtX(st, x, y) {
    const frame = renderer.frame();
    const p = frame && panelAt(frame.panels, x, y);
    return p ? timeOfX(p, x) : st.view.start + x * secondsPerPx(st);
  }

  function hoverCursor(p, e) {
    const hit = calipers.hitTest(p.x, p.y, false);
    let cursor = store.get().caliperMode ? "crosshair" : "grab";
    if (hit)
      cursor = hit.part === "move" ? "move" : hit.part === "remove" ? "pointer" : "ew-resize";
    plot.style.cursor = cursor;
    if (e.pointerType === "mouse") store.set({ cursor: p });
  }

  function startPinch() {
    const [a, b] = [...pointers.values()];
    const st = store.get();
    pinch = {
      d: Math.max(20, Math.hypot(a.x - b.x, a.y - b.y)),
      anchor: timeAtX(st, (a.x + b.x) / 2, (a.y + b.y) / 2),
      view: st.view,
    };
    mode = "pinch";
    store.set({ dragging: true, cursor: null });
  }

  function onDown(e) {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    const p = local(e);
    pointers.set(e.pointerId, p);
    plot.setPointerCapture(e.pointerId);
    if (e.pointerType === "mouse") plot.focus({ preventScroll: true });
    if (pointers.size === 2) {
      if (mode === "caliper") calipers.end(Infinity);
      startPinch();
      return;
    }
    if (pointers.size > 2) return;
    const st = store.get();
    const frame = renderer.frame();
    if (!frame) return;
    const hit = calipers.hitTest(p.x, p.y, e.pointerType !== "mouse");
    if (hit || st.caliperMode) {
      mode = calipers.begin(frame, p.x, p.y, hit) ? "caliper" : null;
      e.preventDefault();
      return;
    }
    mode = "pan";
    pan = { x: p.x, y: p.y, view: st.view, moved: false };
  }

  function onMove(e) {
    const p = local(e);
    if (!pointers.has(e.pointerId)) {
      if (e.pointerType === "mouse") hoverCursor(p, e);
      return;
    }
    pointers.set(e.pointerId, p);
    const st = store.get();
    if (mode === "caliper") {
      calipers.move(p.x, p.y);
    } else if (mode === "pan") {
      const dx = p.x - pan.x;
      if (!pan.moved && Math.abs(dx) < TAP_SLOP && Math.abs(p.y - pan.y) < TAP_SLOP) return;
      if (!pan.moved) {
        pan.moved = true;
        plot.style.cursor = "grabbing";
        store.set({ dragging: true });
      }
      // Whole device pixels, so that each frame of a drag can reuse the last (render.js).
      const dpr = st.plot.dpr || 1;
      const shift = (Math.round(dx * dpr) / dpr) * secondsPerPx(st, pan.view);
      const view = clampView(st, pan.view.start - shift, pan.view.end - shift);
      // No cursor line while the paper is held: the hand is the cursor, and a still plot
      // overlay is not redrawn (render.js).
      store.set({ view, cursor: null });
    } else if (mode === "pinch" && pointers.size >= 2) {
      const [a, b] = [...pointers.values()];
      const factor = Math.hypot(a.x - b.x, a.y - b.y) / pinch.d;
      const span = (pinch.view.end - pinch.view.start) / Math.max(factor, 1e-3);
      // Keep the time first pinched under the fingers' midpoint.
      const start = pinch.anchor - ((a.x + b.x) / 2 / st.plot.width) * span;
      store.set({ view: clampView(st, start, start + span) });
    }
  }

  function onUp(e) {
    if (!pointers.has(e.pointerId)) return;
    const p = local(e);
    pointers.delete(e.pointerId);
    if (mode === "caliper") calipers.end(p.x);
    if (mode === "pan" && !pan.moved && e.pointerType !== "mouse" && e.type === "pointerup") {
      store.set({ cursor: p }); // a tap shows the read-out where the finger was
    }
    if (mode === "pinch" && pointers.size === 1) {
      const [rest] = [...pointers.values()];
      mode = "pan";
      pan = { x: rest.x, y: rest.y, view: store.get().view, moved: true };
      return;
    }
    if (pointers.size === 0) {
      mode = null;
      pan = null;
      pinch = null;
      store.set({ dragging: false });
      if (e.pointerType === "mouse") hoverCursor(p, e);
    }
  }

  function onWheel(e) {
    e.preventDefault();
    const st = store.get();
    const p = local(e);
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    let view;
    if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      const shift = e.deltaX * unit * secondsPerPx(st);
      view = clampView(st, st.view.start + shift, st.view.end + shift);
    } else {
      const factor = Math.exp(-e.deltaY * unit * 0.002);
      view = zoomView(st, factor, timeAtX(st, p.x, p.y));
    }
    store.set({ view, dragging: true });
    clearTimeout(wheelTimer);
    wheelTimer = setTimeout(() => store.set({ dragging: false }), WHEEL_IDLE_MS);
  }

  function onLeave(e) {
    if (e.pointerType === "mouse" && pointers.size === 0) store.set({ cursor: null });
  }

  plot.addEventListener("pointerdown", onDown);
  plot.addEventListener("pointermove", onMove);
  plot.addEventListener("pointerup", onUp);
  plot.addEventListener("pointercancel", onUp);
  plot.addEventListener("pointerleave", onLeave);
  plot.addEventListener("wheel", onWheel, { passive: false });

  return {
    detach() {
      plot.removeEventListener("pointerdown", onDown);
      plot.removeEventListener("pointermove", onMove);
      plot.removeEventListener("pointerup", onUp);
      plot.removeEventListener("pointercancel", onUp);
      plot.removeEventListener("pointerleave", onLeave);
      plot.removeEventListener("wheel", onWheel);
      clearTimeout(wheelTimer);
    },
  };
}
