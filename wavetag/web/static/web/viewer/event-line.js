// The event a page is about (an alarm, a task's moment): a dashed red line through every
// panel at its time, flagged on the first panel it crosses. A layer of the traces canvas.

const EVENT_COLOR = "#c62828";

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

export const eventLayer = { draw: (ctx, frame, st) => drawEvent(ctx, frame, st.event) };
