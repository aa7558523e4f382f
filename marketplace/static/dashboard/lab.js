/* The trade-off lab's live progress box (#lab-progress, templates/dashboard/lab_progress.html).
 *
 * While the experiment is queued or running, polls its JSON every data-poll-ms (the next poll starts when the
 * last one ended) and redraws the box's lines as views_lab.progress_shown writes them. The page itself is
 * rendered by the server: when what it shows is out of date, the page reloads, once for each state:
 * - data-watch="status" (the Trade-offs page): when the experiment's status changes; not while the start form
 *   holds what someone is typing (the box says so and links to the experiment instead);
 * - data-watch="results" (the experiment's page): also when another scenario's results arrive.
 * Polling stops once the experiment is done. A failed poll says "connection lost, retrying" and tries again.
 * Text only: every value comes from the database and is written with textContent.
 */
(function () {
  "use strict";

  const RELOADED = "lab-reloaded"; // sessionStorage: the state the page last reloaded for, never twice the same

  function start() {
    const box = document.getElementById("lab-progress");
    if (!box) return;
    const phases = JSON.parse(document.getElementById("lab-phases").textContent);
    const pollMs = parseInt(box.dataset.pollMs, 10) || 1000;
    const shown = { status: box.dataset.status, scenarios: parseInt(box.dataset.scenariosDone, 10) || 0 };
    const form = document.getElementById("lab-form");
    let typing = false;
    let noticed = false; // the box says the page is out of date (and links to the experiment): keep that line
    if (form) form.addEventListener("input", () => (typing = true));

    function field(name) {
      return box.querySelector('[data-progress="' + name + '"]');
    }

    function write(name, text) {
      const node = field(name);
      if (node && node.textContent !== text) node.textContent = text;
    }

    function draw(experiment) {
      const p = experiment.progress || {};
      const name = p.scenario_title || p.scenario;
      const scenario = name ? (p.scenario_number && p.scenarios ? p.scenario_number + " of " + p.scenarios + ": " + name : name) : "—";
      write("status", experiment.status);
      field("status").className = "badge lab-" + experiment.status;
      write("phase", p.phase in phases ? phases[p.phase] : p.phase || phases[""]);
      write("scenario", scenario);
      write("placed", p.placed != null && p.orders ? p.placed + " of " + p.orders : "—");
      write("settled", p.settled != null ? String(p.settled) : "—");
      write("note", p.note || "—");
      write("stop", experiment.stop_requested_by ? "asked by " + experiment.stop_requested_by : "");
      field("stop-line").hidden = !experiment.stop_requested_by;
      const bar = field("bar");
      if (bar) {
        bar.max = p.orders || 1;
        bar.value = p.placed || 0;
      }
      const beat = p.beat && window.marketplaceTime ? window.marketplaceTime.absolute(p.beat) : p.beat;
      const state = field("state");
      if (noticed) return;
      state.dataset.state = "live";
      state.textContent = beat ? "live: last word from the runner " + beat : "live: waiting for the runner";
    }

    function stale(experiment) {
      if (experiment.status !== shown.status) return true;
      const finished = ((experiment.results || {}).scenarios || []).length;
      return box.dataset.watch === "results" && finished !== shown.scenarios;
    }

    function reloadOnce(experiment) {
      const finished = ((experiment.results || {}).scenarios || []).length;
      const key = location.pathname + " " + experiment.id + " " + experiment.status + " " + finished;
      if (typing || sessionStorage.getItem(RELOADED) === key) {
        const state = field("state");
        noticed = true;
        state.dataset.state = "stale";
        state.replaceChildren("Experiment " + experiment.id + " is " + experiment.status + ": ");
        const link = document.createElement("a");
        link.href = box.dataset.experimentUrl;
        link.textContent = "see it";
        state.append(link);
        return false;
      }
      sessionStorage.setItem(RELOADED, key);
      location.reload();
      return true;
    }

    async function poll() {
      try {
        const response = await fetch(box.dataset.url, {
          credentials: "same-origin",
          cache: "no-store",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const experiment = await response.json(); // a login page (session expired) fails here too
        draw(experiment);
        if (stale(experiment) && reloadOnce(experiment)) return;
        if (experiment.done) return;
      } catch (error) {
        noticed = false;
        const state = field("state");
        state.dataset.state = "lost";
        state.textContent = "connection lost, retrying";
      }
      setTimeout(poll, pollMs);
    }

    if (shown.status === "queued" || shown.status === "running") setTimeout(poll, pollMs);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
