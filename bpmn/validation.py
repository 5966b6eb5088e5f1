"""Lint procedure packages and diagrams: each finding is a Problem naming the file, element and line.

SpiffWorkflow accepts much that cannot run well (a user task outside every lane, a budget like `3 days`,
`import os` in a script, a gateway whose conditions can all be false): these rules refuse it before
deployment. Rules read the file itself (lxml), so unreachable elements are checked too and every
problem has a line; SpiffWorkflow's own parse runs last, for what only it knows.
"""
from __future__ import annotations

import copy
import functools
import json
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from bpmn import rules
from bpmn.durations import Deadline
from bpmn.extensions import (
    end_event_problems,
    form_of,
    outcome_comparisons,
    parse_outcomes,
    split_lane,
    user_task_problems,
)
from bpmn.package import FORMS_DIR, TOML_NAME, PackageError, Problem, read_parts, toml_line
from bpmn.parser import NS, Diagram, Node, index_diagram, longest_path, read_xml, short_names, spiff_problem
from bpmn.scripts import MAX_LOOP, check_script

__all__ = ["DEFAULT_AGENCY_KINDS", "DEFAULT_ROLES", "Organisation", "Problem", "lint_xml", "validate_package",
           "validate_path", "validation_targets"]
Organisation = rules.Organisation

# The defaults of config/default.toml [organization]; the CLI passes the configured ones.
#: the form reception fills (engine.dossiers.RECEPTION_FORM), used by no step: never "unused"
RECEPTION_FORM = "reception.json"
DEFAULT_ROLES = ("reception", "specialist", "head", "leader", "clerk", "supervisor", "designer", "approver")
DEFAULT_AGENCY_KINDS = ("province", "commune", "police", "social_insurance", "tax", "land_registry",
                        "construction", "justice")
_ISO_TIME = re.compile(r"^(R\d*/)?P[\dYMWDTHS.]+$|^\d{4}-\d\d-\d\d")  # an unquoted ISO 8601 value
_XSD_LOCK = threading.Lock()  # the shared XMLSchema keeps its error log on itself
_GATEWAYS_WITH_CONDITIONS = ("exclusiveGateway", "inclusiveGateway")
_EXPRESSIONS = (  # (xpath from a flow node, mode, label) of code SpiffWorkflow evaluates
    ("./bpmn:extensionElements/spiffworkflow:preScript", "exec", "preScript"),
    ("./bpmn:extensionElements/spiffworkflow:postScript", "exec", "postScript"),
    ("./bpmn:timerEventDefinition/*", "eval", "timer expression"),
    ("./bpmn:conditionalEventDefinition/bpmn:condition", "eval", "condition"),
    ("./bpmn:standardLoopCharacteristics/bpmn:loopCondition", "eval", "loop condition"),
    ("./bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality", "eval", "loop cardinality"),
    ("./bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", "eval", "completion condition"),
    ("./bpmn:completionCondition", "eval", "completion condition"),  # an ad hoc subprocess
    (".//spiffworkflow:messagePayload", "eval", "message payload"),  # message, signal, error, escalation
    (".//spiffworkflow:processVariableCorrelation/spiffworkflow:expression", "eval", "correlation expression"),
    ("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator//spiffworkflow:parameter/@value", "eval",
     "service task parameter"),
)
#: expressions outside flow nodes: a correlation property's retrieval expression runs on each message
_DOCUMENT_EXPRESSIONS = (("//bpmn:correlationPropertyRetrievalExpression/bpmn:messagePath", "eval",
                          "correlation retrieval expression"),)


@dataclass(frozen=True)
class _Context:
    """What the diagram rules need to know beyond the diagram."""

    roles: tuple[str, ...]
    agency_kinds: tuple[str, ...]
    working_day_seconds: int
    max_loop: int = MAX_LOOP
    process_id: str | None = None  # package mode: the procedure's process
    forms: frozenset[str] | None = None  # package mode: files in forms/
    deadline: Deadline | None = None
    toml_file: str | None = None
    toml_text: str | None = None
    form_schemas: Mapping[str, dict] | None = None  # package mode: the forms, to know what a step writes
    organisation: rules.Organisation | None = None  # given: lanes are checked against the agencies that exist
    called: Mapping[str, dict] | None = None  # package mode: the used packages' diagrams (procedure.toml `uses`)
    consultations: tuple = ()  # package mode: procedure.toml [[consultations]] (bpmn.package.Consultation)
    shares: tuple = ()  # package mode: procedure.toml [[shares]] (bpmn.package.Share)
    lead_kind: str | None = None  # package mode: procedure.toml agency_kind


