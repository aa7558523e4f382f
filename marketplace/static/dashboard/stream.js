/* The live stream's websocket client (no library). The contract is the README's "Streaming contract":
 *   connect to /ws/dashboard/ (with ?after=<last seq seen> when reconnecting): the server sends the entries
 *   after it (or the newest 100), a frame with "live": true, then live frames; each frame's "entries" list is
 *   oldest first. The client acks what it has processed ({"ack": seq}) and pings now and then; it sends at
 *   most ~11 frames a second, well under the server's limit of 20. It reconnects after any close but 4401
 *   (logged out, or the session ended), which it shows instead: a new socket would be refused until a login.
 * With a correlation id in the filters it also asks for that conversation's history ({"history": id}): the
 * answer, however old, joins the rows received, so "Watch it live" from a flow view shows the order so far.
 * Rows are built with textContent only (journal details are not HTML), newest first, at most data-rows of them.
 */
(function () {
  "use strict";

  const table = document.getElementById("stream");
  if (!table) return;
  const rowsBody = document.getElementById("stream-rows");
  const stateBox = document.getElementById("stream-state");
  const countsBox = document.getElementById("stream-counts");
  const form = document.getElementById("stream-filters");
  const pauseButton = document.getElementById("stream-pause");
  const stepLabels = JSON.parse(document.getElementById("step-labels").textContent);

  const MAX_ROWS = parseInt(table.dataset.rows, 10) || 500; // rows in the page
  const MAX_KEPT = 5000; // entries kept in memory, so that changing a filter can fill the table again
  const ACK_INTERVAL_MS = 100; // acks are cumulative: at most 10 a second
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const PING_EVERY_MS = 20000;
  const SILENCE_LIMIT_MS = 10000; // after a ping, this long without any frame: the connection is dead
  const CLOSE_LOGGED_OUT = 4401; // the server's "logged out, or the session ended": do not reconnect
  const TROUBLE = new Set(["failed", "dead_lettered", "breaker_opened"]);
  const FILTERS = ["kind", "type", "context", "step", "handler", "correlation"];
  const HISTORY_DELAY_MS = 300; // typing an id asks once, when the typing stops

  let socket = null;
  let lastSeq = null; // the last seq received (and processed): ?after= on reconnect, and the ack
  let ackedSeq = null;
  let ackTimer = null;
  let lastAckAt = 0;
  let failures = 0; // consecutive connections that did not reach "live": the backoff's exponent
  let pingTimer = null;
  let lastFrameAt = 0;
  let kept = []; // received entries, oldest first
  let paused = false;
  let heldWhilePaused = 0;
  let filters = readFilters();
  // one conversation's history from the server: entries outside the stream's order, kept apart from `kept`
  let history = { asked: "", entries: [], loaded: false, more: false };
  let historyTimer = null;

  // --- Connection -------------------------------------------------------------------------------------------

  function setState(state, text) {
    stateBox.dataset.state = state;
    stateBox.textContent = text;
  }

  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const after = lastSeq === null ? "" : "?after=" + encodeURIComponent(String(lastSeq));
    return scheme + "//" + window.location.host + table.dataset.socketPath + after;
  }

  function connect() {
    const ws = new WebSocket(socketUrl());
    socket = ws;
    ws.onopen = function () {
      if (socket !== ws) return;
      lastFrameAt = Date.now();
      setState("catching-up", "Catching up…");
      pingTimer = window.setInterval(function () { ping(ws); }, PING_EVERY_MS);
      if (history.asked && !history.loaded) askHistory(history.asked);
    };
    ws.onmessage = function (event) {
      if (socket === ws) onFrame(event.data);
    };
    ws.onclose = function (event) {
      if (socket !== ws) return;
      socket = null;
      window.clearInterval(pingTimer);
      window.clearTimeout(ackTimer);
      ackTimer = null;
      ackedSeq = null;
      if (event.code === CLOSE_LOGGED_OUT) {
        // The session ended: reconnecting would be refused, again and again, until the user logs in.
        setState("logged-out", "Logged out: log in again (reload the page) to resume the stream");
        return;
      }
      reconnectLater(event.code);
    };
  }

  function reconnectLater(code) {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, failures));
    const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2); // jitter: clients do not stampede
    failures += 1;
    const why = {
      4400: "the server refused a frame",
      4408: "this page fell behind",
      1006: "connection lost or refused",
    }[code] || "closed (" + code + ")";
    setState("reconnecting", "Reconnecting in " + (delay / 1000).toFixed(1) + " s: " + why);
    window.setTimeout(connect, delay);
  }

  function ping(ws) {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastFrameAt > PING_EVERY_MS + SILENCE_LIMIT_MS) {
      ws.close(); // silent since before the last ping: a half-open connection; onclose reconnects
      return;
    }
    ws.send(JSON.stringify({ ping: String(Date.now()) }));
  }

  function onFrame(data) {
    lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (error) {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    const entries = Array.isArray(frame.entries) ? frame.entries : [];
    const fresh = [];
    for (const entry of entries) {
      if (typeof entry.seq !== "number") continue;
      if (lastSeq !== null && entry.seq <= lastSeq) continue; // the server sends each once; be safe anyway
      lastSeq = entry.seq;
      fresh.push(entry);
    }
    if (frame.history && typeof frame.history === "object") receiveHistory(frame.history);
    if (fresh.length) receive(fresh);
    if (entries.length) ackSoon();
    if (frame.live) {
      failures = 0;
      setState("live", "Live");
    }
  }

  function ackSoon() {
    const wait = lastAckAt + ACK_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      ack(); // at once: a hidden tab's timers may be throttled to one a minute, its socket events are not
    } else if (ackTimer === null) {
      ackTimer = window.setTimeout(ack, wait); // the pending ack will carry the newest seq
    }
  }

  function ack() {
    window.clearTimeout(ackTimer);
    ackTimer = null;
    if (!socket || socket.readyState !== WebSocket.OPEN || lastSeq === null || lastSeq === ackedSeq) return;
    socket.send(JSON.stringify({ ack: lastSeq }));
    ackedSeq = lastSeq;
    lastAckAt = Date.now();
  }

  // --- One conversation's history ------------------------------------------------------------------------

  function historyWanted() {
    window.clearTimeout(historyTimer);
    const wanted = form.elements.correlation.value.trim();
    if (wanted === history.asked) return;
    history = { asked: wanted, entries: [], loaded: false, more: false };
    if (wanted) historyTimer = window.setTimeout(function () { askHistory(wanted); }, HISTORY_DELAY_MS);
  }

  function askHistory(wanted) {
    if (wanted.length > 64 || !socket || socket.readyState !== WebSocket.OPEN) return; // onopen asks again
    socket.send(JSON.stringify({ history: wanted }));
  }

  function receiveHistory(answer) {
    if (answer.correlation_id !== history.asked || !Array.isArray(answer.entries)) return; // an earlier question
    history.entries = answer.entries.filter(function (entry) { return typeof entry.seq === "number"; });
    history.loaded = true;
    history.more = Boolean(answer.more);
    history.resolved = typeof answer.resolved === "string" ? answer.resolved : "";
    history.note = typeof answer.note === "string" ? answer.note : "";
    history.matches = Array.isArray(answer.matches) ? answer.matches.map(String) : [];
    if (!paused) render();
    else showCounts();
  }

  function received() {
    // what the table is drawn from: the entries received and the history asked for, oldest first, each once
    if (!history.entries.length) return kept;
    const have = new Set(kept.map(function (entry) { return entry.seq; }));
    return history.entries.filter(function (entry) { return !have.has(entry.seq); }).concat(kept)
      .sort(function (a, b) { return a.seq - b.seq; });
  }

  // --- Rows -------------------------------------------------------------------------------------------------

  function receive(fresh) {
    kept.push.apply(kept, fresh);
    if (kept.length > MAX_KEPT) kept = kept.slice(kept.length - MAX_KEPT);
    if (paused) {
      heldWhilePaused += fresh.filter(matches).length;
      showPause();
    } else if (history.entries.length) {
      render(); // the history may hold some of these already: draw each entry once, in order
    } else {
      const rows = document.createDocumentFragment();
      for (let i = fresh.length - 1; i >= 0; i--) {
        if (matches(fresh[i])) rows.appendChild(rowFor(fresh[i]));
      }
      rowsBody.insertBefore(rows, rowsBody.firstChild);
      while (rowsBody.rows.length > MAX_ROWS) rowsBody.deleteRow(-1);
    }
    showCounts();
  }

  function render() {
    const rows = document.createDocumentFragment();
    const entries = received();
    let count = 0;
    for (let i = entries.length - 1; i >= 0 && count < MAX_ROWS; i--) {
      if (matches(entries[i])) {
        rows.appendChild(rowFor(entries[i]));
        count += 1;
      }
    }
    rowsBody.replaceChildren(rows);
    showCounts();
  }

  function cell(row, text, className) {
    const td = row.insertCell();
    if (text !== undefined && text !== null) td.textContent = String(text);
    if (className) td.className = className;
    return td;
  }

  function link(href, text, title) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (title) a.title = title;
    return a;
  }

  function clock(iso) {
    const at = new Date(iso);
    return isNaN(at) ? String(iso || "") : at.toISOString().slice(11, 23);
  }

  function rowFor(entry) {
    const row = document.createElement("tr");
    row.className = (entry.kind || "operation") + (TROUBLE.has(entry.step) ? " trouble" : "");
    row.dataset.seq = entry.seq;
    row.dataset.step = entry.step || "";

    const time = document.createElement("time");
    time.dateTime = entry.at || "";
    time.textContent = clock(entry.at);
    time.title = "#" + entry.seq + " at " + (window.marketplaceTime ? window.marketplaceTime.absolute(entry.at) : entry.at);
    cell(row).appendChild(time);

    const kind = cell(row);
    if (entry.kind) {
      const badge = document.createElement("span");
      badge.className = "kind " + entry.kind;
      badge.textContent = entry.kind;
      kind.appendChild(badge);
    }

    const type = cell(row, null, "type");
    if (entry.message_id) {
      const code = document.createElement("code");
      code.textContent = entry.type;
      const ledger = link(table.dataset.ledgerUrl.replace(/0{8}-0{4}-0{4}-0{4}-0{12}/, entry.message_id), "",
        "Deliveries of message " + entry.message_id);
      ledger.appendChild(code);
      type.appendChild(ledger);
    } else if (entry.type) {
      type.textContent = entry.type;
    }

    cell(row, stepLabels[entry.step] || entry.step, "step " + (entry.step || ""));
    cell(row, entry.handler || (entry.step === "control" || !entry.message_id ? entry.context : ""));
    cell(row, entry.attempt === null || entry.attempt === undefined ? "" : entry.attempt, "num");
    cell(row, typeof entry.duration_ms === "number" ? entry.duration_ms.toFixed(1) + " ms" : "", "num");

    const correlation = cell(row, null, "correlation");
    if (entry.correlation_id) {
      const href = table.dataset.flowUrl.replace("CORRELATION", encodeURIComponent(entry.correlation_id));
      correlation.appendChild(link(href, entry.correlation_id.slice(0, 8), "Flow view of " + entry.correlation_id));
    }

    const detail = [entry.actor, entry.detail].filter(Boolean).join(" · ");
    cell(row, detail.length > 200 ? detail.slice(0, 199) + "…" : detail, "detail").title = entry.detail || "";
    return row;
  }

  // --- Filters and pause ------------------------------------------------------------------------------------

  function readFilters() {
    const values = {};
    for (const name of FILTERS) values[name] = (form.elements[name].value || "").trim().toLowerCase();
    return values;
  }

  function contains(value, wanted) {
    return !wanted || String(value || "").toLowerCase().indexOf(wanted) !== -1;
  }

  function matches(entry) {
    const kind = entry.kind || "operation";
    return (!filters.kind || kind === filters.kind)
      && contains(entry.type, filters.type)
      && (!filters.context || (entry.context || "").toLowerCase() === filters.context)
      && (!filters.step || entry.step === filters.step)
      && contains(entry.handler, filters.handler)
      && contains(entry.correlation_id, filters.correlation);
  }

  function filtersChanged() {
    const next = readFilters();
    // "change" follows "input" when a field loses focus: re-rendering then would swap the rows under a click.
    if (FILTERS.every(function (name) { return next[name] === filters[name]; })) return;
    filters = next;
    historyWanted();
    const query = new URLSearchParams();
    for (const name of FILTERS) {
      const value = form.elements[name].value.trim();
      if (value) query.set(name, value);
    }
    const search = query.toString();
    window.history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
    if (!paused) render();
  }

  function showPause() {
    pauseButton.setAttribute("aria-pressed", String(paused));
    pauseButton.textContent = paused ? "Resume" + (heldWhilePaused ? " (" + heldWhilePaused + " new)" : "") : "Pause";
    table.classList.toggle("paused", paused);
  }

  function showCounts() {
    const shown = rowsBody.rows.length;
    let text = kept.length
      ? "Showing " + shown + " of the " + kept.length + " entries received (last #" + lastSeq + ")."
      : "No entries yet.";
    if (history.asked) text = (text + " " + historyCounts(shown)).trim();
    if (paused) text += " Paused: new entries are kept, not shown, until you resume.";
    countsBox.textContent = text;
  }

  function historyCounts(shown) {
    let id = "\u201c" + history.asked + "\u201d";
    if (!history.loaded) return "Fetching the history of correlation id " + id + " from the journal\u2026";
    if (history.note) {
      return history.note + (history.matches.length ? ": " + history.matches.join(", ") + "." : ".");
    }
    if (history.resolved) id = "\u201c" + history.resolved + "\u201d";
    if (!history.entries.length) {
      return shown ? "" : "Nothing in the journal for correlation id " + id + " (give at least its first 6 characters).";
    }
    return "The history of correlation id " + id + " from the journal: " + history.entries.length + " entries"
      + (history.more ? ", the newest ones (older ones are in its flow view)." : ".");
  }

  form.addEventListener("input", filtersChanged);
  form.addEventListener("change", filtersChanged);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  document.getElementById("filters-clear").addEventListener("click", function () {
    for (const name of FILTERS) form.elements[name].value = "";
    filtersChanged();
  });
  pauseButton.addEventListener("click", function () {
    paused = !paused;
    if (!paused) {
      heldWhilePaused = 0;
      render();
    }
    showPause();
    showCounts();
  });

  setState("connecting", "Connecting…");
  history.asked = form.elements.correlation.value.trim(); // from the address: asked for once the socket opens
  connect();
})();
