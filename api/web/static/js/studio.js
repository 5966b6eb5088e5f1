// The studio's modeler: bpmn-js (served by the app) with a small properties panel for motcua's extensions
// (spiffworkflow:property budget/form/outcomes/status/pause, lane roles, conditions, scripts, timers), a
// form editor for a step's JSON Schema, live lint by the server's validator (markers and badges on the
// elements), and saving with the draft's revision (a save from an old revision is refused: 409).
(function () {
  "use strict";

  var SPIFF = {
    name: "SpiffWorkflow", uri: "http://spiffworkflow.org/bpmn/schema/1.0/core", prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    types: [
      { name: "Properties", superClass: ["Element"], properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"], properties: [
        { name: "name", isAttr: true, type: "String" }, { name: "value", isAttr: true, type: "String" }] },
      { name: "PreScript", superClass: ["Element"], properties: [{ name: "value", isBody: true, type: "String" }] },
      { name: "PostScript", superClass: ["Element"], properties: [{ name: "value", isBody: true, type: "String" }] },
      { name: "Instructions", superClass: ["Element"], properties: [{ name: "value", isBody: true, type: "String" }] }
    ]
  };
  var TASK_PROPS = { budget: "p-budget", form: "p-form", outcomes: "p-outcomes", status: "p-status" };

  var root, modeler, forms = {}, revision = 0, selected = null, lintTimer = null, lintSeq = 0, messages = [];

  function $(id) { return document.getElementById(id); }
  function is(bo, type) { return bo && bo.$instanceOf && bo.$instanceOf(type); }
  function say(text) { $("status").textContent = text; }

  function post(url, body, type) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: body,
      headers: { "Content-Type": type, "X-CSRF-Token": root.dataset.csrf } });
  }

  // --- extension properties ---------------------------------------------------------------------------------
  function propsOf(bo) {
    var ext = bo.extensionElements;
    var holder = ext && (ext.values || []).filter(function (v) { return is(v, "spiffworkflow:Properties"); })[0];
    return holder;
  }
  function getProp(bo, name) {
    var holder = propsOf(bo);
    var p = holder && (holder.properties || []).filter(function (x) { return x.name === name; })[0];
    return p ? p.value : "";
  }
  function setProp(element, name, value) {
    var bo = element.businessObject, moddle = modeler.get("moddle");
    var ext = bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
    var holder = propsOf(bo);
    if (!holder) { holder = moddle.create("spiffworkflow:Properties", { properties: [] }); holder.$parent = ext; ext.get("values").push(holder); }
    var list = holder.get("properties");
    var p = list.filter(function (x) { return x.name === name; })[0];
    if (value === "" || value === null) {
      if (p) list.splice(list.indexOf(p), 1);
    } else if (p) {
      p.value = value;
    } else {
      p = moddle.create("spiffworkflow:Property", { name: name, value: value }); p.$parent = holder; list.push(p);
    }
    modeler.get("modeling").updateProperties(element, { extensionElements: ext });
  }
  function expression(body) { return modeler.get("moddle").create("bpmn:FormalExpression", { body: body }); }

  // --- the panel --------------------------------------------------------------------------------------------
  function kinds(bo) {
    var timer = (bo.eventDefinitions || []).filter(function (d) { return is(d, "bpmn:TimerEventDefinition"); })[0];
    return { pool: is(bo, "bpmn:Participant") || is(bo, "bpmn:Process"), lane: is(bo, "bpmn:Lane"), task: is(bo, "bpmn:UserTask"), end: is(bo, "bpmn:EndEvent"),
      flow: is(bo, "bpmn:SequenceFlow"), script: is(bo, "bpmn:ScriptTask"), timer: timer };
  }
  function showPanel(element) {
    selected = element;
    var bo = element && element.businessObject;
    $("panel-empty").hidden = !!bo;
    $("panel-fields").hidden = !bo;
    if (!bo) return;
    var k = kinds(bo);
    document.querySelectorAll("#panel-fields [data-for]").forEach(function (el) { el.hidden = !k[el.dataset.for]; });
    $("panel-type").textContent = bo.$type.replace("bpmn:", "");
    $("panel-id").textContent = bo.id;
    $("p-name").value = bo.name || "";
    $("p-id").value = bo.id;
    $("p-process").value = is(bo, "bpmn:Participant") ? (bo.processRef ? bo.processRef.id : "") : k.pool ? bo.id : "";
    $("p-lane").value = k.lane ? bo.name || "" : "";
    Object.keys(TASK_PROPS).forEach(function (name) { $(TASK_PROPS[name]).value = k.task ? getProp(bo, name) : ""; });
    $("p-pause").checked = k.task && getProp(bo, "pause") === "true";
    $("p-endstatus").value = k.end ? getProp(bo, "status") : "";
    $("p-condition").value = k.flow && bo.conditionExpression ? bo.conditionExpression.body || "" : "";
    $("p-script").value = k.script ? bo.script || "" : "";
    $("p-timer").value = k.timer && k.timer.timeDuration ? k.timer.timeDuration.body || "" : "";
    showFormEditor();
    showProblems();
  }
  function bindPanel() {
    var modeling = modeler.get("modeling");
    function on(id, fn) { $(id).addEventListener("change", function () { if (selected) fn(selected, this); }); }
    on("p-name", function (el, input) { modeling.updateLabel(el, input.value); });
    on("p-lane", function (el, input) { modeling.updateLabel(el, input.value); });
    on("p-id", function (el, input) { if (input.value.trim()) modeling.updateProperties(el, { id: input.value.trim() }); showPanel(el); });
    on("p-process", function (el, input) {
      var bo = el.businessObject, value = input.value.trim();
      if (!value) return;
      if (is(bo, "bpmn:Participant") && bo.processRef) modeling.updateModdleProperties(el, bo.processRef, { id: value });
      else modeling.updateProperties(el, { id: value });
    });
    Object.keys(TASK_PROPS).forEach(function (name) {
      on(TASK_PROPS[name], function (el, input) { setProp(el, name, input.value.trim()); if (name === "form") showFormEditor(); });
    });
    on("p-pause", function (el, input) { setProp(el, "pause", input.checked ? "true" : ""); });
    on("p-endstatus", function (el, input) { setProp(el, "status", input.value.trim()); });
    on("p-condition", function (el, input) {
      modeling.updateProperties(el, { conditionExpression: input.value.trim() ? expression(input.value) : undefined });
    });
    on("p-script", function (el, input) { modeling.updateProperties(el, { scriptFormat: "python", script: input.value }); });
    on("p-timer", function (el, input) {
      var def = kinds(el.businessObject).timer;
      if (def) modeling.updateModdleProperties(el, def, { timeDuration: expression(input.value.trim()) });
    });
  }

  // --- the form editor --------------------------------------------------------------------------------------
  function currentForm() {
    if (!selected || !is(selected.businessObject, "bpmn:UserTask")) return null;
    var name = getProp(selected.businessObject, "form");
    if (!name) return null;
    if (!forms[name]) forms[name] = { "$schema": "https://json-schema.org/draft/2020-12/schema", type: "object", properties: {}, required: [] };
    return forms[name];
  }
  function cell(row, input) { var td = document.createElement("td"); td.appendChild(input); row.appendChild(td); return input; }
  function header(n) { return document.querySelectorAll("#form-fields thead th")[n].textContent; }
  function field(value, n) { var i = document.createElement("input"); i.type = "text"; i.value = value; i.setAttribute("aria-label", header(n)); return i; }
  function showFormEditor() {
    var body = document.querySelector("#form-fields tbody");
    body.textContent = "";
    var schema = currentForm();
    $("form-editor").hidden = !schema;
    if (!schema) return;
    schema.properties = schema.properties || {};
    Object.keys(schema.properties).forEach(function (key) {
      var prop = schema.properties[key], row = document.createElement("tr");
      var name = cell(row, field(key, 0)); name.readOnly = true;
      var title = cell(row, field(prop.title || "", 1));
      var type = cell(row, field(prop.type || "string", 2));
      var req = document.createElement("input"); req.type = "checkbox"; req.setAttribute("aria-label", header(3));
      req.checked = (schema.required || []).indexOf(key) >= 0; cell(row, req);
      var def = cell(row, field(prop["default"] === undefined ? "" : JSON.stringify(prop["default"]), 4));
      var drop = document.createElement("button"); drop.type = "button"; drop.className = "button"; drop.textContent = "×";
      drop.setAttribute("aria-label", root.dataset.msgRemove + " " + key); cell(row, drop);
      title.addEventListener("change", function () { prop.title = title.value; dirty(); });
      type.addEventListener("change", function () { prop.type = type.value; dirty(); });
      req.addEventListener("change", function () {
        schema.required = (schema.required || []).filter(function (k) { return k !== key; });
        if (req.checked) schema.required.push(key);
        dirty();
      });
      def.addEventListener("change", function () {
        if (def.value === "") delete prop["default"];
        else { try { prop["default"] = JSON.parse(def.value); } catch (e) { prop["default"] = def.value; } }
        dirty();
      });
      drop.addEventListener("click", function () {
        delete schema.properties[key];
        schema.required = (schema.required || []).filter(function (k) { return k !== key; });
        dirty(); showFormEditor();
      });
      body.appendChild(row);
    });
  }
  function addField() {
    var schema = currentForm();
    if (!schema) return;
    var key = window.prompt(root.dataset.msgFieldName);
    if (!key || !/^[A-Za-z][A-Za-z0-9_]*$/.test(key) || schema.properties[key]) return;
    schema.properties[key] = { type: "string", title: key };
    dirty(); showFormEditor();
  }
  function dirty() { say(""); scheduleLint(); }

  // --- live lint --------------------------------------------------------------------------------------------
  function scheduleLint() { clearTimeout(lintTimer); lintTimer = setTimeout(lint, 400); }
  function lint() {
    var seq = ++lintSeq;
    modeler.saveXML({ format: false }).then(function (out) {
      return post(root.dataset.lint, JSON.stringify({ bpmn: out.xml, forms: forms, toml: $("toml").value }), "application/json");
    }).then(answer).then(function (body) {
      if (seq !== lintSeq) return;  // an older answer than the last edit
      messages = body.messages || (body.detail ? [{ element: null, message: body.detail, severity: "error" }] : []);
      showLint();
    });
  }
  // a JSON answer, or (a refusal before the view: 413, 400) one message naming the HTTP status
  function answer(response) {
    return response.json().catch(function () { return { detail: "HTTP " + response.status + " " + response.statusText }; })
      .then(function (body) { body.httpStatus = response.status; return body; });
  }
  function showLint() {
    var canvas = modeler.get("canvas"), registry = modeler.get("elementRegistry"), overlays = modeler.get("overlays");
    overlays.remove({ type: "lint" });
    registry.getAll().forEach(function (el) { canvas.removeMarker(el.id, "lint-error"); canvas.removeMarker(el.id, "lint-warning"); });
    var errors = 0, warnings = 0, byElement = {};
    messages.forEach(function (m) {
      if (m.severity === "error") errors++; else warnings++;
      if (m.element && registry.get(m.element)) (byElement[m.element] = byElement[m.element] || []).push(m);
    });
    Object.keys(byElement).forEach(function (id) {
      var list = byElement[id], bad = list.some(function (m) { return m.severity === "error"; });
      canvas.addMarker(id, bad ? "lint-error" : "lint-warning");
      var badge = document.createElement("div");
      badge.className = "lint-badge " + (bad ? "lint-badge-error" : "lint-badge-warning");
      badge.textContent = String(list.length);
      badge.title = list.map(function (m) { return m.message; }).join("\n");
      overlays.add(id, "lint", { position: { top: -10, right: 10 }, html: badge });
    });
    var summary = $("lint-summary");
    summary.textContent = errors || warnings ? errors + " " + root.dataset.msgErrors + ", " + warnings + " " + root.dataset.msgWarnings
      : root.dataset.msgClean;
    summary.className = errors ? "lint-summary-error" : "lint-summary-ok";
    summary.title = messages.filter(function (m) { return !m.element || !registry.get(m.element); })
      .map(function (m) { return (m.file || "") + ": " + m.message; }).join("\n");
    showProblems();
    showTomlProblems();
  }
  // messages on procedure.toml (and on forms no step shows) under the procedure.toml text area
  function showTomlProblems() {
    var list = $("toml-problems"), registry = modeler.get("elementRegistry");
    list.textContent = "";
    messages.filter(function (m) { return m.file === "procedure.toml" || !m.element || !registry.get(m.element); })
      .forEach(function (m) {
        var li = document.createElement("li"); li.className = "lint-" + m.severity;
        li.textContent = (m.file || "") + (m.line ? ":" + m.line : "") + ": " + m.message; list.appendChild(li);
      });
  }
  function showProblems() {
    var list = $("panel-problems");
    list.textContent = "";
    if (!selected) return;
    messages.filter(function (m) { return m.element === selected.id; }).forEach(function (m) {
      var li = document.createElement("li"); li.className = "lint-" + m.severity; li.textContent = m.message; list.appendChild(li);
    });
  }

  // --- save, open, simulate ---------------------------------------------------------------------------------
  function save() {
    modeler.saveXML({ format: true }).then(function (out) {
      return post(root.dataset.save, JSON.stringify({ revision: revision, bpmn: out.xml, forms: forms, toml: $("toml").value }), "application/json");
    }).then(function (response) {
      return answer(response).then(function (body) {
        if (response.ok) {
          revision = body.revision;
          $("revision").textContent = revision;
          if ($("approve-revision")) $("approve-revision").value = revision;
          say(root.dataset.msgSaved + " " + revision);
        } else if (response.status === 409) {
          say(root.dataset.msgConflict);
        } else {
          say(body.detail || ("HTTP " + response.status));
        }
      });
    });
  }
  function openFile(event) {
    var file = event.target.files[0];
    if (!file) return;
    if (file.size > Number(root.dataset.maxUpload)) { say(root.dataset.msgTooLarge); return; }  // 413 there too
    // the server lays out a drawing when the file has none (bpmn-js draws only what the file places)
    file.text().then(function (xml) { return post(root.dataset.layout, xml, "application/xml"); }).then(function (response) {
      if (!response.ok) return response.json().then(function (body) { throw new Error(body.detail || ("HTTP " + response.status)); });
      return response.text();
    }).then(function (xml) { return modeler.importXML(xml); }).then(function () {
      modeler.get("canvas").zoom("fit-viewport", "auto"); lint();
    }).catch(function (error) { say(String(error.message || error)); });
  }
  function simulate() {
    post(root.dataset.simulate, "{}", "application/json").then(answer).then(function (body) {
      var out = $("simulation-result");
      out.textContent = body.message || body.detail || "";
      if (!(body.paths || []).length) return;
      out.textContent = body.ok ? root.dataset.msgAllFit : root.dataset.msgSomeLate;
      // one row a path: its budget in working hours against the legal deadline (and deadline + extension)
      var table = document.createElement("table"), head = table.insertRow();
      table.className = "table simulation-paths";
      [root.dataset.msgPath, root.dataset.msgBudget, root.dataset.msgDeadline, root.dataset.msgVerdict].forEach(function (t) {
        var th = document.createElement("th"); th.textContent = t; head.appendChild(th);
      });
      body.paths.forEach(function (p) {
        var row = table.insertRow();
        row.className = p.fits ? "lint-summary-ok" : "lint-summary-error";
        row.title = p.label;
        [p.end + " (" + p.status + ")", p.budget,
         body.deadline_hours + " h (" + body.deadline + ")" + (body.extended_hours > body.deadline_hours ? ", +ext " + body.extended_hours + " h" : ""),
         (p.fits ? root.dataset.msgFits : p.fits_extended ? root.dataset.msgFitsExtended : root.dataset.msgLate) +
         (p.on_time_share === null || p.on_time_share === undefined ? "" : ", " + Math.round(p.on_time_share * 100) + "%")
        ].forEach(function (t) { row.insertCell().textContent = t; });
      });
      out.appendChild(table);
    });
  }

  function start() {
    root = $("studio");
    if (!root || !window.BpmnJS) return;
    modeler = new window.BpmnJS({ container: $("canvas"), moddleExtensions: { spiffworkflow: SPIFF } });
    fetch(root.dataset.draft, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (draft) {
      revision = draft.revision; forms = draft.forms || {};
      return modeler.importXML(draft.bpmn);
    }).then(function () {
      modeler.get("canvas").zoom("fit-viewport", "auto");
      bindPanel();
      modeler.on("selection.changed", function (e) {
        var top = modeler.get("canvas").getRootElement();
        var pool = is(top.businessObject, "bpmn:Process") ? top : null;
        showPanel(e.newSelection[0] || pool);
      });
      modeler.on("commandStack.changed", scheduleLint);
      $("save").addEventListener("click", save);
      $("open-file").addEventListener("change", openFile);
      $("add-field").addEventListener("click", addField);
      $("simulate").addEventListener("click", simulate);
      $("toml").addEventListener("input", scheduleLint);
      root.dataset.ready = "true";
      lint();
    }).catch(function (error) { say(String(error.message || error)); root.dataset.ready = "error"; });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
