// Progressive enhancement: while an incident is open (the page says so with <html data-refresh="N">),
// fetch the page again every N seconds and swap in its new content, keeping the reader's scroll
// position. A page built with nothing open carries no data-refresh, so the polling stops there.
// After a swap it fires "statusgen:refreshed" on document so other scripts can redo their work.
(function () {
  "use strict";
  var root = document.documentElement;
  var seconds = parseInt(root.getAttribute("data-refresh"), 10);
  if (!(seconds > 0) || !window.fetch || !window.DOMParser) return;
  var timer = 0, pending = false;

  function schedule() {
    clearTimeout(timer);
    if (root.hasAttribute("data-refresh")) timer = setTimeout(tick, seconds * 1000);
  }

  // The first element with an id whose top is in view: kept at the same height on screen after the swap.
  function anchor() {
    var all = document.querySelectorAll("main [id]");
    for (var i = 0; i < all.length; i++) {
      var top = all[i].getBoundingClientRect().top;
      if (top >= 0) return { id: all[i].id, top: top };
    }
    return null;
  }

  function swap(doc) {
    var fresh = doc.documentElement;
    if (fresh.getAttribute("data-generated") === root.getAttribute("data-generated")) return false;
    var x = window.scrollX, y = window.scrollY, mark = anchor();
    ["main", ".site-footer"].forEach(function (selector) {
      var old = document.querySelector(selector), next = doc.querySelector(selector);
      if (old && next) old.replaceWith(document.importNode(next, true));
    });
    document.title = doc.title;
    root.setAttribute("data-generated", fresh.getAttribute("data-generated") || "");
    if (!fresh.hasAttribute("data-refresh")) root.removeAttribute("data-refresh");
    var target = mark && document.getElementById(mark.id);
    if (target) window.scrollTo(x, window.scrollY + target.getBoundingClientRect().top - mark.top);
    else window.scrollTo(x, y);
    var live = document.getElementById("live");
    if (live) live.textContent = live.getAttribute("data-msg") || "";
    document.dispatchEvent(new CustomEvent("statusgen:refreshed"));
    return true;
  }

  function tick() {
    if (document.hidden) { pending = true; return; }
    fetch(location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (text) { swap(new DOMParser().parseFromString(text, "text/html")); })
      .catch(function () { /* offline or mid-deploy: try again next time */ })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && pending) { pending = false; tick(); }
  });
  schedule();
})();
