// The answer form's own behaviour: a choice that depends on another field shows only
// the group of that field's value, a field marked optional_when says so, and a graded
// multi-label item gets its first grade when ticked. Which answers are valid is decided
// by the server; this only keeps the form readable and drives it from the keyboard.

import { gettext } from "../viewer/i18n.js";

const checkedValue = (form, name) =>
  form.querySelector(`input[name="${CSS.escape(name)}"]:checked`)?.value ?? "";

export function createFields(form, say) {
  const dependents = [...form.querySelectorAll("fieldset[data-depends-on]")];
  const conditional = [...form.querySelectorAll("fieldset[data-optional-when]")];
  let current = null; // the graded item ticked last: grade keys apply to it

  function setCurrent(item) {
    current?.classList.remove("current");
    current = item;
    current?.classList.add("current");
  }

  /** Show the group of each dependent field's parent value; drop a choice of another. */
  function syncGroups() {
    for (const fieldset of dependents) {
      const parent = checkedValue(form, fieldset.dataset.dependsOn);
      for (const group of fieldset.querySelectorAll(".group")) {
        group.hidden = group.dataset.group !== parent;
      }
      const hint = fieldset.querySelector(".hint-parent");
      if (hint) hint.hidden = Boolean(parent);
      for (const input of fieldset.querySelectorAll("input:checked")) {
        if (input.dataset.group !== parent) input.checked = false;
      }
    }
  }

  function syncOptional() {
    for (const fieldset of conditional) {
      const when = JSON.parse(fieldset.dataset.optionalWhen);
      const optional = Object.entries(when).some(([other, values]) =>
        values.includes(checkedValue(form, other)),
      );
      fieldset.classList.toggle("optional-now", optional);
    }
  }

  function sync() {
    syncGroups();
    syncOptional();
  }

  function onChange(e) {
    const t = e.target;
    const item = t.closest?.(".item");
    const grades = item ? [...item.querySelectorAll(".grades input")] : [];
    if (t.type === "checkbox" && grades.length) {
      if (t.checked) {
        if (!grades.some((g) => g.checked)) grades[0].checked = true;
        setCurrent(item);
      } else {
        grades.forEach((g) => (g.checked = false));
        if (current === item) setCurrent(null);
      }
    } else if (t.dataset?.grade !== undefined && item) {
      item.querySelector('input[type="checkbox"]').checked = true;
      setCurrent(item);
    }
    if (t.type === "radio" || t.type === "checkbox") sync();
  }
  form.addEventListener("change", onChange);

  function fire(input) {
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  /** A decision key: true when it meant something here. */
  function press(key) {
    const choice = [...form.querySelectorAll(`input[data-key="${key}"]`)].find(
      (input) => !input.closest("[hidden]"),
    );
    if (choice) {
      choice.checked = choice.type === "radio" ? true : !choice.checked;
      fire(choice);
      return true;
    }
    const grades = [...form.querySelectorAll(`input[data-grade="${key}"]`)];
    if (!grades.length) return false;
    const grade = current && grades.find((g) => current.contains(g));
    if (grade) {
      grade.checked = true;
      fire(grade);
    } else {
      say(gettext("Tick an item first (its key), then grade it."));
    }
    return true;
  }

  sync();
  return { sync, press };
}
