// The adjudication form: copy an annotator's answer into it, show only the choices of a
// dependent field that belong to its parent's value, and keep a graded item's box and
// grade in step. The server checks the decision whatever this module does.

const form = document.getElementById("decision");

function checkedValue(name) {
  const input = form.querySelector(`input[type=radio][name="${CSS.escape(name)}"]:checked`);
  return input ? input.value : "";
}

function syncGroups() {
  for (const box of form.querySelectorAll("fieldset[data-depends-on]")) {
    const parent = checkedValue(box.dataset.dependsOn);
    for (const label of box.querySelectorAll("label[data-group]")) {
      const show = label.dataset.group === parent;
      label.hidden = !show;
      const input = label.querySelector("input");
      if (!show && input.checked) input.checked = false;
    }
  }
}

function setField(box, value) {
  const name = box.dataset.field;
  const inputs = [...box.querySelectorAll("input, textarea")];
  if (box.classList.contains("field-choice")) {
    for (const input of inputs) input.checked = input.value === (value ?? "");
  } else if (box.classList.contains("field-multi")) {
    const items = new Map();
    for (const item of value || []) {
      if (typeof item === "string") items.set(item, "");
      else items.set(item.value, item.grade);
    }
    for (const input of inputs) {
      if (input.type === "checkbox") input.checked = items.has(input.value);
      else {
        const item = input.name.slice(name.length + 1);
        input.checked = items.has(item) && items.get(item) === input.value;
      }
    }
  } else {
    inputs[0].value = value ?? "";
  }
}

function useAnswer(answer) {
  for (const box of form.querySelectorAll("fieldset[data-field]")) {
    setField(box, answer[box.dataset.field]);
  }
  syncGroups();
  form.querySelector("[data-testid=adjudicate-comment]").focus();
}

if (form) {
  form.addEventListener("change", (event) => {
    const input = event.target;
    const box = input.closest("fieldset[data-field]");
    if (box && box.classList.contains("field-multi")) {
      const option = input.closest(".option");
      if (input.type === "radio") option.querySelector("input[type=checkbox]").checked = true;
      else if (!input.checked) {
        for (const grade of option.querySelectorAll("input[type=radio]")) grade.checked = false;
      }
    }
    syncGroups();
  });
  for (const button of document.querySelectorAll("button.use-answer")) {
    button.addEventListener("click", () => {
      const source = document.getElementById(button.dataset.answer);
      if (source) useAnswer(JSON.parse(source.textContent));
    });
  }
  syncGroups();
}
