"""Issue 12 in the engine: the organisation checked at deploy, live lint, a working-time timer from the
step's start, the package's own legal extension, and simulation from recorded step durations."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from samples import HH_APPROVE
from sqlalchemy import select
from support import VN, act, agency_id, at, receive, restore_library

from bpmn.package import load_package
from engine import dossiers, letters
from engine.deploy import deploy_path
from engine.errors import InvalidInput
from engine.models import Agency, Dossier, Procedure
from engine.studio.lint import live_lint
from engine.studio.organisation import organisation_of
from engine.studio.simulation import recorded_durations, simulate_procedure

ROOT = Path(__file__).resolve().parents[2]
SIMPLE = ROOT / "tests" / "data" / "bpmn" / "valid" / "simple-permit"
HOUSEHOLD = ROOT / "workflows" / "household-business"


@pytest.fixture(autouse=True)
def _library_as_seeded(rt):
    yield
    restore_library(rt)


def _copy(tmp_path, slug: str, edit=None, toml_edit=None) -> Path:
    folder = tmp_path / slug
    shutil.copytree(SIMPLE, folder)
    (folder / "simple-permit.bpmn").rename(folder / f"{slug}.bpmn")
    toml = (folder / "procedure.toml").read_text(encoding="utf-8").replace('slug = "simple-permit"', f'slug = "{slug}"')
    (folder / "procedure.toml").write_text(toml_edit(toml) if toml_edit else toml, encoding="utf-8")
    if edit:
        bpmn = folder / f"{slug}.bpmn"
        bpmn.write_text(edit(bpmn.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def test_the_organisation_is_read_from_the_database(session):
    org = organisation_of(session)
    assert {"province", "commune", "police"} <= org.agency_kinds and "justice" not in org.agency_kinds
    assert {"reception", "specialist", "leader"} <= org.roles_held


def test_deploy_refuses_a_lane_of_an_agency_kind_that_does_not_exist(rt, session, tmp_path):
    folder = _copy(tmp_path, "justice-permit", lambda t: t.replace('name="leader"', 'name="justice:leader"'))
    with pytest.raises(InvalidInput) as exc:
        deploy_path(rt, session, folder, actor=None, now=rt.clock.now())
    assert any("no agency of kind 'justice' exists" in line and "Lane_leader" in line
               for line in exc.value.errors["problems"])


def test_deploy_refuses_a_lane_whose_agencies_have_all_ended(rt, session, tmp_path):
    """Bad input, item 2: a hand-over to an agency kind with no agency valid today is refused at deploy."""
    police = list(session.scalars(select(Agency).where(Agency.kind == "police")))
    assert police
    xml = (SIMPLE / "simple-permit.bpmn").read_text(encoding="utf-8").replace('name="leader"', 'name="police:leader"')
    assert not [m for m in live_lint(rt, session, xml) if m["severity"] == "error"]  # police agencies exist today
    today = rt.clock.now().astimezone(VN).date()
    try:
        for a in police:
            a.valid_from, a.valid_until = dt.date(2020, 1, 1), today - dt.timedelta(days=1)
        session.flush()
        folder = _copy(tmp_path, "police-permit", lambda t: t.replace('name="leader"', 'name="police:leader"'))
        with pytest.raises(InvalidInput) as exc:
            deploy_path(rt, session, folder, actor=None, now=rt.clock.now())
        assert any("no agency of kind 'police' exists" in line and "Lane_leader" in line
                   for line in exc.value.errors["problems"])
        assert [m["element_id"] for m in live_lint(rt, session, xml) if m["severity"] == "error"] == ["Lane_leader"]
        for a in police:  # one that begins only tomorrow does not count either
            a.valid_from, a.valid_until = today + dt.timedelta(days=1), None
        session.flush()
        with pytest.raises(InvalidInput):
            deploy_path(rt, session, folder, actor=None, now=rt.clock.now())
        assert session.scalar(select(Procedure).where(Procedure.slug == "police-permit")) is None
    finally:
        session.rollback()


def test_deploy_refuses_a_refusal_end_without_status(rt, session, tmp_path):
    folder = _copy(tmp_path, "silent-refusal", lambda t: t.replace('<spiffworkflow:property name="status" value="refused" />', ""))
    with pytest.raises(InvalidInput) as exc:
        deploy_path(rt, session, folder, actor=None, now=rt.clock.now())
    assert any("end_refused" in line and 'status = "refused"' in line for line in exc.value.errors["problems"])


def test_live_lint_checks_lanes_against_the_organisation(rt, session):
    xml = (SIMPLE / "simple-permit.bpmn").read_text(encoding="utf-8").replace('name="leader"', 'name="justice:leader"')
    messages = live_lint(rt, session, xml)
    assert [m["element_id"] for m in messages if m["severity"] == "error"] == ["Lane_leader"]


TIMER = ('<bpmn:boundaryEvent id="remind" attachedToRef="examine" cancelActivity="false">'
         '<bpmn:timerEventDefinition id="remind_timer"><bpmn:timeDate>after_working_time("PT4H")'
         '</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
         '<bpmn:sequenceFlow id="f_remind" sourceRef="remind" targetRef="end_remind" />'
         '<bpmn:endEvent id="end_remind" />')


def test_a_timer_counts_working_time_from_its_steps_start(rt, session, users, tmp_path, clock):
    folder = _copy(tmp_path, "timed-permit", lambda t: t.replace("</bpmn:process>", TIMER + "</bpmn:process>")
                   .replace("<bpmn:flowNodeRef>examine</bpmn:flowNodeRef>",
                            "<bpmn:flowNodeRef>examine</bpmn:flowNodeRef><bpmn:flowNodeRef>remind</bpmn:flowNodeRef>"
                            "<bpmn:flowNodeRef>end_remind</bpmn:flowNodeRef>"))
    deploy_path(rt, session, folder, actor=None, now=rt.clock.now())
    session.commit()
    clock.set(at(2, 9))  # Monday 09:00: received; the timer waits for the examination to start
    d = dossiers.receive_dossier(rt, session, procedure="timed-permit", agency_id=agency_id(session),
                                 channel="counter", applicant={"name": "Lê Văn Cường"},
                                 actor=users["tanlap.reception"], now=rt.clock.now()).dossier
    session.commit()
    assert session.scalar(select(Dossier.next_timer_at).where(Dossier.id == d.id)) is None
    clock.set(at(3, 10))  # Tuesday 10:00 the examination starts: + 4 working hours = 11:30 + 13:00-15:30
    act(rt, session, users, d.id, "receive", {"outcome": "accept", "documents": ["a"]})
    assert session.scalar(select(Dossier.next_timer_at).where(Dossier.id == d.id)) == at(3, 15, 30)


def test_the_packages_extension_is_what_letters_allow(rt, session, users, tmp_path):
    folder = _copy(tmp_path, "extended-permit",
                   toml_edit=lambda t: t + '\n[extension]\nmax = "P5D"\nwhen_vi = "Cần xác minh thêm"\n')
    deploy_path(rt, session, folder, actor=None, now=rt.clock.now())
    session.commit()
    d = receive(rt, session, users, procedure="extended-permit").dossier
    assert str(letters.allowed_extension(rt, session, d)) == "P5D"  # config's [deadlines.extensions] has none


def test_simulation_samples_the_recorded_step_durations(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    clock.set(clock.now() + (at(3, 9) - at(2, 9)))  # the examination takes one calendar day
    act(rt, session, users, d.id, "examine", HH_APPROVE)
    calendar = rt.calendars.get(session)
    recorded = recorded_durations(session, calendar, "household-business")
    assert list(recorded) == ["examine"] and recorded["examine"][0] > 0
    sim = simulate_procedure(rt, session, load_package(HOUSEHOLD), with_history=True, runs=50)
    assert sim.runs == 50 and {p.sampled_steps for p in sim.paths} == {0}  # 1 sample < history_min_samples
    assert all(p.on_time_share == 1.0 for p in sim.paths) and sim.ok


def test_the_document_checklist_of_a_deployed_procedure(rt, session):
    from engine.reception import document_checklist
    result = document_checklist(rt, session, "household-business", {})
    first = load_package(HOUSEHOLD).meta.documents[0].name_vi
    assert result["missing"] == [first] and len(result["documents"]) == 4
    assert document_checklist(rt, session, "household-business", {}, received={first})["missing"] == []


def _routed(tmp_path, rt, session) -> None:
    folder = _copy(tmp_path, "routed-permit", lambda t: t.replace(
        '<spiffworkflow:property name="budget" value="P1D" />',
        '<spiffworkflow:property name="budget" value="P1D" /><spiffworkflow:property name="agency" '
        'value="residence_commune" />', 1))
    deploy_path(rt, session, folder, actor=None, now=rt.clock.now())
    session.commit()


def _receive_routed(rt, session, users, commune):
    return dossiers.receive_dossier(rt, session, procedure="routed-permit", agency_id=agency_id(session),
                                    channel="counter", applicant={"name": "Lê Văn Cường"},
                                    actor=users["tanlap.reception"], now=rt.clock.now(),
                                    data={"residence_commune": commune}).dossier


def test_a_step_goes_to_the_agency_the_dossier_data_names(rt, session, users, tmp_path):
    from engine.models import Agency, Task
    _routed(tmp_path, rt, session)
    d = _receive_routed(rt, session, users, "000.02.31.H26")  # Hòa Bình, not the receiving Tân Lập
    session.commit()
    act(rt, session, users, d.id, "receive", {"outcome": "accept", "documents": ["a"]})
    examine = session.scalars(select(Task).where(Task.dossier_id == d.id, Task.bpmn_id == "examine")).one()
    assert session.get(Agency, examine.agency_id).code == "000.02.31.H26"
    receive_row = session.scalars(select(Task).where(Task.dossier_id == d.id, Task.bpmn_id == "receive")).one()
    assert session.get(Agency, receive_row.agency_id).code == "000.01.31.H26"  # the other steps stay


def test_a_data_named_agency_that_does_not_exist_refuses_the_action(rt, session, users, tmp_path):
    from engine.models import Task
    _routed(tmp_path, rt, session)
    d = _receive_routed(rt, session, users, "999.99.99.H99")
    session.commit()
    with pytest.raises(InvalidInput, match="'999.99.99.H99' is not an agency code"):
        act(rt, session, users, d.id, "receive", {"outcome": "accept", "documents": ["a"]})
    session.rollback()
    assert [t.bpmn_id for t in session.scalars(select(Task).where(Task.dossier_id == d.id, Task.state == "ready"))] \
        == ["receive"]


BRANCHES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="t">
  <bpmn:process id="two_checks" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="lane_specialist" name="specialist"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>split</bpmn:flowNodeRef><bpmn:flowNodeRef>residence</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>join</bpmn:flowNodeRef><bpmn:flowNodeRef>gw</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_ok</bpmn:flowNodeRef><bpmn:flowNodeRef>end_refused</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_head" name="head"><bpmn:flowNodeRef>record</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split" />
    <bpmn:parallelGateway id="split" />
    <bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="residence" />
    <bpmn:sequenceFlow id="fb" sourceRef="split" targetRef="record" />
    <bpmn:userTask id="residence" name="Xác minh cư trú"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="budget" value="PT4H" /><spiffworkflow:property name="outcomes" value="ok,ko" />
      <spiffworkflow:property name="branch" value="residence_check" />
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="record" name="Xác minh lý lịch"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="budget" value="PT4H" /><spiffworkflow:property name="outcomes" value="ok,ko" />
      BRANCH_RECORD
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="fc" sourceRef="residence" targetRef="join" />
    <bpmn:sequenceFlow id="fd" sourceRef="record" targetRef="join" />
    <bpmn:parallelGateway id="join" />
    <bpmn:sequenceFlow id="fe" sourceRef="join" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="f_no" />
    <bpmn:sequenceFlow id="f_ok" sourceRef="gw" targetRef="end_ok"><bpmn:conditionExpression>residence_check["outcome"] == "ok" and record_check["outcome"] == "ok"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="end_refused" />
    <bpmn:endEvent id="end_ok" />
    <bpmn:endEvent id="end_refused" name="Từ chối"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="status" value="refused" /></spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def _two_checks(tmp_path, record_branch: str, residence_branch: str = "residence_check") -> Path:
    folder = tmp_path / "two-checks"
    folder.mkdir()
    toml = (SIMPLE / "procedure.toml").read_text(encoding="utf-8")
    toml = toml.replace('slug = "simple-permit"', 'slug = "two-checks"').replace('process_id = "simple_permit"',
                                                                                 'process_id = "two_checks"')
    (folder / "procedure.toml").write_text(toml, encoding="utf-8")
    text = BRANCHES.replace("BRANCH_RECORD", record_branch)
    if not residence_branch:
        text = text.replace('<spiffworkflow:property name="branch" value="residence_check" />', "")
    (folder / "two-checks.bpmn").write_text(text, encoding="utf-8")
    return folder


def test_without_branch_data_parallel_outcomes_are_refused_by_the_validator(rt, session, tmp_path):
    with pytest.raises(InvalidInput) as exc:
        deploy_path(rt, session, _two_checks(tmp_path, "", ""), actor=None, now=rt.clock.now())
    assert any("[split] parallel branches both write 'outcome'" in line for line in exc.value.errors["problems"])


@pytest.mark.parametrize(("residence", "record", "status"), [("ok", "ok", "returned"), ("ok", "ko", "refused"),
                                                              ("ko", "ok", "refused")])
def test_each_parallel_step_keeps_its_own_data_under_its_branch(rt, session, users, tmp_path, residence, record,
                                                                 status):
    from engine.models import Task
    folder = _two_checks(tmp_path, '<spiffworkflow:property name="branch" value="record_check" />')
    deploy_path(rt, session, folder, actor=None, now=rt.clock.now())
    session.commit()
    d = receive(rt, session, users, procedure="two-checks").dossier
    rows = {t.bpmn_id: t for t in session.scalars(select(Task).where(Task.dossier_id == d.id))}
    for step, outcome, role in (("residence", residence, "specialist"), ("record", record, "head")):
        dossiers.complete_task(rt, session, rows[step].id, {"outcome": outcome}, actor=users[f"tanlap.{role}"],
                               now=rt.clock.now())
        session.commit()
    session.refresh(d)
    assert d.status == status  # both outcomes reached the gateway after the join, neither replaced the other


CALLED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_PID" targetNamespace="t">
  <bpmn:process id="PID" isExecutable="true">
    <bpmn:laneSet id="ls_PID"><bpmn:lane id="lane_PID" name="specialist"><bpmn:flowNodeRef>start_PID</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>STEP</bpmn:flowNodeRef><bpmn:flowNodeRef>end_PID</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start_PID" />
    <bpmn:sequenceFlow id="f1_PID" sourceRef="start_PID" targetRef="STEP" />
    BODY
    <bpmn:sequenceFlow id="f2_PID" sourceRef="STEP" targetRef="end_PID" />
    <bpmn:endEvent id="end_PID" />
  </bpmn:process>
</bpmn:definitions>
"""
USER_STEP = ('<bpmn:userTask id="STEP" name="Bước STEP"><bpmn:extensionElements><spiffworkflow:properties>'
             '<spiffworkflow:property name="budget" value="PT4H" /><spiffworkflow:property name="form" value="FORM" />'
             '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')


