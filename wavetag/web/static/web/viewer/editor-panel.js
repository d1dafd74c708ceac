// The beat editor's controls: the toolbar toggle, and under the toolbar a strip with the
// set being edited (or the sets to start from), the code palette, selection actions,
// the rhythm label list (the vocabulary's common rhythms) and the save status.

import { h, icon } from "./dom.js";
import { vocabulary } from "./vocabulary.js";
import { dataSpan, gettext, interpolate } from "./i18n.js";
import { beatName, originName, rhythmName } from "./vocabulary-names.js";


// The button shows the label (a code, the same in every language); its tooltip names it.
function rhythmTitle(label) {
  const name = rhythmName(label);
  return name
    ? interpolate(gettext("Rhythm: %(name)s"), { name })
    : interpolate(gettext("Rhythm %(label)s"), { label });
}

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
      title: interpolate(gettext("Edit beats (%(key)s)"), { key: "b" }),
      "aria-label": gettext("Edit beats"),
      "aria-pressed": "false",
    },
    // The icon stays when narrow screens hide the buttons' text.
    [icon("editBeats"), h("span", { class: "wt-btn-text" }, gettext("Edit beats"))],
  );
  toggle.addEventListener("click", () => on.toggle());
  toolbar.append(h("div", { class: "wt-group" }, toggle));

  const status = h("span", {
    class: "wt-status",
    "data-testid": "edit-status",
    "aria-live": "polite",
  });
  const starts = h("div", { class: "wt-group" });
  // The codes stay as they are in every language; their names are translated.
  const codes = CODE_KEYS.map((c) => {
    const name = beatName(c);
    const title = name
      ? interpolate(gettext("Code %(code)s, %(name)s (key %(code)s): relabels the selection"), {
          code: c,
          name,
        })
      : interpolate(gettext("Code %(code)s (key %(code)s): relabels the selection"), { code: c });
    return btn(c, `beat-code-${c}`, title, () => on.code(c));
  });
  const tools = h("div", { class: "wt-group" }, [
    ...codes,
    btn(gettext("Cluster"), "select-cluster", gettext("Select the beat's whole cluster (Shift+C)"), () =>
      on.cluster(),
    ),
    btn(gettext("Delete"), "edit-delete", gettext("Delete the selection (Del)"), () => on.remove()),
    btn(gettext("Undo"), "edit-undo", gettext("Undo the last edit (Ctrl+Z)"), () => on.undo()),
  ]);
  const labels = h(
    "div",
    { class: "wt-group", "data-testid": "segment-labels", hidden: true },
    vocabulary().commonRhythms.map((l) =>
      btn(dataSpan(l), `segment-label-${l}`, rhythmTitle(l), () =>
        on.label(l),
      ),
    ),
  );
  // Every edit is logged on the server; the set's history page lists them.
  const historyLink = h(
    "a",
    { class: "wt-note", "data-testid": "edit-history", target: "_blank", hidden: true },
    gettext("History"),
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
      h("span", { class: "wt-note" }, gettext("Edit:")),
      ...mine.map((s) =>
        btn(dataSpan(s.name), `beat-open-${s.name}`, gettext("Go on with this set"), () =>
          on.open(s),
        ),
      ),
      h("span", { class: "wt-note" }, gettext("Start from:")),
      ...sources.map((s) =>
        btn(
          dataSpan(s.name),
          `beat-start-${s.name}`,
          // The name is on the button: a tooltip cannot keep it apart from the text.
          interpolate(gettext("A copy of this set (%(origin)s)"), { origin: originName(s.origin) }),
          () => on.start(s.name),
        ),
      ),
      btn(gettext("empty"), "beat-start-empty", gettext("An empty set"), () => on.start(null)),
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
    if (!editing) {
      status.textContent = gettext("Choose a set to edit");
      return;
    }
    let saving = gettext("saved");
    if (st.editPending) saving = gettext("saving…");
    else if (failed) saving = interpolate(gettext("error: %(error)s"), { error: state.slice(7) });
    else if (state === "saving") saving = gettext("saving");
    // The set's name is data, not text to translate.
    status.replaceChildren(
      dataSpan(st.editSet.name),
      " · ",
      interpolate(gettext("%(n)s selected"), { n: sel }),
      ` · ${saving}`,
    );
  }

  return { sync };
}