#: the form the desk fills at reception (engine.dossiers reads it); no task needs to use it
RECEPTION_FORM = "reception.json"


def validate_package(folder: Path, *, roles=DEFAULT_ROLES, agency_kinds=DEFAULT_AGENCY_KINDS,
                     working_day_seconds: int = 8 * 3600, max_loop: int = MAX_LOOP,
                     organisation: rules.Organisation | None = None) -> list[Problem]:
    """Check one procedure folder: procedure.toml, the diagram and the forms (and, given the organisation,
    that the agency kinds it names exist)."""
    parts = read_parts(Path(folder))
    problems = list(parts.problems)
    meta = parts.meta
    if meta is not None and meta.agency_kind not in agency_kinds:
        problems.append(Problem(parts.toml_file, None, toml_line(parts.toml_text, None, "agency_kind"),
                                f"agency_kind: {meta.agency_kind!r} is not one of {', '.join(agency_kinds)}"))
    elif meta is not None and organisation is not None and meta.agency_kind not in organisation.agency_kinds:
        problems.append(Problem(parts.toml_file, None, toml_line(parts.toml_text, None, "agency_kind"),
                                f"agency_kind: no agency of kind {meta.agency_kind!r} exists in this organisation "
                                f"(kinds present: {', '.join(sorted(organisation.agency_kinds)) or 'none'}), so no "
                                f"desk could receive this procedure: create one or change agency_kind"))
    for name, schema in parts.forms.items():
        for json_path, message in _schema_errors(json.dumps(schema, sort_keys=True)):
            problems.append(Problem(str(parts.folder / FORMS_DIR / name), json_path, None,
                                    f"not a valid JSON Schema (Draft 2020-12): {message}"))
    if parts.bpmn_text is not None:
        ctx = _Context(tuple(roles), tuple(agency_kinds), working_day_seconds, max_loop,
                       process_id=meta.process_id if meta else None,
                       forms=frozenset(p.name for p in (parts.folder / FORMS_DIR).glob("*.json")),
                       deadline=meta.deadline if meta else None,
                       toml_file=parts.toml_file, toml_text=parts.toml_text, form_schemas=parts.forms,
                       organisation=organisation, called=parts.called,
                       consultations=meta.consultations if meta else (),
                       shares=meta.shares if meta else (), lead_kind=meta.agency_kind if meta else None)
        problems += lint_diagram(parts.bpmn_text, str(parts.folder / parts.bpmn_filename), ctx)
    return sorted(problems, key=lambda p: (p.file, p.line or 0))


@functools.lru_cache(maxsize=512)
def _schema_errors(text: str) -> tuple[tuple[str, str], ...]:
    """A form's errors against the Draft 2020-12 meta-schema (30-90 ms a form here), once per distinct form:
    the library's packages share most of their forms, and a deployment validates each package again."""
    return tuple((e.json_path, e.message) for e in
                 Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(json.loads(text)))


