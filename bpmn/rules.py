"""Lint rules met while designing procedures in a modeler (issue 12): each returns Problems on elements.

- a refusal end event without `status` (its dossiers would finish as "returned");
- a reception step inside the diagram (the one-stop desk receives before the workflow starts);
- lanes naming an agency kind (or role) that the organisation does not have;
- FEEL / JUEL conditions (a designer coming from Camunda): a hint with the Python to write instead;
- foreign form properties (spiff-arena, Camunda): understood (`formJsonSchemaFilename` = `form`) or refused;
- parallel branches that write the same variable (the join keeps one of them, silently);
- what a plain bpmn.io diagram still misses (plain tasks, a non-executable process, no lanes).
"""
from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bpmn.extensions import form_of, parse_flag, parse_outcomes, split_lane
from bpmn.package import Problem
from bpmn.parser import NS, Diagram, Node

#: words that name a refusal in an element's name or id (Vietnamese with and without accents, English)
REFUSAL = re.compile(r"refus|reject|\bden(y|ied)\b|từ chối|tu_?choi|không giải quyết|khong_?giai_?quyet", re.I)
#: words that name the reception of a dossier (not of a supplement: pause tasks are left out)
RECEPTION = re.compile(r"(^|[\s_-])(receiv|reception|intake)|tiếp nhận|tiep_?nhan|nhận hồ sơ|nhan_?ho_?so", re.I)
_FEEL_WORDS = {"true": "True", "false": "False", "null": "None"}
_CAMUNDA = re.compile(r"camunda\.org/schema")


@dataclass(frozen=True)
class Organisation:
    """What the organisation has, read from its database: agency kinds, and the roles some official holds."""

    agency_kinds: frozenset[str]
    roles_held: frozenset[str] | None = None  # None: not known (roles are then only checked against config)


def _p(d: Diagram, element_id: str | None, message: str, severity: str = "error") -> Problem:
    return Problem(d.filename, element_id, d.lines.get(element_id) if element_id else None, message, severity)


def _words(node: Node | None) -> str:
    return f"{node.name or ''} {node.id}" if node is not None else ""


def refusal_ends(d: Diagram, active: set[str]) -> list[Problem]:
    """An end event that ends a refusal must say so: without `status` its dossier finishes as returned."""
    out = []
    for end in (n for n in d.nodes.values() if n.tag == "endEvent" and n.container in active):
        why = None
        if REFUSAL.search(_words(end)):
            why = f"its name {end.name or end.id!r}"
        for flow in d.incoming.get(end.id, []):
            source = d.nodes.get(flow.source)
            if why is None and source is not None and source.tag != "startEvent" and REFUSAL.search(_words(source)):
                why = f"it follows {source.id!r} ({source.name or source.id})"
            if why is None and flow.condition and REFUSAL.search(flow.condition):
                why = f"its flow {flow.id!r} is taken when {flow.condition.strip()!r}"
        if why is None:
            continue
        status = (end.properties.get("status") or "").strip()
        if not status:
            out.append(_p(d, end.id, f"this end event ends a refusal ({why}) but has no status: add the property "
                                     f"status = \"refused\" (without it the dossier finishes as \"returned\")"))
        elif status in ("returned", "processed"):
            out.append(_p(d, end.id, f"this end event ends a refusal ({why}) but sets status {status!r}: use "
                                     f"\"refused\"", "warning"))
    return out


def reception_steps(d: Diagram, active: set[str], deadline_unit: str | None) -> list[Problem]:
    """The desk has received the dossier when the workflow starts: a reception step repeats it."""
    out = []
    for node in (n for n in d.nodes.values() if n.tag in ("userTask", "task", "receiveTask") and n.container in active):
        try:
            if parse_flag(node.properties.get("pause")):
                continue  # waiting for a supplement is not the reception
        except ValueError:
            pass
        _agency, role = split_lane(node.lane)
        after_start = any(d.nodes.get(f.source) is not None and d.nodes[f.source].tag == "startEvent"
                          for f in d.incoming.get(node.id, []))
        if not RECEPTION.search(_words(node)) or not (role == "reception" or after_start):
            continue
        short = deadline_unit in ("same_day", "working_hours")
        budget = node.properties.get("budget")
        cost = f"spends {budget} of the legal time" if budget else "adds a step to every dossier"
        out.append(_p(d, node.id, f"a reception step inside the diagram: the one-stop desk has already received "
                                  f"the dossier when the workflow starts (the start event is the reception), so "
                                  f"this step repeats it and {cost}: remove it and start with the first "
                                  f"processing step (a supplement loop returns to that step)",
                      "error" if short else "warning"))
    return out


