"""The rules of issue 12 through lint_xml (the studio's live lint): each names the element and says the fix."""
from __future__ import annotations

from pathlib import Path

import pytest

from bpmn.durations import Deadline
from bpmn.package import load_package
from bpmn.validation import Organisation, lint_xml, validate_package, validate_path

DATA = Path(__file__).resolve().parents[1] / "data" / "bpmn"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">\n'
        '<bpmn:process id="p" isExecutable="true">\n')


def task(tid: str, name: str = "", *, budget: str | None = "PT4H", extra: str = "", attrs: str = "") -> str:
    props = f'<spiffworkflow:property name="budget" value="{budget}" />' if budget else ""
    return (f'<bpmn:userTask id="{tid}" name="{name}" {attrs}><bpmn:extensionElements><spiffworkflow:properties>'
            f'{props}{extra}</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>\n')


def prop(name: str, value: str) -> str:
    return f'<spiffworkflow:property name="{name}" value="{value}" />'


def flow(fid: str, source: str, target: str, condition: str | None = None, language: str = "") -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}" />\n'
    lang = f' language="{language}"' if language else ""
    return (f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}"><bpmn:conditionExpression '
            f'xsi:type="bpmn:tFormalExpression"{lang}><![CDATA[{condition}]]></bpmn:conditionExpression>'
            f'</bpmn:sequenceFlow>\n')


def diagram(body: str, lanes: dict[str, list[str]]) -> str:
    lane_xml = "".join(f'<bpmn:lane id="lane_{i}" name="{name}">'
                       + "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes) + "</bpmn:lane>"
                       for i, (name, nodes) in enumerate(lanes.items()))
    return HEAD + f'<bpmn:laneSet id="ls">{lane_xml}</bpmn:laneSet>\n' + body + "</bpmn:process>\n</bpmn:definitions>\n"


def examine_then(end_name: str, end_props: str = "", *, outcomes: str = "approve,refuse", condition=None) -> str:
    body = ('<bpmn:startEvent id="start" />\n' + flow("f0", "start", "examine")
            + task("examine", "Thẩm định", extra=prop("outcomes", outcomes))
            + flow("f1", "examine", "gw") + '<bpmn:exclusiveGateway id="gw" default="f_ok" />\n'
            + flow("f_ok", "gw", "end_ok") + '<bpmn:endEvent id="end_ok" name="Trả kết quả" />\n'
            + flow("f_no", "gw", "end_no", condition or 'outcome == "refuse"')
            + f'<bpmn:endEvent id="end_no" name="{end_name}"><bpmn:extensionElements><spiffworkflow:properties>'
            + end_props + '</spiffworkflow:properties></bpmn:extensionElements></bpmn:endEvent>\n')
    return diagram(body, {"specialist": ["examine", "gw"], "reception": ["start", "end_ok", "end_no"]})


def on(messages, element_id):
    return [m for m in messages if m["element_id"] == element_id]


@pytest.mark.parametrize("name", ["Từ chối", "Refused", "Không giải quyết"])
def test_a_refusal_end_event_needs_a_status(name):
    messages = on(lint_xml(examine_then(name)), "end_no")
    assert [m["severity"] for m in messages] == ["error"]
    assert 'add the property status = "refused"' in messages[0]["message"] and messages[0]["line"] > 1


def test_a_refusal_is_also_recognised_by_its_condition():
    messages = on(lint_xml(examine_then("Kết thúc")), "end_no")
    assert len(messages) == 1 and "is taken when 'outcome == \"refuse\"'" in messages[0]["message"]


def test_a_refusal_end_with_its_status_passes_and_a_returned_one_warns():
    assert on(lint_xml(examine_then("Từ chối", prop("status", "refused"))), "end_no") == []
    assert [m["severity"] for m in on(lint_xml(examine_then("Từ chối", prop("status", "returned"))), "end_no")] \
        == ["warning"]


def test_the_other_end_event_is_not_a_refusal():
    assert on(lint_xml(examine_then("Từ chối", prop("status", "refused"))), "end_ok") == []


def _with_reception() -> str:
    body = ('<bpmn:startEvent id="start" />\n' + flow("f0", "start", "receive") + task("receive", "Tiếp nhận hồ sơ",
            budget="PT2H") + flow("f1", "receive", "end") + '<bpmn:endEvent id="end" />\n')
    return diagram(body, {"reception": ["start", "receive", "end"]})


class _Meta:  # what lint_xml reads of a ProcedureMeta
    def __init__(self, unit, value=0):
        self.process_id, self.deadline = "p", Deadline(unit, value)


