/* The dashboard's charts (uPlot, vendored): the health page's live charts and the trade-off curve.
 *
 * Health: draws the data embedded in the page (#health-initial) at once, then polls
 * health.json every data-poll-ms (the next poll starts when the last one ended; none
 * while the tab is hidden). Messages per second by kind are replaced on each poll;
 * queue depth has no history on the server, so its chart grows from the page's samples (its time axis spans
 * a minute at least, so a first sample alone draws a sane axis). Times are UTC, as everywhere on the site; a
 * value axis is as wide as its widest tick label, so labels never overlap. Each plot is kept in
 * window.dashboardCharts by its element's id, for the console and the browser tests.
 * The workers panel, the watchdog line, the breakers, the paused handlers and the handling times are
 * redrawn from the same poll.
 * The trade-off lab's experiment page draws each finished scenario's two percentile curves the same way.
 */
(function () {
  "use strict";

  const QUEUE_POINTS = 300; // samples kept for the queue chart (10 minutes at 2 s)
  const HEIGHT = 220;
  const MIN_SPAN_S = 60; // the narrowest time axis: a first sample sits at its right end
  const charts = (window.dashboardCharts = window.dashboardCharts || {});

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function clockUtc(seconds) {
    const at = new Date(seconds * 1000);
    return pad(at.getUTCHours()) + ":" + pad(at.getUTCMinutes()) + ":" + pad(at.getUTCSeconds());
  }

  function durationText(ms) {
    return window.marketplaceTime ? window.marketplaceTime.duration(ms) : Math.round(ms) + " ms";
  }

  // an axis as wide as its widest tick label, plus its ticks and gap (uPlot's "axis autosize" recipe)
  function fitLabels(self, values, axisIdx, cycleNum) {
    const axis = self.axes[axisIdx];
    if (cycleNum > 1) return axis._size;
    let size = axis.ticks.size + axis.gap + 4;
    const widest = (values || []).reduce((acc, v) => (v != null && String(v).length > acc.length ? String(v) : acc), "");
    if (widest) {
      self.ctx.font = axis.font[0];
      size += self.ctx.measureText(widest).width / (window.devicePixelRatio || 1);
    }
    return Math.ceil(size);
  }

  // a time axis in UTC whose labels (hh:mm:ss) stand 80 px apart at least: they never overlap
  const timeAxis = { space: 80, values: (u, splits) => splits.map(clockUtc) };
  const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];
  // whole numbers only: there is no 0.2 of a message or of a delivery
  const countAxis = { size: fitLabels, incrs: COUNT_STEPS, values: (u, splits) => splits.map((v) => v.toLocaleString()) };
  const countScale = { range: (u, min, max) => [0, Math.max(1, max)] };

  function timeScale(u) {
    // from the data, not uPlot's min and max: for a single point it offers a span of 86,400,000 s
    const t = u.data[0] || [];
    const last = t.length ? t[t.length - 1] : Date.now() / 1000;
    return [Math.min(t.length ? t[0] : last, last - MIN_SPAN_S), last];
  }

  function colour(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function widthOf(element) {
    return Math.max(element.clientWidth || 0, 280);
  }

  function chart(element, series, data, extra, xSeries) {
    const options = Object.assign(
      {
        width: widthOf(element),
        height: HEIGHT,
        series: [xSeries || {}].concat(series),
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      extra || {}
    );
    const plot = new uPlot(options, data, element);
    charts[element.id] = plot;
    window.addEventListener("resize", function () {
      plot.setSize({ width: widthOf(element), height: HEIGHT });
    });
    return plot;
  }

  function line(label, stroke, fill) {
    return { label: label, stroke: stroke, width: 2, fill: fill || undefined, points: { show: false } };
  }

  function formatCount(value, capped) {
    return value.toLocaleString() + (capped ? "+" : "");
  }

  // --- health ---------------------------------------------------------------------------------
  function startHealth() {
    const initial = document.getElementById("health-initial");
    const config = document.getElementById("health-config");
    if (!initial || !config) return;
    const state = document.getElementById("health-state");
    const url = config.dataset.url;
    const pollMs = parseInt(config.dataset.pollMs, 10) || 2000;
    const command = colour("--command", "#6b3fb8");
    const event = colour("--event", "#0b6e8a");

    let numbers = JSON.parse(initial.textContent);
    const rates = chart(
      document.getElementById("chart-rates"),
      [line("commands/s", command), line("events/s", event)],
      rateData(numbers),
      { scales: { x: { time: true, range: timeScale }, y: countScale }, axes: [timeAxis, countAxis] },
      { value: (u, v) => (v == null ? "--" : clockUtc(v) + " UTC") }
    );
    const queue = { t: [], waiting: [], in_progress: [], retry_scheduled: [] };
    sampleQueue(queue, numbers);
    const queueChart = chart(
      document.getElementById("chart-queue"),
      [
        line("waiting", colour("--accent", "#2f5bd3")),
        line("in progress", colour("--ok", "#1f7a4d")),
        line("retry scheduled", colour("--warn", "#9a6200")),
      ],
      queueData(queue),
      { scales: { x: { time: true, range: timeScale }, y: countScale }, axes: [timeAxis, countAxis] },
      { value: (u, v) => (v == null ? "--" : clockUtc(v) + " UTC") }
    );
    showFigures(numbers);

    async function poll() {
      if (document.hidden) {
        setTimeout(poll, pollMs);
        return;
      }
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error("HTTP " + response.status);
        numbers = await response.json();
        rates.setData(rateData(numbers));
        sampleQueue(queue, numbers);
        queueChart.setData(queueData(queue));
        showFigures(numbers);
        showWorkers(numbers);
        showHandlersAndBreakers(numbers);
        if (state) state.textContent = "live, updated " + (window.marketplaceTime
          ? window.marketplaceTime.absolute(numbers.now) : clockUtc(numbers.now) + " UTC");
      } catch (error) {
        if (state) state.textContent = "offline (" + error.message + "), retrying";
      }
      setTimeout(poll, pollMs);
    }
    setTimeout(poll, pollMs);
  }

  function rateData(numbers) {
    return [numbers.rates.t, numbers.rates.command, numbers.rates.event];
  }

  function sampleQueue(queue, numbers) {
    queue.t.push(numbers.now);
    for (const name of ["waiting", "in_progress", "retry_scheduled"]) queue[name].push(numbers.queue[name]);
    if (queue.t.length > QUEUE_POINTS) {
      for (const key of Object.keys(queue)) queue[key].shift();
    }
  }

  function queueData(queue) {
    return [queue.t, queue.waiting, queue.in_progress, queue.retry_scheduled];
  }

  function showFigures(numbers) {
    for (const [name, value] of Object.entries(numbers.queue)) {
      const figure = document.getElementById("figure-" + name);
      if (figure) figure.textContent = formatCount(value, numbers.queue_capped.includes(name));
      if (figure && name === "dead") figure.parentElement.classList.toggle("bad", value > 0);
    }
  }

  // --- health: workers and the watchdog (text only: host names and details come from the database) ---
  function showWorkers(numbers) {
    const rows = document.getElementById("workers-rows");
    if (!rows || !numbers.processes) return;
    rows.replaceChildren(...numbers.processes.map(processRow));
    document.getElementById("workers-table").hidden = numbers.processes.length === 0;
    document.getElementById("workers-no-cluster").hidden = numbers.clusters_live > 0;
    document.getElementById("workers-no-sweeper").hidden = numbers.sweepers_live > 0;
    showWatchdog(numbers.watchdog);
  }

  function cell(content, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.append(content);
    return td;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.textContent = text;
    return node;
  }

  function processRow(p) {
    const row = document.createElement("tr");
    row.dataset.process = p.id;
    if (p.shown_state === "silent") row.className = "trouble";
    const cluster = p.kind === "cluster";
    row.append(
      cell(p.kind),
      cell(element("code", "", p.host + ":" + p.pid)),
      cell(element("span", "badge process-" + p.shown_state, p.shown_state)),
      cell(p.beat_ago),
      cluster ? cell(p.workers + " / " + p.busy, "num") : cell("—", "num muted"),
      cluster ? cell(String(p.queued), "num") : cell("—", "num muted"),
      cluster ? cell(p.last_task_ago || "never") : cell("—", "muted"),
      cell(String(p.restarts), "num"),
      cell(p.detail, "detail")
    );
    return row;
  }

  function showWatchdog(watchdog) {
    const flowing = document.getElementById("watchdog-flowing");
    const stalled = document.getElementById("watchdog-stalled");
    if (!flowing || !stalled || !watchdog) return;
    flowing.hidden = watchdog.stalled;
    stalled.hidden = !watchdog.stalled;
    setTextIfChanged("watchdog-since", watchdog.stalled_since_text || watchdog.stalled_since_clock || "");
    setTextIfChanged("watchdog-detail", watchdog.detail);
  }

  function setTextIfChanged(id, text) {
    // the stall line is an alert: a screen reader reads it again at each change, so only real changes
    const node = document.getElementById(id);
    if (node && node.textContent !== text) node.textContent = text;
  }

  // --- health: breakers, paused handlers, handling times (text only, as above) ---------------------
  function when(iso) {
    // relative, the absolute time on hover (time.js); the ISO text if that script did not load
    return window.marketplaceTime ? window.marketplaceTime.element(iso, true) : iso;
  }

  function duration(ms) {
    return window.marketplaceTime ? window.marketplaceTime.duration(ms) : ms.toFixed(1) + " ms";
  }

  function showHandlersAndBreakers(numbers) {
    const breakers = document.getElementById("breakers-rows");
    if (breakers && numbers.breakers) breakers.replaceChildren(...numbers.breakers.map(breakerRow));
    showRows("paused", numbers.paused, pausedRow);
    if (numbers.timings) {
      const slowest = Math.max(0, ...numbers.timings.map((t) => t.p95_ms)) || 1;
      showRows("timings", numbers.timings, (t) => timingRow(t, slowest));
    }
  }

  function showRows(name, items, rowOf) {
    const rows = document.getElementById(name + "-rows");
    if (!rows || !items) return;
    rows.replaceChildren(...items.map(rowOf));
    document.getElementById(name + "-table").hidden = items.length === 0;
    document.getElementById(name + "-none").hidden = items.length > 0;
  }

  function breakerRow(b) {
    const row = document.createElement("tr");
    row.dataset.context = b.context;
    if (b.state !== "closed") row.className = "trouble";
    const label = b.state_label.charAt(0).toUpperCase() + b.state_label.slice(1); // as |capfirst does
    const state = cell(element("span", "badge " + b.state, label));
    if (b.awaiting_probe) state.append(" ", element("span", "muted", "awaiting its probe"));
    let probe;
    if (b.awaiting_probe) probe = cell("now: the next claim probes it");
    else if (b.open_until && b.state !== "closed") probe = cell(when(b.open_until));
    else probe = cell(element("span", "muted", "—"));
    row.append(cell(b.context), state, cell(String(b.consecutive_failures), "num"), probe);
    return row;
  }

  function pausedRow(p) {
    const row = document.createElement("tr");
    row.className = "trouble";
    row.append(cell(element("code", "", p.handler)), cell(p.context), cell(when(p.since)));
    return row;
  }

  function timingRow(t, slowest) {
    const row = document.createElement("tr");
    row.dataset.handler = t.handler;
    if (t.failed) row.className = "trouble";
    const bars = cell(element("div", "bar p50", ""));
    bars.firstChild.style.width = (100 * t.p50_ms / slowest).toFixed(1) + "%";
    const p95 = element("div", "bar p95", "");
    p95.style.width = (100 * t.p95_ms / slowest).toFixed(1) + "%";
    bars.append(p95);
    bars.setAttribute("aria-hidden", "true");
    row.append(
      cell(element("code", "", t.handler)), cell(t.context), cell(String(t.runs), "num"), cell(String(t.failed), "num"),
      cell(duration(t.p50_ms), "num"), cell(duration(t.p95_ms), "num"), cell(duration(t.max_ms), "num"), bars
    );
    return row;
  }

  // --- trade-offs -----------------------------------------------------------------------------
  function startTradeoffs() {
    const data = document.getElementById("tradeoffs-curve");
    const element = document.getElementById("chart-tradeoffs");
    if (!data || !element) return;
    percentileChart(element, JSON.parse(data.textContent), "time to notify");
  }

  function durationValue(u, v) {
    return v == null ? "--" : durationText(v);
  }

  // --- the trade-off lab: an experiment's curves, two a scenario, drawn as the trade-off curve is ------------
  // #lab-charts holds each finished scenario's charts as the lab wrote them ({first, all}: {x, event, command});
  // each [data-lab-chart] element names its scenario (index) and its chart.
  function startLabCharts() {
    const data = document.getElementById("lab-charts");
    if (!data) return;
    const scenarios = JSON.parse(data.textContent);
    for (const element of document.querySelectorAll("[data-lab-chart]")) {
      const curve = (scenarios[element.dataset.scenario] || {})[element.dataset.labChart];
      if (curve) percentileChart(element, curve, element.dataset.yLabel || "time to notify");
    }
  }

  function percentileChart(element, curve, yLabel) {
    return chart(
      element,
      [
        Object.assign(line("event style", colour("--event", "#0b6e8a")), { value: durationValue }),
        Object.assign(line("command style", colour("--command", "#6b3fb8")), { value: durationValue }),
      ],
      [curve.x, curve.event, curve.command],
      {
        scales: { x: { time: false }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        axes: [
          { label: "percent of orders notified within", values: (u, ticks) => ticks.map((t) => t + "%") },
          { label: yLabel, size: fitLabels, values: (u, ticks) => ticks.map(durationText) },
        ],
      },
      { label: "percentile", value: (u, v) => (v == null ? "--" : v + "%") }
    );
  }

  function start() {
    if (typeof uPlot === "undefined") return; // the vendored script failed to load: the tables still say it all
    startHealth();
    startTradeoffs();
    startLabCharts();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