def validation_targets(path: Path) -> list[Path]:
    """List what validate_path checks: package folders (any depth) and .bpmn files outside them."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_file():
        return [path.parent if path.name == "procedure.toml" else path]
    if (path / "procedure.toml").is_file():
        return [path]
    targets: list[Path] = []
    for child in sorted(path.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            targets += validation_targets(child)
        elif child.suffix == ".bpmn":
            targets.append(child)
    return targets


def _folders_without_toml(path: Path, targets: list[Path]) -> list[Problem]:
    """A folder holding a diagram but no procedure.toml is not a package: deploy would refuse it."""
    folders = sorted({t.parent for t in targets if t.is_file() and t.suffix == ".bpmn"})
    if Path(path).is_file():
        return []
    return [Problem(str(folder / TOML_NAME), None, None,
                    f"missing: {folder.name}/ holds a diagram but no {TOML_NAME}, so it is not a procedure package "
                    f"and cannot be deployed; add {TOML_NAME} (slug, process_id, deadline, ...: see workflows/"
                    f"README.md), or check one diagram on its own with `motcua validate FILE.bpmn`")
            for folder in folders]


def validate_path(path: Path, *, roles=DEFAULT_ROLES, agency_kinds=DEFAULT_AGENCY_KINDS,
                  working_day_seconds: int = 8 * 3600, max_loop: int = MAX_LOOP,
                  organisation: rules.Organisation | None = None) -> list[Problem]:
    """Check a workflows/ root, one package folder or one .bpmn file (then package checks are skipped).

    A folder holding .bpmn files but no procedure.toml is an error (it is not a package); a single .bpmn
    file given as PATH is checked on its own."""
    same = {"roles": roles, "agency_kinds": agency_kinds, "working_day_seconds": working_day_seconds,
            "max_loop": max_loop}
    path = Path(path)
    targets = validation_targets(path)
    if not targets:
        return [Problem(str(path), None, None, "no procedure here: no procedure.toml or .bpmn file below")]
    problems: list[Problem] = _folders_without_toml(path, targets)
    for target in targets:
        if target.is_dir():
            problems += validate_package(target, **same, organisation=organisation)
        elif target.suffix == ".bpmn":
            text = target.read_bytes().decode("utf-8-sig", errors="replace")
            problems += lint_diagram(text, str(target), _Context(tuple(roles), tuple(agency_kinds),
                                                                 working_day_seconds, max_loop,
                                                                 organisation=organisation))
        else:
            problems.append(Problem(str(target), None, None, "not a .bpmn file or a procedure folder"))
    return sorted(problems, key=lambda p: (p.file, p.line or 0))


def lint_diagram(text: str, filename: str, ctx: _Context) -> list[Problem]:
    """Run every diagram rule on one BPMN text."""
    try:
        root = read_xml(text, filename)
    except PackageError as exc:
        return exc.problems
    d = index_diagram(root, filename)
    problems = _xsd(d) + _structure(d, ctx)
    active = _active(d)
    if ctx.process_id in d.processes and ctx.process_id not in active or not active:
        # a modeler saved isExecutable="false": that is reported once; the rules still say what else is missing
        chosen = {ctx.process_id} if ctx.process_id in d.processes else set(d.processes)
        active |= chosen | {n.id for n in d.nodes.values() if _top(d, n.id) in chosen}
    if not any(p.is_error for p in problems):  # SpiffWorkflow's messages for these are misleading
        problems += _spiff(d, ctx)
    problems += _lanes_and_tasks(d, ctx, active)
    problems += _gateways(d, active)
    problems += _scripts(d, active)
    problems += _loops(d, active, ctx.max_loop)
    if ctx.deadline is not None and ctx.process_id in active:
        problems += _budget(d, ctx)
    problems += rules.refusal_ends(d, active)
    if ctx.deadline is not None:  # a package: its deadline says what a reception step costs
        problems += rules.reception_steps(d, active, ctx.deadline.unit)
    problems += rules.foreign_forms(d, active)
    problems += rules.parallel_writes(d, active, ctx.form_schemas)
    problems += rules.modeler_gaps(d, active)
    problems += rules.working_time_timers(d, active)
    if ctx.organisation is not None:
        problems += rules.organisation_lanes(d, active, ctx.organisation)
    if ctx.consultations:
        problems += rules.consultation_steps(d, ctx.consultations, ctx.toml_file,
                                             toml_line(ctx.toml_text, None, "consultations") if ctx.toml_text else None)
    if ctx.shares and ctx.process_id in active:
        problems += _shares(d, ctx, active)
    return problems


def _shares(d: Diagram, ctx: _Context, active: set[str]) -> list[Problem]:
    """procedure.toml [[shares]] (an inter-agency bundle): every lane's agency kind has a share, each kind
    has an agency today (given the organisation), the shares fit in the legal deadline and each share holds
    its steps' budgets (along the longest path)."""
    out, wds, lead = [], ctx.working_day_seconds, ctx.lead_kind

    def kind_of(lane: str | None) -> str | None:
        return split_lane(lane)[0] or lead if lane else None

    def at(i: int | None, key: str | None) -> tuple[str, str | None, int | None]:
        where = f"shares #{i}" if i else None
        return (ctx.toml_file or d.filename, where, toml_line(ctx.toml_text, where, key) if ctx.toml_text else None)

    kinds = {(s.kind or lead): i for i, s in enumerate(ctx.shares, 1)}
    lanes = [la for la in d.lanes if la.is_leaf and la.container in active and la.name]
    for lane in lanes:
        if kind_of(lane.name) not in kinds:
            out.append(_p(d, lane.id, f"lane {lane.name!r}: procedure.toml has no [[shares]] entry for the agency "
                                      f"kind {kind_of(lane.name)!r}: add one with its budget"))
    used = {kind_of(la.name) for la in lanes}
    for kind, i in kinds.items():
        if ctx.organisation is not None and kind not in ctx.organisation.agency_kinds:
            out.append(Problem(*at(i, "kind"), f"shares #{i}: kind: no agency of kind {kind!r} exists in this "
                                               f"organisation today (kinds present: "
                                               f"{', '.join(sorted(ctx.organisation.agency_kinds)) or 'none'}), so "
                                               f"the hand-over to it could not be made: create one or remove the "
                                               f"share"))
        elif kind not in used:
            out.append(Problem(*at(i, "kind"), f"shares #{i}: kind: no lane of kind {kind!r} in the diagram",
                               "warning"))
    total = sum(s.budget.days * wds + s.budget.seconds for s in ctx.shares)
    if ctx.deadline is not None and total > (limit := deadline_seconds(ctx.deadline, wds)):
        out.append(Problem(*at(None, "shares"), f"shares: the agencies' budgets sum to {describe_seconds(total, wds)}, "
                                                f"more than the legal deadline ({describe_seconds(limit, wds)})"))
    _total, path = longest_path(d, ctx.process_id, wds)
    spent: dict[str, int] = {}
    for nid, weight in path:
        kind = kind_of(d.nodes[nid].lane) if nid in d.nodes else None
        if kind is not None:
            spent[kind] = spent.get(kind, 0) + weight
    for kind, i in kinds.items():
        share = ctx.shares[i - 1]
        budget = share.budget.days * wds + share.budget.seconds
        if spent.get(kind, 0) > budget:
            out.append(Problem(*at(i, "budget"), f"shares #{i}: budget: the steps of kind {kind!r} on the longest "
                                                 f"path take {describe_seconds(spent[kind], wds)}, more than the "
                                                 f"share's {share.budget.isoformat()}"))
    return out


