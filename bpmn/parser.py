"""Parse procedure diagrams: SpiffWorkflow specs for the engine, an element index for the validator.

XML is read with entity expansion and network access off (a diagram is an upload), then handed to
SpiffBpmnParser as a tree, so the line numbers in our messages are the file's.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins import UserTaskMixin
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from bpmn.durations import parse_duration
from bpmn.extensions import UserTaskInfo, end_status, parse_flag, user_task_info
from bpmn.package import PackageError, Problem, ProcedurePackage

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
CONTAINER_TAGS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
FLOW_NODE_TAGS = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
})


@dataclass(frozen=True)
class ParsedProcess:
    """A package's executable process, parsed once and shared by every workflow of that version."""

    process_id: str
    spec: Any  # SpiffWorkflow BpmnProcessSpec
    subprocess_specs: dict
    user_tasks: dict[str, UserTaskInfo]  # bpmn id -> info, subprocesses included
    end_statuses: dict[str, str]  # end event bpmn id -> status, for end events that carry one


def short_names(text: str) -> str:
    """Write namespaced tags in messages as bpmn:x / spiffworkflow:x."""
    return text.replace(f"{{{BPMN_NS}}}", "bpmn:").replace(f"{{{SPIFF_NS}}}", "spiffworkflow:")


def read_xml(text: str | bytes, filename: str) -> etree._Element:
    """Parse diagram XML safely; raise PackageError with the line on a syntax error or a non-BPMN root."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    # A new parser per call: lxml parser objects must not be shared between threads.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise PackageError([Problem(filename, None, exc.lineno, f"malformed XML: {exc.msg}")]) from None
    if root.getroottree().docinfo.internalDTD is not None:  # bpmn-js never writes one; entities hide content
        raise PackageError([Problem(filename, None, 1, "a diagram may not declare a DOCTYPE (entities are refused)")])
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise PackageError([Problem(filename, root.get("id"), root.sourceline,
                                    f"not a BPMN file: the root element is {short_names(root.tag)}, "
                                    f"not bpmn:definitions")])
    return root


def line_index(root: etree._Element) -> dict[str, int]:
    """Map every element id to the line it starts on (the first element wins on a duplicate id)."""
    lines: dict[str, int] = {}
    for el in root.iter(etree.Element):
        if el.get("id") is not None:
            lines.setdefault(el.get("id"), el.sourceline)
    return lines


def spiff_problem(exc: Exception, filename: str, lines: Mapping[str, int]) -> Problem:
    """Turn a SpiffWorkflow parse error into a Problem on the element it names."""
    element_id = getattr(exc, "id", None) or None
    line = lines.get(element_id) if element_id else None
    if line is None and isinstance(getattr(exc, "line_number", None), int):
        line = exc.line_number
    message = str(exc.args[0]) if exc.args else str(exc)
    return Problem(filename, element_id, line, short_names(message))


def parse_package(pkg: ProcedurePackage) -> ParsedProcess:
    """Parse the package's diagram (XSD-validated) into specs and typed user task infos."""
    filename = pkg.bpmn_filename
    root = read_xml(pkg.bpmn_text, filename)
    lines = line_index(root)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, filename=filename)
        for used in pkg.called.values():  # call activities of processes of other packages (procedure.toml `uses`)
            parser.add_bpmn_xml(read_xml(used["bpmn_text"], used["bpmn_filename"]), filename=used["bpmn_filename"])
        spec = parser.get_spec(pkg.meta.process_id)
        subprocess_specs = parser.get_subprocess_specs(pkg.meta.process_id)
    except ValidationException as exc:
        raise PackageError([spiff_problem(exc, filename, lines)]) from None
    user_tasks: dict[str, UserTaskInfo] = {}
    end_statuses: dict[str, str] = {}
    problems = []
    for process_spec in (spec, *subprocess_specs.values()):
        for task_spec in process_spec.task_specs.values():
            if isinstance(task_spec, UserTaskMixin):
                try:
                    user_tasks[task_spec.bpmn_id] = user_task_info(task_spec)
                except ValueError as exc:
                    problems.append(Problem(filename, task_spec.bpmn_id, lines.get(task_spec.bpmn_id), str(exc)))
            status = end_status(task_spec)
            if status:
                end_statuses[task_spec.bpmn_id] = status
    if problems:
        raise PackageError(problems)
    return ParsedProcess(pkg.meta.process_id, spec, subprocess_specs, user_tasks, end_statuses)


# The validator's view: every element of the file, reachable or not, with its line.

@dataclass(frozen=True)
class Node:
    """A flow node (task, gateway, event, subprocess) as written in the file."""

    id: str
    tag: str  # local name: userTask, exclusiveGateway, ...
    name: str | None
    line: int | None
    container: str | None  # id of the enclosing process or subprocess
    lane: str | None  # lane name, found the way SpiffWorkflow finds it
    properties: Mapping[str, str]
    element: Any = field(compare=False, repr=False)


@dataclass(frozen=True)
class Flow:
    """A sequence flow with its condition text (None when it has none)."""

    id: str
    source: str | None
    target: str | None
    condition: str | None
    line: int | None
    container: str | None
    language: str | None = None  # the conditionExpression's language attribute, when it has one


@dataclass(frozen=True)
class Lane:
    """A lane; only leaf lanes (no child lanes) name a role."""

    id: str
    name: str | None
    line: int | None
    is_leaf: bool
    container: str | None  # the process (or subprocess) whose laneSet holds it