def test_a_reception_step_is_an_error_on_a_same_day_procedure_and_a_warning_otherwise():
    same_day = on(lint_xml(_with_reception(), meta=_Meta("same_day")), "receive")
    assert [m["severity"] for m in same_day] == ["error"]
    assert "the one-stop desk has already received the dossier" in same_day[0]["message"]
    assert "spends PT2H of the legal time" in same_day[0]["message"]
    assert [m["severity"] for m in on(lint_xml(_with_reception(), meta=_Meta("working_days", 5)), "receive")] \
        == ["warning"]


def test_a_supplement_wait_is_not_a_reception():
    body = ('<bpmn:startEvent id="start" />\n' + flow("f0", "start", "wait")
            + task("wait", "Tiếp nhận hồ sơ bổ sung", budget=None, extra=prop("pause", "true"))
            + flow("f1", "wait", "end") + '<bpmn:endEvent id="end" />\n')
    assert lint_xml(diagram(body, {"reception": ["start", "wait", "end"]}), meta=_Meta("same_day")) == []


def _lanes(lane: str) -> str:
    body = ('<bpmn:startEvent id="start" />\n' + flow("f0", "start", "verify") + task("verify", "Xác minh")
            + flow("f1", "verify", "end") + '<bpmn:endEvent id="end" />\n')
    return diagram(body, {lane: ["start", "verify", "end"]})


def test_a_lane_of_an_agency_kind_the_organisation_lacks_is_an_error():
    org = Organisation(frozenset({"commune", "police"}), frozenset({"leader", "specialist"}))
    messages = on(lint_xml(_lanes("justice:leader"), organisation=org), "lane_0")
    assert [m["severity"] for m in messages] == ["error"]
    assert "no agency of kind 'justice' exists in this organisation (kinds present: commune, police)" \
        in messages[0]["message"]
    assert on(lint_xml(_lanes("police:leader"), organisation=org), "lane_0") == []
    assert on(lint_xml(_lanes("justice:leader")), "lane_0") == []  # without the organisation: config only


def test_a_role_nobody_holds_is_a_warning():
    org = Organisation(frozenset({"commune"}), frozenset({"specialist"}))
    assert [m["severity"] for m in on(lint_xml(_lanes("leader"), organisation=org), "lane_0")] == ["warning"]


def test_the_organisation_must_have_the_procedures_agency_kind(tmp_path):
    org = Organisation(frozenset({"police"}))
    problems = validate_package(DATA / "valid/simple-permit", organisation=org)
    assert any(p.file.endswith("procedure.toml") and "no agency of kind 'commune' exists" in p.message
               and p.is_error for p in problems)


@pytest.mark.parametrize(("condition", "kind", "python"), [
    ('${outcome == "approve"}', "JUEL", 'outcome == "approve"'),
    ('outcome = "approve"', "FEEL/JUEL", 'outcome == "approve"'),
    ("= amount > 5 && paid", "FEEL", "amount > 5 and paid"),
    ('#{approved || outcome eq "x"}', "JUEL", 'approved or outcome == "x"'),
])
def test_a_feel_or_juel_condition_gets_a_python_hint(condition, kind, python):
    messages = on(lint_xml(examine_then("Từ chối", prop("status", "refused"), condition=condition)), "f_no")
    assert [m["severity"] for m in messages] == ["error"], messages
    assert kind in messages[0]["message"] and f"write {python}" in messages[0]["message"]
    assert "syntax error" not in messages[0]["message"]


def test_feel_booleans_in_valid_python_warn():
    messages = on(lint_xml(examine_then("Từ chối", prop("status", "refused"), condition="paid == true")), "f_no")
    assert [m["severity"] for m in messages] == ["warning"] and "write paid == True" in messages[0]["message"]


def test_a_condition_in_another_language_is_refused():
    xml = examine_then("Từ chối", prop("status", "refused")).replace('xsi:type="bpmn:tFormalExpression"',
                                                                    'xsi:type="bpmn:tFormalExpression" language="feel"', 1)
    messages = on(lint_xml(xml), "f_no")
    assert any("language 'feel' is not run here" in m["message"] for m in messages)


def test_spiff_arenas_form_property_is_read_as_form_and_its_ui_schema_refused():
    forms = {"examine.json": {"type": "object", "properties": {"note": {"type": "string"}}}}
    body = ('<bpmn:startEvent id="start" />\n' + flow("f0", "start", "examine")
            + task("examine", "Thẩm định", extra=prop("formJsonSchemaFilename", "examine.json"))
            + flow("f1", "examine", "end") + '<bpmn:endEvent id="end" />\n')
    xml = diagram(body, {"specialist": ["start", "examine", "end"]})
    assert lint_xml(xml, forms=forms) == []
    missing = on(lint_xml(xml, forms={}), "examine")
    assert len(missing) == 1 and "property form: 'examine.json' is not in forms/" in missing[0]["message"]
    ui = on(lint_xml(xml.replace("</spiffworkflow:properties>", prop("formUiSchemaFilename", "x-ui.json")
                                 + "</spiffworkflow:properties>", 1), forms=forms), "examine")
    assert [m["severity"] for m in ui] == ["error"] and 'put its hints in the form\'s "x-ui"' in ui[0]["message"]


