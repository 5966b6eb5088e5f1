"""A drawing for a diagram that has none: BPMN written by hand or by a tool that keeps no layout.

bpmn-js draws only what the diagram interchange (`bpmndi`) places; a process without it opens as an empty
canvas in the studio and on the dossier page. `with_drawing` leaves a diagram that has shapes alone and
otherwise adds a plain layout: steps left to right by their longest distance from the start, one band per
lane (the pool made from the lanes when the file has no collaboration), boundary events on their step's lower
edge, sequence flows as right-angled lines, a flow going back drawn below its steps. The process itself is not
changed, except for the collaboration and pool that lanes need to be drawn.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

_ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "manualTask", "businessRuleTask", "sendTask",
               "receiveTask", "callActivity", "subProcess", "transaction"}
_GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
_EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
_SIZES = {**{k: (100, 80) for k in _ACTIVITIES}, **{k: (50, 50) for k in _GATEWAYS},
          **{k: (36, 36) for k in _EVENTS}, "boundaryEvent": (36, 36)}

COLUMN = 150  # horizontal distance between two layers
ROW = 110  # height of one row of steps in a lane
POOL_LABEL = 30  # the pool's and each lane's vertical label strip
MARGIN = 40


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _local(element) -> str:
    return etree.QName(element).localname


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def has_drawing(xml: str) -> bool:
    """Whether the diagram places at least one shape (cheap: no parsing)."""
    return "BPMNShape" in xml


@dataclass
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def with_drawing(xml: str) -> str:
    """The diagram as it is when it has a drawing, else with one laid out (ValueError: not a BPMN document)."""
    if has_drawing(xml):
        return xml
    try:
        root = etree.fromstring(xml.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"line {exc.lineno}: {exc.msg}") from None
    if root.tag != _q(BPMN, "definitions"):
        raise ValueError("not a BPMN document: its root element is not bpmn:definitions")
    for old in root.findall(_q(BPMNDI, "BPMNDiagram")):  # an empty drawing is replaced
        root.remove(old)
    root = _with_prefixes(root)
    processes = root.findall(_q(BPMN, "process"))
    if not processes:
        raise ValueError("the document has no bpmn:process to draw")
    collaboration = root.find(_q(BPMN, "collaboration"))
    if collaboration is None and any(p.find(_q(BPMN, "laneSet")) is not None for p in processes):
        collaboration = _add_collaboration(root, processes)
    pools = {}
    if collaboration is not None:
        pools = {p.get("processRef"): p.get("id") for p in collaboration.findall(_q(BPMN, "participant"))}

    diagram = etree.SubElement(root, _q(BPMNDI, "BPMNDiagram"), id="diagram_layout")
    plane_of = collaboration.get("id") if collaboration is not None else processes[0].get("id")
    plane = etree.SubElement(diagram, _q(BPMNDI, "BPMNPlane"), id="plane_layout", bpmnElement=plane_of)
    top = MARGIN
    for process in processes:
        if collaboration is None and process is not processes[0]:
            break  # without pools one plane shows one process
        top = _draw_process(plane, process, pools.get(process.get("id")), top) + MARGIN
    etree.indent(diagram, space="  ", level=1)  # one element a line, as modelers write it
    diagram.tail = "\n"
    if collaboration is not None and collaboration.tail is None:
        etree.indent(collaboration, space="  ", level=1)
        collaboration.tail = "\n  "
    return etree.tostring(root, encoding="unicode")


def _with_prefixes(root):
    """The root with the drawing's namespaces declared under their usual prefixes (else lxml invents ns0...)."""
    wanted = {"bpmndi": BPMNDI, "dc": DC, "di": DI}
    if all(root.nsmap.get(prefix) == uri for prefix, uri in wanted.items()):
        return root
    nsmap = {**{k: v for k, v in wanted.items() if k not in root.nsmap}, **root.nsmap}
    fresh = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=nsmap)
    fresh.text = root.text
    for child in list(root):
        fresh.append(child)
    return fresh


def _add_collaboration(root, processes):
    collaboration = etree.Element(_q(BPMN, "collaboration"), id="collaboration_layout")
    for process in processes:
        etree.SubElement(collaboration, _q(BPMN, "participant"), id=f"participant_{process.get('id')}",
                         name=process.get("name") or process.get("id"), processRef=process.get("id"))
    first = next(i for i, child in enumerate(root) if isinstance(child.tag, str) and _local(child) == "process")
    root.insert(first, collaboration)
    return collaboration


def _leaf_lanes(process) -> list:
    lanes = []

    def walk(lane_set):
        for lane in lane_set.findall(_q(BPMN, "lane")):
            child = lane.find(_q(BPMN, "childLaneSet"))
            if child is not None and child.findall(_q(BPMN, "lane")):
                walk(child)
            else:
                lanes.append(lane)

    lane_set = process.find(_q(BPMN, "laneSet"))
    if lane_set is not None:
        walk(lane_set)
    return lanes


def _layers(nodes: dict, flows: list, attached: dict) -> dict[str, int]:
    """Longest-path layer of each node, over the flows with those that go back (found depth first) left out.
    A boundary event's flows leave from its step."""
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for source, target, _ in flows:
        source = attached.get(source, source)
        if source in out and target in out:
            out[source].append(target)
    incoming = {t for targets in out.values() for t in targets}
    starts = [n for n in nodes if nodes[n] == "startEvent"] + [n for n in nodes if n not in incoming]
    back, state, order = set(), {}, []

    def visit(node):  # iterative depth-first search: diagrams can be long
        stack = [(node, iter(out[node]))]
        state[node] = "open"
        while stack:
            current, successors = stack[-1]
            for nxt in successors:
                if state.get(nxt) == "open":
                    back.add((current, nxt))
                elif nxt not in state:
                    state[nxt] = "open"
                    stack.append((nxt, iter(out[nxt])))
                    break
            else:
                state[current] = "done"
                order.append(current)
                stack.pop()

    for node in starts + list(nodes):
        if node not in state:
            visit(node)
    layer = dict.fromkeys(nodes, 0)
    for node in reversed(order):  # a topological order of the forward flows
        for nxt in out[node]:
            if (node, nxt) not in back:
                layer[nxt] = max(layer[nxt], layer[node] + 1)
    return layer


