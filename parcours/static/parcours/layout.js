// Layout on phones (patients/layout area). Loaded in <head> without defer: it marks the page
// as scripted at once (the CSS folds the menu only then, so without JavaScript the whole menu
// stays visible), then, once the page is parsed, wires the header's menu button and gives
// every cell of a table.list the name of its column (data-label, shown when tables become
// cards) where the template did not write one.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function labelCells(root) {
    root.querySelectorAll("table.list").forEach(function (table) {
      var heads = table.querySelectorAll("thead tr:first-child th");
      if (!heads.length) { return; }
      var names = [];
      heads.forEach(function (th) {
        var span = parseInt(th.getAttribute("colspan") || "1", 10);
        for (var i = 0; i < span; i++) { names.push(th.textContent.trim()); }
      });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        var col = 0;
        Array.prototype.forEach.call(tr.children, function (cell) {
          var name = names[col];
          if (name && cell.tagName === "TD" && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", name);
          }
          col += parseInt(cell.getAttribute("colspan") || "1", 10);
        });
      });
    });
  }
  // Parts of a page refreshed live (live.js) get their labels too.
  document.addEventListener("parcours:refreshed", function (e) { labelCells(e.target); });

  document.addEventListener("DOMContentLoaded", function () {
    labelCells(document);
    var button = document.querySelector(".menu-toggle");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) { return; }
    // The folded menu hides the notifications badge: the button shows a copy, kept in step
    // with the one live.js updates.
    var badge = document.getElementById("unread-badge");
    var copy = button.querySelector(".menu-badge");
    if (badge && copy && window.MutationObserver) {
      new MutationObserver(function () {
        copy.textContent = badge.textContent;
        copy.classList.toggle("hidden", badge.classList.contains("hidden"));
      }).observe(badge, { childList: true, characterData: true, subtree: true, attributes: true });
    }
    function set(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
  });
}());
