"""`motcua import-catalog FILE TARGET`: one package skeleton per procedure of a national catalogue export.

The input is the shape the national portal's sharing service returns for a procedure (service LayThuTuc,
as OpenCPS v2 reads it): a JSON list of procedures, or {"result": [...]}, with upper-case keys MATTHC,
TENTTHC, LINHVUCTHUCHIEN, CACHTHUCTHUCHIEN (KENH, THOIGIAN: THOIGIANGIAIQUYET, DONVITINH, PHILEPHI: SOTIEN,
MOTA), THANHPHANHOSO (GIAYTO: TENGIAYTO, SOBANCHINH, SOBANSAO), CANCUPHAPLY (SOVANBAN, TENVANBAN),
KETQUATHUCHIEN (TENKETQUA), COQUANTHUCHIEN and, a guess, CAPTHUCHIEN (the level). README lists which
keys are sure.

Every record is checked before anything is written; one bad record (named by its index and key) or one
target folder that already exists stops the run with nothing written. Each skeleton is procedure.toml
(the catalogue facts, what is missing marked TODO) and a minimal diagram (examine -> return) that a
designer redraws; `motcua validate` may flag a skeleton until then.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InvalidInput

CHANNELS = {"1": "counter", "2": "online", "3": "postal"}
#: DONVITINH as the national database writes it (folded) -> procedure.toml deadline unit
UNITS = {"ngay lam viec": "working_days", "ngay": "calendar_days", "gio": "working_hours",
         "gio lam viec": "working_hours", "trong ngay": "same_day", "ngay trong ngay": "same_day"}
LEVELS = {"cap xa": "commune", "cap tinh": "province", "cap bo": "ministry", "cap huyen": "district",
          "xa": "commune", "tinh": "province", "bo": "ministry", "huyen": "district"}
_CODE = re.compile(r"^\d\.\d{6}(\.[A-Z0-9]+)?$")


def fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower().strip()


def slugify(name: str, code: str) -> str:
    words = re.findall(r"[a-z0-9]+", fold(name))[:7]
    return "-".join(words) or "tthc-" + code.replace(".", "-").lower()


@dataclass(frozen=True)
class Skeleton:
    slug: str
    code: str
    toml: str
    bpmn: str


def _list(rec: dict, key: str, where: str, errors: dict) -> list:
    value = rec.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        errors[f"{where}.{key}"] = ["expected a list of objects"]
        return []
    return value


def _q(text) -> str:
    return json.dumps(str(text), ensure_ascii=False)  # a TOML basic string


def read(records: list) -> list[Skeleton]:
    """Check every record and build its skeleton; raise InvalidInput naming each bad record and key."""
    errors: dict[str, list[str]] = {}
    out: list[Skeleton] = []
    slugs: set[str] = set()
    for i, rec in enumerate(records):
        where = f"[{i}]"
        if not isinstance(rec, dict):
            errors[where] = ["expected an object"]
            continue
        code = rec.get("MATTHC")
        name = rec.get("TENTTHC")
        if not isinstance(code, str) or not _CODE.match(code.strip()):
            errors[f"{where}.MATTHC"] = ["a national code like 1.001612 (optionally .H26) is required"]
        if not isinstance(name, str) or not name.strip():
            errors[f"{where}.TENTTHC"] = ["required"]
        if f"{where}.MATTHC" in errors or f"{where}.TENTTHC" in errors:
            continue
        code, name = code.strip(), " ".join(name.split())
        todo: list[str] = []
        fields = _list(rec, "LINHVUCTHUCHIEN", where, errors)
        field = fields[0].get("TENLINHVUC", "") if fields else ""
        if not field:
            todo.append("field (LINHVUCTHUCHIEN) missing")
        level_raw = rec.get("CAPTHUCHIEN")
        level_raw = level_raw[0] if isinstance(level_raw, list) and level_raw else level_raw
        if isinstance(level_raw, dict):
            level_raw = level_raw.get("TENCAP") or level_raw.get("CAPTHUCHIEN")
        level = LEVELS.get(fold(level_raw), None) if isinstance(level_raw, str) else None
        if level is None:
            todo.append(f"level unknown ({level_raw!r}): set level and agency_kind")
        channels, deadline, fees = [], None, []
        for j, way in enumerate(_list(rec, "CACHTHUCTHUCHIEN", where, errors)):
            channel = CHANNELS.get(str(way.get("KENH", "")))
            if channel is None:
                errors[f"{where}.CACHTHUCTHUCHIEN[{j}].KENH"] = ["1 (counter), 2 (online) or 3 (postal)"]
                continue
            channels.append(channel)
            for k, time in enumerate(_list(way, "THOIGIAN", f"{where}.CACHTHUCTHUCHIEN[{j}]", errors)):
                unit = UNITS.get(fold(str(time.get("DONVITINH", ""))))
                value = time.get("THOIGIANGIAIQUYET")
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    value = None
                if deadline is None or channel == "online":
                    deadline = (unit, value, str(time.get("MOTA") or ""))
                for fee in _list(time, "PHILEPHI", f"{where}.CACHTHUCTHUCHIEN[{j}].THOIGIAN[{k}]", errors):
                    try:
                        amount = int(float(fee.get("SOTIEN", 0) or 0))
                    except (TypeError, ValueError):
                        errors[f"{where}.CACHTHUCTHUCHIEN[{j}].THOIGIAN[{k}].PHILEPHI.SOTIEN"] = ["a number"]
                        continue
                    label = str(fee.get("MOTA") or fee.get("MAPHILEPHI") or "Phí, lệ phí")
                    if (label, amount) not in fees:
                        fees.append((label, amount))
        channels = sorted(set(channels), key=list(CHANNELS.values()).index)
        if not channels:
            todo.append("no channel (CACHTHUCTHUCHIEN): counter assumed")
            channels = ["counter"]
        unit, value, note = deadline or (None, None, "")
        if unit is None or (unit != "same_day" and (value is None or value < 1 or value != int(value))):
            todo.append(f"deadline not read ({deadline!r}): 1 working day written, correct it")
            unit, value = "working_days", 1
        documents = []
        for part in _list(rec, "THANHPHANHOSO", where, errors):
            for doc in _list(part, "GIAYTO", where + ".THANHPHANHOSO", errors):
                doc_name = " ".join(str(doc.get("TENGIAYTO", "")).split())
                if doc_name:
                    copies = sum(int(doc.get(k) or 0) for k in ("SOBANCHINH", "SOBANSAO")
                                 if str(doc.get(k) or "0").isdigit()) or 1
                    documents.append((doc_name, copies))
        if not documents:
            todo.append("no documents (THANHPHANHOSO)")
        laws = [f"{x.get('SOVANBAN', '')} {x.get('TENVANBAN', '')}".strip()
                for x in _list(rec, "CANCUPHAPLY", where, errors)]
        results = [str(x.get("TENKETQUA", "")) for x in _list(rec, "KETQUATHUCHIEN", where, errors)]
        slug = slugify(name, code)
        if slug in slugs:
            slug = f"{slug}-{code.replace('.', '-').lower()}"
        slugs.add(slug)
        process_id = "p_" + re.sub(r"[^a-z0-9]+", "_", slug)
        out.append(Skeleton(slug, code, _toml(slug, code, process_id, name, level, field, channels, unit,
                                              int(value or 0), note, fees, documents, laws, results, todo),
                            _bpmn(slug, process_id, name)))
    if errors:
        raise InvalidInput(f"the catalogue export has {len(errors)} problem(s); nothing was written", errors)
    return out


def _toml(slug, code, process_id, name, level, field, channels, unit, value, note, fees, documents, laws, results,
          todo) -> str:
    lines = [f"# {name} — skeleton imported from the national procedure database (CSDL quốc gia về TTHC).",
             "# Facts below are as the export gave them (label each S/S2/M after checking the published text).",
             "# A designer completes the diagram; `motcua validate` may flag this package until then."]
    lines += [f"# Legal basis (CANCUPHAPLY): {law}" for law in laws] or ["# Legal basis: TODO (none in the export)"]
    lines += [f"# Result (KETQUATHUCHIEN): {r}" for r in results] or ["# Result: TODO (none in the export)"]
    lines += [f"# TODO: {t}" for t in todo]
    lines += [f"slug = {_q(slug)}", f"code = {_q(code.split('.H')[0] if '.H' in code else code)}"]
    if ".H" in code:
        lines.append(f"local_code = {_q(code)}")
    lines += [f"process_id = {_q(process_id)}", f"name_vi = {_q(name)}", 'name_en = "TODO"',
              f"level = {_q(level or 'TODO')}", f"field = {_q(field or 'TODO')}",
              f"agency_kind = {_q(level or 'TODO')}  # TODO: check the kind of agency that handles it",
              'pause_rule = "resume"', f"channels = {json.dumps(channels)}",
              f"result_delivery = {json.dumps(channels)}", "", "[deadline]", f"unit = {_q(unit)}"]
    if unit != "same_day":
        lines.append(f"value = {value}" + (f"  # {note}" if note else ""))
    for label, amount in fees:
        lines += ["", "[[fees]]", f"name_vi = {_q(label)}", f"amount = {amount}"]
    for doc_name, copies in documents:
        lines += ["", "[[documents]]", f"name_vi = {_q(doc_name)}", f"copies = {copies}", "required = true"]
    return "\n".join(lines) + "\n"


def _bpmn(slug: str, process_id: str, name: str) -> str:
    from xml.sax.saxutils import quoteattr

    n = quoteattr(name)
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<!-- {slug}: skeleton from the national procedure database. TODO: draw the real flow (steps, roles, budgets). -->
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="definitions_{process_id}" targetNamespace="https://motcua.vn/bpmn/{slug}" exporter="motcua import-catalog" exporterVersion="1">
  <bpmn:collaboration id="collaboration_{process_id}">
    <bpmn:participant id="participant_{process_id}" name={n} processRef="{process_id}" />
  </bpmn:collaboration>
  <bpmn:process id="{process_id}" name={n} isExecutable="true">
    <bpmn:documentation>Bản nháp nhập từ CSDL quốc gia về TTHC: người thiết kế vẽ lại quy trình.</bpmn:documentation>
    <bpmn:laneSet id="lane_set_{process_id}">
      <bpmn:lane id="lane_reception" name="reception">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>return_result</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_returned</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_specialist" name="specialist">
        <bpmn:flowNodeRef>examine</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="Hồ sơ đã được tiếp nhận">
      <bpmn:outgoing>flow_start_examine</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="examine" name="Thẩm định hồ sơ (TODO)">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="status" value="processing" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_start_examine</bpmn:incoming>
      <bpmn:outgoing>flow_examine_return</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="return_result" name="Trả kết quả">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="status" value="processed" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_examine_return</bpmn:incoming>
      <bpmn:outgoing>flow_return_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end_returned" name="Đã trả kết quả">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="status" value="returned" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_return_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start_examine" sourceRef="start" targetRef="examine" />
    <bpmn:sequenceFlow id="flow_examine_return" sourceRef="examine" targetRef="return_result" />
    <bpmn:sequenceFlow id="flow_return_end" sourceRef="return_result" targetRef="end_returned" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{process_id}">
    <bpmndi:BPMNPlane id="plane_{process_id}" bpmnElement="collaboration_{process_id}">
      <bpmndi:BPMNShape id="participant_{process_id}_di" bpmnElement="participant_{process_id}" isHorizontal="true">
        <dc:Bounds x="120" y="60" width="760" height="300" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_reception_di" bpmnElement="lane_reception" isHorizontal="true">
        <dc:Bounds x="150" y="60" width="730" height="150" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_specialist_di" bpmnElement="lane_specialist" isHorizontal="true">
        <dc:Bounds x="150" y="210" width="730" height="150" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="202" y="117" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="examine_di" bpmnElement="examine">
        <dc:Bounds x="300" y="245" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="return_result_di" bpmnElement="return_result">
        <dc:Bounds x="480" y="95" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_returned_di" bpmnElement="end_returned">
        <dc:Bounds x="662" y="117" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_examine_di" bpmnElement="flow_start_examine">
        <di:waypoint x="238" y="135" /><di:waypoint x="270" y="135" /><di:waypoint x="270" y="285" /><di:waypoint x="300" y="285" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_examine_return_di" bpmnElement="flow_examine_return">
        <di:waypoint x="400" y="285" /><di:waypoint x="440" y="285" /><di:waypoint x="440" y="135" /><di:waypoint x="480" y="135" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_return_end_di" bpmnElement="flow_return_end">
        <di:waypoint x="580" y="135" /><di:waypoint x="662" y="135" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
'''


def load(path: Path) -> list:
    """Read the export: a JSON list or {"result": [...]}; raise InvalidInput on anything else."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read: {exc}", {"FILE": [str(exc)]}) from None
    except ValueError as exc:
        raise InvalidInput(f"{path}: not JSON ({exc})", {"FILE": [f"line {exc.lineno}: {exc.msg}"]}) from None
    if isinstance(data, dict) and isinstance(data.get("result"), list):
        data = data["result"]
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: expected a JSON list of procedures or {{\"result\": [...]}}",
                           {"FILE": ["expected a list"]})
    return data


def write(skeletons: list[Skeleton], target: Path) -> list[Path]:
    """Write each skeleton into target/<slug>/; refuse (nothing written) when any folder exists."""
    existing = [target / s.slug for s in skeletons if (target / s.slug).exists()]
    if existing:
        raise InvalidInput("refusing to overwrite existing packages; nothing was written",
                           {str(p): ["exists"] for p in existing})
    written = []
    for s in skeletons:
        folder = target / s.slug
        folder.mkdir(parents=True)
        (folder / "procedure.toml").write_text(s.toml, encoding="utf-8")
        (folder / f"{s.slug}.bpmn").write_text(s.bpmn, encoding="utf-8")
        written.append(folder)
    return written
