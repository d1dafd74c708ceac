// What the guide checks to know a step was done, by the name a step gives in its
// data-check. Each check reads the viewer's store, the form, or what the page did
// (Save for later, Submit): begin(ctx) notes how things stood when the step opened,
// met(ctx, memo) says whether the user has done it since, note(ctx) adds a word on how.

import { gettext, interpolate } from "../viewer/i18n.js";

const span = (view) => view.end - view.start;
const TOLERANCE = 0.15; // s: a beat this close to the reference's is the same beat (bxb)
const CALIPER_REACH = 0.08; // s: a caliper end this close to an R peak is on it

function nearest(times, t) {
  let best = -1;
  for (let i = 0; i < times.length; i++) {
    if (best < 0 || Math.abs(times[i] - t) < Math.abs(times[best] - t)) best = i;
  }
  return best;
}

/** How a caliper relates to the record's beats, in words. */
export function caliperNote(beats, caliper) {
  const a = Math.min(caliper.t1, caliper.t2);
  const b = Math.max(caliper.t1, caliper.t2);
  const ms = Math.round((b - a) * 1000);
  const ia = nearest(beats, a);
  const ib = nearest(beats, b);
  if (ia < 0) return interpolate(gettext("Your caliper spans %(ms)s ms."), { ms });
  const onPeaks =
    Math.abs(beats[ia] - a) < CALIPER_REACH && Math.abs(beats[ib] - b) < CALIPER_REACH;
  if (onPeaks && ib === ia + 1) {
    return interpolate(gettext("That is an RR interval: %(ms)s ms, %(rate)s beats/min."), {
      ms,
      rate: (60000 / ms).toFixed(0),
    });
  }
  const i = Math.max(1, nearest(beats, (a + b) / 2));
  const rr = Math.round((beats[Math.min(i, beats.length - 1)] - beats[i - 1]) * 1000);
  return interpolate(
    gettext(
      "Your caliper spans %(ms)s ms; an RR interval here is about %(rr)s ms: drag its ends onto two neighbouring R peaks to measure one.",
    ),
    { ms, rr },
  );
}

function corrected(ctx, kind) {
  const rows = ctx.viewer.beats().filter((r) => r.kind === "beat");
  const wanted = ctx.config.corrections.filter((c) => c.kind === kind);
  return (
    wanted.length > 0 &&
    wanted.every((c) =>
      rows.some(
        (r) =>
          Math.abs(r.time - c.time) < TOLERANCE && (kind === "missing" || r.symbol === c.symbol),
      ),
    )
  );
}

function fieldAnswered(fieldset) {
  return [...fieldset.querySelectorAll("input, textarea")].some((el) =>
    el.type === "radio" || el.type === "checkbox"
      ? el.checked && !el.closest("[hidden]")
      : el.value.trim() !== "",
  );
}

/** Every required field answered (unless optional now), and at least one field. */
export function answerComplete(form) {
  const fields = [...form.querySelectorAll("fieldset[data-field]")];
  const required = fields.filter(
    (f) => f.dataset.required && !f.classList.contains("optional-now"),
  );
  return required.every(fieldAnswered) && fields.some(fieldAnswered);
}

export const CHECKS = {
  zoom: {
    begin: (ctx) => span(ctx.store.get().view),
    met: (ctx, before) => Math.abs(span(ctx.store.get().view) - before) > before * 0.01,
  },
  pan: {
    begin: (ctx) => ({ ...ctx.store.get().view }),
    met(ctx, before) {
      const now = ctx.store.get().view;
      const same = Math.abs(span(now) - span(before)) <= span(before) * 0.01;
      return same && Math.abs(now.start - before.start) > span(before) * 0.05;
    },
  },
  channel: { met: (ctx) => ctx.store.get().channels.some((c) => !c.shown) },
  filter: { met: (ctx) => ctx.store.get().filters.on },
  caliper: {
    met: (ctx) => ctx.store.get().calipers.length > 0,
    note(ctx) {
      const all = ctx.store.get().calipers;
      return all.length ? caliperNote(ctx.config.beats, all[all.length - 1]) : "";
    },
  },
  relabel: { met: (ctx) => corrected(ctx, "label") },
  add: { met: (ctx) => corrected(ctx, "missing") },
  answer: { met: (ctx) => answerComplete(ctx.form) },
  later: { met: (ctx) => ctx.done.has("later") },
  submit: { met: (ctx) => ctx.done.has("submitted") },
};
