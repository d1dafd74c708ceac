// Saving the answer: the form is posted to its page as it would be without scripts
// (same view, same service as the API's PUT), asking for JSON so the page can show the
// server's message, naming the field, without losing what was typed.

import { gettext, interpolate } from "../viewer/i18n.js";

export function attachSave(form, { onSaving, onSaved, onError }) {
  let busy = false;

  async function send(status) {
    if (busy) return;
    busy = true;
    onSaving();
    const data = new FormData(form);
    data.set("status", status);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok && body.status) onSaved(body);
      else if (response.ok || response.redirected) {
        // Sent to the log-in page: the log-in expired while the form was open.
        onError(
          gettext(
            "You are logged out. Log in again in another tab, then save: your answer is kept here.",
          ),
          "",
        );
      } else {
        const message =
          body.error ||
          interpolate(gettext("The server answered %(status)s."), { status: response.status });
        onError(message, body.field || "");
      }
    } catch {
      onError(
        gettext("Could not reach the server. Your answer is kept in this browser; try again."),
        "",
      );
    } finally {
      busy = false;
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    send(e.submitter?.value === "later" ? "later" : "submitted");
  });
  return { send };
}
