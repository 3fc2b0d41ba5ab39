// Progressive enhancement: when the reader's time zone is not the site's, show every time in the
// reader's zone (formatted by the browser in the page's language), keep the site's time in the
// tooltip, and offer a button to switch back. Without this script every time is already complete:
// written in the site's zone, with the zone named. The words come from the page (#zone-note).
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat.prototype.formatToParts) return;
  var reader;
  try { reader = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  var lang = document.documentElement.lang || undefined;
  var mine = true;

  function zoneOf(date) {
    var parts = new Intl.DateTimeFormat(lang, { timeZoneName: "short" }).formatToParts(date);
    for (var i = 0; i < parts.length; i++) if (parts[i].type === "timeZoneName") return parts[i].value;
    return "";
  }

  function sameDay(a, b) {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  }

  // data-f: absent = date, time and zone; "dt" = date and time (a range's start); "t" = time and zone
  // (a range's end: it gets its date back when the reader's zone puts it on another day).
  function text(el, date) {
    var kind = el.getAttribute("data-f");
    var before = el.previousElementSibling;
    var start = kind === "t" && before && before.tagName === "TIME" ? new Date(before.getAttribute("datetime")) : null;
    var opts = kind === "t" && start && sameDay(start, date) ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" };
    var out = new Intl.DateTimeFormat(lang, opts).format(date);
    return kind === "dt" ? out : out + " " + zoneOf(date);
  }

  function apply() {
    var note = document.getElementById("zone-note");
    if (!note || !reader || note.getAttribute("data-zone") === reader) return;
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date) || el.getAttribute("data-f") === "d") return;
      if (!el.hasAttribute("data-site-text")) el.setAttribute("data-site-text", el.textContent);
      var site = el.getAttribute("data-site-text");
      if (mine) {
        el.textContent = text(el, date);
        el.title = site;
      } else {
        el.textContent = site;
      }
    });
    if (!note.hasAttribute("data-site-text")) note.setAttribute("data-site-text", note.textContent);
    note.textContent = mine ? note.getAttribute("data-local").replace("{zone}", reader) : note.getAttribute("data-site-text");
    var button = document.getElementById("zone-switch");
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.id = "zone-switch";
      button.className = "linkish";
      button.addEventListener("click", function () { mine = !mine; apply(); });
      note.after(" ", button);
    }
    button.textContent = note.getAttribute(mine ? "data-site" : "data-mine");
  }

  apply();
  document.addEventListener("statusgen:refreshed", apply);
})();
