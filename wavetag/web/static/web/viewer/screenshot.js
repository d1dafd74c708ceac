// Screenshot: the paper, traces and calipers as they are, plus the channel labels and a
// caption line (record, window, speed, gain, filters), saved as a PNG named after the
// record and the window, e.g. 100_290-305s.png.

import { currentSpeed, formatTime, shortNumber } from "./state.js";
import { gettext, interpolate } from "./i18n.js";

const CAPTION = 26;

function fileName(st) {
  const name = `${st.record.name}`.replace(/[^\w.-]+/g, "_");
  return `${name}_${shortNumber(st.view.start)}-${shortNumber(st.view.end)}s.png`;
}

function caption(st) {
  const parts = [
    `${st.record.dataset} / ${st.record.name}`,
    `${formatTime(st.view.start)} – ${formatTime(st.view.end)}`,
    `${currentSpeed(st).toFixed(1)} mm/s`,
    `${st.settings.gain} mm/mV`,
  ];
  if (st.filters.on) parts.push(gettext("display filters on"));
  return parts.join("   ");
}

/** Compose the current view into a canvas (device pixels). */
export function composeView(st, frame, canvases, drawCalipers) {
  const dpr = st.plot.dpr;
  const width = frame.width;
  const height = frame.height + CAPTION;
  const out = document.createElement("canvas");
  out.width = Math.round(width * dpr);
  out.height = Math.round(height * dpr);
  const ctx = out.getContext("2d");
  ctx.fillStyle = st.settings.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(canvases.grid, 0, 0);
  ctx.drawImage(canvases.traces, 0, 0);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  drawCalipers(ctx, frame, st);
  ctx.font = "600 12px system-ui, sans-serif";
  ctx.textBaseline = "top";
  for (const p of frame.panels) {
    const name =
      p.role === "rhythm"
        ? interpolate(gettext("%(channel)s rhythm"), { channel: p.chan.name })
        : p.chan.name;
    const text = `${name}  ${p.chan.units}  ${p.scale.readout}`;
    const w = ctx.measureText(text).width + 8;
    ctx.fillStyle = "rgba(255, 255, 255, 0.8)";
    ctx.fillRect(p.x + 4, p.y + 3, w, 17);
    ctx.fillStyle = "#1d2330";
    ctx.fillText(text, p.x + 8, p.y + 6);
  }
  ctx.fillStyle = "#f3f4f7";
  ctx.fillRect(0, frame.height, width, CAPTION);
  ctx.fillStyle = "#1d2330";
  ctx.font = "12px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  ctx.fillText(caption(st), 8, frame.height + CAPTION / 2);
  return out;
}

/** Download the current view as a PNG through a temporary <a download>. */
export function saveScreenshot(st, frame, canvases, drawCalipers) {
  if (!frame) return Promise.resolve(null);
  const canvas = composeView(st, frame, canvases, drawCalipers);
  const name = fileName(st);
  return new Promise((resolve) => {
    canvas.toBlob((blob) => {
      if (!blob) return resolve(null);
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      // Revoke after the click has been handed to the download manager.
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      resolve(name);
    }, "image/png");
  });
}
