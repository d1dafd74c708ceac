// The adjudication of a beat task: a disagreement's time moves the viewer there (a few
// seconds around the beat), so the adjudicator sees every annotator's set at that beat;
// the beats still in dispute are shaded across the traces and the annotators' lanes.

const AROUND = 2.5; // s each side
const HALF_WIDTH = 0.09; // s each side of a disputed beat: about its QRS
const SHADE = "rgba(240, 170, 0, 0.2)";
const SHADE_CURRENT = "rgba(240, 170, 0, 0.42)";

const viewer = () => document.querySelector(".wt-viewer")?.wtViewer;

for (const button of document.querySelectorAll("button.go-to[data-time]")) {
  button.addEventListener("click", () => {
    const t = Number(button.dataset.time);
    const v = viewer();
    if (!v || !Number.isFinite(t)) return;
    v.goTo(t - AROUND, t + AROUND);
    for (const row of document.querySelectorAll("tr.current")) row.classList.remove("current");
    // (The move redraws the traces, and with them the current row's stronger shade.)
    button.closest("tr")?.classList.add("current");
  });
}

/** The unresolved disagreements' times, and the one whose row is current. */
function disputed() {
  const rows = document.querySelectorAll("tr[data-time]:not([data-resolved])");
  return [...rows].map((tr) => ({
    time: Number(tr.dataset.time),
    current: tr.classList.contains("current"),
  }));
}

function shade(ctx, p, t, y0, y1) {
  if (t + HALF_WIDTH < p.t0 || t - HALF_WIDTH > p.t1) return;
  const perSec = p.w / (p.t1 - p.t0);
  const x0 = Math.max(p.x, p.x + (t - HALF_WIDTH - p.t0) * perSec);
  const x1 = Math.min(p.x + p.w, p.x + (t + HALF_WIDTH - p.t0) * perSec);
  ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
}

const v = viewer();
if (v) {
  const times = disputed().filter((d) => Number.isFinite(d.time));
  const layer = {
    draw(ctx, frame) {
      if (!frame.panels.length) return;
      const current = new Set(disputed().filter((d) => d.current).map((d) => d.time));
      const lanes = frame.lanes || [];
      const beatPanel = frame.panels.find((p) => p.role === "rhythm") || frame.panels[0];
      ctx.save();
      for (const d of times) {
        ctx.fillStyle = current.has(d.time) ? SHADE_CURRENT : SHADE;
        for (const p of frame.panels) shade(ctx, p, d.time, p.y, p.y + p.h);
        if (lanes.length) {
          shade(ctx, beatPanel, d.time, lanes[0].y0, lanes[lanes.length - 1].y1);
        }
      }
      ctx.restore();
    },
  };
  // Added after the viewer's own layers, so drawn over the traces and labels: a tint.
  if (times.length) v.addLayer("traces", layer);
}
