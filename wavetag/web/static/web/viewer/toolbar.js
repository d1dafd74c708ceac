// The toolbar: buttons for every action (with their shortcut in the tooltip), paper
// speed and gain pickers, menus for filters, channels and annotation sets, and a status
// line with the window shown. It wraps onto several rows on narrow screens.

import { button, h } from "./dom.js";
import { dataSpan, gettext, interpolate } from "./i18n.js";
import { originName } from "./vocabulary-names.js";
import { twelveLeads } from "./layout12.js";
import { currentSpeed, formatTime } from "./state.js";

const SPEEDS = [5, 10, 12.5, 25, 50, 100];
const GAINS = [2.5, 5, 10, 20, 40];

function menu(name, label, shortcut, build) {
  const trigger = button(name, label, { text: label, shortcut });
  trigger.setAttribute("aria-haspopup", "true");
  trigger.setAttribute("aria-expanded", "false");
  const panel = h("div", { class: "wt-menu", role: "group", "aria-label": label, hidden: true });
  const wrap = h("div", { class: "wt-menu-wrap" }, [trigger, panel]);
  trigger.addEventListener("click", () => {
    const open = panel.hidden;
    panel.hidden = !open;
    trigger.setAttribute("aria-expanded", String(open));
    if (open) build(panel);
  });
  return { wrap, trigger, panel };
}


function check(label, checked, onChange, attrs = {}) {
  const input = h("input", { type: "checkbox", ...attrs });
  input.checked = checked;
  input.addEventListener("change", () => onChange(input.checked));
  return h("label", { class: "wt-check" }, [input].concat(label));
}