def _library_with_a_call(tmp_path, uses: str = '["identity-check"]') -> Path:
    root = tmp_path / "library"
    for slug, pid, body, code in (
            ("identity-check", "identity_check", USER_STEP.replace("STEP", "verify").replace("FORM", "verify.json"),
             "9.000010"),
            ("caller-permit", "caller_permit",
             '<bpmn:callActivity id="check" name="Xác minh nhân thân" calledElement="identity_check" />'
             + '<bpmn:sequenceFlow id="f_more" sourceRef="check" targetRef="examine" />'
             + USER_STEP.replace("STEP", "examine").replace("FORM", "examine.json"), "9.000011")):
        folder = root / slug
        (folder / "forms").mkdir(parents=True)
        text = CALLED.replace("BODY", body).replace("PID", pid)
        if slug == "caller-permit":  # start -> check -> examine -> end
            text = text.replace('targetRef="STEP"', 'targetRef="check"').replace('sourceRef="STEP"', 'sourceRef="examine"')
            text = text.replace("<bpmn:flowNodeRef>STEP</bpmn:flowNodeRef>",
                                "<bpmn:flowNodeRef>check</bpmn:flowNodeRef><bpmn:flowNodeRef>examine</bpmn:flowNodeRef>")
        else:
            text = text.replace("STEP", "verify")
        (folder / f"{slug}.bpmn").write_text(text, encoding="utf-8")
        form = {"type": "object", "properties": {"note": {"type": "string"}}}
        (folder / "forms" / ("verify.json" if slug == "identity-check" else "examine.json")).write_text(
            __import__("json").dumps(form), encoding="utf-8")
        toml = (SIMPLE / "procedure.toml").read_text(encoding="utf-8")
        toml = toml.replace('slug = "simple-permit"', f'slug = "{slug}"').replace(
            'process_id = "simple_permit"', f'process_id = "{pid}"').replace('code = "9.000001"', f'code = "{code}"')
        if slug == "caller-permit":
            toml = toml.replace('local_code = "9.000001.H26"', f'local_code = "9.000011.H26"\nuses = {uses}')
        (folder / "procedure.toml").write_text(toml, encoding="utf-8")
    return root


