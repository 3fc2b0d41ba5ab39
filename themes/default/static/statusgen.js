// Progressive enhancement only: every page is complete and true without this script (it states when
// it was generated and every time in full). With it, the page follows the reader's clock:
//  - every <time datetime> gets a tooltip in the reader's own zone;
//  - the "generated" time and next-update times show a relative age ("14 minutes ago"), kept current;
//  - [data-phases] labels move on as their instants pass (maintenance Scheduled → In progress → Completed);
//  - [data-due-at] promises turn from "expected by" into "was due by" once the time has passed;
//  - [data-valid-until] notices appear when the page itself may be out of date (see statusgen/expiry.py).
// All words come from the page (already in its language); relative ages use the browser's Intl.
(function () {
  "use strict";
  var TICK_MS = 15000;
  var lang = document.documentElement.lang || undefined;
  var rtf = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
  var units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  var LOCAL_FORMAT = { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
    timeZoneName: "short" };

  function instant(text) {
    var t = new Date(text).getTime();
    return isNaN(t) ? null : t;
  }

  // "14 minutes ago", "in 2 hours": whole units, rounded towards zero, so it never overstates.
  function relative(when, now) {
    var seconds = Math.round((when - now) / 1000), abs = Math.abs(seconds), sign = seconds < 0 ? -1 : 1;
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(abs / units[i][1]);
      if (n >= 1) {
        if (rtf) return rtf.format(sign * n, units[i][0]);
        var text = n + " " + units[i][0] + (n === 1 ? "" : "s");
        return sign < 0 ? text + " ago" : "in " + text;
      }
    }
    return rtf ? rtf.format(0, "second") : "now";
  }

  function all(selector) {
    return Array.prototype.slice.call(document.querySelectorAll(selector));
  }

  // Every tick reads the DOM afresh, so parts of the page replaced by another script are handled too.
  function tick() {
    var now = Date.now();
    all("time[datetime]").forEach(function (el) {
      if (el.title) return;
      var when = instant(el.getAttribute("datetime"));
      if (when !== null) {
        // Not dateStyle/timeStyle: browsers refuse them together with timeZoneName.
        el.title = new Date(when).toLocaleString(lang, LOCAL_FORMAT);
      }
    });
    all("time[data-relative], time[data-due]").forEach(function (el) {
      var when = instant(el.getAttribute("datetime"));
      if (when === null) return;
      var note = el.nextElementSibling;
      if (!note || !note.classList.contains("relative")) {
        note = document.createElement("span");
        note.className = "relative";
        el.after(note);
      }
      note.textContent = " (" + relative(when, now) + ")";
    });
    all("[data-phases]").forEach(function (el) {
      var steps = [], current = null;
      try { steps = JSON.parse(el.getAttribute("data-phases")); } catch (e) { return; }  // keep the server's label
      steps.forEach(function (s) { var at = instant(s[0]); if (at !== null && at <= now) current = s; });
      if (!current || el.getAttribute("data-phase") === current[1]) return;
      el.className = el.className.replace(/(^|\s)p-[a-z_]+/g, "").trim() + " p-" + current[1];
      el.setAttribute("data-phase", current[1]);
      var use = el.querySelector("use"), text = el.lastChild;
      if (use && current[3]) {
        use.setAttribute("href", "#i-" + current[3]);
        use.parentNode.setAttribute("class", use.parentNode.getAttribute("class").replace(/(^|\s)s-[a-z_]+/g, "") + " s-" + current[3]);
      }
      if (text && text.nodeType === Node.TEXT_NODE) text.nodeValue = " " + current[2];
      else el.textContent = current[2];
    });
    all("[data-due-at]").forEach(function (el) {
      var due = instant(el.getAttribute("data-due-at"));
      var before = el.querySelector(".before-due"), after = el.querySelector(".after-due");
      if (due === null || now <= due || !after || !after.hidden) return;  // overdue is strictly after
      el.classList.add("overdue");
      if (before) before.hidden = true;
      after.hidden = false;
    });
    all("[data-valid-until]").forEach(function (el) {
      var until = instant(el.getAttribute("data-valid-until"));
      if (until !== null && now >= until) el.hidden = false;
    });
  }

  tick();
  setInterval(tick, TICK_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) tick(); });
  document.addEventListener("statusgen:refreshed", tick);  // refresh.js swapped in a newer build
})();
