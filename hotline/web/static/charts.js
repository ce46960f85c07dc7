// Draws a uPlot chart in every element with a data-chart attribute (hotline/web/charts.py):
// {"x": [unix seconds...], "range": [first, last], "zone": "Asia/Krasnoyarsk",
//  "xlabel": "...", "unit": "...", "empty": bool, "note": "...",
//  "series": [{"label": "...", "values": [...], "target": bool}, ...]}.
// The x axis is pinned to "range", the period the page shows: left to itself uPlot stretches
// a single timestamp into 1000 days (its time-scale fallback assumes milliseconds).
// Kept in a file (not inline) so the Content-Security-Policy can forbid inline scripts.
"use strict";
(function () {
  const colours = ["#1f3b63", "#2a9d4b", "#d0822b", "#a40000"];
  function yRange(spec) {
    return function (u, min, max) {
      if (spec.unit === "%") return [0, 100];
      return [0, Math.max(1, Math.ceil((max || 0) * 1.1))];
    };
  }
  const two = (n) => String(n).padStart(2, "0");
  // Russian notation, in the installation's zone: 14:00 for hours, 03.12 for days.
  function stamp(spec, ts, withDay) {
    const d = uPlot.tzDate(new Date(ts * 1e3), spec.zone);
    const day = two(d.getDate()) + "." + two(d.getMonth() + 1);
    const hour = two(d.getHours()) + ":" + two(d.getMinutes());
    if (spec.step === "day") return withDay ? day + "." + d.getFullYear() : day;
    return withDay ? day + " " + hour : hour;
  }
  function draw(el) {
    const spec = JSON.parse(el.dataset.chart);
    const data = [spec.x].concat(spec.series.map((s) => s.values));
    const series = [
      { label: spec.xlabel, value: (u, ts) => (ts == null ? "—" : stamp(spec, ts, true)) },
    ].concat(
      spec.series.map((s, i) => ({
        label: s.label,
        stroke: colours[i % colours.length],
        width: s.target ? 1 : 2,
        dash: s.target ? [6, 4] : undefined,
        points: { show: !s.target },
        spanGaps: false,
      }))
    );
    const [first, last] = spec.range;
    const opts = {
      width: Math.max(el.clientWidth, 320),
      height: 260,
      series: series,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), spec.zone),
      scales: {
        x: { time: true, auto: false, min: first, max: last, range: () => [first, last] },
        y: { auto: true, range: yRange(spec) },
      },
      axes: [
        {
          label: spec.xlabel,
          incrs: spec.step === "day" ? [86400, 172800, 604800] : [3600, 7200, 10800, 21600, 43200],
          values: (u, splits) => splits.map((ts) => stamp(spec, ts, false)),
        },
        { label: spec.unit },
      ],
    };
    el.textContent = "";
    const chart = new uPlot(opts, data, el);
    chart.setScale("x", { min: first, max: last });
    el.uplot = chart; // the browser tests read the drawn axis from here
    if (spec.empty) {
      const note = document.createElement("p");
      note.className = "chart-note small";
      note.textContent = spec.note;
      el.appendChild(note);
    }
    el.dataset.drawn = "yes";
  }
  function drawAll(root) {
    root.querySelectorAll("[data-chart]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSwap", (event) => drawAll(event.target));
})();
