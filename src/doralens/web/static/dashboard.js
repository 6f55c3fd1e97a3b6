// doralens dashboard: draws the charts whose data the page embeds, and makes their points open the events behind
// them. Sets data-charts="drawn" on <html> once every chart is on screen (the browser tests and bench wait on it).
(function () {
  "use strict";

  var root = document.documentElement;

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // Colours are read once, before anything is drawn: a computed-style read after plotly has changed the document
  // makes the browser recompute style first, once per read.
  function theme() {
    var style = getComputedStyle(root);
    var found = {};
    ["fg", "line", "link", "muted", "good", "bad", "medium"].forEach(function (name) {
      found[name] = style.getPropertyValue("--" + name).trim();
    });
    return found;
  }

  function layout(colors, extra) {
    var axis = { gridcolor: colors.line, linecolor: colors.line, zeroline: false, fixedrange: true };
    var base = {
      margin: { l: 56, r: 12, t: 8, b: 36 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: colors.fg, family: "system-ui, sans-serif", size: 12 },
      xaxis: Object.assign({ type: "date" }, axis),
      yaxis: Object.assign({ rangemode: "tozero" }, axis),
      showlegend: false,
      hovermode: "closest",
      dragmode: false,
      autosize: false
    };
    return Object.assign(base, extra || {});
  }

  // Nothing to zoom or pan (a point opens its events instead), so plotly draws no mode bar and no drag layers.
  var CONFIG = { displayModeBar: false, doubleClick: false, showTips: false, scrollZoom: false };
  var drawn = [];

  // Sizes are given, not measured by plotly (its autosize costs more than drawing). Every box is measured before
  // the first chart is drawn, so the browser lays the page out once instead of once per chart.
  function measure(plans) {
    plans.forEach(function (plan) {
      plan.el = document.getElementById(plan.id);
      plan.layout.width = plan.el.clientWidth;
      plan.layout.height = plan.layout.height || plan.el.clientHeight || 220;
    });
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      var widths = drawn.map(function (el) { return el.clientWidth; });
      drawn.forEach(function (el, i) { Plotly.relayout(el, { width: widths[i] }); });
    }, 150);
  });

  function follow(plot) {
    plot.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (point && point.customdata) { window.location.href = point.customdata; }
    });
  }

  // A plan is what one chart needs: its element's id, traces and layout; nothing touches the document yet.
  function metricPlan(chart, colors) {
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
      marker: { color: colors.link }, line: { color: colors.link, width: 2 }
    };
    if (chart.kind === "bar") { trace.type = "bar"; trace.textposition = "none"; } else { trace.type = "scatter"; trace.mode = "lines+markers"; trace.connectgaps = false; }
    var look = layout(colors);
    look.yaxis = Object.assign(look.yaxis, axis);
    if (chart.y.every(function (v) { return v === null; })) {
      look.annotations = [{ text: "Nothing to draw: too few samples in every bucket", showarrow: false,
        xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { color: colors.muted } }];
    }
    return { id: chart.id, traces: [trace], layout: look };
  }

  function timelinePlan(data, colors) {
    var traces = [];
    var fail = { type: "scatter", mode: "lines", x: [], y: [], customdata: [], text: [], line: { color: colors.bad, width: 8 },
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
    var recovery = { type: "scatter", mode: "lines", x: [], y: [], line: { color: colors.bad, width: 2, dash: "dot" },
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
    var looks = { ok: [colors.good, "circle", 9], rework: [colors.medium, "diamond", 10], failed: [colors.bad, "x", 12] };
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
        marker: { color: looks[kind][0], symbol: looks[kind][1], size: looks[kind][2], line: { color: colors.link, width: 0 } },
        hovertemplate: "%{x|%Y-%m-%d %H:%M}: %{text}<extra></extra>"
      });
    });
    var rows = {};
    data.deployments.forEach(function (d) { rows[d.service] = true; });
    data.failures.forEach(function (f) { f.services.forEach(function (s) { rows[s] = true; }); });
    var height = Math.max(220, 34 * Object.keys(rows).length + 110);
    var look = layout(colors, { margin: { l: 100, r: 12, t: 8, b: 36 }, height: height, showlegend: true,
      legend: { orientation: "h", y: -0.15 } });
    look.yaxis = { type: "category", gridcolor: colors.line, automargin: true, fixedrange: true };
    return { id: "chart-timeline", traces: traces, layout: look, height: height };
  }

  // "drawn" is set once the frame showing every chart has been produced: plotly's promises settle when the SVG is
  // in the document, before the browser has laid it out and painted it.
  function afterNextFrame(done) {
    requestAnimationFrame(function () { setTimeout(done, 0); });
  }

  function draw() {
    if (typeof Plotly === "undefined") { root.dataset.charts = "unavailable"; return; }
    root.dataset.chartsStartMs = String(Math.round(performance.now()));
    var colors = theme();
    var plans = (readJson("charts-data") || []).map(function (chart) { return metricPlan(chart, colors); });
    var timeline = readJson("timeline-data");
    if (timeline) {
      var plan = timelinePlan(timeline, colors);
      document.getElementById(plan.id).style.height = plan.height + "px";
      plans.push(plan);
    }
    measure(plans);
    var pending = plans.map(function (plan) {
      drawn.push(plan.el);
      return Plotly.newPlot(plan.el, plan.traces, plan.layout, CONFIG).then(follow);
    });
    Promise.all(pending).then(function () {
      afterNextFrame(function () {
        root.dataset.chartCount = String(pending.length);
        root.dataset.chartsMs = String(Math.round(performance.now()));
        root.dataset.charts = "drawn";
      });
    }, function () { root.dataset.charts = "failed"; });
  }

  // plotly.js loads asynchronously, often while the server is still computing the page's data: draw once both the
  // document and plotly are there, whichever comes last.
  function start() {
    if (typeof Plotly !== "undefined") { draw(); return; }
    var script = document.getElementById("plotly-js");
    if (!script) { root.dataset.charts = "unavailable"; return; }
    script.addEventListener("load", draw);
  }
  window.addEventListener("load", function () {
    if (typeof Plotly === "undefined") { root.dataset.charts = "unavailable"; }
  });

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