def _p(d: Diagram, element_id: str | None, message: str, severity: str = "error") -> Problem:
    return Problem(d.filename, element_id, d.lines.get(element_id) if element_id else None, message, severity)


def _top(d: Diagram, container: str | None) -> str | None:
    seen = set()
    while container not in d.processes and container in d.nodes and container not in seen:
        seen.add(container)
        container = d.nodes[container].container
    return container


def _active(d: Diagram) -> set[str]:
    """Return the ids of executable processes and of every subprocess inside them."""
    executable = {pid for pid, el in d.processes.items() if el.get("isExecutable", "true") == "true"}
    return executable | {n.id for n in d.nodes.values() if _top(d, n.id) in executable}


def _xsd(d: Diagram) -> list[Problem]:
    tree = copy.deepcopy(d.root)
    VALIDATOR.preprocess(tree)  # as SpiffWorkflow does: bpmn-js writes correlation expressions off-schema
    with _XSD_LOCK:
        if VALIDATOR.validator.validate(tree):
            return []
        errors = [(e.line, e.message) for e in VALIDATOR.validator.error_log]
    by_line: dict[int, str | None] = {}
    for el in d.root.iter():
        if isinstance(el.tag, str) and el.sourceline not in by_line:
            owner = el
            while owner is not None and owner.get("id") is None:
                owner = owner.getparent()
            by_line[el.sourceline] = owner.get("id") if owner is not None else None
    out = []
    for line, message in errors:
        message = short_names(message)
        if len(message) > 300:
            message = message[:300] + " ...)"
        out.append(Problem(d.filename, by_line.get(line), line, f"not valid BPMN (XSD): {message}"))
    return out


