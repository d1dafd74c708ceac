// Unsaved answers survive a reload: every change is kept in localStorage, per user and
// task, with the server time of the answer it started from. A draft older than what the
// server holds now (saved from another tab or device) is dropped rather than restored.

const SKIP = new Set(["csrfmiddlewaretoken", "status"]);

function entries(form) {
  return [...new FormData(form).entries()].filter(([name]) => !SKIP.has(name));
}

function apply(form, list) {
  for (const el of form.elements) {
    if (!el.name || SKIP.has(el.name)) continue;
    if (el.type === "radio" || el.type === "checkbox") el.checked = false;
    else if (el.tagName === "TEXTAREA" || el.tagName === "INPUT") el.value = "";
  }
  for (const [name, value] of list) {
    for (const el of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.value === value) el.checked = true;
      } else el.value = value;
    }
  }
}

export function createDraft(form) {
  const key = `wavetag:draft:${form.dataset.user}:${form.dataset.task}`;
  const base = () => form.dataset.savedAt || "";

  function read() {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch {
      return null;
    }
  }

  return {
    save() {
      try {
        localStorage.setItem(key, JSON.stringify({ base: base(), entries: entries(form) }));
      } catch {
        // Storage full or disabled: the answer is still on the page.
      }
    },
    /** Put a kept draft back in the form; true when it changed what the form shows. */
    restore() {
      const draft = read();
      if (!draft) return false;
      if (draft.base !== base()) {
        this.clear();
        return false;
      }
      const before = JSON.stringify(entries(form));
      apply(form, draft.entries);
      return JSON.stringify(entries(form)) !== before;
    },
    clear() {
      try {
        localStorage.removeItem(key);
      } catch {
        // Nothing to clear.
      }
    },
  };
}
