// A button with data-copy="ID" copies the text of the element #ID to the clipboard and
// says so in the element with data-copied="ID". The clipboard API needs a secure context
// (https or localhost); elsewhere the text is selected and copied the older way.
import { gettext } from "./viewer/i18n.js";

async function copy(button) {
  const id = button.dataset.copy;
  const text = document.getElementById(id).textContent.trim();
  const status = document.querySelector(`[data-copied="${id}"]`);
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(document.getElementById(id));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if (!document.execCommand("copy")) {
      if (status) status.textContent = gettext("Selected: press Ctrl+C to copy.");
      return;
    }
  }
  if (status) status.textContent = gettext("Copied.");
}

// The buttons come disabled and are enabled here, once they work: a click before this
// module has run (it waits for its imports) would otherwise do nothing.
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", () => copy(button));
  button.disabled = false;
}
