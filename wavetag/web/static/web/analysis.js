// Follows a queued or running analysis on the record page until it is done or failed.
const POLL_MS = 1000;

function render(status, run) {
  status.dataset.status = run.status;
  status.replaceChildren("Automatic analysis: ");
  const strong = document.createElement("strong");
  strong.textContent = run.status;
  status.append(strong);
  if (run.status === "done") {
    status.append(`, ${run.beats} beats in set `);
    const code = document.createElement("code");
    code.textContent = run.annotation_set;
    const reload = document.createElement("a");
    reload.href = window.location.pathname;
    reload.textContent = "reload to show it";
    status.append(code, " (", reload, ")");
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
