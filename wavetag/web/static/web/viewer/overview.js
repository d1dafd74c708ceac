// The overview strip: the whole record as the min/max envelope of one channel, fetched
// once with about one bucket per device pixel, and the visible window on top of it.
// Clicking jumps there; dragging moves the window, so a 24-h Holter is crossed in one
// gesture.

import { fetchWindow, isAbort } from "./api.js";
import { clampView, formatTime } from "./state.js";
import { gettext, interpolate } from "./i18n.js";

const ENVELOPE = "#5b6478";
const WINDOW_FILL = "rgba(179, 38, 30, 0.14)";
const WINDOW_EDGE = "#b3261e";
const EVENT = "#c62828";

export function createOverview(store, canvas) {
  let data = null;
  let fetchedPoints = 0;
  let raf = 0;
  let drag = null;
  let controller = null;
  let enabled = false;
  // The envelope is drawn once per data or size into its own bitmap; a view change
  // only copies it and draws the window on top.
  let envelope = null;
  const size = { width: 0, height: 0, dpr: 1 };

  function sourceChannel(st) {
    const shown = st.channels.filter((c) => c.shown);
    const pool = shown.length ? shown : st.channels;
    return (pool.find((c) => c.kind === "ecg") || pool[0]).index;
  }

  async function load() {
    if (!enabled) return;
    const st = store.get();
    const points = Math.max(2, Math.min(100000, Math.round(size.width * size.dpr)));
    if ((data || controller) && points <= fetchedPoints * 1.5) return;
    fetchedPoints = points;
    controller?.abort();
    controller = new AbortController();
    try {
      const params = {
        start: 0,
        end: st.record.duration,
        channels: sourceChannel(st),
        max_points: points,
      };
      const win = await fetchWindow(st.api, st.record.id, params, controller.signal);
      data = win.channels[0];
      envelope = null;
      controller = null;
      schedule();
    } catch (error) {
      if (!isAbort(error)) {
        controller = null;
        store.set({
          message: interpolate(gettext("Overview: %(error)s"), { error: error.message }),
        });
      }
    }
  }

  function schedule() {
    if (!raf) raf = requestAnimationFrame(draw);
  }

  function xOfTime(t, duration) {
    return (t / duration) * size.width;
  }

  function drawEnvelope(duration) {
    envelope = null;
    if (!data || data.count === 0 || size.width <= 0) return;
    const lo = data.kind === "raw" ? data.values : data.min;
    const hi = data.kind === "raw" ? data.values : data.max;
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < data.count; j++) {
      if (lo[j] < min) min = lo[j];
      if (hi[j] > max) max = hi[j];
    }
    if (!(max > min)) return;
    const canvasEl = document.createElement("canvas");
    canvasEl.width = canvas.width;
    canvasEl.height = canvas.height;
    const ctx = canvasEl.getContext("2d");
    const h = canvasEl.height;
    const pad = 3 * size.dpr;
    const k = (h - 2 * pad) / (max - min);
    const scaleX = canvasEl.width / duration;
    ctx.fillStyle = ENVELOPE;
    // One device-pixel column per bucket, as filled rectangles: crisp and cheap.
    for (let j = 0; j < data.count; j++) {
      const a = lo[j];
      if (a !== a) continue;
      const x = Math.floor((data.t0 + (j + 0.5) * data.step) * scaleX);
      const top = Math.floor(h - pad - (hi[j] - min) * k);
      const bottom = Math.ceil(h - pad - (a - min) * k);
      ctx.fillRect(x, top, 1, Math.max(1, bottom - top));
    }
    envelope = canvasEl;
  }

  function draw() {
    raf = 0;
    const st = store.get();
    if (size.width <= 0) return;
    const ctx = canvas.getContext("2d");
    const duration = st.record.duration;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (envelope === null && data) drawEnvelope(duration);
    if (envelope) ctx.drawImage(envelope, 0, 0);
    ctx.setTransform(size.dpr, 0, 0, size.dpr, 0, 0);
    if (st.event != null) {
      ctx.fillStyle = EVENT;
      ctx.fillRect(xOfTime(st.event, duration) - 1, 0, 2, size.height);
    }
    const x0 = xOfTime(Math.max(0, st.view.start), duration);
    const x1 = xOfTime(Math.min(duration, st.view.end), duration);
    // At least a few pixels wide, or a 10-s window on a 24-h record would vanish.
    const w = Math.max(4, x1 - x0);
    const left = Math.min(x0, size.width - w);
    ctx.fillStyle = WINDOW_FILL;
    ctx.fillRect(left, 0, w, size.height);
    ctx.strokeStyle = WINDOW_EDGE;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(left + 0.75, 0.75, w - 1.5, size.height - 1.5);
    canvas.setAttribute("aria-valuenow", String(Math.round(st.view.start)));
    canvas.setAttribute(
      "aria-valuetext",
      interpolate(gettext("%(start)s to %(end)s"), {
        start: formatTime(st.view.start, 0),
        end: formatTime(st.view.end, 0),
      }),
    );
  }

  function timeAt(e) {
    const r = canvas.getBoundingClientRect();
    const duration = store.get().record.duration;
    return (Math.min(Math.max(e.clientX - r.left, 0), r.width) / r.width) * duration;
  }

  function moveTo(t) {
    const st = store.get();
    const span = st.view.end - st.view.start;
    const start = t - drag.offset;
    store.set({ view: clampView(st, start, start + span) });
  }

  canvas.addEventListener("pointerdown", (e) => {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    canvas.focus({ preventScroll: true });
    const st = store.get();
    const t = timeAt(e);
    const span = st.view.end - st.view.start;
    const inside = t >= st.view.start && t <= st.view.end;
    drag = { offset: inside ? t - st.view.start : span / 2 };
    store.set({ dragging: true });
    moveTo(t);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (drag) moveTo(timeAt(e));
  });
  const stop = () => {
    if (!drag) return;
    drag = null;
    store.set({ dragging: false });
  };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);

  store.subscribe((st, changed) => {
    if (changed.includes("view") || changed.includes("event")) schedule();
    if (changed.includes("channels") && data) {
      // Follow the top channel only if the one shown is hidden now.
      if (!st.channels.find((c) => c.index === data.index && c.shown)) {
        data = null;
        controller?.abort();
        controller = null;
        load();
      }
    }
  });

  return {
    /** Start fetching (held back until the first view is drawn: it comes first). */
    enable() {
      enabled = true;
      load();
    },
    resize(width, height, dpr) {
      size.width = width;
      size.height = height;
      size.dpr = dpr;
      const w = Math.max(1, Math.round(width * dpr));
      const h = Math.max(1, Math.round(height * dpr));
      if (w !== canvas.width || h !== canvas.height) {
        canvas.width = w;
        canvas.height = h;
        envelope = null;
      }
      load();
      schedule();
    },
  };
}
