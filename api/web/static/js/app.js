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
    // Work done through htmx uses the session too.
    document.body.addEventListener("htmx:afterRequest", arm);
    arm();
  }

  document.addEventListener("DOMContentLoaded", idleNotice);
})();
