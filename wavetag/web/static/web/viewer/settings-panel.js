// The viewer settings panel. Settings belong to the user and live on the server
// (/api/v1/me/viewer-settings), so they follow the user to every page and device.
// A change applies at once, then is saved with a PATCH of just what changed; the server
// checks limits, and its answer becomes the settings in use (or the change is undone).

import { sendJson } from "./api.js";
import { h } from "./dom.js";
import { gettext, gettext_noop, interpolate } from "./i18n.js";

const SAVE_DELAY_MS = 250;

const FIELDS = [
  { name: "paper_speed", label: gettext_noop("Paper speed (mm/s)"), type: "number", min: 1, max: 500, step: 0.5 },
  { name: "gain", label: gettext_noop("ECG gain (mm/mV)"), type: "number", min: 0.5, max: 200, step: 0.5 },
  { name: "line_width", label: gettext_noop("Line width (px)"), type: "number", min: 0.25, max: 6, step: 0.05 },
  { name: "trace_color", label: gettext_noop("Trace colour"), type: "color" },
  { name: "grid", label: gettext_noop("Paper grid"), type: "checkbox" },
  { name: "grid_color", label: gettext_noop("Grid colour"), type: "color" },
  { name: "background", label: gettext_noop("Background"), type: "color" },
  {
    name: "event_before",
    label: gettext_noop("Seconds shown before an event"),
    type: "number",
    min: 0,
    max: 3600,
    step: 1,
  },
  {
    name: "event_after",
    label: gettext_noop("Seconds shown after an event"),
    type: "number",
    min: 0,
    max: 3600,
    step: 1,
  },
  {
    name: "channels_shown",
    label: gettext_noop("Channels shown by default (names, comma-separated; empty = all)"),
    type: "list",
  },
  {
    name: "px_per_mm",
    label: gettext_noop("Screen pixels per mm (0 = nominal 96 dpi)"),
    type: "number",
    min: 0,
    max: 40,
    step: 0.01,
  },
];

function readField(input, field) {
  if (field.type === "checkbox") return input.checked;
  if (field.type === "number") return Number(input.value);
  if (field.type === "list") {
    return input.value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return input.value;
}

function writeField(input, field, value) {
  if (field.type === "checkbox") input.checked = Boolean(value);
  else if (field.type === "list") input.value = (value || []).join(", ");
  else input.value = String(value);
}

/** `onApply(settings, changedNames)` lets the mount react (speed, grid, layout). */
export function createSettingsPanel(root, store, onApply) {
  const inputs = new Map();
  const status = h("p", { class: "wt-note", role: "status" });
  let pending = {};
  let timer = 0;
  let saved = { ...store.get().settings };

  const rows = FIELDS.map((field) => {
    const attrs = {
      name: field.name,
      "data-testid": `setting-${field.name}`,
      type: field.type === "list" ? "text" : field.type,
    };
    if (field.type === "number")
      Object.assign(attrs, {
        min: field.min,
        max: field.max,
        step: field.step,
        inputmode: "decimal",
      });
    const input = h("input", attrs);
    inputs.set(field.name, input);
    input.addEventListener("change", () => {
      if (field.type === "number" && !input.checkValidity()) {
        status.textContent = interpolate(gettext("%(field)s: between %(min)s and %(max)s."), {
          field: gettext(field.label),
          min: field.min,
          max: field.max,
        });
        return;
      }
      change(field.name, readField(input, field));
    });
    return h("label", { class: `wt-field wt-field-${field.type}` }, [
      h("span", {}, gettext(field.label)),
      input,
    ]);
  });

  const useShown = h("button", { type: "button", class: "wt-btn" }, gettext("Use the channels shown now"));
  useShown.addEventListener("click", () => {
    const names = store
      .get()
      .channels.filter((c) => c.shown)
      .map((c) => c.name);
    const all = names.length === store.get().channels.length;
    const value = all ? [] : names;
    writeField(
      inputs.get("channels_shown"),
      FIELDS.find((f) => f.name === "channels_shown"),
      value,
    );
    change("channels_shown", value);
  });
  const reset = h(
    "button",
    { type: "button", class: "wt-btn", "data-testid": "settings-reset" },
    gettext("Reset to defaults"),
  );
  reset.addEventListener("click", async () => {
    clearTimeout(timer);
    pending = {};
    try {
      saved = await sendJson("DELETE", `${store.get().api}/me/viewer-settings`);
      store.set({ settings: { ...saved } });
      onApply(saved, Object.keys(saved));
      fill(saved);
      status.textContent = gettext("Defaults restored.");
    } catch (error) {
      status.textContent = interpolate(gettext("Not reset: %(error)s"), { error: error.message });
    }
  });
  const close = h("button", { type: "button", class: "wt-btn" }, gettext("Close"));
  const title = h("h2", {}, gettext("Viewer settings"));
  const dialog = h("dialog", { class: "wt-dialog wt-settings", "data-testid": "settings-panel" }, [
    title,
    h("p", { class: "wt-note" }, gettext("Saved to your account and used wherever you view a waveform.")),
    h("div", { class: "wt-fields" }, rows),
    h("div", { class: "wt-dialog-actions" }, [status, useShown, reset, close]),
  ]);
  title.id = `wt-settings-${Math.random().toString(36).slice(2, 8)}`;
  dialog.setAttribute("aria-labelledby", title.id);
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close();
  });
  root.append(dialog);

  function fill(settings) {
    for (const field of FIELDS) writeField(inputs.get(field.name), field, settings[field.name]);
  }

  function change(name, value) {
    const settings = { ...store.get().settings, [name]: value };
    store.set({ settings });
    onApply(settings, [name]);
    pending[name] = value;
    status.textContent = gettext("Saving…");
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY_MS);
  }

  async function save() {
    const body = pending;
    pending = {};
    const url = `${store.get().api}/me/viewer-settings`;
    try {
      saved = await sendJson("PATCH", url, body);
      status.textContent = gettext("Saved.");
      dialog.dataset.saved = String(Date.now());
    } catch (error) {
      status.textContent = interpolate(gettext("Not saved: %(error)s"), { error: error.message });
    }
    // The server's settings are the truth: its rounding, or the values before a refusal.
    if (Object.keys(pending).length === 0) {
      const names = Object.keys(body);
      store.set({ settings: { ...store.get().settings, ...pick(saved, names) } });
      fill(store.get().settings);
    }
  }

  function pick(obj, names) {
    const out = {};
    for (const n of names) out[n] = obj[n];
    return out;
  }

  return {
    toggle() {
      if (dialog.open) dialog.close();
      else {
        fill(store.get().settings);
        dialog.showModal();
      }
    },
  };
}