def _structure(d: Diagram, ctx: _Context) -> list[Problem]:
    out: list[Problem] = []
    executable = [pid for pid, el in d.processes.items() if el.get("isExecutable", "true") == "true"]
    if ctx.process_id is not None and ctx.process_id not in d.processes:
        out.append(Problem(ctx.toml_file or d.filename, None, toml_line(ctx.toml_text, None, "process_id"),
                           f"process_id: {ctx.process_id!r} is not a process of {Path(d.filename).name} "
                           f"(it has: {', '.join(d.processes) or 'none'})"))
    elif ctx.process_id is not None and ctx.process_id not in executable:
        out.append(_p(d, ctx.process_id, 'the procedure\'s process is not executable: set isExecutable="true" (the '
                                         'bpmn.io modeler saves isExecutable="false"; Camunda Modeler: tick '
                                         '"Executable" on the process)'))
    elif not executable:
        out.append(Problem(d.filename, None, d.root.sourceline,
                           'no executable process in this file: set isExecutable="true" on the procedure\'s process'
                           + (' (the bpmn.io modeler saves isExecutable="false"; Camunda Modeler: tick '
                              '"Executable" on the process)' if d.processes else '')))
    for pid in executable:
        if not any(n.tag == "startEvent" and n.container == pid for n in d.nodes.values()):
            out.append(_p(d, pid, "the process has no start event"))
    active = _active(d)
    for flow in d.flows.values():
        if _top(d, flow.container) not in active:
            continue
        for end, ref in (("source", flow.source), ("target", flow.target)):
            if ref not in d.nodes:
                out.append(_p(d, flow.id, f"the flow's {end} {ref!r} is not a flow node of this diagram"))
    called = {c["process_id"] for c in (ctx.called or {}).values()}
    for node in (n for n in d.nodes.values() if n.container in active):
        out += _node_structure(d, node, called)
    return out


def _node_structure(d: Diagram, node: Node, called: set[str]) -> list[Problem]:
    out = []
    outgoing, el = d.outgoing.get(node.id, []), node.element
    for prop in el.xpath("./bpmn:extensionElements/spiffworkflow:properties//spiffworkflow:property", namespaces=NS):
        if prop.get("name") is None or prop.get("value") is None:
            out.append(_p(d, node.id, "a spiffworkflow:property needs both name and value"))
    parent_tag = d.nodes[node.container].tag if node.container in d.nodes else "process"
    in_ad_hoc = parent_tag == "adHocSubProcess"
    event_subprocess = node.tag == "subProcess" and el.get("triggeredByEvent") == "true"
    compensation = el.get("isForCompensation") == "true"
    is_link = el.find("bpmn:linkEventDefinition", NS) is not None
    if len(outgoing) > 1 and not node.tag.endswith("Gateway"):
        out.append(_p(d, node.id, f"{len(outgoing)} outgoing flows: a task or event may have only one; "
                                  f"branch with a gateway"))
    if not outgoing and node.tag != "endEvent" and not (in_ad_hoc or event_subprocess or compensation or is_link):
        out.append(_p(d, node.id, "dead end: no outgoing flow and not an end event (a dossier would stop "
                                  "here for ever)"))
    if (not d.incoming.get(node.id) and node.tag not in ("startEvent", "boundaryEvent")
            and not (in_ad_hoc or event_subprocess or compensation or is_link)):
        out.append(_p(d, node.id, "no incoming flow: this element can never run", "warning"))
    if node.tag == "callActivity" and el.get("calledElement") not in set(d.processes) | called:
        out.append(_p(d, node.id, f"calls process {el.get('calledElement')!r}, which is not in this file nor in a "
                                  f"package this one uses (procedure.toml: uses = [\"<slug>\"])"))
    if node.tag in _GATEWAYS_WITH_CONDITIONS and len(outgoing) > 1:
        default = el.get("default")
        if default and default not in {f.id for f in outgoing}:
            out.append(_p(d, node.id, f"default flow {default!r} is not an outgoing flow of this gateway"))
        for flow in outgoing:
            if flow.id != default and flow.condition is None:
                out.append(_p(d, flow.id, "the flow has no condition and is not its gateway's default flow"))
    return out