def test_camunda_forms_are_refused_with_the_fix():
    body = ('<bpmn:startEvent id="start" />\n' + flow("f0", "start", "examine")
            + task("examine", "Thẩm định", attrs='camunda:formKey="embedded:app:forms/x.html"')
            + flow("f1", "examine", "end") + '<bpmn:endEvent id="end" />\n')
    messages = on(lint_xml(diagram(body, {"specialist": ["start", "examine", "end"]})), "examine")
    assert [m["severity"] for m in messages] == ["error"] and "a Camunda form (formKey)" in messages[0]["message"]


def _parallel(second_outcomes: str, forms_fields=("note",)) -> tuple[str, dict]:
    body = ('<bpmn:startEvent id="start" />\n' + flow("f0", "start", "split") + '<bpmn:parallelGateway id="split" />'
            + flow("a", "split", "police") + flow("b", "split", "tax")
            + task("police", "Xác minh cư trú", extra=prop("outcomes", "ok,ko") + prop("form", "police.json"))
            + task("tax", "Xác minh thuế", extra=prop("outcomes", second_outcomes) if second_outcomes else "")
            + flow("c", "police", "join") + flow("d", "tax", "join") + '<bpmn:parallelGateway id="join" />'
            + flow("e", "join", "end") + '<bpmn:endEvent id="end" />\n')
    forms = {"police.json": {"type": "object", "properties": {k: {"type": "string"} for k in forms_fields}}}
    return diagram(body, {"police:specialist": ["police"], "tax:specialist": ["tax"],
                          "reception": ["start", "split", "join", "end"]}), forms


def test_parallel_branches_writing_the_same_variable_are_an_error():
    xml, forms = _parallel("ok,ko")
    messages = on(lint_xml(xml, forms=forms), "split")
    assert [m["severity"] for m in messages] == ["error"]
    assert "parallel branches both write 'outcome' ('police' and 'tax')" in messages[0]["message"]
    xml, forms = _parallel("")
    assert on(lint_xml(xml, forms=forms), "split") == []


def test_a_plain_task_and_a_diagram_without_lanes_say_what_is_missing():
    xml = HEAD + ('<bpmn:startEvent id="start" />' + flow("f0", "start", "t") + '<bpmn:task id="t" name="Xử lý" />'
                  + flow("f1", "t", "u") + '<bpmn:userTask id="u" name="Ký" />' + flow("f2", "u", "end")
                  + '<bpmn:endEvent id="end" /></bpmn:process></bpmn:definitions>')
    messages = lint_xml(xml)
    assert "change its type to a user task" in on(messages, "t")[0]["message"]
    assert "the process has no lanes, so none of its 1 user tasks has a role" in on(messages, "p")[0]["message"]
    assert {m["message"][:30] for m in on(messages, "u")} == {"the user task is not in any la",
                                                               "property budget is missing: gi"}


def test_an_oversized_diagram_is_refused_before_parsing():
    messages = lint_xml("<" * (6 * 1024 * 1024))
    assert len(messages) == 1 and "at most 5,242,880 are read" in messages[0]["message"]


def test_the_engine_reads_spiff_arenas_form_property(tmp_path):
    import shutil
    folder = tmp_path / "simple-permit"
    shutil.copytree(DATA / "valid/simple-permit", folder)
    bpmn = folder / "simple-permit.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="form" value="examine.json"',
                                                             'name="formJsonSchemaFilename" value="examine.json"'),
                    encoding="utf-8")
    from bpmn.parser import parse_package
    assert parse_package(load_package(folder)).user_tasks["examine"].form == "examine.json"
    assert not [p for p in validate_path(folder) if p.is_error]


def test_a_working_time_instant_in_a_duration_timer_says_to_use_a_date_timer():
    body = ('<bpmn:startEvent id="start" />\n' + flow("f0", "start", "examine") + task("examine", "Thẩm định")
            + '<bpmn:boundaryEvent id="late" attachedToRef="examine"><bpmn:timerEventDefinition id="td">'
              '<bpmn:timeDuration>after_working_time("P2D")</bpmn:timeDuration></bpmn:timerEventDefinition>'
              '</bpmn:boundaryEvent>' + flow("f2", "late", "end") + flow("f1", "examine", "end")
            + '<bpmn:endEvent id="end" />\n')
    xml = diagram(body, {"specialist": ["start", "examine", "late", "end"]})
    messages = on(lint_xml(xml), "late")
    assert [m["severity"] for m in messages] == ["error"] and "make it a date timer (bpmn:timeDate" in messages[0]["message"]
    assert on(lint_xml(xml.replace("timeDuration", "timeDate")), "late") == []
