// Birthplace by commune name (patients area). Enhances each input[data-commune-url]: the
// professional types a name, picks a commune in the list, the INSEE code goes into the form.
// Without JavaScript the same input takes a commune name or a code; the server resolves and
// checks it either way (patients/cog.py). ARIA 1.2 combobox pattern, keyboard included.
(function () {
  "use strict";
  document.querySelectorAll("input[data-commune-url]").forEach(function (codeInput, n) {
    var url = codeInput.dataset.communeUrl;
    var visible = document.createElement("input");
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var listId = "commune-list-" + n;
    visible.type = "text";
    visible.id = codeInput.id;  // the <label for> now names the visible field
    visible.value = codeInput.value;
    visible.autocomplete = "off";
    visible.setAttribute("role", "combobox");
    visible.setAttribute("aria-autocomplete", "list");
    visible.setAttribute("aria-expanded", "false");
    visible.setAttribute("aria-controls", listId);
    if (codeInput.getAttribute("aria-describedby")) {
      visible.setAttribute("aria-describedby", codeInput.getAttribute("aria-describedby"));
    }
    codeInput.id = codeInput.id + "-code";
    codeInput.type = "hidden";
    list.id = listId;
    list.className = "commune-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    status.className = "commune-code muted";
    status.setAttribute("aria-live", "polite");
    codeInput.insertAdjacentElement("afterend", status);
    codeInput.insertAdjacentElement("afterend", list);
    codeInput.insertAdjacentElement("afterend", visible);

    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      visible.setAttribute("aria-expanded", "false");
      visible.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(i) {
      var items = list.querySelectorAll("li");
      items.forEach(function (li, k) { li.setAttribute("aria-selected", k === i ? "true" : "false"); });
      active = i;
      if (i >= 0 && items[i]) {
        visible.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({ block: "nearest" });
      }
    }
    function choose(i) {
      var r = results[i];
      if (!r) { return; }
      visible.value = r.label;
      codeInput.value = r.code;
      status.textContent = "Code INSEE : " + r.code;
      close();
    }
    function render() {
      list.textContent = "";
      results.forEach(function (r, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.textContent = r.label + " — " + r.code;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      visible.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }
    function ask() {
      var q = visible.value.trim();
      var ticket = ++asked;
      if (q.length < 2) { results = []; render(); return; }
      fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          if (ticket !== asked) { return; }  // an older answer arriving late
          results = data.results || [];
          render();
        })
        .catch(function () { results = []; render(); });
    }
    visible.addEventListener("input", function () {
      codeInput.value = visible.value;  // typed, not chosen: the server resolves it
      status.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    visible.addEventListener("keydown", function (e) {
      if (list.hidden) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, results.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(active); }
      else if (e.key === "Escape") { close(); }
    });
    visible.addEventListener("blur", close);
  });
}());
