"""A diagram with no drawing gets one (bpmn.layout): every step and flow placed, steps inside their lane's band,
none on another, the process itself unchanged; a drawn diagram is left as it is."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from bpmn.layout import BPMN, BPMNDI, DC, DI, with_drawing
from engine.versioning.compare import compare

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def _undrawn(slug: str) -> str:
    xml = (WORKFLOWS / slug / f"{slug}.bpmn").read_text(encoding="utf-8")
    return re.sub(r"\s*<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", xml, flags=re.S)


def _bounds(root) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        b = shape.find(f"{{{DC}}}Bounds")
        out[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return out


@pytest.mark.parametrize("slug", ["birth-registration", "household-business", "construction-permit-house",
                                  "land-first-certificate"])
def test_an_undrawn_diagram_gets_every_step_and_flow_placed(slug):
    undrawn = _undrawn(slug)
    assert "BPMNShape" not in undrawn
    drawn = with_drawing(undrawn)
    root = etree.fromstring(drawn.encode())
    process = root.find(f"{{{BPMN}}}process")
    nodes = [e.get("id") for e in process if isinstance(e.tag, str) and e.tag != f"{{{BPMN}}}sequenceFlow"
             and e.tag.endswith(("Event", "Task", "Gateway", "task", "Activity"))]
    flows = [f.get("id") for f in process.findall(f"{{{BPMN}}}sequenceFlow")]
    bounds = _bounds(root)
    edges = {e.get("bpmnElement"): e.findall(f"{{{DI}}}waypoint") for e in root.iter(f"{{{BPMNDI}}}BPMNEdge")}
    assert nodes and set(nodes) <= set(bounds)
    assert set(flows) == set(edges) and all(len(points) >= 2 for points in edges.values())
    lanes = {lane.get("id"): [r.text for r in lane.findall(f"{{{BPMN}}}flowNodeRef")]
             for lane in process.iter(f"{{{BPMN}}}lane")}
    for lane, members in lanes.items():  # each step inside its lane's band
        _, ly, _, lh = bounds[lane]
        for node in members:
            _, y, _, h = bounds[node]
            assert ly <= y and y + h <= ly + lh, (lane, node)
    boxes = [bounds[n] for n in nodes if process.find(f"{{{BPMN}}}boundaryEvent[@id='{n}']") is None]
    for i, (x1, y1, w1, h1) in enumerate(boxes):  # no step on another
        for x2, y2, w2, h2 in boxes[i + 1:]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
    assert compare(undrawn, drawn) == []  # the process is the same
    assert drawn.count('xmlns:bpmndi="') == 1 and "ns0:" not in drawn


def test_steps_follow_their_flows_left_to_right():
    root = etree.fromstring(with_drawing(_undrawn("household-business")).encode())
    bounds = _bounds(root)
    process = root.find(f"{{{BPMN}}}process")
    start = process.find(f"{{{BPMN}}}startEvent").get("id")
    first = next(f.get("targetRef") for f in process.findall(f"{{{BPMN}}}sequenceFlow") if f.get("sourceRef") == start)
    assert bounds[start][0] < bounds[first][0]
    ends = [e.get("id") for e in process.findall(f"{{{BPMN}}}endEvent")]
    assert all(bounds[end][0] > bounds[first][0] for end in ends)


def test_a_drawn_diagram_is_left_alone_and_bad_xml_is_named():
    xml = (WORKFLOWS / "birth-registration" / "birth-registration.bpmn").read_text(encoding="utf-8")
    assert with_drawing(xml) is xml
    with pytest.raises(ValueError, match="line"):
        with_drawing("<bpmn:definitions")
    with pytest.raises(ValueError, match="bpmn:definitions"):
        with_drawing("<svg/>")


def test_lanes_without_a_pool_get_one():
    undrawn = re.sub(r"\s*<bpmn:collaboration.*?</bpmn:collaboration>", "", _undrawn("birth-registration"), flags=re.S)
    assert "collaboration" not in undrawn
    drawn = with_drawing(undrawn)
    root = etree.fromstring(drawn.encode())
    participant = root.find(f"{{{BPMN}}}collaboration/{{{BPMN}}}participant")
    assert participant.get("processRef") == "birth_registration"
    plane = root.find(f"{{{BPMNDI}}}BPMNDiagram/{{{BPMNDI}}}BPMNPlane")
    assert plane.get("bpmnElement") == root.find(f"{{{BPMN}}}collaboration").get("id")
    assert participant.get("id") in _bounds(root)
    # the pool is the one thing added to the process's model
    assert sorted((c.element, c.kind) for c in compare(undrawn, drawn)) == [
        ("collaboration_layout", "added"), (participant.get("id"), "added")]
