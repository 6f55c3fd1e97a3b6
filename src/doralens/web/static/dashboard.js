// doralens dashboard: draws the charts whose data the page embeds, and makes their points open the events behind
// them. Sets data-charts="drawn" on <html> once every chart is on screen (the browser tests and bench wait on it).
(function () {
  "use strict";

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function layout(extra) {
    var fg = css("--fg"), line = css("--line");
    var base = {
      margin: { l: 56, r: 12, t: 8, b: 36 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: fg, family: "system-ui, sans-serif", size: 12 },
      xaxis: { type: "date", gridcolor: line, linecolor: line, zeroline: false },
      yaxis: { gridcolor: line, linecolor: line, zeroline: false, rangemode: "tozero" },
      showlegend: false,
      hovermode: "closest"
    };
    return Object.assign(base, extra || {});
  }

  // Sizes are given, not measured by plotly (its autosize costs more than drawing); a resize redraws at the new width.
  var CONFIG = { displayModeBar: false };
  var drawn = [];

  function sized(id, look) {
    var el = document.getElementById(id);
    look.autosize = false;
    look.width = el.clientWidth;
    look.height = look.height || el.clientHeight || 220;
    drawn.push(el);
    return el;
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      drawn.forEach(function (el) { Plotly.relayout(el, { width: el.clientWidth }); });
    }, 150);
  });

  function follow(plot) {
    plot.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (point && point.customdata) { window.location.href = point.customdata; }
    });
  }

  function metricChart(chart) {
    var color = css("--link");
    var y = chart.y;
    var axis = {};
    if (chart.unit === "seconds") {
      y = chart.y.map(function (v) { return v === null ? null : v / 3600; });
      axis = { title: { text: "hours" } };
    } else if (chart.unit === "ratio") {
      y = chart.y.map(function (v) { return v === null ? null : v * 100; });
      axis = { title: { text: "%" } };
    }
    var trace = {
      x: chart.x, y: y, text: chart.text, customdata: chart.links,
      hovertemplate: "%{x|%Y-%m-%d}: %{text}<extra></extra>",
      marker: { color: color }, line: { color: color, width: 2 }
    };
    if (chart.kind === "bar") { trace.type = "bar"; trace.textposition = "none"; } else { trace.type = "scatter"; trace.mode = "lines+markers"; trace.connectgaps = false; }
    var look = layout();
    look.yaxis = Object.assign(look.yaxis, axis);
    if (chart.y.every(function (v) { return v === null; })) {
      look.annotations = [{ text: "Nothing to draw: too few samples in every bucket", showarrow: false,
        xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { color: css("--muted") } }];
    }
    return Plotly.newPlot(sized(chart.id, look), [trace], look, CONFIG).then(follow);
  }

  function timelineChart(data) {
    var good = css("--good"), bad = css("--bad"), medium = css("--medium"), link = css("--link");
    var traces = [];
    var fail = { type: "scatter", mode: "lines", x: [], y: [], customdata: [], text: [], line: { color: bad, width: 8 },
      hovertemplate: "%{text}<extra></extra>", name: "failure" };
    data.failures.forEach(function (f) {
      f.services.forEach(function (service) {
        var end = f.finished || data.to;
        var label = "failure " + (f.name || f.id) + (f.finished ? "" : " (open)");
        fail.x.push(f.started, end, null); fail.y.push(service, service, null);
        fail.customdata.push(f.link, f.link, null); fail.text.push(label, label, null);
      });
    });
    traces.push(fail);
    var recovery = { type: "scatter", mode: "lines", x: [], y: [], line: { color: bad, width: 2, dash: "dot" },
      hoverinfo: "skip", name: "recovery" };
    var kinds = { ok: [], rework: [], failed: [] };
    data.deployments.forEach(function (d) {
      var kind = d.change_failure ? "failed" : (d.rework ? "rework" : "ok");
      kinds[kind].push(d);
      if (d.change_failure && d.recovered_at) {
        recovery.x.push(d.at, d.recovered_at, null); recovery.y.push(d.service, d.service, null);
      }
    });
    traces.push(recovery);
    var looks = { ok: [good, "circle", 9], rework: [medium, "diamond", 10], failed: [bad, "x", 12] };
    var names = { ok: "deployment", rework: "rework", failed: "change failure" };
    Object.keys(kinds).forEach(function (kind) {
      var items = kinds[kind];
      traces.push({
        type: "scatter", mode: "markers", name: names[kind],
        x: items.map(function (d) { return d.at; }),
        y: items.map(function (d) { return d.service; }),
        customdata: items.map(function (d) { return d.link; }),
        text: items.map(function (d) {
          return "deployment " + (d.version || d.id) + (kind === "failed" ? " (change failure: " + d.reasons.join(", ") + ")" : "");
        }),
        marker: { color: looks[kind][0], symbol: looks[kind][1], size: looks[kind][2], line: { color: link, width: 0 } },
        hovertemplate: "%{x|%Y-%m-%d %H:%M}: %{text}<extra></extra>"
      });
    });
    var rows = {};
    data.deployments.forEach(function (d) { rows[d.service] = true; });
    data.failures.forEach(function (f) { f.services.forEach(function (s) { rows[s] = true; }); });
    var height = Math.max(220, 34 * Object.keys(rows).length + 110);
    document.getElementById("chart-timeline").style.height = height + "px";
    var look = layout({ margin: { l: 100, r: 12, t: 8, b: 36 }, height: height, showlegend: true,
      legend: { orientation: "h", y: -0.15 } });
    look.yaxis = { type: "category", gridcolor: css("--line"), automargin: true };
    return Plotly.newPlot(sized("chart-timeline", look), traces, look, CONFIG).then(follow);
  }

  function draw() {
    var root = document.documentElement;
    if (typeof Plotly === "undefined") { root.dataset.charts = "unavailable"; return; }
    root.dataset.chartsStartMs = String(Math.round(performance.now()));
    var pending = [];
    (readJson("charts-data") || []).forEach(function (chart) { pending.push(metricChart(chart)); });
    var timeline = readJson("timeline-data");
    if (timeline) { pending.push(timelineChart(timeline)); }
    Promise.all(pending).then(function () {
      root.dataset.chartCount = String(pending.length);
      root.dataset.chartsMs = String(Math.round(performance.now()));
      root.dataset.charts = "drawn";
    }, function () { root.dataset.charts = "failed"; });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