def _spiff(d: Diagram, ctx: _Context) -> list[Problem]:
    parser = SpiffBpmnParser()  # the XSD already ran, with every error reported
    try:
        parser.add_bpmn_xml(copy.deepcopy(d.root), filename=d.filename)
        for used in (ctx.called or {}).values():
            parser.add_bpmn_xml(read_xml(used["bpmn_text"], used["bpmn_filename"]), filename=used["bpmn_filename"])
        for pid in [ctx.process_id] if ctx.process_id else list(d.processes):
            if d.processes[pid].get("isExecutable", "true") == "true":
                parser.get_subprocess_specs(pid)  # parses the process and what it calls
    except ValidationException as exc:
        return [spiff_problem(exc, d.filename, d.lines)]
    except Exception as exc:  # noqa: BLE001 - SpiffWorkflow raises plain errors on some bad input
        return [Problem(d.filename, None, None, f"SpiffWorkflow cannot parse the diagram: {exc!r}")]
    return []


def _lanes_and_tasks(d: Diagram, ctx: _Context, active: set[str]) -> list[Problem]:
    out: list[Problem] = []
    for lane in (la for la in d.lanes if la.is_leaf and la.container in active):
        agency, role = split_lane(lane.name)
        if not lane.name or not role:
            out.append(_p(d, lane.id, f"the lane has no role: name it by role code ({', '.join(ctx.roles)})"))
        elif role not in ctx.roles:
            out.append(_p(d, lane.id, f"lane {lane.name!r}: unknown role {role!r} (roles: {', '.join(ctx.roles)})"))
        if agency is not None and agency not in ctx.agency_kinds:
            out.append(_p(d, lane.id, f"lane {lane.name!r}: unknown agency kind {agency!r} "
                                      f"(kinds: {', '.join(ctx.agency_kinds)})"))
    used_forms = set()
    for node in (n for n in d.nodes.values() if n.container in active):
        if node.tag == "manualTask":
            out.append(_p(d, node.id, "a manual task carries no role, budget or form here: use a user task"))
        if node.tag == "endEvent":
            out += [_p(d, node.id, message, severity) for severity, message in end_event_problems(node.properties)]
        if node.tag != "userTask":
            continue
        if node.lane is None:
            out.append(_p(d, node.id, "the user task is not in any lane: put it in the lane of the role that "
                                      "does it"))
        out += [_p(d, node.id, message, severity) for severity, message in user_task_problems(node.properties)]
        form = (form_of(node.properties) or "").strip()
        used_forms.add(form)
        if form and ctx.forms is not None and form not in ctx.forms and "/" not in form:
            found = ", ".join(sorted(ctx.forms)) or "none"
            out.append(_p(d, node.id, f"property form: {form!r} is not in {FORMS_DIR}/ (found: {found})"))
    if ctx.forms is not None:
        folder = Path(d.filename).parent / FORMS_DIR
        # reception.json is the desk's form (the data taken at reception), not a task's
        out += [Problem(str(folder / name), None, None, "no user task uses this form", "warning")
                for name in sorted(ctx.forms - used_forms - {RECEPTION_FORM})]
    return out


def _outcomes(node: Node | None) -> set[str] | None:
    if node is None or node.tag != "userTask":
        return None
    try:
        return set(parse_outcomes(node.properties.get("outcomes")))
    except ValueError:
        return None


def _gateways(d: Diagram, active: set[str]) -> list[Problem]:
    out: list[Problem] = []
    for gw in (n for n in d.nodes.values() if n.container in active and n.tag in _GATEWAYS_WITH_CONDITIONS):
        outgoing = d.outgoing.get(gw.id, [])
        sources = [d.nodes.get(f.source) for f in d.incoming.get(gw.id, [])]
        declared_each = [_outcomes(s) for s in sources]
        declared = set().union(*declared_each) if sources and None not in declared_each else None
        tasks = ", ".join(repr(s.id) for s in sources if s is not None)
        covered: set[str] | None = set()
        for flow in (f for f in outgoing if f.condition is not None):
            compared, values = outcome_comparisons(flow.condition)
            for value in sorted(compared - declared if declared is not None else set()):
                out.append(_p(d, flow.id, f"condition compares outcome with {value!r}, which task {tasks} does "
                                          f"not declare (outcomes: {', '.join(sorted(declared)) or 'none'})"))
            covered = None if values is None or covered is None else covered | values
        if not outgoing or gw.element.get("default") or (len(outgoing) == 1 and outgoing[0].condition is None):
            continue
        if declared and covered is not None and declared <= covered:
            continue
        if covered is None or not declared:
            why = ("the conditions count as exhaustive only when they compare outcome with every outcome of "
                   "the user task just before the gateway")
        else:
            why = f"no flow for outcome {', '.join(sorted(declared - covered))} of task {tasks}"
        out.append(_p(d, gw.id, f"no default flow, and the conditions may all be false ({why}): add a default "
                                f"flow"))
    return out


