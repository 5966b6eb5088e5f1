"""What changed between two versions of a diagram, element by element (by BPMN id), for the visual diff:
added, removed, and changed elements with what changed (name, type, extension properties, condition,
script, timer, lane, flow ends)."""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.versioning.drafts import _SAFE_PARSER

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SKIP = {"definitions", "extensionElements", "properties", "property", "documentation", "laneSet",
         "incoming", "outgoing", "flowNodeRef", "conditionExpression", "script", "timeDuration", "timeDate",
         "timeCycle", "preScript", "postScript", "text"}


@dataclass
class Change:
    element: str
    kind: str  # added | removed | changed
    name: str
    what: list[str] = field(default_factory=list)


def _elements(text: str) -> dict[str, dict]:
    root = etree.fromstring(text.encode("utf-8"), _SAFE_PARSER)
    found: dict[str, dict] = {}
    lanes = {ref.text.strip(): lane.get("name") or lane.get("id")
             for lane in root.iter(f"{{{BPMN}}}lane") for ref in lane.findall(f"{{{BPMN}}}flowNodeRef") if ref.text}
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN}}}") or not el.get("id"):
            continue
        tag = etree.QName(el).localname
        if tag in _SKIP:
            continue
        props = {p.get("name"): p.get("value") for p in el.iter() if isinstance(p.tag, str)
                 and etree.QName(p).localname == "property" and p.get("name")}
        texts = {etree.QName(c).localname: (c.text or "").strip() for c in el.iter() if isinstance(c.tag, str)
                 and etree.QName(c).localname in ("conditionExpression", "script", "timeDuration", "timeDate",
                                                  "timeCycle", "preScript", "postScript")}
        found[el.get("id")] = {"type": tag, "name": el.get("name") or "", "properties": props, "code": texts,
                               "lane": lanes.get(el.get("id")),
                               "ends": (el.get("sourceRef"), el.get("targetRef"))}
    return found


def compare(old_text: str, new_text: str) -> list[Change]:
    old, new = _elements(old_text), _elements(new_text)
    changes = [Change(i, "removed", old[i]["name"]) for i in old if i not in new]
    changes += [Change(i, "added", new[i]["name"]) for i in new if i not in old]
    for i in old.keys() & new.keys():
        a, b = old[i], new[i]
        what = []
        if a["type"] != b["type"]:
            what.append(f"type: {a['type']} → {b['type']}")
        if a["name"] != b["name"]:
            what.append(f"name: {a['name']!r} → {b['name']!r}")
        if a["lane"] != b["lane"]:
            what.append(f"lane: {a['lane']} → {b['lane']}")
        if a["ends"] != b["ends"]:
            what.append("flow ends: {} → {}".format(*(" → ".join(str(x) for x in e) for e in (a["ends"], b["ends"]))))
        for key in sorted(a["properties"].keys() | b["properties"].keys()):
            if a["properties"].get(key) != b["properties"].get(key):
                what.append(f"{key}: {a['properties'].get(key)} → {b['properties'].get(key)}")
        for key in sorted(a["code"].keys() | b["code"].keys()):
            if a["code"].get(key) != b["code"].get(key):
                what.append(f"{key} changed")
        if what:
            changes.append(Change(i, "changed", b["name"], what))
    order = {"removed": 0, "changed": 1, "added": 2}
    return sorted(changes, key=lambda c: (order[c.kind], c.element))
