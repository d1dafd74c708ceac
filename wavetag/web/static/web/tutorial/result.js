// What Submit and Save for later would do on a task page, shown here instead of saved:
// the answer in words and, since the tutorial knows its answer, a practice check of it
// (and, on the beat-correction walkthrough, of the corrected beats).

import { gettext, gettext_noop, interpolate } from "../viewer/i18n.js";

const TOLERANCE = 0.15; // s: beats matched as EC57's bxb does

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...[].concat(children));
  return node;
}

const labelOf = (input) =>
  input.closest("label")?.querySelector("span")?.textContent.trim() ?? input.value;

/** The form's answer: per field, its values and the same in words. */
export function readAnswer(form) {
  return [...form.querySelectorAll("fieldset[data-field]")].map((fieldset) => {
    const legend = fieldset.querySelector("legend").firstChild.textContent.trim();
    const name = fieldset.dataset.field;
    const type = fieldset.dataset.type;
    if (type === "choice" || type === "multi") {
      const ticked = [...fieldset.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`)];
      const shown = ticked.filter((i) => !i.closest("[hidden]"));
      const words = shown.map((input) => {
        const graded = CSS.escape(`${name}:${input.value}`);
        const grade = fieldset.querySelector(`input[name="${graded}"]:checked`);
        const text = labelOf(input);
        return grade ? `${text} (${grade.parentElement.textContent.trim()})` : text;
      });
      return { name, label: legend, values: shown.map((i) => i.value), text: words.join(", ") };
    }
    const value = fieldset.querySelector("input, textarea").value.trim();
    return { name, label: legend, values: value ? [value] : [], text: value };
  });
}

const sameSet = (a, b) => a.length === b.length && a.every((v) => b.includes(v));

/** Reference beats [time, code] against the corrected ones, matched one to one. */
export function compareBeats(reference, rows) {
  const free = [...rows].sort((a, b) => a.time - b.time);
  let matched = 0;
  let relabel = 0;
  for (const [time, code] of reference) {
    let best = -1;
    free.forEach((r, i) => {
      const d = Math.abs(r.time - time);
      if (d <= TOLERANCE && (best < 0 || d < Math.abs(free[best].time - time))) best = i;
    });
    if (best < 0) continue;
    matched += 1;
    if (free[best].symbol !== code) relabel += 1;
    free.splice(best, 1);
  }
  return { matched, relabel, missed: reference.length - matched, extra: free.length };
}

function practiceLines(answer, expected) {
  return expected.map((want) => {
    const mine = answer.find((a) => a.name === want.name) || { values: [], text: "" };
    const ok = sameSet(mine.values, want.values);
    return el("li", { class: ok ? "match" : "miss", "data-testid": `practice-${want.name}` }, [
      `${ok ? "✓" : "✗"} ` +
        interpolate(gettext("%(field)s: yours %(yours)s; the tutorial's %(theirs)s."), {
          field: want.label,
          yours: mine.text || gettext("(none)"),
          theirs: want.text,
        }),
    ]);
  });
}

function beatLine(config, viewer) {
  const rows = viewer.beats().filter((r) => r.kind === "beat");
  const c = compareBeats(config.reference, rows);
  const ok = c.matched === config.reference.length && !c.relabel && !c.extra;
  const text =
    `${ok ? "✓" : "✗"} ` +
    interpolate(
      gettext(
        "Beats: %(n)s in your set; against the tutorial's %(reference)s: %(matched)s found, %(missed)s missing, %(extra)s extra, %(relabel)s with another code.",
      ),
      { n: rows.length, reference: config.reference.length, ...c },
    );
  return el("li", { class: ok ? "match" : "miss", "data-testid": "practice-beats" }, [text]);
}

const WOULD = {
  later: gettext_noop(
    "Saved for later, on a task page: your answer is kept and the task stays in your batch. Here nothing was saved.",
  ),
  submitted: gettext_noop(
    "Submitted, on a task page: your answer is saved and the next unfinished task of your batch opens. Here nothing was saved.",
  ),
};

/** Fill the result box for a press of Submit ("submitted") or Save for later ("later"). */
export function showResult(box, status, { form, config, viewer }) {
  const answer = readAnswer(form);
  const given = answer.filter((a) => a.text);
  const lines = given.map((a) => el("li", {}, [`${a.label}: ${a.text}`]));
  const parts = [
    el("p", { "data-testid": "result-would" }, [gettext(WOULD[status])]),
    el("p", {}, [given.length ? gettext("The answer:") : gettext("No field answered yet.")]),
    el("ul", {}, lines),
  ];
  if (status === "submitted") {
    const checks = practiceLines(answer, config.expected);
    if (config.reference) checks.push(beatLine(config, viewer));
    parts.push(el("h3", {}, [gettext("Practice check")]), el("ul", { class: "practice" }, checks));
  }
  box.replaceChildren(...parts);
  box.dataset.status = status;
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}
