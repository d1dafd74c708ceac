// Calipers: two points (t1, v1) and (t2, v2) on one panel, read as Δt (ms), rate
// (60/Δt, bpm) and Δamplitude (mV on ECG, else the channel's units). They live in the
// store in record time and physical units, so they stay on their beats through pans,
// zooms and gain changes. Several at once; each movable (drag its label), resizable
// (drag an end), removable (its ×, Delete for the last, Esc for all). The read-outs are
// also listed as text under the plot, where they can be read aloud, copied and tested.

import { mvPerUnit, panelAt, timeOfX, valueOfY, xOf, yOf } from "./layout.js";
import { dataSpan, gettext, interpolate, interpolateParts } from "./i18n.js";

const COLOR = "#1565c0";
const FONT = "600 11px system-ui, sans-serif";

export function measure(c, chan) {
  const dt = Math.abs(c.t2 - c.t1);
  const ecg = chan.kind === "ecg";
  const dv = Math.abs(c.v2 - c.v1) * (ecg ? mvPerUnit(chan.units) : 1);
  return {
    ms: dt * 1000,
    bpm: dt > 0 ? 60 / dt : Infinity,
    dv,
    units: ecg ? "mV" : chan.units,
  };
}

export function describe(m) {
  // Units and numbers only: the same in every language.
  const rate = Number.isFinite(m.bpm) ? `${m.bpm.toFixed(m.bpm < 100 ? 1 : 0)} bpm` : "– bpm";
  const dv = m.dv.toFixed(m.dv < 10 ? 2 : 1);
  return `${m.ms.toFixed(0)} ms · ${rate} · ${dv} ${m.units}`;
}

function panelOf(frame, c) {
  return frame.panels.find((p) => p.key === c.key) || frame.panels.find((p) => p.ch === c.ch);
}