@dataclass
class Diagram:
    """An index of one BPMN file for the lint rules."""

    filename: str
    root: Any
    processes: dict[str, Any]  # top-level process id -> element
    nodes: dict[str, Node]
    flows: dict[str, Flow]
    lanes: list[Lane]
    lines: dict[str, int]
    outgoing: dict[str, list[Flow]] = field(default_factory=dict)
    incoming: dict[str, list[Flow]] = field(default_factory=dict)

    def __post_init__(self):
        for flow in self.flows.values():
            self.outgoing.setdefault(flow.source, []).append(flow)
            self.incoming.setdefault(flow.target, []).append(flow)


def _container(el: etree._Element) -> str | None:
    parent = el.getparent()
    while parent is not None and etree.QName(parent).localname not in CONTAINER_TAGS:
        parent = parent.getparent()
    return parent.get("id") if parent is not None else None


def read_properties(el: etree._Element) -> dict[str, str]:
    """Read `spiffworkflow:properties` as SpiffTaskParser does (a property without name is skipped)."""
    props = {}
    for prop in el.xpath("./bpmn:extensionElements/spiffworkflow:properties//spiffworkflow:property",
                         namespaces=NS):
        if prop.get("name") is not None:
            props[prop.get("name")] = prop.get("value")
    return props


def index_diagram(root: etree._Element, filename: str) -> Diagram:
    """Index processes, flow nodes, sequence flows and lanes of a parsed BPMN file."""
    lane_of: dict[str, str | None] = {}
    for ref in root.iterfind(".//bpmn:flowNodeRef", NS):
        if ref.text is not None:  # document order, later (inner) lanes win, as in SpiffWorkflow
            lane_of[ref.text] = ref.getparent().get("name")
    lanes = [Lane(el.get("id"), el.get("name"), el.sourceline, el.find("bpmn:childLaneSet", NS) is None,
                  _container(el)) for el in root.iterfind(".//bpmn:lane", NS)]
    nodes: dict[str, Node] = {}
    flows: dict[str, Flow] = {}
    for el in root.iter(f"{{{BPMN_NS}}}*"):
        tag, el_id = etree.QName(el).localname, el.get("id")
        if el_id is None:
            continue
        if tag in FLOW_NODE_TAGS:
            container = _container(el)
            # Inside a subprocess SpiffWorkflow gives every node the subprocess's lane, whatever flowNodeRef says.
            lane = nodes[container].lane if container in nodes else lane_of.get(el_id)
            nodes.setdefault(el_id, Node(el_id, tag, el.get("name"), el.sourceline, container, lane,
                                         read_properties(el), el))
        elif tag == "sequenceFlow":
            cond = el.find(".//bpmn:conditionExpression", NS)
            flows[el_id] = Flow(el_id, el.get("sourceRef"), el.get("targetRef"),
                                cond.text if cond is not None else None, el.sourceline, _container(el),
                                cond.get("language") if cond is not None else None)
    processes = {p.get("id"): p for p in root.iterfind("bpmn:process", NS)}
    return Diagram(filename, root, processes, nodes, flows, lanes, line_index(root))


def _weight(d: Diagram, node: Node, wds: int, visiting: frozenset[str]) -> int:
    if node.tag == "userTask":
        try:
            if parse_flag(node.properties.get("pause")) or node.properties.get("budget") is None:
                return 0  # the legal clock stands still while the citizen supplements
            budget = parse_duration(node.properties["budget"])
        except ValueError:
            return 0
        return budget.days * wds + budget.seconds
    if node.tag in ("subProcess", "transaction"):
        return longest_path(d, node.id, wds, visiting)[0]
    if node.tag == "callActivity" and node.element.get("calledElement") in d.processes:
        return longest_path(d, node.element.get("calledElement"), wds, visiting)[0]
    return 0


def longest_path(d: Diagram, container: str, wds: int, visiting: frozenset[str] = frozenset()) -> tuple[int, list]:
    """Return the largest budget sum over a container's start->end paths and its [(node id, seconds)].

    Loops are cut at their back edges (found by a depth-first walk from the start events), so each loop
    body counts once; a pause task counts zero; a subprocess or call activity counts its own longest path.
    """
    if container in visiting:
        return 0, []
    visiting = visiting | {container}
    nodes = {n.id: n for n in d.nodes.values() if n.container == container}
    succ = {nid: [f.target for f in d.outgoing.get(nid, []) if f.target in nodes] for nid in nodes}
    for n in nodes.values():
        if n.tag == "boundaryEvent" and n.element.get("attachedToRef") in succ:
            succ[n.element.get("attachedToRef")].append(n.id)
    starts = [nid for nid, n in nodes.items() if n.tag == "startEvent"]
    back, state = set(), {}
    for start in starts:  # iterative DFS; an edge to a node still on the stack closes a loop
        stack = [(start, iter(succ[start]))]
        state[start] = "open"
        while stack:
            nid, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[nid] = "done"
                stack.pop()
            elif state.get(nxt) == "open":
                back.add((nid, nxt))
            elif nxt not in state:
                state[nxt] = "open"
                stack.append((nxt, iter(succ[nxt])))
    best: dict[str, tuple[int, list] | None] = {}

    def walk(nid: str) -> tuple[int, list] | None:
        if nid not in best:
            best[nid] = None
            tails = [walk(s) for s in succ[nid] if (nid, s) not in back]
            tails = [t for t in tails if t is not None]
            if tails or nodes[nid].tag == "endEvent":
                weight = _weight(d, nodes[nid], wds, visiting)
                total, path = max(tails, key=lambda t: t[0]) if tails else (0, [])
                best[nid] = (weight + total, ([(nid, weight)] if weight else []) + path)
        return best[nid]

    results = [r for r in (walk(s) for s in starts) if r is not None]
    return max(results, key=lambda r: r[0]) if results else (0, [])