def _draw_process(plane, process, participant: str | None, top: float) -> float:
    """Shapes and edges of one process from `top`; returns the bottom of what was drawn."""
    nodes, attached = {}, {}
    for element in process:
        if not isinstance(element.tag, str) or element.tag.rpartition("}")[0][1:] != BPMN:
            continue
        kind = _local(element)
        if kind in _SIZES and kind != "boundaryEvent":
            nodes[element.get("id")] = kind
        elif kind == "boundaryEvent":
            attached[element.get("id")] = element.get("attachedToRef")
    flows = [(f.get("sourceRef"), f.get("targetRef"), f.get("id")) for f in process.findall(_q(BPMN, "sequenceFlow"))]
    layer = _layers(nodes, flows, attached)

    lanes = _leaf_lanes(process)
    lane_of = {}
    for index, lane in enumerate(lanes):
        for ref in lane.findall(_q(BPMN, "flowNodeRef")):
            lane_of[(ref.text or "").strip()] = index
    bands = max(1, len(lanes))
    rows: dict[tuple[int, int], list[str]] = {}
    for node in sorted(nodes, key=lambda n: layer[n]):
        rows.setdefault((lane_of.get(node, 0), layer[node]), []).append(node)
    rows_in = [max([len(v) for (b, _), v in rows.items() if b == band] or [1]) for band in range(bands)]

    left = MARGIN + (2 * POOL_LABEL if participant else 0) + 20
    columns = max(layer.values(), default=0) + 1
    width = (left - MARGIN) + columns * COLUMN + 20
    band_top, y = [], top
    for band in range(bands):
        band_top.append(y)
        y += rows_in[band] * ROW + 30
    bottom = y

    if participant:
        _shape(plane, participant, _Box(MARGIN, top, width, bottom - top), horizontal=True)
        for band, lane in enumerate(lanes):
            _shape(plane, lane.get("id"), _Box(MARGIN + POOL_LABEL, band_top[band], width - POOL_LABEL,
                                               rows_in[band] * ROW + 30), horizontal=True)
    boxes: dict[str, _Box] = {}
    for (band, column), members in rows.items():
        for row, node in enumerate(members):
            w, h = _SIZES[nodes[node]]
            cx = left + column * COLUMN + 50
            cy = band_top[band] + 15 + row * ROW + ROW / 2
            boxes[node] = _Box(cx - w / 2, cy - h / 2, w, h)
            _shape(plane, node, boxes[node], expanded=False if nodes[node] in ("subProcess", "transaction") else None)
    on_step: dict[str, int] = {}
    for event, step in attached.items():
        host = boxes.get(step)
        if host is None:
            continue
        count = on_step[step] = on_step.get(step, 0) + 1
        boxes[event] = _Box(host.x + host.w - 18 - 40 * (count - 1) - 18, host.y + host.h - 18, 36, 36)
        _shape(plane, event, boxes[event])
    for source, target, flow_id in flows:
        if source in boxes and target in boxes:
            _edge(plane, flow_id, _route(boxes[source], boxes[target], source in attached))
    return bottom


def _route(a: _Box, b: _Box, from_boundary: bool) -> list[tuple[float, float]]:
    if from_boundary:  # down from the event, then along to the target's left side
        x, low = a.x + a.w / 2, max(b.cy, a.y + a.h + 20)
        return [(x, a.y + a.h), (x, low), (b.x - 20, low), (b.x - 20, b.cy), (b.x, b.cy)]
    if b.x > a.x + a.w:  # forward: leave on the right, enter on the left, one vertical step between
        start, end = (a.x + a.w, a.cy), (b.x, b.cy)
        if start[1] == end[1]:
            return [start, end]
        middle = (start[0] + end[0]) / 2
        return [start, (middle, start[1]), (middle, end[1]), end]
    low = max(a.y + a.h, b.y + b.h) + 20  # back: below both steps
    return [(a.x + a.w / 2, a.y + a.h), (a.x + a.w / 2, low), (b.x + b.w / 2, low), (b.x + b.w / 2, b.y + b.h)]


def _shape(plane, element_id: str, box: _Box, horizontal: bool = False, expanded: bool | None = None) -> None:
    shape = etree.SubElement(plane, _q(BPMNDI, "BPMNShape"), id=f"{element_id}_di", bpmnElement=element_id)
    if horizontal:
        shape.set("isHorizontal", "true")
    if expanded is not None:
        shape.set("isExpanded", "true" if expanded else "false")
    etree.SubElement(shape, _q(DC, "Bounds"), x=_n(box.x), y=_n(box.y), width=_n(box.w), height=_n(box.h))


def _edge(plane, flow_id: str, points: list[tuple[float, float]]) -> None:
    edge = etree.SubElement(plane, _q(BPMNDI, "BPMNEdge"), id=f"{flow_id}_di", bpmnElement=flow_id)
    for x, y in points:
        etree.SubElement(edge, _q(DI, "waypoint"), x=_n(x), y=_n(y))


def _n(value: float) -> str:
    return str(round(value))
