// The guide panel: one step at a time (the page lists them all; without this script they
// all show), Next and Back, the control a step talks about highlighted, and the step's
// check (checks.js) run whenever the viewer or the form changes: a step done moves on
// by itself after a moment, so that its tick is seen.

import { CHECKS } from "./checks.js";
import { gettext, interpolate } from "../viewer/i18n.js";

const ADVANCE_MS = 900;
const HIGHLIGHT = "tutorial-target";

const done = (note) => `✓ ${interpolate(gettext("Done. %(note)s"), { note })}`.trim();

export function createGuide(panel, ctx, { onStep = () => {} } = {}) {
  const items = [...panel.querySelectorAll("li[data-step]")];
  const count = panel.querySelector("[data-testid=guide-count]");
  const status = panel.querySelector("[data-testid=guide-status]");
  const back = panel.querySelector("[data-testid=guide-back]");
  const next = panel.querySelector("[data-testid=guide-next]");
  let at = -1;
  let memo;
  let timer = 0;
  let lit = [];

  const step = () => items[at];
  const check = () => CHECKS[step().dataset.check];

  function highlight(selector) {
    lit.forEach((el) => el.classList.remove(HIGHLIGHT));
    lit = selector ? [...document.querySelectorAll(selector)] : [];
    lit.forEach((el) => el.classList.add(HIGHLIGHT));
  }

  function show(i) {
    clearTimeout(timer);
    at = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((li, n) => li.classList.toggle("current", n === at));
    panel.dataset.step = step().dataset.step;
    count.textContent = interpolate(gettext("Step %(n)s of %(total)s"), {
      n: at + 1,
      total: items.length,
    });
    back.disabled = at === 0;
    next.disabled = at === items.length - 1;
    status.textContent = "";
    highlight(step().dataset.target);
    memo = check()?.begin ? check().begin(ctx) : undefined;
    // Done already (a channel hidden before its step): say so, and wait for Next.
    if (check()?.met(ctx, memo)) finish(false);
    onStep(step().dataset.step);
  }

  function finish(advance) {
    const li = step();
    li.classList.add("done");
    const note = check().note ? check().note(ctx) : "";
    status.textContent = done(note);
    if (advance && at < items.length - 1) {
      const from = at;
      timer = setTimeout(() => at === from && show(at + 1), ADVANCE_MS);
    }
  }

  /** Something changed in the viewer or the form: was the current step done? */
  function refresh() {
    const c = check();
    if (!c) return;
    if (!step().classList.contains("done")) {
      if (c.met(ctx, memo)) finish(true);
    } else if (c.note) status.textContent = done(c.note(ctx)); // a caliper moved
  }

  back.addEventListener("click", () => {
    show(at - 1);
    ctx.focusViewer();
  });
  next.addEventListener("click", () => {
    show(at + 1);
    ctx.focusViewer();
  });
  panel.classList.add("js");
  show(0);
  return {
    refresh,
    next: () => show(at + 1),
    back: () => show(at - 1),
    current: () => step().dataset.step,
  };
}
