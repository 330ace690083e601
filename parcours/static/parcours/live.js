// Live updates: one Server-Sent Events stream per page. Each notification updates the badge,
// shows a toast, and refreshes the parts of the page that declare data-live-url.
(function () {
  "use strict";
  var body = document.body;
  var streamUrl = body.dataset.streamUrl;

  // Filters that submit on change (no inline script: the CSP forbids it).
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  // Show the wished-window fields only for kinds that have one.
  var refForm = document.querySelector("[data-kinds-with-window]");
  if (refForm) {
    var withWindow = refForm.dataset.kindsWithWindow.split(",");
    var toggle = function () {
      var checked = refForm.querySelector("input[name=kind]:checked");
      var show = checked && withWindow.indexOf(checked.value) !== -1;
      ["wished_from", "wished_until"].forEach(function (n) {
        var f = document.getElementById("field-" + n);
        if (f) { f.hidden = !show; }
      });
    };
    refForm.addEventListener("change", toggle);
    toggle();
  }

  if (!streamUrl || !window.EventSource) { return; }

  function userIsTyping(container) {
    var fields = container.querySelectorAll("textarea, input[type=text], input[type=file], select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f === document.activeElement) { return true; }
      if ((f.tagName === "TEXTAREA" || f.type === "text") && f.value.trim() !== "") { return true; }
      if (f.type === "file" && f.files && f.files.length) { return true; }
    }
    return false;
  }

  function refresh(container) {
    if (userIsTyping(container)) {
      if (!container.querySelector(".stale")) {
        var note = document.createElement("p");
        note.className = "stale";
        note.textContent = "Cette demande a été mise à jour. Enregistrez votre saisie, puis rechargez la page pour voir la nouvelle version.";
        container.prepend(note);
      }
      return;
    }
    fetch(container.dataset.liveUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null) {
          container.innerHTML = html;
          container.dispatchEvent(new CustomEvent("parcours:refreshed", { bubbles: true }));
        }
      });
  }

  function toast(n) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var a = document.createElement("a");
    a.className = "toast";
    a.href = n.url;
    var strong = document.createElement("strong");
    strong.textContent = n.title;
    a.appendChild(strong);
    box.appendChild(a);
    setTimeout(function () { a.remove(); }, 6000);
  }

  var url = streamUrl + "?after=" + encodeURIComponent(body.dataset.lastId || "0");
  var source = new EventSource(url);
  source.addEventListener("notification", function (e) {
    var n = JSON.parse(e.data);
    var badge = document.getElementById("unread-badge");
    if (badge && n.unread >= 0) {
      badge.textContent = n.unread;
      badge.classList.toggle("hidden", n.unread === 0);
    }
    toast(n);
    document.querySelectorAll("[data-live-url]").forEach(function (c) {
      var only = c.dataset.liveReferral;
      if (!only || String(n.referral) === only) { refresh(c); }
    });
    body.dataset.lastId = n.id;
  });
})();

// ==== Referrals (issue 14): attachment previews load only when opened (each load is an
// audited read), and survive the live refresh of the request page (delegated listener). ====
// An open preview stays open when the page refreshes live (the GP reading the ECG does not
// lose it when the desk takes the request into account): previews are known by their URL.
(function () {
  "use strict";
  var opened = {};
  document.addEventListener("toggle", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("details[data-preview]")) { return; }
    var media = box.querySelector("[data-src]");
    if (!media) { return; }
    if (!box.open) { delete opened[media.dataset.src]; return; }
    opened[media.dataset.src] = true;
    if (!media.getAttribute("src")) { media.setAttribute("src", media.dataset.src); }
  }, true);
  document.addEventListener("parcours:refreshed", function (e) {
    e.target.querySelectorAll("details[data-preview]").forEach(function (box) {
      var media = box.querySelector("[data-src]");
      if (media && opened[media.dataset.src]) {
        media.setAttribute("src", media.dataset.src);
        box.open = true;
      }
    });
  });
})();