def organisation_lanes(d: Diagram, active: set[str], org: Organisation) -> list[Problem]:
    """Lanes whose agency kind no agency has (a dossier would stop there), and roles nobody holds."""
    out = []
    kinds = ", ".join(sorted(org.agency_kinds)) or "none"
    for lane in (la for la in d.lanes if la.is_leaf and la.container in active and la.name):
        agency, role = split_lane(lane.name)
        if agency is not None and agency not in org.agency_kinds:
            out.append(_p(d, lane.id, f"lane {lane.name!r}: no agency of kind {agency!r} exists in this "
                                      f"organisation (kinds present: {kinds}), so a dossier would stop at its "
                                      f"first step: create such an agency or change the lane"))
        elif role and org.roles_held is not None and role not in org.roles_held:
            out.append(_p(d, lane.id, f"lane {lane.name!r}: no official holds the role {role!r} yet; its steps "
                                      f"would wait unassigned until someone does", "warning"))
    return out


def feel_hint(text: str | None) -> str | None:
    """Say what a FEEL or JUEL condition looks like in Python, or None when it does not look like one."""
    raw = (text or "").strip()
    if not raw:
        return None
    juel = re.fullmatch(r"[$#]\{(.*)\}", raw, re.S)
    body, kind = (juel.group(1).strip(), "a JUEL expression (${...})") if juel else (raw, None)
    if body.startswith("="):
        body, kind = body[1:].strip(), kind or "a FEEL expression (a leading =)"
    python = body
    python = re.sub(r"&&", " and ", python)
    python = re.sub(r"\|\|", " or ", python)
    python = re.sub(r"(?<![=!<>])=(?!=)", "==", python)  # FEEL's a = b
    python = re.sub(r"!(?!=)", "not ", python)
    python = re.sub(r"\b(eq)\b", "==", python)
    python = re.sub(r"\b(ne)\b", "!=", python)
    python = re.sub(r"\b(true|false|null)\b", lambda m: _FEEL_WORDS[m.group(1)], python)
    python = re.sub(r"\s+", " ", python).strip()
    if kind is None:
        if python == raw:
            return None
        kind = "a FEEL/JUEL expression" if re.search(r"&&|\|\||(?<![=!<>])=(?!=)|\b(true|false|null)\b", raw) \
            else None
        if kind is None:
            return None
    try:
        ast.parse(python, mode="eval")
    except SyntaxError:
        python = None
    suggestion = f": write {python}" if python else ""
    return (f"looks like {kind}; conditions here are Python expressions over the task data (outcome == "
            f"\"approve\", a and b, True){suggestion}")


def foreign_forms(d: Diagram, active: set[str]) -> list[Problem]:
    """Form settings of other engines: understood when they mean ours, refused (with the fix) otherwise."""
    out = []
    for node in (n for n in d.nodes.values() if n.container in active and n.tag in ("userTask", "startEvent")):
        el = node.element
        for attr in el.attrib:
            if _CAMUNDA.search(attr) and attr.rsplit("}", 1)[-1] in ("formKey", "formRef", "formRefBinding"):
                out.append(_p(d, node.id, f"a Camunda form ({attr.rsplit('}', 1)[-1]}) is not read here: write the "
                                          f"form as a JSON Schema in forms/ and set the property form = \"x.json\""))
        for ext in el.xpath("./bpmn:extensionElements/*", namespaces=NS):
            tag = ext.tag if isinstance(ext.tag, str) else ""
            local = tag.rsplit("}", 1)[-1]
            if _CAMUNDA.search(tag) and local in ("formData", "formDefinition", "userTaskForm", "formField"):
                out.append(_p(d, node.id, f"Camunda form fields ({local}) are not read here: write them as a JSON "
                                          f"Schema in forms/ and set the property form = \"x.json\""))
    return out


def _assigned(source: str | None, mode: str = "exec") -> set[str]:
    try:
        tree = ast.parse(source or "", mode=mode)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)) else []
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name):
                    names.add(leaf.id)
    return names


def writes_of(node: Node, forms: Mapping[str, dict] | None) -> set[str]:
    """The data names a step writes: its form's fields and outcome, its scripts' assignments."""
    out: set[str] = set()
    if node.tag == "userTask" and (node.properties.get("branch") or "").strip():
        out.add(node.properties["branch"].strip())  # its form's data is kept under that one name
    elif node.tag == "userTask":
        try:
            if parse_outcomes(node.properties.get("outcomes")):
                out.add("outcome")
        except ValueError:
            pass
        schema = (forms or {}).get(form_of(node.properties) or "")
        if isinstance(schema, Mapping) and isinstance(schema.get("properties"), Mapping):
            out |= set(schema["properties"])
    if node.tag == "scriptTask":
        script = node.element.find(".//bpmn:script", NS)
        out |= _assigned(script.text if script is not None else None)
    for xpath in ("./bpmn:extensionElements/spiffworkflow:preScript", "./bpmn:extensionElements/spiffworkflow:postScript"):
        for el in node.element.xpath(xpath, namespaces=NS):
            out |= _assigned(el.text)
    return out


