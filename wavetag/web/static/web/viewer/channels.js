// Channel labels over the plot: name, units and scale read-out, and per-channel controls
// (gain −/+, move up/down, hide). Dragging the name up or down changes the gain
// continuously. Labels are plain elements over the canvases, so they are real buttons
// for the keyboard and screen readers; they follow the panels after every frame.

import { h } from "./dom.js";
import { overflows } from "./layout.js";
import { dataSpan, gettext, interpolate, interpolateParts } from "./i18n.js";

const DRAG_PX_PER_DOUBLING = 60;

export function createChannelLabels(container, actions) {
  const labels = new Map(); // panel key -> {el, scale, x, y}

  function control(text, label, onClick) {
    return h(
      "button",
      { type: "button", class: "wt-mini", title: label, "aria-label": label, onclick: onClick },
      text,
    );
  }

  function gainDrag(name, chan) {
    let start = null;
    name.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      name.setPointerCapture(e.pointerId);
      start = { y: e.clientY, moved: false, last: 0 };
    });
    name.addEventListener("pointermove", (e) => {
      if (!start) return;
      const dy = e.clientY - start.y;
      if (Math.abs(dy) > 3) start.moved = true;
      if (!start.moved) return;
      // Up is more gain; the factor applies to what changed since the last move.
      const step = -(dy - start.last) / DRAG_PX_PER_DOUBLING;
      start.last = dy;
      actions.gain(chan.index, 2 ** step);
    });
    const stop = (e) => {
      if (start && !start.moved && e.type === "pointerup") {
        name.closest(".wt-chan").classList.toggle("open");
      }
      start = null;
    };
    name.addEventListener("pointerup", stop);
    name.addEventListener("pointercancel", stop);
  }

  function make(panel) {
    const chan = panel.chan;
    const rhythm = panel.role === "rhythm";
    const named = (format) => interpolate(format, { channel: chan.name });
    const name = h(
      "span",
      {
        class: "wt-chan-name",
        title: interpolate(gettext("%(channel)s: drag up or down to change the gain"), {
          channel: chan.name,
        }),
      },
      rhythm
        ? interpolateParts(gettext("%(channel)s rhythm"), { channel: dataSpan(chan.name) })
        : dataSpan(chan.name),
    );
    // Units and rate are the record's data, as is the name: kept out of translation.
    const units = h(
      "span",
      { class: "wt-chan-units", translate: "no", title: `${chan.name} · ${chan.units} · ${chan.fs} Hz` },
      chan.units,
    );
    const scale = h("span", { class: "wt-chan-scale" });
    // Shown while the trace leaves its lane (it is drawn over its neighbours' there).
    const clip = h(
      "span",
      {
        class: "wt-chan-clip",
        "data-testid": `clipped-${chan.index}`,
        title: gettext("The trace leaves its lane: Fit (toolbar) or gain − shows it whole"),
        hidden: true,
      },
      gettext("clipped"),
    );
    const controls = [
      control("−", named(gettext("Gain down %(channel)s")), () => actions.gain(chan.index, 0.5)),
      control("+", named(gettext("Gain up %(channel)s")), () => actions.gain(chan.index, 2)),
    ];
    if (panel.cols === 1 && !rhythm) {
      controls.push(
        control("↑", named(gettext("Move %(channel)s up")), () => actions.move(chan.index, -1)),
        control("↓", named(gettext("Move %(channel)s down")), () => actions.move(chan.index, 1)),
      );
    }
    if (!rhythm)
      controls.push(
        control("×", named(gettext("Hide %(channel)s")), () => actions.show(chan.index, false)),
      );
    const el = h(
      "div",
      {
        class: `wt-chan wt-kind-${chan.kind}`,
        "data-testid": rhythm ? `rhythm-${chan.index}` : `channel-${chan.index}`,
        "data-channel": String(chan.index),
      },
      [name, units, scale, clip, h("span", { class: "wt-chan-ctl" }, controls)],
    );
    // The plot under the label must not start a pan when the label is used.
    el.addEventListener("pointerdown", (e) => e.stopPropagation());
    el.addEventListener("wheel", (e) => e.stopPropagation());
    gainDrag(name, chan);
    container.append(el);
    return { el, scale, clip, text: "", x: NaN, y: NaN };
  }

  /** Bring the labels in line with a drawn frame. */
  function update(frame) {
    const seen = new Set();
    for (const panel of frame.panels) {
      seen.add(panel.key);
      let label = labels.get(panel.key);
      if (label && label.cols !== panel.cols) {
        label.el.remove();
        label = null;
      }
      if (!label) {
        label = make(panel);
        label.cols = panel.cols;
        labels.set(panel.key, label);
      }
      if (label.x !== panel.x || label.y !== panel.y) {
        label.x = panel.x;
        label.y = panel.y;
        label.el.style.transform = `translate(${panel.x + 4}px, ${panel.y + 3}px)`;
      }
      const over = overflows(panel);
      if (label.clip.hidden === over) label.clip.hidden = !over;
      const text = panel.scale.readout;
      if (text !== label.text) {
        label.text = text;
        label.scale.textContent = text;
      }
    }
    for (const [key, label] of labels) {
      if (!seen.has(key)) {
        label.el.remove();
        labels.delete(key);
      }
    }
    // Keep the labels in screen order, which is also the Tab order.
    const order = frame.panels.map((p) => labels.get(p.key).el);
    if (order.some((el, i) => container.children[i] !== el)) container.append(...order);
  }

  return { update };
}
