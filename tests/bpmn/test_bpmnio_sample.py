"""A diagram as the plain bpmn.io modeler saves it (tests/data/bpmn/bpmnio): validation says, element by
element, what is missing; with those fixes applied (and nothing else) it validates."""
from __future__ import annotations

import shutil
from pathlib import Path

from bpmn.validation import validate_path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "bpmnio" / "marriage-registration"
SPIFF = 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '


def _props(**values: str) -> str:
    items = "".join(f'<spiffworkflow:property name="{k}" value="{v}" />' for k, v in values.items())
    return f"<bpmn:extensionElements><spiffworkflow:properties>{items}</spiffworkflow:properties></bpmn:extensionElements>"


def test_each_element_is_told_what_it_lacks():
    problems = validate_path(SAMPLE)
    expected = {
        ("Process_0marriage", "the procedure's process is not executable"),
        ("Process_0marriage", "the process has no lanes, so none of its 1 use"),
        ("Activity_examine", "the user task is not in any lane"),
        ("Activity_examine", "property budget is missing"),
        ("Gateway_ok", "no default flow, and the conditions may all be"),
        ("Activity_sign", "a plain task does nothing when a dossier reache"),
        ("Event_refused", "this end event ends a refusal (its name 'Từ ch"),
        ("Flow_yes", "condition"),
        ("Flow_no", "condition"),
    }
    assert len(problems) == len(expected) and all(p.is_error for p in problems)
    assert {next(e for e in expected if e[0] == p.element_id and p.message.startswith(e[1])) for p in problems} \
        == expected
    hints = {p.element_id: p.message for p in validate_path(SAMPLE) if p.element_id in ("Flow_yes", "Flow_no")}
    assert hints["Flow_yes"].endswith("write eligible") and hints["Flow_no"].endswith("write not eligible")
    assert 'bpmn.io modeler saves isExecutable="false"' in str(validate_path(SAMPLE)[0])


def test_the_fixes_the_messages_ask_for_are_enough(tmp_path):
    folder = tmp_path / SAMPLE.name
    shutil.copytree(SAMPLE, folder)
    bpmn = folder / "marriage-registration.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    lanes = ('<bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_specialist" name="specialist">'
             "<bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef><bpmn:flowNodeRef>Activity_examine</bpmn:flowNodeRef>"
             "<bpmn:flowNodeRef>Gateway_ok</bpmn:flowNodeRef><bpmn:flowNodeRef>Event_refused</bpmn:flowNodeRef>"
             "</bpmn:lane><bpmn:lane id=\"Lane_leader\" name=\"leader\"><bpmn:flowNodeRef>Activity_sign"
             "</bpmn:flowNodeRef><bpmn:flowNodeRef>Event_done</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>")
    for old, new in [
        ('xmlns:xsi=', SPIFF + 'xmlns:xsi='),
        ('isExecutable="false">', 'isExecutable="true">' + lanes),
        ('name="Kiểm tra điều kiện kết hôn">', 'name="Kiểm tra điều kiện kết hôn">' + _props(budget="P2D")),
        ('<bpmn:task id="Activity_sign" name="Ký giấy chứng nhận kết hôn">',
         '<bpmn:userTask id="Activity_sign" name="Ký giấy chứng nhận kết hôn">' + _props(budget="P1D")),
        ("</bpmn:task>", "</bpmn:userTask>"),
        ('name="Đủ điều kiện?">', 'name="Đủ điều kiện?" default="Flow_yes">'),
        ('name="Từ chối đăng ký">', 'name="Từ chối đăng ký">' + _props(status="refused")),
        ("${eligible}", "eligible"), ("${!eligible}", "not eligible"),
    ]:
        assert old in text
        text = text.replace(old, new, 1)
    bpmn.write_text(text, encoding="utf-8")
    assert validate_path(folder) == []
