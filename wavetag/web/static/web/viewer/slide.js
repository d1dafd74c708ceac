// Dragging without redrawing. While the paper is held, the traces are drawn once onto a
// canvas half a plot wider on each side, and each frame of the drag only moves that canvas
// (a CSS transform, which the compositor applies). Without a GPU every frame that changes a
// canvas also copies its whole bitmap to the compositor, ~3.5 ms for twelve leads on top of
// ~4 ms of drawing: redrawn frame by frame, a drag used most of a 60-Hz frame's budget.
// Only the stacked layout slides (one time axis); the 3×4 page is redrawn as before.

/** Whether `frame` has one time axis shared by all its panels. */
export function slidable(frame) {
  const [first] = frame.panels;
  if (!first) return false;
  return frame.panels.every((p) => p.x === first.x && p.w === first.w && p.t0 === first.t0);
}

/** Seconds a CSS px of the frame's time axis stands for. */
const secondsPerPx = (frame) => {
  const p = frame.panels[0];
  return (p.t1 - p.t0) / p.w;
};

export function createSlide(canvas) {
  let held = null; // what the canvas holds: {start, perPx, margin, width, height, dpr, scales}

  function scalesOf(frame) {
    return frame.panels.map((p) => `${p.key}:${p.scale.perUnit}:${p.scale.centre}`).join();
  }

  return {
    /** Whether the drawn canvas, moved, shows `frame` exactly. */
    covers(frame, dpr) {
      if (!held || held.dpr !== dpr || held.width !== frame.width) return false;
      if (held.height !== frame.height || held.scales !== scalesOf(frame)) return false;
      if (Math.abs(secondsPerPx(frame) - held.perPx) > held.perPx * 1e-9) return false;
      const offset = (held.start - frame.panels[0].t0) / held.perPx;
      return Math.abs(offset) <= held.margin - 2;
    },
    /**
     * Size the canvas for `frame` and return its context and the wide frame to draw
     * (panels reaching `margin` CSS px beyond both sides; `span` [t0, t1] of it).
     */
    begin(frame, dpr) {
      const margin = Math.round(frame.width / 2);
      const width = frame.width + 2 * margin;
      const w = Math.max(1, Math.round(width * dpr));
      const h = Math.max(1, Math.round(frame.height * dpr));
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      canvas.style.width = `${width}px`;
      canvas.style.height = `${frame.height}px`;
      canvas.style.left = `${-margin}px`;
      const ctx = canvas.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, frame.height);
      const perPx = secondsPerPx(frame);
      const reach = margin * perPx;
      const start = frame.panels[0].t0;
      const scales = scalesOf(frame);
      held = { start, perPx, margin, width: frame.width, height: frame.height, dpr, scales };
      const panels = frame.panels.map((p) => ({
        ...p,
        x: p.x,
        w: p.w + 2 * margin,
        t0: p.t0 - reach,
        t1: p.t1 + reach,
      }));
      return { ctx, panels, width, span: [panels[0].t0, panels[0].t1] };
    },
    /** Move the drawn canvas to show `frame`, and show it. */
    place(frame) {
      const offset = (held.start - frame.panels[0].t0) / held.perPx;
      canvas.style.transform = `translateX(${offset}px)`;
      canvas.hidden = false;
    },
    /** Hide it and forget what it holds: out of date once the traces are drawn in place. */
    hide() {
      canvas.hidden = true;
      held = null;
    },
  };
}
