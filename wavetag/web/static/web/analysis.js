// Follows a queued or running analysis on the record page until it is done or failed.
import { gettext, gettext_noop, interpolate, interpolateParts } from "./viewer/i18n.js";

const POLL_MS = 1000;
const STATUS = {
  queued: gettext_noop("queued"),
  running: gettext_noop("running"),
  done: gettext_noop("done"),
  failed: gettext_noop("failed"),
};

function render(status, run) {
  status.dataset.status = run.status;
  const strong = document.createElement("strong");
  strong.textContent = STATUS[run.status] ? gettext(STATUS[run.status]) : run.status;
  status.replaceChildren(
    ...interpolateParts(gettext("Automatic analysis: %(status)s"), { status: strong }),
  );
  if (run.status === "done") {
    const code = document.createElement("code");
    code.textContent = run.annotation_set;
    const reload = document.createElement("a");
    reload.href = window.location.pathname;
    reload.textContent = gettext("reload to show it");
    status.append(
      ...interpolateParts(gettext(", %(n)s beats in set %(set)s (%(reload)s)"), {
        n: run.beats,
        set: code,
        reload,
      }),
    );
  } else if (run.status === "failed") {
    const error = document.createElement("span");
    error.className = "error";
    error.textContent = run.error;
    status.append(": ", error);
  } else {
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = run.progress;
    const message = document.createElement("span");
    message.className = "analysis-message";
    message.textContent = run.message;
    status.append(" ", bar, " ", message);
  }
}

async function follow(runId, status) {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    let run;
    try {
      const response = await fetch(`/api/v1/analysis/${runId}`, { credentials: "same-origin" });
      if (!response.ok) return;
      run = await response.json();
    } catch {
      continue; // the server restarting: try again
    }
    render(status, run);
    if (run.status === "done" || run.status === "failed") return;
  }
}

const data = document.getElementById("analysis-run");
const status = document.querySelector("#analysis .analysis-status");
const run = data ? JSON.parse(data.textContent) : null;
if (run && status && (run.status === "queued" || run.status === "running")) {
  follow(run.id, status);
}
