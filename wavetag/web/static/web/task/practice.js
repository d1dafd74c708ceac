// The practice page's answer form: the same fields and keys as the task page (choice
// keys, Enter answers), without drafts or saving for later: a practice answer is given
// once and the experts' answer comes back.

import { createFields } from "./fields.js";
import { attachKeys } from "./keys.js";

const form = document.querySelector('form[data-testid="practice-form"]');
if (form) {
  const status = form.querySelector('[data-testid="practice-status"]');
  const fields = createFields(form, (text) => (status.textContent = text));
  fields.sync();
  attachKeys({ submit: () => form.requestSubmit() }, { submit: form.dataset.keySubmit }, fields.press);
  // Says the keys answer now (a key pressed before this module ran would be lost).
  form.dataset.keys = "ready";
}
