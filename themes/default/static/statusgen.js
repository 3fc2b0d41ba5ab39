// Progressive enhancement only: every page is complete without this script.
// It adds the reader's own time and a relative age ("12 minutes ago") next to server-rendered times.
(function () {
  "use strict";
  var units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  function relative(ms) {
    var seconds = Math.round(ms / 1000), past = seconds >= 0, abs = Math.abs(seconds);
    if (abs < 60) return past ? "just now" : "in less than a minute";
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(abs / units[i][1]);
      if (n >= 1) {
        var text = n + " " + units[i][0] + (n === 1 ? "" : "s");
        return past ? text + " ago" : "in " + text;
      }
    }
  }
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) return;
    el.title = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short", timeZoneName: "short" });
    if (el.hasAttribute("data-relative") || el.hasAttribute("data-due")) {
      var note = document.createElement("span");
      note.className = "relative";
      note.textContent = " (" + relative(Date.now() - when.getTime()) + ")";
      el.after(note);
    }
  });
})();
