/* Indicators (issue 14): each <figure data-chart="ID"> holds a data table and a JSON block
   <script type="application/json" id="ID">; this draws the chart from the JSON with the
   vendored Chart.js, keeps the table for screen readers (visually hidden, with a button to
   show it) and wires the print button. Without JavaScript the tables simply stay visible. */
(function () {
  "use strict";

  var PALETTE = ["#1d4e89", "#e07a1f", "#2a9d8f", "#b8322a", "#7b4fa0", "#5f6b7a"];
  var number = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });

  function withUnit(value, unit) {
    if (value === null || value === undefined) { return "—"; }
    return number.format(value) + (unit ? "\u202f" + unit : "");
  }

  function draw(figure) {
    var source = document.getElementById(figure.getAttribute("data-chart"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var holder = figure.querySelector(".ind-canvas");
    var table = figure.querySelector(".ind-table");
    var title = figure.querySelector("h2").textContent;
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", title + " (les valeurs sont dans le tableau qui suit)");
    holder.appendChild(canvas);
    holder.hidden = false;
    table.classList.add("ind-sr");

    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "ind-toggle";
    toggle.textContent = "Afficher les données";
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function () {
      var shown = table.classList.toggle("ind-sr") === false;
      toggle.textContent = shown ? "Masquer les données" : "Afficher les données";
      toggle.setAttribute("aria-expanded", shown ? "true" : "false");
    });
    holder.after(toggle);

    var datasets = spec.series.map(function (serie, i) {
      var colour = PALETTE[i % PALETTE.length];
      return { label: serie.label, data: serie.data, backgroundColor: colour,
               borderColor: colour, borderWidth: spec.type === "line" ? 2 : 0,
               pointRadius: 3, spanGaps: true, cubicInterpolationMode: "monotone" };
    });
    var yAxis = { stacked: spec.stacked, beginAtZero: true,
                  ticks: { precision: 0, callback: function (v) { return withUnit(v, spec.unit); } } };
    if (spec.unit === "%") { yAxis.suggestedMax = 100; }
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, locale: "fr-FR",
        scales: { x: { stacked: spec.stacked }, y: yAxis },
        plugins: {
          legend: { display: spec.series.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.dataset.label + " : " + withUnit(ctx.parsed.y, spec.unit);
          } } }
        }
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    if (typeof window.Chart === "undefined") { return; }
    document.querySelectorAll("figure[data-chart]").forEach(draw);
    // Charts follow the page width, the A4 page's too.
    window.addEventListener("beforeprint", function () {
      Object.values(window.Chart.instances).forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