def parallel_writes(d: Diagram, active: set[str], forms: Mapping[str, dict] | None) -> list[Problem]:
    """Two branches of a parallel split that write the same name: at the join one value silently wins."""
    out = []
    for split in (n for n in d.nodes.values() if n.tag in ("parallelGateway", "inclusiveGateway")
                  and n.container in active and len(d.outgoing.get(n.id, [])) > 1):
        branches: list[tuple[str, dict[str, str]]] = []
        for flow in d.outgoing[split.id]:
            written: dict[str, str] = {}
            stack, seen = [flow.target], set()
            while stack:
                nid = stack.pop()
                node = d.nodes.get(nid)
                if node is None or nid in seen or nid == split.id:
                    continue
                seen.add(nid)
                if node.tag in ("parallelGateway", "inclusiveGateway") and len(d.incoming.get(nid, [])) > 1:
                    continue  # the join: the branch ends here
                for name in writes_of(node, forms):
                    written.setdefault(name, nid)
                stack += [f.target for f in d.outgoing.get(nid, [])]
            branches.append((flow.id, written))
        reported = set()
        for i, (_f1, first) in enumerate(branches):
            for _f2, second in branches[i + 1:]:
                for name in sorted(set(first) & set(second) - reported):
                    if first[name] == second[name]:
                        continue  # the same step reached from both branches after they meet
                    reported.add(name)
                    out.append(_p(d, split.id, f"parallel branches both write {name!r} ({first[name]!r} and "
                                               f"{second[name]!r}): when they join one value silently replaces the "
                                               f"other; give each step its own branch data (property branch = "
                                               f"\"police_check\": its data is then kept as "
                                               f"police_check[\"{name}\"]), or its own field names"))
    return out


def modeler_gaps(d: Diagram, active: set[str]) -> list[Problem]:
    """What a diagram saved by the plain bpmn.io modeler lacks, said on the element that lacks it."""
    out = []
    for node in (n for n in d.nodes.values() if n.tag == "task" and n.container in active):
        out.append(_p(d, node.id, "a plain task does nothing when a dossier reaches it: change its type to a user "
                                  "task (a person does it: put it in a lane and give it a budget), a script task "
                                  "or a call activity"))
    for pid in active & set(d.processes):
        users = [n for n in d.nodes.values() if n.tag == "userTask" and n.container == pid]
        if users and not any(la.container == pid for la in d.lanes):
            out.append(_p(d, pid, f"the process has no lanes, so none of its {len(users)} user tasks has a role: "
                                  f"draw a pool with one lane per role (reception, specialist, leader, ...) and "
                                  f"put each task in the lane of who does it"))
    return out


def working_time_timers(d: Diagram, active: set[str]) -> list[Problem]:
    """add_working_time / after_working_time give an instant: only a date timer (timeDate) can take it."""
    out = []
    for node in (n for n in d.nodes.values() if n.container in active):
        for kind in ("timeDuration", "timeCycle"):
            for el in node.element.xpath(f"./bpmn:timerEventDefinition/bpmn:{kind}", namespaces=NS):
                if re.search(r"\b(after_working_time|add_working_time)\s*\(", el.text or ""):
                    out.append(_p(d, node.id, f"timer expression: {(el.text or '').strip()!r} gives an instant, not "
                                              f"a duration: make it a date timer (bpmn:timeDate; in the modeler: "
                                              f"Timer type = Date)"))
    return out


def consultation_steps(d: Diagram, consultations, toml_file: str | None, toml_line_no: int | None) -> list[Problem]:
    """procedure.toml [[consultations]]: each names a user task that runs beside the others after a parallel
    split, keeps its answer under its own `branch`, has its own `budget` (the agency's deadline) and, when
    silence counts as an outcome, offers that outcome."""
    out = []
    for i, c in enumerate(consultations, 1):
        node = d.nodes.get(c.task)
        if node is None or node.tag != "userTask":
            what = "is not a user task" if node is not None else "is not in the diagram"
            out.append(Problem(toml_file or d.filename, f"consultations #{i}", toml_line_no,
                               f"consultations #{i}: task {c.task!r} {what}; name the user task that asks the agency"))
            continue
        props = node.properties
        if not (props.get("branch") or "").strip():
            out.append(_p(d, node.id, f"consultation step {node.id!r} needs property branch (like {node.id}): "
                                      f"each agency's answer is kept under its own name, never overwriting another"))
        if not (props.get("budget") or "").strip():
            out.append(_p(d, node.id, f"consultation step {node.id!r} needs property budget: the consulted "
                                      f"agency's deadline, after which its silence counts as {c.on_silence!r}"))
        if (props.get("pause") or "").strip().lower() == "true":
            out.append(_p(d, node.id, f"consultation step {node.id!r} cannot pause the clock"))
        outcomes = [o.strip() for o in (props.get("outcomes") or "").split(",") if o.strip()]
        if c.on_silence != "none" and outcomes and c.on_silence not in outcomes:
            out.append(_p(d, node.id, f"consultation step {node.id!r}: its outcomes ({', '.join(outcomes)}) do not "
                                      f"include {c.on_silence!r}, the outcome its silence counts as"))
        sources = [d.nodes.get(f.source) for f in d.incoming.get(node.id, [])]
        if not any(s is not None and s.tag == "parallelGateway" for s in sources):
            out.append(_p(d, node.id, f"consultation step {node.id!r} must follow a parallel gateway: the "
                                      f"agencies are asked at the same time", "warning"))
    return out
