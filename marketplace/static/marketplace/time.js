/* How every page of ours writes a moment and a duration in the browser, as the template filters do
 * (marketplace/templatetags/marketplace_time.py: |timestamp, |timestamp:"relative", |duration_ms):
 *   marketplaceTime.absolute(date)       "30 Nov 2026, 16:40:32 UTC"
 *   marketplaceTime.relative(date)       "3 s ago", "in 12 s"
 *   marketplaceTime.element(date, true)  a <time> with the relative time and the absolute one on hover
 *   marketplaceTime.duration(ms)         "0 ms", "12.5 ms", "42 s", "3 min 10 s"
 * Times are written in UTC, the site's zone (TIME_ZONE). Every <time data-relative> in the page is kept current.
 */
(function () {
  "use strict";

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function toDate(value) {
    if (value instanceof Date) return value;
    return typeof value === "number" ? new Date(value * 1000) : new Date(value); // numbers: epoch seconds
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function absolute(value) {
    const at = toDate(value);
    if (isNaN(at)) return String(value || "");
    return at.getUTCDate() + " " + MONTHS[at.getUTCMonth()] + " " + at.getUTCFullYear() + ", "
      + pad(at.getUTCHours()) + ":" + pad(at.getUTCMinutes()) + ":" + pad(at.getUTCSeconds()) + " UTC";
  }

  function relative(value, now) {
    const at = toDate(value);
    if (isNaN(at)) return String(value || "");
    const seconds = (at.getTime() - (now === undefined ? Date.now() : now)) / 1000;
    const span = Math.abs(seconds);
    if (span < 1) return "now";
    let amount;
    if (span < 90) amount = Math.round(span) + " s";
    else if (span < 90 * 60) amount = Math.round(span / 60) + " min";
    else if (span < 36 * 3600) amount = Math.round(span / 3600) + " h";
    else amount = Math.round(span / 86400) + " d";
    return seconds > 0 ? "in " + amount : amount + " ago";
  }

  function duration(ms) {
    if (typeof ms !== "number" || isNaN(ms)) return "";
    if (ms < 1000) return ms.toFixed(1).replace(/\.0$/, "") + " ms";
    const seconds = ms / 1000;
    if (seconds < 10) return seconds.toFixed(1) + " s";
    const whole = Math.round(seconds);
    if (whole < 180) return whole + " s";
    if (whole < 3600) {
      const rest = whole % 60;
      return Math.floor(whole / 60) + " min" + (rest ? " " + rest + " s" : "");
    }
    const minutes = Math.floor(whole / 60);
    return Math.floor(minutes / 60) + " h" + (minutes % 60 ? " " + (minutes % 60) + " min" : "");
  }

  function element(value, isRelative) {
    const at = toDate(value);
    const node = document.createElement("time");
    node.dateTime = isNaN(at) ? String(value || "") : at.toISOString();
    if (isRelative) {
      node.dataset.relative = "";
      node.title = absolute(at);
      node.textContent = relative(at);
    } else {
      node.textContent = absolute(at);
    }
    return node;
  }

  function refresh() {
    const now = Date.now();
    for (const node of document.querySelectorAll("time[data-relative]")) {
      const text = relative(node.dateTime, now);
      if (node.textContent !== text) node.textContent = text;
    }
  }

  window.marketplaceTime = { absolute: absolute, relative: relative, duration: duration, element: element };
  window.setInterval(refresh, 1000);
})();