export function createToolbar(el, store, actions) {
  const st0 = store.get();
  const menus = [];

  // A box is ticked only when its filter is applied: ticking one applies it at once and
  // turns the switch on; unticking the last turns the switch off but keeps the choice,
  // which the switch and the "f" key bring back.
  const filterInputs = {};
  const filtersMenu = menu("filter", gettext("Filters"), "f", (panel) => {
    const notch = h("select", { "aria-label": gettext("Mains notch") }, [
      h("option", { value: "0" }, gettext("No notch")),
      h("option", { value: "50" }, gettext("50 Hz notch")),
      h("option", { value: "60" }, gettext("60 Hz notch")),
    ]);
    notch.addEventListener("change", () => pickFilter({ notch: Number(notch.value) }));
    const on = check(gettext("Filters on (display only)"), false, (v) => actions.setFilters({ on: v }), {
      "data-testid": "filters-on",
    });
    const highpass = check(gettext("Baseline wander (0.5 Hz high-pass)"), false, (v) =>
      pickFilter({ highpass: v }),
    );
    const lowpass = check(gettext("Low-pass 40 Hz"), false, (v) => pickFilter({ lowpass: v }));
    Object.assign(filterInputs, {
      on: on.querySelector("input"),
      highpass: highpass.querySelector("input"),
      lowpass: lowpass.querySelector("input"),
      notch,
    });
    panel.replaceChildren(
      on,
      highpass,
      h("label", { class: "wt-check" }, notch),
      lowpass,
      h(
        "p",
        { class: "wt-note" },
        gettext(
          "Zero-phase, on raw samples. Zoomed far out the server's min/max envelope is shown unfiltered.",
        ),
      ),
    );
    showFilters(store.get().filters);
  });
  function shownFilters(f) {
    return { highpass: f.on && f.highpass, notch: f.on ? f.notch : 0, lowpass: f.on && f.lowpass };
  }
  function pickFilter(patch) {
    const f = store.get().filters;
    const next = { ...shownFilters(f), ...patch };
    const any = next.highpass || next.lowpass || Boolean(next.notch);
    actions.setFilters(any ? { ...next, on: true } : { on: false });
  }
  function showFilters(f) {
    if (!filterInputs.on) return;
    const shown = shownFilters(f);
    filterInputs.on.checked = f.on;
    filterInputs.highpass.checked = shown.highpass;
    filterInputs.lowpass.checked = shown.lowpass;
    filterInputs.notch.value = String(shown.notch || 0);
  }
  const channelsMenu = menu("channels", gettext("Channels"), "1–9", (panel) => {
    const items = store.get().channels.map((c, n) =>
      check(dataSpan(`${c.name} (${c.units})`), c.shown, (v) => actions.show(c.index, v), {
        "data-testid": `toggle-channel-${c.index}`,
        title: n < 9 ? interpolate(gettext("key %(key)s"), { key: n + 1 }) : null,
      }),
    );
    panel.replaceChildren(...items);
  });
  const setsMenu = menu("annotations", gettext("Annotations"), "a", (panel) => {
    const items = store.get().sets.map((s) =>
      check(
        [dataSpan(s.name), ` (${originName(s.origin)}, ${s.count})`],
        s.shown,
        (v) => actions.showSet(s.name, v),
        { "data-testid": `toggle-set-${s.name}` },
      ),
    );
    panel.replaceChildren(
      ...(items.length ? items : [h("p", { class: "wt-note" }, gettext("No annotation sets."))]),
    );
  });
  menus.push(filtersMenu, channelsMenu);
  if (st0.sets.length) menus.push(setsMenu);

  const speed = h("select", {
    class: "wt-select",
    "aria-label": gettext("Paper speed"),
    title: gettext("Paper speed (0 resets)"),
  });
  const gain = h("select", {
    class: "wt-select",
    "aria-label": gettext("ECG gain"),
    title: gettext("ECG gain (↑ ↓)"),
  });
  speed.addEventListener("change", () => actions.speed(Number(speed.value)));
  gain.addEventListener("change", () => {
    const st = store.get();
    const target = Number(gain.value) / st.settings.gain;
    store.set({ channels: st.channels.map((c) => ({ ...c, gain: target })) });
  });

  const caliper = button("caliper", gettext("Caliper"), {
    text: gettext("Caliper"),
    testid: "caliper",
    pressed: false,
    shortcut: "c",
  });
  const grid = button("grid", gettext("Grid"), { testid: "grid", pressed: st0.gridOn, shortcut: "g" });
  const layout = button("layout", gettext("12-lead 3×4 layout"), {
    text: "3×4",
    testid: "layout12",
    pressed: false,
    shortcut: "l",
  });
  const status = h("span", { class: "wt-status", "aria-live": "off" });

  const groups = [
    h("div", { class: "wt-group" }, [
      button("left", gettext("Back half a page"), { testid: "pan-left", shortcut: "←" }),
      button("right", gettext("Forward half a page"), { testid: "pan-right", shortcut: "→" }),
      button("zoomOut", gettext("Zoom out"), { testid: "zoom-out", shortcut: "−" }),
      button("zoomIn", gettext("Zoom in"), { testid: "zoom-in", shortcut: "+" }),
      button("zoomReset", gettext("Reset zoom to the paper speed"), {
        testid: "zoom-reset",
        shortcut: "0",
      }),
      speed,
      gain,
      button(
        "fit",
        gettext("Fit each ECG trace to its lane (lowers the gain of those that leave it)"),
        { text: gettext("Fit"), testid: "fit-lanes" },
      ),
    ]),
    h("div", { class: "wt-group" }, [
      caliper,
      ...menus.map((m) => m.wrap),
      twelveLeads(st0.channels) ? layout : null,
      grid,
      st0.event != null
        ? button("event", gettext("Jump to the event"), { testid: "event", shortcut: "e" })
        : null,
    ]),
    h("div", { class: "wt-group" }, [
      button("camera", gettext("Screenshot (PNG)"), { testid: "screenshot", shortcut: "s" }),
      button("settings", gettext("Viewer settings"), { testid: "settings", shortcut: "p" }),
      button("help", gettext("Keyboard shortcuts"), { testid: "help-button", shortcut: "?" }),
    ]),
    status,
  ];
  el.replaceChildren(...groups);

  const CLICKS = {
    left: "panHalfBack",
    right: "panHalfForward",
    zoomOut: "zoomOut",
    zoomIn: "zoomIn",
    zoomReset: "zoomReset",
    fit: "fitLanes",
    caliper: "caliperMode",
    grid: "grid",
    layout: "layout",
    event: "event",
    camera: "screenshot",
    settings: "settings",
    help: "help",
  };
  el.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-action]");
    if (b && CLICKS[b.dataset.action]) actions[CLICKS[b.dataset.action]]();
  });

  function closeMenus(except) {
    let closed = false;
    for (const m of menus) {
      if (m === except || m.panel.hidden) continue;
      m.panel.hidden = true;
      m.trigger.setAttribute("aria-expanded", "false");
      closed = true;
    }
    return closed;
  }
  const onOutside = (e) => closeMenus(menus.find((m) => m.wrap.contains(e.target)));
  document.addEventListener("pointerdown", onOutside);

  function fillSelect(select, values, current, unit) {
    const match = values.find((v) => Math.abs(v - current) / v < 0.01);
    const options = values.map((v) => h("option", { value: String(v) }, `${v} ${unit}`));
    if (match === undefined) {
      options.unshift(
        h("option", { value: String(current), hidden: true }, `${current.toFixed(1)} ${unit}`),
      );
    }
    select.replaceChildren(...options);
    select.value = String(match ?? current);
  }

  let shownSpeed = NaN;
  let shownGain = NaN;
  let shownFilterState = null;
  function sync(st, frame) {
    const s = currentSpeed(st);
    if (!(Math.abs(s - shownSpeed) <= 1e-6)) {
      shownSpeed = s;
      fillSelect(speed, SPEEDS, s, "mm/s");
    }
    const ecg = st.channels.find((c) => c.kind === "ecg");
    gain.hidden = !ecg;
    const g = ecg ? st.settings.gain * ecg.gain : NaN;
    if (ecg && g !== shownGain) {
      shownGain = g;
      fillSelect(gain, GAINS, g, "mm/mV");
    }
    caliper.setAttribute("aria-pressed", String(st.caliperMode));
    grid.setAttribute("aria-pressed", String(st.gridOn));
    layout.setAttribute("aria-pressed", String(st.layout === "12"));
    filtersMenu.trigger.classList.toggle("wt-on", st.filters.on);
    if (st.filters !== shownFilterState) {
      shownFilterState = st.filters;
      showFilters(st.filters);
    }
    let text = `${formatTime(st.view.start)} – ${formatTime(st.view.end)}`;
    if (st.filters.on && frame && frame.minmax) text += ` · ${gettext("unfiltered at this zoom")}`;
    status.textContent = text;
  }

  return {
    sync,
    closeMenus: () => closeMenus(null),
    detach: () => document.removeEventListener("pointerdown", onOutside),
  };
}