def _scripts(d: Diagram, active: set[str]) -> list[Problem]:
    out: list[Problem] = []
    for flow in d.flows.values():
        if flow.condition is not None and _top(d, flow.container) in active:
            found = check_script(flow.condition, "eval")
            hint = rules.feel_hint(flow.condition)
            language = (flow.language or "").strip().lower()
            if language and language not in ("python", "text/x-python", "python3"):
                out.append(_p(d, flow.id, f"condition: language {flow.language!r} is not run here: conditions are "
                                          f"Python expressions over the task data; remove the language attribute"))
            if hint and found:  # instead of a bare "syntax error"
                out.append(_p(d, flow.id, f"condition: {hint}"))
            elif hint:  # valid Python, but FEEL's true/false/null are undefined names here
                out.append(_p(d, flow.id, f"condition: {hint}", "warning"))
            else:
                out += [_p(d, flow.id, f"condition: {m}") for m in found]
    for node in (n for n in d.nodes.values() if n.container in active):
        if node.tag == "scriptTask":
            script = node.element.find(".//bpmn:script", NS)
            out += [_p(d, node.id, f"script: {m}") for m in
                    check_script(script.text if script is not None else None, "exec")]
        for xpath, mode, label in _EXPRESSIONS:
            for el in node.element.xpath(xpath, namespaces=NS):
                text = str(el) if isinstance(el, str) else el.text  # an attribute's value, or an element's text
                if xpath.startswith(".//") and _nested_owner(el, node.element) is not None:
                    continue  # inside a nested flow node: checked with that node
                out += [_p(d, node.id, f"{label}: {m}") for m in check_script(text, mode)]
                text = (text or "").strip()
                if label == "timer expression" and _ISO_TIME.match(text):
                    out.append(_p(d, node.id, f"timer expression: {text!r} is Python, so an ISO 8601 value "
                                              f"needs quotes: \"{text}\""))
    for xpath, mode, label in _DOCUMENT_EXPRESSIONS:
        for el in d.root.xpath(xpath, namespaces=NS):
            owner = el
            while owner is not None and owner.get("id") is None:
                owner = owner.getparent()
            element_id = owner.get("id") if owner is not None else None
            out += [Problem(d.filename, element_id, el.sourceline, f"{label}: {m}") for m in check_script(el.text, mode)]
    return out


def _loops(d: Diagram, active: set[str], max_loop: int) -> list[Problem]:
    """A loop needs a bound under the ceiling: a standard loop its loopMaximum, a multi-instance a
    cardinality (a number up to the ceiling, or an expression the engine checks against it when it runs)."""
    out: list[Problem] = []
    for node in (n for n in d.nodes.values() if n.container in active):
        for loop in node.element.xpath("./bpmn:standardLoopCharacteristics", namespaces=NS):
            maximum = (loop.get("loopMaximum") or "").strip()
            if not maximum.isdigit() or not 1 <= int(maximum) <= max_loop:
                out.append(_p(d, node.id, f"a loop needs loopMaximum, a whole number from 1 to {max_loop} (the "
                                          f"configured ceiling), not {maximum or 'none'}: a loop condition alone "
                                          f"may never become false"))
        for loop in node.element.xpath("./bpmn:multiInstanceLoopCharacteristics", namespaces=NS):
            cardinality = loop.find("bpmn:loopCardinality", NS)
            text = (cardinality.text or "").strip() if cardinality is not None else ""
            if loop.find("bpmn:loopDataInputRef", NS) is not None and cardinality is None:
                out.append(_p(d, node.id, "a multi-instance over a collection of task data has no bound the "
                                          f"engine can check before it starts: use loopCardinality (up to "
                                          f"{max_loop})"))
            elif text.isdigit() and int(text) > max_loop:
                out.append(_p(d, node.id, f"loopCardinality {text} is over the configured ceiling of {max_loop}"))
    return out


