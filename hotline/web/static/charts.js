// Draws a uPlot chart in every element with a data-chart attribute:
// {"x": [unix seconds...], "series": [{"label": "...", "values": [...]}, ...]}.
// Kept in a file (not inline) so the Content-Security-Policy can forbid inline scripts.
"use strict";
(function () {
  const colours = ["#1f3b63", "#2a9d4b", "#d0822b", "#a40000"];
  function draw(el) {
    const spec = JSON.parse(el.dataset.chart);
    const data = [spec.x].concat(spec.series.map((s) => s.values));
    const series = [{ label: "Время" }].concat(
      spec.series.map((s, i) => ({ label: s.label, stroke: colours[i % colours.length], width: 2 }))
    );
    el.textContent = "";
    new uPlot({ width: Math.max(el.clientWidth, 320), height: 260, series: series }, data, el);
    el.dataset.drawn = "yes";
  }
  function drawAll(root) {
    root.querySelectorAll("[data-chart]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSwap", (event) => drawAll(event.target));
})();
