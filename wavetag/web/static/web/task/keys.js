// Keyboard for the answer form. The form's keys take precedence over the embedded
// viewer's (this listener runs in the capture phase and marks the event handled, which
// the viewer respects); keys never act while the user types in a text box or a dialog.

const TEXT_TYPES = new Set(["text", "search", "email", "password", "number", "url", "tel"]);

function typing(t) {
  if (!t || !t.tagName) return false;
  if (t.isContentEditable || t.tagName === "TEXTAREA" || t.tagName === "SELECT") return true;
  if (t.tagName === "INPUT" && TEXT_TYPES.has(t.type)) return true;
  return Boolean(t.closest?.("dialog"));
}

/** "shift+arrowleft" -> {shift: true, key: "arrowleft"} */
function parse(spec) {
  const parts = spec.toLowerCase().split("+");
  return { shift: parts.includes("shift"), key: parts[parts.length - 1] };
}

const matches = (spec, e) => spec.shift === e.shiftKey && spec.key === e.key.toLowerCase();

/**
 * actions: {submit, later, previous, next} functions; keys: the same names to key specs
 * (from the server's ACTION_KEYS); press(key) handles a decision key and says if it did.
 */
export function attachKeys(actions, keys, press) {
  const specs = Object.entries(keys).map(([name, spec]) => [name, parse(spec)]);
  function onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const t = e.target;
    if (typing(t)) return;
    for (const [name, spec] of specs) {
      if (!matches(spec, e)) continue;
      // Enter on a button or link keeps its own meaning (press that button).
      if (name === "submit" && t.closest?.("button, a, summary")) return;
      e.preventDefault();
      actions[name]();
      return;
    }
    if (e.shiftKey || e.key.length !== 1) return;
    if (press(e.key.toLowerCase())) e.preventDefault();
  }
  window.addEventListener("keydown", onKey, true);
  return { detach: () => window.removeEventListener("keydown", onKey, true) };
}
