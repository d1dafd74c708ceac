/**
 * The dataset page's upload box (dataset managers): files dropped or chosen go to
 * `POST /api/v1/datasets/{name}/records` as one multipart request, then each file's
 * outcome is shown and the page's list of records is fetched again.
 *
 * XMLHttpRequest rather than fetch: only it reports the progress of a request's body
 * (`upload.onprogress`), and a Holter takes minutes to send.
 */

import { gettext, interpolate, ngettext } from "./viewer/i18n.js";

const box = document.querySelector("[data-upload-url]");
const input = box.querySelector("input[type=file]");
const drop = box.querySelector(".drop");
const status = box.querySelector("[data-testid=upload-status]");
const bar = status.querySelector("progress");
const percent = status.querySelector("[data-testid=upload-percent]");
const outcome = box.querySelector("[data-testid=upload-outcome]");
const MAX = Number(box.dataset.max);
const POLL_MS = 1000;
let busy = false;

// The token from the form field the page renders: the cookie may be HttpOnly.
const csrfToken = () => box.querySelector("input[name=csrfmiddlewaretoken]").value;

function showProgress(fraction, words) {
  const pct = Math.floor(fraction * 100);
  bar.value = pct;
  percent.textContent = `${pct} %${words ? ` · ${words}` : ""}`;
  status.hidden = false;
}

function element(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function showError(message) {
  outcome.replaceChildren(element("p", message, { class: "error", role: "alert", "data-testid": "upload-error" }));
}

/** Imported records as links to their pages; refused files with their reason. */
function showOutcome(items, refused, note) {
  const parts = [];
  if (note) parts.push(element("p", note, { class: "error", role: "alert", "data-testid": "upload-error" }));
  if (items.length) {
    const n = items.length;
    parts.push(
      element("h3", interpolate(ngettext("Imported: %(n)s record", "Imported: %(n)s records", n), { n })),
    );
    const list = element("ul", undefined, { "data-testid": "upload-imported" });
    for (const item of items) {
      const href = box.dataset.recordUrl.replace(/\/0\/$/, `/${item.id}/`);
      list.appendChild(element("li")).append(element("a", item.name, { href, translate: "no" }));
    }
    parts.push(list);
  }
  if (refused.length) {
    const n = refused.length;
    parts.push(
      element("h3", interpolate(ngettext("Refused: %(n)s file", "Refused: %(n)s files", n), { n })),
    );
    const list = element("ul", undefined, { "data-testid": "upload-refused" });
    for (const r of refused) {
      const li = list.appendChild(element("li"));
      li.append(element("strong", r.file, { translate: "no" }), `: ${r.error}`);
    }
    parts.push(list);
  }
  outcome.replaceChildren(...parts);
  if (items.length) refreshRecords();
}

/** The page's record count and table, fetched again so that new records appear. */
async function refreshRecords() {
  const response = await fetch(location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const records = fresh.getElementById("records");
  if (records) document.getElementById("records").replaceWith(records);
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function answered(xhr) {
  const body = parse(xhr.responseText);
  if (xhr.status === 201) {
    busy = false;
    showProgress(1, gettext("done"));
    return showOutcome(body.items, body.refused);
  }
  if (xhr.status === 202) return poll(body.url);
  busy = false;
  if (xhr.status === 400 && body.refused) return showOutcome([], body.refused, body.detail);
  if (xhr.status === 413) {
    const detail = body.detail || gettext("the upload is over the server's limit");
    return showError(
      interpolate(gettext("Too large: %(detail)s. Send the files in several uploads."), { detail }),
    );
  }
  showError(
    interpolate(gettext("The upload failed (%(status)s): %(detail)s"), {
      status: xhr.status,
      detail: body.detail || xhr.statusText || gettext("no answer"),
    }),
  );
}

/** A large upload is imported by the worker: follow its job until it is done. */
async function poll(url) {
  showProgress(0, gettext("received; waiting for the import to start"));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    let job;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      job = await response.json();
      if (!response.ok) throw new Error(job.detail || response.statusText);
    } catch (error) {
      busy = false;
      return showError(interpolate(gettext("Could not follow the import: %(error)s"), { error: error.message }));
    }
    if (job.total) {
      const words = gettext("imported or refused %(done)s of %(total)s records");
      showProgress(job.done / job.total, interpolate(words, { done: job.done, total: job.total }));
    } else if (job.status === "running") showProgress(0, gettext("unpacking and looking for records"));
    if (job.status === "done" || job.status === "failed") {
      busy = false;
      if (job.status === "done") showProgress(1, gettext("import done"));
      const failed = interpolate(gettext("The import failed: %(error)s"), { error: job.error });
      return showOutcome(job.items, job.refused, job.status === "failed" ? failed : "");
    }
  }
}

function amount(bytes) {
  if (bytes >= 1e9) return `${+(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${+(bytes / 1e6).toFixed(1)} MB`;
  return interpolate(gettext("%(n)s bytes"), { n: bytes });
}

function send(files) {
  if (busy || !files.length) return;
  const size = files.reduce((sum, f) => sum + f.size, 0);
  if (size > MAX) {
    return showError(
      interpolate(
        gettext("Too large: %(size)s chosen, at most %(max)s in one upload. Send the files in several uploads."),
        { size: amount(size), max: amount(MAX) },
      ),
    );
  }
  busy = true;
  outcome.replaceChildren();
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", box.dataset.uploadUrl);
  xhr.setRequestHeader("X-CSRFToken", csrfToken());
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) {
      showProgress(e.loaded / e.total, e.loaded < e.total ? gettext("sending") : gettext("received; importing"));
    }
  };
  xhr.upload.onload = () => showProgress(1, gettext("received; importing"));
  xhr.onload = () => answered(xhr);
  xhr.onerror = () => {
    busy = false;
    showError(gettext("The upload failed: the connection was lost. Nothing was imported unless listed on the page."));
  };
  showProgress(0, gettext("sending"));
  xhr.send(form);
}

input.addEventListener("change", () => {
  send(Array.from(input.files));
  input.value = ""; // the same files may be chosen again
});
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  send(Array.from(e.dataTransfer.files));
});
