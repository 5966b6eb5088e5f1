// The dossier page's BPMN diagram: bpmn-js's viewer (served by the app), the XML fetched from the page's own
// endpoint, finished and current steps marked. Loaded by the dossier page only.
(function () {
  "use strict";

  function show() {
    var container = document.getElementById("diagram");
    if (!container || !window.BpmnJS) return;
    var finished = JSON.parse(container.dataset.finished || "[]");
    var current = JSON.parse(container.dataset.current || "[]");
    fetch(container.dataset.src, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (xml) {
        container.textContent = "";
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(xml).then(function () {
          var canvas = viewer.get("canvas");
          var registry = viewer.get("elementRegistry");
          canvas.zoom("fit-viewport", "auto");
          finished.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, "step-done"); });
          current.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, "step-current"); });
          container.dataset.ready = "true";
        });
      })
      .catch(function (error) {
        container.textContent = container.dataset.error || String(error);
        container.dataset.ready = "error";
      });
  }

  document.addEventListener("DOMContentLoaded", show);
})();
