// The event a page is about (an alarm, a task's moment): a dashed red line through every
// panel at its time, flagged on the first panel it crosses. A layer of the traces canvas.
// An event on a panel's edge (an alarm at the end of its record) is drawn just inside,
// flagged towards the middle, so that the border does not hide it.

const EVENT_COLOR = "#c62828";
const INSET = 2; // px kept between the line and a panel's edge

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
    const at = p.x + ((event - p.t0) / (p.t1 - p.t0)) * p.w;
    const x = Math.min(p.x + p.w - INSET, Math.max(p.x + INSET, at));
    ctx.beginPath();
    ctx.moveTo(x, p.y);
    ctx.lineTo(x, p.y + p.h);
    ctx.stroke();
    if (!flagged) {
      flagged = true;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(x, p.y);
      ctx.lineTo(x + 8 > p.x + p.w ? x - 7 : x + 7, p.y + 4);
      ctx.lineTo(x, p.y + 8);
      ctx.fill();
      ctx.setLineDash([6, 4]);
    }
  }
  ctx.restore();
}

export const eventLayer = { draw: (ctx, frame, st) => drawEvent(ctx, frame, st.event) };
