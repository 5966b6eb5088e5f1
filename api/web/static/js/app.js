// The workspace's own script (no inline script anywhere: the Content-Security-Policy forbids it).
// The idle notice: the server ends a login session after server.session_idle_hours without use; the page
// says so some minutes before, from the data attributes the layout writes on <body>.
(function () {
  "use strict";

  function idleNotice() {
    var body = document.body;
    var idle = parseInt(body.dataset.idleSeconds || "", 10);
    var warning = parseInt(body.dataset.idleWarningSeconds || "", 10);
    if (!(idle > 0) || !(warning >= 0)) return;
    var notice = document.getElementById("idle-notice");
    var ended = document.getElementById("idle-ended");
    var warnTimer = null;
    var endTimer = null;

    function arm() {
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      notice.hidden = true;
      warnTimer = setTimeout(function () { notice.hidden = false; }, Math.max(0, idle - warning) * 1000);
      endTimer = setTimeout(function () { notice.hidden = true; ended.hidden = false; }, idle * 1000);
    }

    document.getElementById("idle-keep").addEventListener("click", function () {
      fetch(body.dataset.keepAliveUrl, { credentials: "same-origin" }).then(function (response) {
        if (response.ok) { arm(); } else { notice.hidden = true; ended.hidden = false; }
      });
    });
    // Work done through htmx uses the session too (the inbox's poll is no work: it does not count).
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (!event.detail.elt.hasAttribute("data-poll-seconds")) arm();
    });
    arm();
  }

  // Elements with data-poll-seconds are refreshed by htmx every so many seconds while the page is seen,
  // and no longer once the idle notice shows: a page left open must not keep its session alive.
  function polling() {
    document.querySelectorAll("[data-poll-seconds]").forEach(function (element) {
      var seconds = parseInt(element.dataset.pollSeconds, 10);
      if (!(seconds > 0) || !window.htmx) return;
      var timer = setInterval(function () {
        var notice = document.getElementById("idle-notice");
        var ended = document.getElementById("idle-ended");
        if (ended && !ended.hidden) { clearInterval(timer); return; }
        if (document.hidden || (notice && !notice.hidden)) return;
        window.htmx.trigger(element, "poll");
      }, seconds * 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    idleNotice();
    polling();
  });
})();
