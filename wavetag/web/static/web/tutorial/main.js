// The tutorial page: the task page's answer form and keys (the same modules), a guide
// that walks through the viewer and the form, and Submit / Save for later shown in the
// page instead of saved. The viewer is the one mounted by its own script above.

import { createFields } from "../task/fields.js";
import { attachKeys } from "../task/keys.js";
import { createGuide } from "./guide.js";
import { showResult } from "./result.js";
import { gettext } from "../viewer/i18n.js";

function boot(viewerEl) {
  const viewer = viewerEl.wtViewer;
  const form = document.querySelector('form[data-testid="answer-form"]');
  const config = JSON.parse(document.getElementById("tutorial-config").textContent);
  const status = form.querySelector('[data-testid="save-status"]');
  const box = document.querySelector('[data-testid="tutorial-result"]');
  const say = (text) => (status.textContent = text);
  const fields = createFields(form, say);
  const plot = viewerEl.querySelector('[data-testid="waveform"]');

  const ctx = {
    viewer,
    store: viewer.store,
    form,
    config,
    done: new Set(), // what the page would have sent: "later", "submitted"
    focusViewer: () => plot.focus({ preventScroll: true }),
  };
  const guide = createGuide(document.querySelector('[data-testid="tutorial-guide"]'), ctx);

  function act(kind) {
    ctx.done.add(kind);
    form.dataset.state = kind;
    say(
      kind === "later"
        ? gettext("Saved for later (not really).")
        : gettext("Submitted (not really)."),
    );
    showResult(box, kind, ctx);
    guide.refresh();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    act(e.submitter?.value === "later" ? "later" : "submitted");
  });
  const changed = () => {
    form.dataset.state = "dirty";
    guide.refresh();
  };
  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  viewer.store.subscribe(() => guide.refresh());

  // As on the task page: after a click on a choice the keys go back to the page.
  form.addEventListener("click", (e) => {
    const t = e.target;
    if (e.detail > 0 && (t.type === "radio" || t.type === "checkbox")) t.blur();
  });

  // The task page's keys; previous / next task move between the guide's steps here.
  attachKeys(
    {
      submit: () => act("submitted"),
      later: () => act("later"),
      previous: () => guide.back(),
      next: () => guide.next(),
    },
    {
      submit: form.dataset.keySubmit,
      later: form.dataset.keyLater,
      previous: form.dataset.keyPrevious,
      next: form.dataset.keyNext,
    },
    fields.press,
  );
}

// The viewer's module runs first (it comes first in the page); wait for it all the same.
const viewerEl = document.getElementById("viewer");
(function wait() {
  if (viewerEl?.wtViewer) boot(viewerEl);
  else setTimeout(wait, 20);
})();
