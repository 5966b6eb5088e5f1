// Two versions side by side in bpmn-js viewers, the elements removed, changed and added marked (the list
// of changes comes from the server: engine.versioning.compare).
(function () {
  "use strict";
  function show() {
    var pair = document.getElementById("diff");
    if (!pair || !window.BpmnJS) return;
    var marks = JSON.parse(pair.dataset.marks || "{}");
    var pending = 0;
    pair.querySelectorAll(".diff-canvas").forEach(function (container) {
      pending++;
      fetch(container.dataset.src, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (xml) {
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(xml).then(function () {
          var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
          canvas.zoom("fit-viewport", "auto");
          var side = marks[container.dataset.side] || {};
          Object.keys(side).forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, "diff-" + side[id]); });
        });
      }).finally(function () { if (--pending === 0) pair.dataset.ready = "true"; });
    });
  }
  document.addEventListener("DOMContentLoaded", show);
})();
