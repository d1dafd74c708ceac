// The annotation page: wires the answer form's behaviour, keyboard, draft and saving.
// The form works without this script (a plain POST); this adds keys, drafts that
// survive a reload, errors shown in place, and the next task shown without a page load
// (advance.js), which wires each task's form again with boot().

import { createAdvance } from "./advance.js";
import { keepClearOfBar } from "./bar.js";
import { createDraft } from "./draft.js";
import { createFields } from "./fields.js";
import { attachKeys } from "./keys.js";
import { attachSave } from "./save.js";
import { gettext } from "../viewer/i18n.js";

function boot(form) {
  const status = form.querySelector('[data-testid="save-status"]');
  const errorBox = form.querySelector('[data-testid="form-error"]');
  const say = (text) => (status.textContent = text);
  const fields = createFields(form, say);
  const draft = createDraft(form);
  const bar = keepClearOfBar(form);

  if (draft.restore()) {
    fields.sync();
    form.dataset.state = "dirty";
    say(gettext("Your unsaved changes were restored from this browser."));
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
    for (const el of form.querySelectorAll('fieldset[aria-invalid="true"]')) {
      el.removeAttribute("aria-invalid");
    }
  }

  const saver = attachSave(form, {
    onSaving() {
      form.dataset.state = "saving";
      say(gettext("Saving…"));
    },
    onSaved(body) {
      clearError();
      form.dataset.savedAt = body.updated_at;
      draft.clear();
      form.dataset.state = "saved";
      say(body.status === "submitted" ? gettext("Submitted.") : gettext("Saved for later."));
      performance.mark("wt-advance-saved");
      if (!advance.go(body.next)) window.location.assign(body.next);
    },
    onError(message, field) {
      form.dataset.state = "error";
      say("");
      errorBox.textContent = message;
      errorBox.hidden = false;
      const fieldset = field && form.querySelector(`fieldset[data-field="${CSS.escape(field)}"]`);
      if (fieldset) {
        fieldset.setAttribute("aria-invalid", "true");
        fieldset.scrollIntoView({ block: "nearest" });
      }
    },
  });

  // After a click or tap on a choice, the keys go back to the page: arrows then pan the
  // signal rather than move the radio selection to the neighbouring answer. (A choice
  // reached with Tab keeps its focus: that is keyboard navigation of the form.)
  let pointer = false;
  form.addEventListener("pointerdown", () => (pointer = true));
  form.addEventListener("keydown", () => (pointer = false));
  form.addEventListener("click", (e) => {
    const t = e.target;
    if (pointer && (t.type === "radio" || t.type === "checkbox")) t.blur();
  });

  function changed() {
    if (form.dataset.state !== "saving") form.dataset.state = "dirty";
    draft.save();
  }
  form.addEventListener("change", changed);
  form.addEventListener("input", changed);

  const follow = (testid) => {
    const link = form.querySelector(`a[data-testid="${testid}"]`);
    if (link) window.location.assign(link.href);
  };
  const keys = {
    submit: form.dataset.keySubmit,
    later: form.dataset.keyLater,
    previous: form.dataset.keyPrevious,
    next: form.dataset.keyNext,
  };
  const keyboard = attachKeys(
    {
      submit: () => saver.send("submitted"),
      later: () => saver.send("later"),
      previous: () => follow("prev"),
      next: () => follow("next"),
    },
    keys,
    fields.press,
  );
  return {
    detach() {
      keyboard.detach();
      bar.detach();
    },
  };
}

const form = document.querySelector('form[data-testid="answer-form"]');
const advance = createAdvance(boot);
if (form) advance.start(form);
