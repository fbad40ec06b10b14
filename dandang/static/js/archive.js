/* Performance archive pages.  Loaded from 'self' (CSP script-src 'self'): no inline script; the
   chart's data comes from a json_script element, numbers as exact decimal text. */
(function () {
  "use strict";

  // Forms inside [data-swap-errors] (the evidence section, the new-task field) answer invalid input
  // with 422 and the fragment showing the errors: swap it in instead of reporting a failure.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail || !detail.xhr || detail.xhr.status !== 422 && detail.xhr.status !== 409) {
      return;
    }
    var source = detail.requestConfig && detail.requestConfig.elt;
    if (source && source.closest && source.closest("[data-swap-errors]")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  function drawChart() {
    var holder = document.getElementById("archive-chart");
    var source = document.getElementById("archive-chart-data");
    if (!holder || !source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var colours = { positive: "#2e7d4f", negative: "#b3261e", score: "#8b1a1a" };
    var series = data.series.map(function (s) {
      var numbers = s.data.map(Number);
      if (s.kind === "score") {
        return { name: s.name, type: "line", data: numbers, smooth: false, symbolSize: 6, z: 3,
                 itemStyle: { color: colours.score }, lineStyle: { width: 2 } };
      }
      return { name: s.name, type: "bar", stack: "entries", data: numbers, barMaxWidth: 28,
               itemStyle: { color: colours[s.kind] } };
    });
    var chart = window.echarts.getInstanceByDom(holder) || window.echarts.init(holder);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 48 },
      xAxis: { type: "category", data: data.labels, axisLabel: { rotate: data.labels.length > 12 ? 45 : 0 } },
      yAxis: { type: "value" },
      series: series
    });
    holder.setAttribute("data-chart-ready", String(data.labels.length));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawChart);
  } else {
    drawChart();
  }
})();
