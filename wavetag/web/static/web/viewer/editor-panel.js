// The beat editor's controls: the toolbar toggle, and under the toolbar a strip with the
// set being edited (or the sets to start from), the code palette, selection actions,
// the rhythm label list (the vocabulary's common rhythms) and the save status.

import { h, icon } from "./dom.js";
import { vocabulary } from "./vocabulary.js";

export const CODE_KEYS = "N V A L R F / Q S E J a j e f x".split(" ");

function btn(text, testid, title, onClick) {
  const b = h("button", { type: "button", class: "wt-btn", "data-testid": testid, title }, text);
  b.addEventListener("click", onClick);
  return b;
}

/** `on` = {toggle, start(from), open(set), code(c), cluster(), remove(), undo(), label(l)}. */
export function createEditorPanel(toolbar, store, on) {
  const toggle = h(
    "button",
    {
      type: "button",
      class: "wt-btn",
      "data-testid": "beat-editor-toggle",
      title: "Edit beats (b)",
      "aria-label": "Edit beats",
      "aria-pressed": "false",
    },
    // The icon stays when narrow screens hide the buttons' text.
    [icon("editBeats"), h("span", { class: "wt-btn-text" }, "Edit beats")],
  );
  toggle.addEventListener("click", () => on.toggle());
  toolbar.append(h("div", { class: "wt-group" }, toggle));

  const status = h("span", {
    class: "wt-status",
    "data-testid": "edit-status",
    "aria-live": "polite",
  });
  const starts = h("div", { class: "wt-group" });
  const codes = CODE_KEYS.map((c) =>
    btn(c, `beat-code-${c}`, `Code ${c} (key ${c}): relabels the selection`, () => on.code(c)),
  );
  const tools = h("div", { class: "wt-group" }, [
    ...codes,
    btn("Cluster", "select-cluster", "Select the beat's whole cluster (Shift+C)", () =>
      on.cluster(),
    ),
    btn("Delete", "edit-delete", "Delete the selection (Del)", () => on.remove()),
    btn("Undo", "edit-undo", "Undo the last edit (Ctrl+Z)", () => on.undo()),
  ]);
  const labels = h(
    "div",
    { class: "wt-group", "data-testid": "segment-labels", hidden: true },
    vocabulary().commonRhythms.map((l) =>
      btn(l, `segment-label-${l}`, `Rhythm ${l}`, () => on.label(l)),
    ),
  );
  // Every edit is logged on the server; the set's history page lists them.
  const historyLink = h(
    "a",
    { class: "wt-note", "data-testid": "edit-history", target: "_blank", hidden: true },
    "History",
  );
  const strip = h("div", { class: "wt-toolbar wt-editbar", role: "toolbar", hidden: true }, [
    starts,
    tools,
    labels,
    status,
    historyLink,
  ]);
  toolbar.after(strip);

  function showStarts(st) {
    const mine = st.sets.filter((s) => s.mine);
    const sources = st.sets.filter((s) => s.origin !== "human");
    starts.replaceChildren(
      h("span", { class: "wt-note" }, "Edit:"),
      ...mine.map((s) =>
        btn(s.name, `beat-open-${s.name}`, "Go on with this set", () => on.open(s)),
      ),
      h("span", { class: "wt-note" }, "Start from:"),
      ...sources.map((s) =>
        btn(s.name, `beat-start-${s.name}`, `A copy of ${s.name} (${s.origin})`, () =>
          on.start(s.name),
        ),
      ),
      btn("empty", "beat-start-empty", "An empty set", () => on.start(null)),
    );
  }

  function sync(st, extra) {
    toggle.setAttribute("aria-pressed", String(Boolean(st.editOn)));
    strip.hidden = !st.editOn;
    if (!st.editOn) return;
    const editing = Boolean(st.editSet);
    starts.hidden = editing;
    tools.hidden = !editing;
    historyLink.hidden = !editing;
    if (editing) historyLink.href = `/annotation-sets/${st.editSet.id}/history/`;
    if (!editing) showStarts(st);
    for (const b of codes) b.setAttribute("aria-pressed", String(b.textContent === st.editCode));
    labels.hidden = !extra.labelsOpen;
    const sel = (st.selection || []).length;
    const state = st.editStatus || "";
    const failed = state.startsWith("error");
    status.dataset.state = st.editPending ? "saving" : failed ? "error" : "saved";
    status.textContent = editing
      ? `${st.editSet.name} · ${sel} selected · ${st.editPending ? "saving…" : state || "saved"}`
      : "Choose a set to edit";
  }

  return { sync };
}
