// Messaging (issue 14): the compose page's recipient picker — search as you type over the
// directory (name, organisation, MSSanté address). Progressive enhancement: without this
// file the page keeps its plain list and address field, checked by the server alike.
// One picker per list (« Destinataires », « Copie à »): a Parcours user picked is selected in
// the hidden list (shown as a chip); an MSSanté address picked is appended to the external
// addresses field.
(function () {
  "use strict";
  if (!window.fetch) { return; }
  var external = document.querySelector("[data-recipient-external]");
  document.querySelectorAll("select[data-recipient-search]").forEach(function (select) {
    picker(select, external);
  });

function picker(select, external) {
  var url = select.dataset.recipientSearch;
  var field = select.closest(".field") || select.parentNode;
  var key = select.id || "to";

  var box = document.createElement("div");
  box.className = "recipient-picker";
  var label = document.createElement("label");
  label.htmlFor = "recipient-search-" + key;
  label.textContent = select.dataset.pickerLabel || "Rechercher un destinataire";
  var input = document.createElement("input");
  input.type = "search";
  input.id = "recipient-search-" + key;
  input.autocomplete = "off";
  input.placeholder = "nom, structure ou adresse MSSanté (2 lettres au moins)";
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", "recipient-results-" + key);
  var list = document.createElement("ul");
  list.id = "recipient-results-" + key;
  list.className = "recipient-results";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", select.dataset.pickerProposed || "Destinataires proposés");
  list.hidden = true;
  var notice = document.createElement("p");
  notice.className = "recipient-notice";
  notice.setAttribute("role", "status");
  var chips = document.createElement("ul");
  chips.className = "recipient-chips";
  chips.setAttribute("aria-label", select.dataset.pickerChosen || "Destinataires choisis");
  box.append(label, input, list, notice, chips);
  select.hidden = true;
  select.after(box);
  field.classList.add("has-picker");

  var results = [];
  var active = -1;
  var seq = 0;
  var timer = null;

  function renderChips() {
    chips.textContent = "";
    Array.prototype.forEach.call(select.selectedOptions, function (opt) {
      var li = document.createElement("li");
      li.className = "chip";
      li.append(document.createTextNode(opt.textContent + " "));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", "Retirer " + opt.textContent);
      remove.addEventListener("click", function () {
        opt.selected = false;
        renderChips();
        input.focus();
      });
      li.append(remove);
      chips.append(li);
    });
  }

  function close() {
    list.hidden = true;
    list.textContent = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(i) {
    var items = list.querySelectorAll("[role=option]");
    items.forEach(function (el, j) { el.setAttribute("aria-selected", j === i ? "true" : "false"); });
    active = i;
    if (items[i]) {
      input.setAttribute("aria-activedescendant", items[i].id);
      items[i].scrollIntoView({ block: "nearest" });
    }
  }

  function pick(r) {
    if (r.type === "user") {
      var opt = select.querySelector("option[value='" + String(r.id).replace(/\D/g, "") + "']");
      if (!opt) {
        opt = new Option(r.label, r.id);
        select.add(opt);
      }
      opt.selected = true;
      renderChips();
    } else if (external) {
      var current = external.value.split(/[,;]/).map(function (a) { return a.trim(); })
        .filter(function (a) { return a; });
      if (current.indexOf(r.address) === -1) { current.push(r.address); }
      external.value = current.join(", ");
    }
    input.value = "";
    notice.textContent = "";
    close();
    input.focus();
  }

  function show(data) {
    results = data.results || [];
    notice.textContent = data.notice || "";
    notice.classList.toggle("error", !!data.notice);
    list.textContent = "";
    if (!results.length) {
      if (!data.notice) { notice.textContent = "Aucun destinataire trouvé."; }
      close();
      return;
    }
    results.forEach(function (r, i) {
      var li = document.createElement("li");
      li.id = "recipient-option-" + key + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var strong = document.createElement("strong");
      strong.textContent = r.label;
      li.append(strong);
      if (r.detail) {
        var small = document.createElement("small");
        small.textContent = (r.type === "external" ? "MSSanté · " : "Parcours · ") + r.detail;
        li.append(document.createElement("br"), small);
      }
      li.addEventListener("mousedown", function (e) { e.preventDefault(); });
      li.addEventListener("click", function () { pick(r); });
      list.append(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
  }

  function search() {
    var q = input.value.trim();
    if (q.length < 2) { close(); notice.textContent = ""; return; }
    var mine = ++seq;
    fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && mine === seq) { show(data); } })
      .catch(function () { notice.textContent = "Recherche indisponible : choisissez dans la liste après rechargement."; });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (e) {
    var count = list.hidden ? 0 : results.length;
    if (e.key === "ArrowDown" && count) { e.preventDefault(); highlight((active + 1) % count); }
    else if (e.key === "ArrowUp" && count) { e.preventDefault(); highlight((active - 1 + count) % count); }
    else if (e.key === "Enter") {
      // Never submit the message from the search box.
      e.preventDefault();
      if (count) { pick(results[active >= 0 ? active : 0]); }
    } else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
  renderChips();
}
})();