def _nested_owner(el, node_element):
    """The flow node between `el` and `node_element` (a subprocess's inner node), or None."""
    parent = el.getparent()
    while parent is not None and parent is not node_element:
        if parent.get("id") is not None and not parent.tag.endswith("EventDefinition"):
            return parent
        parent = parent.getparent()
    return None


def deadline_seconds(deadline: Deadline, wds: int) -> int:
    """A legal deadline in working seconds (calendar days counted as 5/7 working days, same day as one day)."""
    return {"working_days": deadline.value * wds, "working_hours": deadline.value * 3600,
            "calendar_days": math.ceil(deadline.value * 5 / 7) * wds, "same_day": wds}[deadline.unit]


def describe_seconds(seconds: int, wds: int) -> str:
    """Working seconds as "2 working days 3 h"."""
    days, rest = divmod(seconds, wds)
    hours = rest / 3600
    parts = ([f"{days} working day{'s' if days != 1 else ''}"] if days else []) + ([f"{hours:g} h"] if hours else [])
    return " ".join(parts) or "0 h"


def _budget(d: Diagram, ctx: _Context) -> list[Problem]:
    wds = ctx.working_day_seconds
    total, path = longest_path(d, ctx.process_id, wds)
    limit = deadline_seconds(ctx.deadline, wds)
    if total <= limit:
        return []
    steps = " → ".join(f"{nid} {describe_seconds(w, wds)}" for nid, w in path)
    legal = "same day" if ctx.deadline.unit == "same_day" else \
        f"{ctx.deadline.value} {ctx.deadline.unit.replace('_', ' ')}"
    if ctx.deadline.unit in ("calendar_days", "same_day"):
        legal += f", counted as {describe_seconds(limit, wds)}"
    return [_p(d, ctx.process_id, f"the budgets on the longest path sum to {describe_seconds(total, wds)}, more "
                                  f"than the legal deadline ({legal}): {steps}", "warning")]


#: the largest diagram lint_xml reads (a 200-element diagram with its drawing is about 100 kB)
MAX_XML_BYTES = 5 * 1024 * 1024


def lint_xml(text: str | bytes, *, filename: str = "diagram.bpmn", meta=None, forms: Mapping[str, dict] | None = None,
             roles=DEFAULT_ROLES, agency_kinds=DEFAULT_AGENCY_KINDS, working_day_seconds: int = 8 * 3600,
             max_loop: int = MAX_LOOP, organisation: rules.Organisation | None = None) -> list[dict]:
    """Lint one diagram held in memory (the studio's live lint): a JSON-able message per problem.

    `meta` (a ProcedureMeta) and `forms` (file name -> JSON Schema) give the package's context when known:
    then the process id, the deadline budget, the reception rule and the form files are checked too.
    Each message: {"element_id", "line", "severity" ("error" | "warning"), "message"}; sorted by line.
    """
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_XML_BYTES:
        problems = [Problem(filename, None, None, f"the diagram is {size:,} bytes; at most {MAX_XML_BYTES:,} are read")]
    else:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig", errors="replace")
        ctx = _Context(tuple(roles), tuple(agency_kinds), working_day_seconds, max_loop,
                       process_id=meta.process_id if meta is not None else None,
                       forms=frozenset(forms) if forms is not None else None,
                       deadline=meta.deadline if meta is not None else None, form_schemas=forms,
                       organisation=organisation, shares=getattr(meta, "shares", ()),
                       lead_kind=getattr(meta, "agency_kind", None))
        problems = lint_diagram(text, filename, ctx)
    return [{"element_id": p.element_id, "line": p.line, "severity": p.severity, "message": p.message,
             "file": Path(p.file).name}
            for p in sorted(problems, key=lambda p: (p.line or 0, p.element_id or ""))]