export function createCalipers(store, list) {
  let nextId = 1;
  let geometry = new Map(); // id -> shapes as last drawn, for hit tests
  let drag = null;

  function setCalipers(calipers) {
    store.set({ calipers });
  }

  function draw(ctx, frame, st) {
    geometry = new Map();
    ctx.save();
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    for (const c of st.calipers) {
      const p = panelOf(frame, c);
      if (!p) continue;
      const x1 = xOf(p, c.t1);
      const x2 = xOf(p, c.t2);
      const y1 = yOf(p, p.scale, c.v1);
      const y2 = yOf(p, p.scale, c.v2);
      ctx.save();
      ctx.beginPath();
      ctx.rect(p.x, p.y, p.w, p.h);
      ctx.clip();
      ctx.strokeStyle = COLOR;
      ctx.fillStyle = COLOR;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x1, p.y);
      ctx.lineTo(x1, p.y + p.h);
      ctx.moveTo(x2, p.y);
      ctx.lineTo(x2, p.y + p.h);
      ctx.stroke();
      ctx.setLineDash([3, 3]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(Math.min(x1, x2) - 6, y1);
      ctx.lineTo(Math.max(x1, x2) + 6, y1);
      ctx.moveTo(Math.min(x1, x2) - 6, y2);
      ctx.lineTo(Math.max(x1, x2) + 6, y2);
      ctx.stroke();
      ctx.setLineDash([]);
      for (const [x, y] of [
        [x1, y1],
        [x2, y2],
      ]) {
        ctx.beginPath();
        ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
      const text = describe(measure(c, p.chan));
      const w = ctx.measureText(text).width + 26;
      const h = 18;
      const lx = Math.min(Math.max((x1 + x2) / 2 - w / 2, p.x + 2), p.x + p.w - w - 2);
      const ly = Math.min(Math.max(Math.min(y1, y2) - h - 8, p.y + 2), p.y + p.h - h - 2);
      ctx.fillStyle = "rgba(255, 255, 255, 0.92)";
      ctx.fillRect(lx, ly, w, h);
      ctx.strokeRect(lx + 0.5, ly + 0.5, w - 1, h - 1);
      ctx.fillStyle = COLOR;
      ctx.fillText(text, lx + 6, ly + h / 2 + 0.5);
      ctx.fillText("×", lx + w - 13, ly + h / 2);
      ctx.restore();
      geometry.set(c.id, {
        panel: p,
        x1,
        x2,
        y1,
        y2,
        label: { x: lx, y: ly, w: w - 18, h },
        close: { x: lx + w - 18, y: ly, w: 18, h },
      });
    }
    ctx.restore();
  }

  const inside = (r, x, y) => x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h;

  /** What a pointer at (x, y) would grab: {id, part: "a"|"b"|"move"|"remove"} or null. */
  function hitTest(x, y, coarse) {
    const reach = coarse ? 14 : 7;
    let best = null;
    for (const [id, g] of geometry) {
      if (inside(g.close, x, y)) return { id, part: "remove" };
    }
    // Ends before labels: a short caliper's label is wider than the caliper itself.
    for (const [id, g] of geometry) {
      const p = g.panel;
      if (y < p.y || y > p.y + p.h) continue;
      for (const [part, gx] of [
        ["a", g.x1],
        ["b", g.x2],
      ]) {
        const d = Math.abs(x - gx);
        if (d <= reach && (!best || d < best.d)) best = { id, part, d };
      }
    }
    if (best) return { id: best.id, part: best.part };
    for (const [id, g] of geometry) if (inside(g.label, x, y)) return { id, part: "move" };
    return null;
  }

  function remove(id) {
    setCalipers(store.get().calipers.filter((c) => c.id !== id));
  }

  /** Start a drag: on a hit, or a new caliper at (x, y) when in caliper mode. */
  function begin(frame, x, y, hit) {
    const st = store.get();
    if (hit && hit.part === "remove") {
      remove(hit.id);
      return false;
    }
    if (hit) {
      const c = st.calipers.find((k) => k.id === hit.id);
      const p = c && panelOf(frame, c);
      if (!p) return false;
      drag = { id: c.id, part: hit.part, panel: p, x, y, start: { ...c }, created: false };
      return true;
    }
    const p = panelAt(frame.panels, x, y);
    if (!p) return false;
    const t = timeOfX(p, x);
    const v = valueOfY(p, p.scale, y);
    const c = { id: nextId++, key: p.key, ch: p.ch, t1: t, v1: v, t2: t, v2: v };
    setCalipers([...st.calipers, c]);
    drag = { id: c.id, part: "b", panel: p, x, y, start: { ...c }, created: true };
    return true;
  }

  function move(x, y) {
    if (!drag) return;
    const p = drag.panel;
    const dt = ((x - drag.x) / p.w) * (p.t1 - p.t0);
    const dv = -(y - drag.y) / p.scale.perUnit;
    const s = drag.start;
    const next = { ...s };
    if (drag.part !== "b") {
      next.t1 = s.t1 + dt;
      next.v1 = s.v1 + dv;
    }
    if (drag.part !== "a") {
      next.t2 = s.t2 + dt;
      next.v2 = s.v2 + dv;
    }
    setCalipers(store.get().calipers.map((c) => (c.id === drag.id ? next : c)));
  }

  function end(x) {
    if (!drag) return;
    // A click in caliper mode without a drag makes no caliper.
    if (drag.created && Math.abs(x - drag.x) < 3) remove(drag.id);
    drag = null;
  }

  /** A caliper over the middle eighth of the view on the top panel (keyboard users). */
  function addCentred(frame) {
    const p = frame.panels[0];
    if (!p) return;
    const mid = (p.t0 + p.t1) / 2;
    const half = (p.t1 - p.t0) / 16;
    const v = p.scale.centre;
    const c = { id: nextId++, key: p.key, ch: p.ch, t1: mid - half, v1: v, t2: mid + half, v2: v };
    setCalipers([...store.get().calipers, c]);
  }

  function renderList(st) {
    list.replaceChildren();
    list.hidden = st.calipers.length === 0;
    st.calipers.forEach((c, n) => {
      const chan = st.channels.find((k) => k.index === c.ch);
      const m = measure(c, chan);
      const li = document.createElement("li");
      li.dataset.testid = "caliper-readout";
      li.dataset.ms = m.ms.toFixed(3);
      li.dataset.dv = m.dv.toFixed(5);
      const text = document.createElement("span");
      // The channel's name is data: kept out of translation.
      text.append(
        ...interpolateParts(gettext("Caliper %(n)s on %(channel)s: %(reading)s"), {
          n: n + 1,
          channel: dataSpan(chan.name),
          reading: describe(m),
        }),
      );
      const button = document.createElement("button");
      button.type = "button";
      button.className = "wt-icon-btn";
      button.textContent = "×";
      const removeLabel = interpolate(gettext("Remove caliper %(n)s"), { n: n + 1 });
      button.title = removeLabel;
      button.setAttribute("aria-label", removeLabel);
      button.addEventListener("click", () => remove(c.id));
      li.append(text, button);
      list.append(li);
    });
  }

  store.subscribe((st, changed) => {
    if (changed.includes("calipers")) renderList(st);
  });

  return {
    draw,
    idle: (st) => st.calipers.length === 0,
    /** The labels' boxes (plot px) as last drawn: what other labels keep clear of. */
    labelBoxes: () =>
      [...geometry.values()].map((g) => ({
        x: g.label.x,
        y: g.label.y,
        w: g.label.w + g.close.w,
        h: g.label.h,
      })),
    hitTest,
    begin,
    move,
    end,
    dragging: () => drag !== null,
    addCentred,
    removeLast() {
      const all = store.get().calipers;
      if (all.length) remove(all[all.length - 1].id);
    },
    clear: () => setCalipers([]),
  };
}
