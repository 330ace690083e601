// Conditional display of a network's form (the server applies the same rules on save:
// parcours/records/formdef.py). An element with data-when='[{question, operator, answer}]'
// is hidden while a condition does not hold; hidden inputs are disabled so that they send
// nothing. Conditions name items outside repeating groups (checked at publication).
(function () {
  "use strict";
  const form = document.querySelector("form.records-fill");
  if (!form) return;

  function valueOf(linkId) {
    const inputs = form.querySelectorAll('[data-link="' + linkId + '"]:not([type=hidden])');
    const values = [];
    inputs.forEach(function (input) {
      if (input.disabled) return;
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) values.push(input.value);
      } else if (input.tagName !== "DIV" && input.value !== "") {
        values.push(input.value);
      }
    });
    return values;
  }

  function holds(cond) {
    const values = valueOf(cond.question);
    const expected = String(cond.answer);
    switch (cond.operator) {
      case "exists":
        return (values.length > 0) === (expected === "true" || expected === "1");
      case "=":
        return values.indexOf(expected) !== -1;
      case "!=":
        return values.indexOf(expected) === -1;
      default: {
        if (!values.length) return false;
        const left = parseFloat(values[0].replace(",", "."));
        const right = parseFloat(expected.replace(",", "."));
        if (isNaN(left) || isNaN(right)) return false;
        return { ">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right }[cond.operator];
      }
    }
  }

  function refresh() {
    form.querySelectorAll("[data-when]").forEach(function (el) {
      let conds = [];
      try { conds = JSON.parse(el.dataset.when || "[]"); } catch (e) { conds = []; }
      const shown = conds.every(holds) && !(el.parentElement && el.parentElement.closest("[hidden]"));
      el.hidden = !shown;
      el.querySelectorAll("input, textarea, select").forEach(function (input) {
        if (input.type !== "hidden") input.disabled = !shown;
      });
    });
  }

  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  refresh();
})();