def test_a_call_activity_runs_the_process_of_another_package(rt, session, users, tmp_path):
    from bpmn.validation import validate_path
    from engine.models import Task
    root = _library_with_a_call(tmp_path)
    assert [p for p in validate_path(root) if p.is_error] == []
    pkg = load_package(root / "caller-permit")
    assert set(pkg.called) == {"identity-check"} and set(pkg.forms) == {"examine.json", "verify.json"}
    deploy_path(rt, session, root / "caller-permit", actor=None, now=rt.clock.now())
    session.commit()
    d = receive(rt, session, users, procedure="caller-permit").dossier
    assert [t.bpmn_id for t in session.scalars(select(Task).where(Task.dossier_id == d.id))] == ["verify"]
    act(rt, session, users, d.id, "verify", {"note": "đúng"})
    act(rt, session, users, d.id, "examine", {"note": "xong"})
    session.refresh(d)
    assert d.status == "returned"


def test_a_call_of_a_package_not_used_names_the_fix(tmp_path):
    from bpmn.validation import validate_path
    root = _library_with_a_call(tmp_path, uses="[]")
    problems = [p for p in validate_path(root / "caller-permit") if p.is_error]
    assert problems and problems[0].element_id == "check"
    assert "not in this file nor in a package this one uses (procedure.toml: uses" in problems[0].message
    missing = _library_with_a_call(tmp_path / "other", uses='["no-such-package"]')
    assert any("uses: no package 'no-such-package' next to this one" in p.message
               for p in validate_path(missing / "caller-permit"))


