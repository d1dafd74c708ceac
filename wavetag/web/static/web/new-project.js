// The create-project page: a JSON error shown while the schema is typed, the template's
// schema copied into the box when a template is chosen, and the answer-form preview
// asked of the server (which renders it as the task page does, and checks the schema).
// Without this module the form still works: the server checks everything on submit.

import { gettext, interpolateParts } from "./viewer/i18n.js";

const form = document.getElementById("new-project");
const template = form.elements.template;
const schema = form.elements.schema;
const parseError = document.getElementById("schema-parse");
const preview = document.getElementById("preview");
// Read as an attribute: form.dataset is the form's input named "dataset".
const previewUrl = form.getAttribute("data-preview");
const templates = JSON.parse(document.getElementById("template-schemas").textContent);
let timer = 0;
let asked = 0;

/** What is wrong with the typed schema as JSON, as parts of a sentence; [] when nothing. */
function parseProblem(text) {
  try {
    JSON.parse(text);
    return [];
  } catch (error) {
    // The parser's own words (in the browser's English) are quoted as they are.
    const detail = document.createElement("code");
    detail.textContent = error.message;
    return interpolateParts(gettext("schema: not valid JSON (%(error)s)"), { error: detail });
  }
}

function showParse() {
  const parts = parseProblem(schema.value);
  const problem = parts.length > 0;
  parseError.replaceChildren(...parts);
  parseError.hidden = !problem;
  if (problem) schema.setAttribute("aria-invalid", "true");
  else schema.removeAttribute("aria-invalid");
  return !problem;
}

async function refresh() {
  const ticket = ++asked;
  const body = new FormData();
  body.set("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
  body.set("template", template.value);
  body.set("schema", schema.value);
  const response = await fetch(previewUrl, { method: "POST", body });
  const text = await response.text();
  if (ticket !== asked) return; // a later edit asked again meanwhile
  if (response.ok) {
    preview.innerHTML = text;
  } else {
    preview.replaceChildren(Object.assign(document.createElement("p"), {
      className: "error",
      textContent: text,
    }));
  }
}

function later() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 300);
}

template.addEventListener("change", () => {
  if (template.value in templates) {
    schema.value = JSON.stringify(templates[template.value], null, 2);
    showParse();
  }
  later();
});

schema.addEventListener("input", () => {
  // An edited schema is a custom one, whatever template it started from.
  template.value = "custom";
  if (showParse()) later();
});
