// The annotation sets' names: a legend under the plot with a toggle per set (a button with
// aria-pressed, so the keyboard and screen readers reach it), and each shown set's name
// at the left of its lane (bands.js), over the canvas like the channel labels. A set's
// name is data, not text to translate; a page may give it a label of its own (the
// annotator's name on an adjudication page).

import { h } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";

const ORIGINS = {
  reference: () => gettext("reference"),
  automatic: () => gettext("automatic"),
  machine: () => gettext("automatic"),
  human: () => gettext("human"),
};

export const setLabel = (set) => set.label || set.name;

function origin(set) {
  const text = ORIGINS[set.origin];
  return text ? text() : set.origin;
}

function swatch(color) {
  const el = h("span", { class: "wt-swatch", "aria-hidden": "true" });
  el.style.setProperty("--wt-set-color", color);
  return el;
}

/**
 * `plot`: the waveform element the lane names go over; `after`: the element the legend
 * follows; `colorOf(index)` -> a set's colour. -> {update(frame)}.
 */
export function createSetLanes(plot, after, store, actions, colorOf) {
  const names = h("div", { class: "wt-lane-names", "aria-hidden": "true" });
  plot.append(names);
  const legend = h("div", {
    class: "wt-sets",
    role: "group",
    "aria-label": gettext("Annotation sets"),
    "data-testid": "set-legend",
  });
  after.after(legend);
  let listed = "";
  let placed = "";

  function toggle(set) {
    const item = store.get().sets.find((s) => s.id === set.id);
    if (item) actions.showSet(item.name, !item.shown);
  }

  // The set the beat editor edits is drawn by the editor and kept hidden here.
  const listable = (st) =>
    st.sets
      .map((set, index) => ({ set, index }))
      .filter(({ set }) => !(st.editOn && st.editSet && st.editSet.id === set.id));

  function buildLegend(st) {
    const items = listable(st).map(({ set, index }) => {
      const count = interpolate(gettext("%(origin)s, %(count)s marks"), {
        origin: origin(set),
        count: set.count,
      });
      return h(
        "button",
        {
          type: "button",
          class: "wt-set",
          "aria-pressed": String(set.shown),
          "data-testid": `set-toggle-${set.name}`,
          title: count,
          onclick: () => toggle(set),
        },
        [
          swatch(colorOf(index)),
          h("span", { class: "wt-set-name", translate: "no" }, setLabel(set)),
          h("span", { class: "wt-set-origin" }, origin(set)),
        ],
      );
    });
    legend.hidden = items.length === 0;
    const focused = legend.contains(document.activeElement)
      ? document.activeElement.dataset.testid
      : null;
    legend.replaceChildren(...items);
    // Rebuilt under the keyboard's focus: the same set's toggle keeps it.
    if (focused) legend.querySelector(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
  }

  function placeNames(lanes) {
    names.replaceChildren(
      ...lanes.map((lane) => {
        const el = h(
          "div",
          {
            class: "wt-lane-name",
            "data-testid": `set-lane-${lane.set.name}`,
            title: setLabel(lane.set),
            translate: "no",
          },
          [swatch(lane.color), h("span", {}, setLabel(lane.set))],
        );
        // A row header over the lane's start, below the hairline that tops it.
        el.style.transform = `translate(0, ${lane.y0 + 1}px)`;
        el.style.height = `${lane.y1 - lane.y0 - 1}px`;
        return el;
      }),
    );
  }

  store.subscribe((st, changed) => {
    if (!changed.includes("sets") && !changed.includes("editSet") && !changed.includes("editOn"))
      return;
    const key = JSON.stringify(listable(st).map(({ set }) => [set.id, set.shown, set.count]));
    if (key !== listed) {
      listed = key;
      buildLegend(st);
    }
  });
  listed = "init";
  buildLegend(store.get());

  return {
    /** Bring the lane names in line with a drawn frame. */
    update(frame) {
      const lanes = frame.lanes || [];
      const key = lanes.map((l) => `${l.set.id}:${l.y0}`).join();
      if (key === placed) return;
      placed = key;
      placeNames(lanes);
    },
    /** The lanes as last drawn: [{name, label, color, y0, y1}] (plot px). */
    lanes: (frame) =>
      (frame ? frame.lanes || [] : []).map((l) => ({
        name: l.set.name,
        label: setLabel(l.set),
        color: l.color,
        y0: l.y0,
        y1: l.y1,
      })),
  };
}
