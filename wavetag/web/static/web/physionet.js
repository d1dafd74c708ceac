// The "Import from PhysioNet" page: list a database's records from the mirror, pick some,
// start the import job and follow it until its outcome. Every rule is the API's; this
// module only shows what the API answers.

import { gettext, interpolate } from "./viewer/i18n.js";

const form = document.getElementById("physionet");
const errorLine = form.querySelector("[data-testid=physionet-error]");
const pick = document.getElementById("pick");
const target = document.getElementById("target");
const recordsBox = pick.querySelector(".records");
const job = document.getElementById("job");
const POLL_MS = 1000;

let listed = null; // {database, version, records} as the API answered

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function api(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { Accept: "application/json", ...(options.headers || {}) },
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const answered = interpolate(gettext("the server answered %(status)s"), { status: response.status });
    throw new Error((body && body.detail) || answered);
  }
  return body;
}

function showError(message) {
  errorLine.textContent = message || "";
  errorLine.hidden = !message;
}

function field(name) {
  return form.elements[name].value.trim();
}

async function listRecords() {
  showError("");
  const database = field("database");
  if (!database) {
    showError(gettext("database: give a PhysioNet database name (e.g. mitdb)"));
    return;
  }
  const version = field("version");
  const query = version ? `?version=${encodeURIComponent(version)}` : "";
  try {
    listed = await api(`/api/v1/physionet/${encodeURIComponent(database)}/records${query}`);
  } catch (error) {
    listed = null;
    pick.hidden = target.hidden = true;
    showError(error.message);
    return;
  }
  const items = document.createDocumentFragment();
  for (const name of listed.records) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    Object.assign(box, { type: "checkbox", name: "record", value: name, checked: true });
    const text = document.createElement("span");
    text.setAttribute("translate", "no");
    text.textContent = name;
    label.append(box, " ", text);
    items.append(label);
  }
  recordsBox.replaceChildren(items);
  const shown = listed.version || gettext("flat layout, no version");
  pick.querySelector("[data-testid=records-count]").textContent = interpolate(
    gettext("(%(n)s in %(database)s %(version)s)"),
    { n: listed.records.length, database: listed.database, version: shown },
  );
  pick.hidden = target.hidden = false;
  if (!field("dataset")) form.elements.dataset.value = listed.database;
}

function chosen() {
  return [...recordsBox.querySelectorAll("input:checked")].map((box) => box.value);
}

async function start(event) {
  event.preventDefault();
  showError("");
  if (!listed) return;
  const records = chosen();
  if (!records.length) {
    showError(gettext("records: choose at least one record"));
    return;
  }
  const body = {
    database: listed.database,
    version: listed.version || null,
    records: records.length === listed.records.length ? null : records,
  };
  const dataset = encodeURIComponent(field("dataset"));
  let queued;
  try {
    queued = await api(`/api/v1/datasets/${dataset}/physionet`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
  } catch (error) {
    showError(error.message);
    return;
  }
  form.querySelector("[data-testid=start]").disabled = true;
  job.hidden = false;
  follow(queued.url);
}

async function follow(url) {
  let state;
  try {
    state = await api(url);
  } catch (error) {
    showError(error.message);
    return;
  }
  showProgress(state);
  if (state.status === "queued" || state.status === "running") {
    setTimeout(() => follow(url), POLL_MS);
  } else {
    showOutcome(state);
    form.querySelector("[data-testid=start]").disabled = false;
  }
}

function showProgress(state) {
  const bar = job.querySelector("progress");
  const total = Math.max(state.total, 1);
  // Downloading counts for the first half of the bar, importing for the second.
  bar.value = (state.downloaded + state.done) / (2 * total);
  const counts = {
    total: state.total,
    downloaded: state.downloaded,
    done: state.done,
    imported: state.items.length,
    refused: state.refused.length,
  };
  let text = interpolate(gettext("waiting for the worker (%(total)s records)"), counts);
  if (state.status === "running") {
    text = state.downloaded < state.total
      ? interpolate(gettext("downloading: %(downloaded)s of %(total)s records"), counts)
      : interpolate(gettext("importing: %(done)s of %(total)s records"), counts);
  } else if (state.status === "done") {
    text = interpolate(gettext("done: %(imported)s imported, %(refused)s refused"), counts);
  } else if (state.status === "failed") {
    text = interpolate(gettext("failed: %(imported)s imported, %(refused)s refused"), counts);
    bar.value = 1;
  }
  job.querySelector("[data-testid=job-status]").textContent = text;
}

function showOutcome(state) {
  const out = job.querySelector("[data-testid=job-outcome]");
  const parts = [];
  if (state.error) {
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = state.error;
    parts.push(p);
  }
  if (state.items.length) {
    const list = document.createElement("ul");
    list.dataset.testid = "imported";
    for (const item of state.items) {
      const link = document.createElement("a");
      link.href = `/records/${item.id}/`;
      link.textContent = item.name;
      link.setAttribute("translate", "no");
      const li = document.createElement("li");
      li.append(link);
      list.append(li);
    }
    parts.push(
      heading(interpolate(gettext("Imported into %(dataset)s"), { dataset: state.dataset })),
      list,
    );
  }
  if (state.refused.length) {
    const list = document.createElement("ul");
    list.dataset.testid = "refused";
    for (const refused of state.refused) {
      const li = document.createElement("li");
      li.textContent = `${refused.file}: ${refused.error}`;
      list.append(li);
    }
    parts.push(heading(gettext("Refused")), list);
  }
  out.replaceChildren(...parts);
}

function heading(text) {
  const h = document.createElement("h3");
  h.textContent = text;
  return h;
}

// Enabled only now that it works: the page's HTML comes before this module, which waits for
// its imports, and a click in between would do nothing.
const listButton = form.querySelector("[data-testid=list-records]");
listButton.addEventListener("click", listRecords);
listButton.disabled = false;
form.elements.database.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    listRecords();
  }
});
pick.addEventListener("click", (event) => {
  const which = event.target.dataset && event.target.dataset.pick;
  if (!which) return;
  for (const box of recordsBox.querySelectorAll("input")) box.checked = which === "all";
});
form.addEventListener("submit", start);
