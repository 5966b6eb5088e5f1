"""Procedure packages: loading, the checksum, the stored document, procedure.toml errors, parsing into
typed user tasks, and a diagram saved by the bpmn-js modeler (bpmn-moddle)."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from bpmn.durations import Deadline, Duration
from bpmn.extensions import UserTaskInfo, split_lane
from bpmn.package import (
    Fee,
    PackageError,
    RequiredDocument,
    load_package,
    package_from_document,
    package_to_document,
)
from bpmn.parser import parse_package
from bpmn.scripts import make_script_engine

DATA = Path(__file__).resolve().parents[1] / "data" / "bpmn"
VALID = DATA / "valid" / "simple-permit"
MODELER = DATA / "modeler" / "simple-permit"


@pytest.fixture
def package_copy(tmp_path) -> Path:
    folder = tmp_path / "simple-permit"
    shutil.copytree(VALID, folder)
    return folder


def test_load_reads_the_catalog_entry():
    pkg = load_package(VALID)
    meta = pkg.meta
    assert (meta.slug, meta.code, meta.local_code, meta.process_id) == (
        "simple-permit", "9.000001", "9.000001.H26", "simple_permit")
    assert (meta.name_vi, meta.name_en, meta.level, meta.agency_kind) == (
        "Cấp giấy phép mẫu", "Sample permit", "commune", "commune")
    assert meta.deadline == Deadline("working_days", 3) and meta.same_day_cutoff is None
    assert (meta.pause_rule, meta.channels, meta.result_delivery) == ("resume", ("counter", "online"),
                                                                     ("counter", "postal"))
    assert meta.fees == (Fee("Lệ phí cấp giấy phép", 50000, "Permit fee"),)
    assert meta.documents == (RequiredDocument("Đơn đề nghị cấp giấy phép"),
                              RequiredDocument("Bản sao giấy tờ tùy thân", copies=2, required=False))
    assert pkg.bpmn_filename == "simple-permit.bpmn" and "<bpmn:definitions" in pkg.bpmn_text
    assert sorted(pkg.forms) == ["examine.json", "receive.json"]
    assert pkg.forms["receive.json"]["required"] == ["outcome"]
    assert len(pkg.checksum) == 64 and int(pkg.checksum, 16) >= 0


def test_the_checksum_is_stable_and_follows_the_content(package_copy):
    base = load_package(VALID).checksum
    assert load_package(VALID).checksum == base
    assert load_package(package_copy).checksum == base  # the folder's location does not count
    toml = package_copy / "procedure.toml"
    toml.write_text("# reformatted\n" + toml.read_text(encoding="utf-8").replace(" = ", "   =   "), encoding="utf-8")
    form = package_copy / "forms" / "examine.json"
    form.write_text(json.dumps(json.loads(form.read_text(encoding="utf-8"))), encoding="utf-8")
    assert load_package(package_copy).checksum == base  # formatting and comments do not count
    changes = [("procedure.toml", "=   3", "=   4"),
               ("simple-permit.bpmn", 'value="P1D"', 'value="P2D"'),
               ("forms/examine.json", '"reason"', '"ly_do"')]
    seen = {base}
    for name, old, new in changes:
        path = package_copy / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        checksum = load_package(package_copy).checksum
        assert checksum not in seen, name
        seen.add(checksum)


@pytest.mark.parametrize("folder", [VALID, MODELER, *sorted((Path(__file__).parents[2] / "workflows").glob("*/"))],
                         ids=lambda p: p.name)
def test_the_document_round_trips(folder):
    if not (folder / "procedure.toml").exists():
        pytest.skip("not a package")
    pkg = load_package(folder)
    doc = json.loads(json.dumps(package_to_document(pkg)))  # what the database row holds
    again = package_from_document(doc)
    assert again == pkg and again.checksum == pkg.checksum
    assert package_to_document(again) == doc


def test_a_tampered_document_is_refused():
    doc = package_to_document(load_package(VALID))
    doc["bpmn_text"] = doc["bpmn_text"].replace("PT4H", "PT8H")
    with pytest.raises(PackageError, match="checksum mismatch"):
        package_from_document(doc)
    with pytest.raises(PackageError, match="not a package document"):
        package_from_document({"format": 99})


def test_toml_errors_name_the_key(package_copy):
    toml = package_copy / "procedure.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('unit = "working_days"', 'unit = "weeks"').replace("amount = 50000", "amount = -5")
                    .replace('pause_rule = "resume"\n', ""), encoding="utf-8")
    with pytest.raises(PackageError) as info:
        load_package(package_copy)
    problems = {(p.element_id, p.message.split(":")[0]) for p in info.value.problems}
    assert problems == {(None, "pause_rule"), ("deadline", "unit"), ("fees #1", "amount")}
    lines = str(info.value).splitlines()
    unit_line = toml.read_text(encoding="utf-8").splitlines().index('unit = "weeks"') + 1
    assert f"{toml}:{unit_line}: [deadline] unit: 'weeks' is not one of working_days, working_hours, " \
           f"calendar_days, same_day (error)" in lines
    assert f"{toml}: pause_rule: missing (required) (error)" in lines


def test_a_same_day_deadline_takes_a_cutoff(package_copy):
    toml = package_copy / "procedure.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('unit = "working_days"\nvalue = 3',
                                                             'unit = "same_day"\ncutoff = "15:00"'), encoding="utf-8")
    meta = load_package(package_copy).meta
    assert (meta.deadline, meta.same_day_cutoff) == (Deadline("same_day"), dt.time(15, 0))


def test_parse_package_types_the_user_tasks():
    parsed = parse_package(load_package(VALID))
    assert parsed.process_id == "simple_permit" and parsed.spec.name == "simple_permit"
    assert parsed.user_tasks["examine"] == UserTaskInfo(
        bpmn_id="examine", name="Thẩm định hồ sơ", lane="specialist", role="specialist", agency_kind=None,
        budget=Duration(days=1), form="examine.json", outcomes=("approve", "refuse"), pauses_clock=False,
        status="processing")
    waiting = parsed.user_tasks["wait_supplement"]
    assert (waiting.budget, waiting.pauses_clock, waiting.status) == (None, True, "supplement_requested")
    assert parsed.user_tasks["sign"].budget == Duration(seconds=4 * 3600)
    assert set(parsed.user_tasks) == {"receive", "wait_supplement", "examine", "sign"}
    assert dict(parsed.end_statuses) == {"end_refused": "refused"}


def test_an_inter_agency_lane_names_agency_kind_and_role(package_copy):
    bpmn = package_copy / "simple-permit.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="specialist"', 'name="police:specialist"'),
                    encoding="utf-8")
    info = parse_package(load_package(package_copy)).user_tasks["examine"]
    assert (info.lane, info.agency_kind, info.role) == ("police:specialist", "police", "specialist")
    assert split_lane("leader") == (None, "leader") and split_lane(None) == (None, None)


def test_parse_errors_name_file_element_and_line(package_copy):
    bpmn = package_copy / "simple-permit.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    bpmn.write_text(text.replace('<bpmn:endEvent id="end_returned" name="Trả kết quả" />', ""), encoding="utf-8")
    with pytest.raises(PackageError) as info:
        parse_package(load_package(package_copy))
    assert [p.element_id for p in info.value.problems] == ["sign"]  # SpiffWorkflow's message for a dangling flow
    bpmn.write_text(text.replace("</bpmn:process>", "<bpmn:bogus id='b'/></bpmn:process>"), encoding="utf-8")
    with pytest.raises(PackageError) as info:
        parse_package(load_package(package_copy))
    assert "bogus" in info.value.problems[0].message and info.value.problems[0].line is not None
    broken = text.replace("</bpmn:process>", "")
    bpmn.write_text(broken, encoding="utf-8")
    with pytest.raises(PackageError) as info:
        parse_package(load_package(package_copy))
    assert info.value.problems[0].message.startswith("malformed XML")
    assert info.value.problems[0].line == broken.splitlines().index("</bpmn:definitions>") + 1


def test_external_entities_are_not_read(package_copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    bpmn = package_copy / "simple-permit.bpmn"
    text = bpmn.read_text(encoding="utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>')
    bpmn.write_text(text.replace('name="Ký duyệt">', 'name="Ký duyệt"><bpmn:documentation>&x;</bpmn:documentation>'),
                    encoding="utf-8")
    with pytest.raises(PackageError) as info:
        parse_package(load_package(package_copy))
    assert "DOCTYPE" in str(info.value) and "TOP-SECRET" not in str(info.value)
    bpmn.write_text(text.replace('name="Ký duyệt"', 'name="&x;"'), encoding="utf-8")
    with pytest.raises(PackageError) as info:
        parse_package(load_package(package_copy))
    assert "TOP-SECRET" not in str(info.value)


def test_a_diagram_saved_by_the_modeler_loads_unchanged():
    text = (MODELER / "simple-permit.bpmn").read_text(encoding="utf-8")
    assert "bpmndi:BPMNEdge" in text and 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"' in text
    assert "<spiffworkflow:properties>" in text and 'xsi:type="bpmn:tFormalExpression"' in text
    modeler = parse_package(load_package(MODELER))
    plain = parse_package(load_package(VALID))
    assert modeler.user_tasks == plain.user_tasks
    assert modeler.end_statuses == plain.end_statuses
    assert load_package(MODELER).bpmn_text == text  # stored byte for byte, DI and all


@pytest.mark.parametrize(("outcomes", "end"), [(["accept", "approve"], "end_returned"),
                                               (["supplement", None, "accept", "refuse"], "end_refused")])
def test_a_valid_package_runs_under_the_script_policy(outcomes, end):
    parsed = parse_package(load_package(VALID))
    wf = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=make_script_engine())
    wf.task_tree.set_data(documents=["đơn", "cccd"])
    wf.do_engine_steps()
    for outcome in outcomes:
        [task] = wf.get_tasks(state=TaskState.READY, manual=True)
        assert parsed.user_tasks[task.task_spec.bpmn_id].role == task.task_spec.lane
        if outcome:
            task.data["outcome"] = outcome
        task.run()
        wf.do_engine_steps()
    [task] = wf.get_tasks(state=TaskState.READY, manual=True) or [None]
    if task is not None:  # the leader signs
        task.run()
        wf.do_engine_steps()
    assert wf.completed
    assert end in {t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED)}
    if end == "end_returned":
        assert wf.data["fee"] == 50000 and wf.data["lines"] == ["ĐƠN", "CCCD"]