def test_simulation_counts_the_called_packages_longest_path(tmp_path):
    from engine.studio.simulation import simulate
    sim = simulate(load_package(_library_with_a_call(tmp_path) / "caller-permit"))
    assert [(p.label, [s.seconds for s in p.steps]) for p in sim.paths] == \
        [("check → examine → end_caller_permit", [4 * 3600, 4 * 3600])]


def test_a_draft_in_memory_is_validated_as_the_cli_does(rt, session):
    from engine.studio.lint import validate_draft
    toml = (SIMPLE / "procedure.toml").read_text(encoding="utf-8")
    bpmn = (SIMPLE / "simple-permit.bpmn").read_text(encoding="utf-8")
    forms = {p.name: __import__("json").loads(p.read_text(encoding="utf-8")) for p in (SIMPLE / "forms").glob("*.json")}
    clean = validate_draft(rt, session, slug="simple-permit", toml_text=toml, bpmn_text=bpmn, forms=forms)
    assert [m for m in clean if m["severity"] == "error"] == []
    broken = validate_draft(rt, session, slug="simple-permit", toml_text=toml.replace("value = 3", "value = 0"),
                            bpmn_text=bpmn.replace('name="leader"', 'name="justice:leader"'), forms={})
    found = {(m["file"], m["element_id"]) for m in broken if m["severity"] == "error"}
    assert ("procedure.toml", "deadline") in found and ("simple-permit.bpmn", "Lane_leader") in found
    assert ("simple-permit.bpmn", "examine") in found  # its form is not in forms/
    assert validate_draft(rt, session, slug="../x", toml_text="", bpmn_text="")[0]["message"].startswith("slug:")


def test_a_draft_that_uses_a_library_package(rt, session, tmp_path):
    from engine.studio.lint import validate_draft
    root = _library_with_a_call(tmp_path)
    folder = root / "caller-permit"
    forms = {"examine.json": {"type": "object", "properties": {"note": {"type": "string"}}}}
    args = dict(slug="caller-permit", toml_text=(folder / "procedure.toml").read_text(encoding="utf-8"),
                bpmn_text=(folder / "caller-permit.bpmn").read_text(encoding="utf-8"), forms=forms)
    assert [m for m in validate_draft(rt, session, **args, library=root) if m["severity"] == "error"] == []
    assert any("uses: no package 'identity-check'" in m["message"] for m in validate_draft(rt, session, **args))
