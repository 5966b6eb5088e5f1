"""The procedure library's diagrams, run path by path on the bare SpiffWorkflow engine, in memory.

For each procedure: parse with the XSD validator, walk every path an official can take (happy path,
supplement then approve, refusal, send back then approve), and check at each step which lane and task the
official meets, that the data they submit passes the task's form, that the form refuses data missing a
required field, and which end event (and so which final dossier status) is reached. The budgets on the
happy path, and on the longest loop-free path, must fit in the legal deadline.
"""
from __future__ import annotations

import copy
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from lxml import etree
from samples import (
    BIRTH,
    BR_APPROVE,
    HH_APPROVE,
    HH_ISSUE,
    HOUSEHOLD,
    PATH_CASES,
    PROCEDURES,
    RETURN_COUNTER,
    RETURN_ONLINE,
    RETURN_POSTAL,
    SIGN_APPROVE,
    SIGN_SEND_BACK,
    SUPPLEMENT_RECEIVED,
    Procedure,
    examine_supplement,
    paths,
)
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from bpmn.durations import parse_duration

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
WORKING_DAY_HOURS = 8
ROLES = {"reception", "specialist", "head", "leader", "clerk"}
STATUSES = {"received", "processing", "supplement_requested", "awaiting_payment", "processed", "returned",
            "refused", "withdrawn", "stopped"}
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER



# ------------------------------------------------------------------ helpers

def folder(p: Procedure) -> Path:
    return WORKFLOWS / p.slug


def bpmn_file(p: Procedure) -> Path:
    return folder(p) / f"{p.slug}.bpmn"


_SPECS: dict[str, tuple] = {}


def spec_of(p: Procedure):
    if p.slug not in _SPECS:
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_file(str(bpmn_file(p)))
        _SPECS[p.slug] = (parser.get_spec(p.process_id), parser.get_subprocess_specs(p.process_id))
    return _SPECS[p.slug]


def toml_of(p: Procedure) -> dict:
    return tomllib.loads((folder(p) / "procedure.toml").read_text(encoding="utf-8"))


def form_validator(p: Procedure, form: str) -> Draft202012Validator:
    schema = json.loads((folder(p) / "forms" / form).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def props(task_spec) -> dict:
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties") or {})


def hours(budget: str) -> float:
    d = parse_duration(budget)
    return d.days * WORKING_DAY_HOURS + d.seconds / 3600


def deadline_hours(p: Procedure) -> float:
    deadline = toml_of(p)["deadline"]
    if deadline["unit"] == "same_day":
        return WORKING_DAY_HOURS
    assert deadline["unit"] == "working_days"
    return deadline["value"] * WORKING_DAY_HOURS


@dataclass
class Run:
    met: list[tuple[str, str]]
    statuses: list[str]
    budgets: list[str]
    end_status: str
    end_ids: list[str]


def run_path(p: Procedure, steps: list[tuple[str, str, dict]]) -> Run:
    spec, subprocesses = spec_of(p)
    wf = BpmnWorkflow(spec, subprocesses)
    met, statuses, budgets = [], [], []
    wf.do_engine_steps()
    for lane, bpmn_id, data in steps:
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        assert len(ready) == 1, f"expected one open task, got {[t.task_spec.bpmn_id for t in ready]}"
        task = ready[0]
        ts = task.task_spec
        met.append((ts.lane, ts.bpmn_id))
        assert (ts.lane, ts.bpmn_id) == (lane, bpmn_id), f"step {len(met)}: met {met[-1]}, expected {(lane, bpmn_id)}"
        pr = props(ts)
        statuses.append(pr.get("status"))
        if "budget" in pr:
            budgets.append(pr["budget"])
        errors = [e.message for e in form_validator(p, pr["form"]).iter_errors(data)]
        assert not errors, f"{bpmn_id}: submitted data fails {pr['form']}: {errors}"
        if "outcomes" in pr:
            assert data["outcome"] in pr["outcomes"].split(",")
        task.data.update(copy.deepcopy(data))
        task.run()
        wf.do_engine_steps()
    assert wf.is_completed(), f"not completed after {met}; open: {[t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.READY)]}"
    ends = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.__class__.__name__ == "EndEvent"]
    assert len(ends) == 1, [t.task_spec.bpmn_id for t in ends]
    return Run(met, statuses, budgets, props(ends[0].task_spec)["status"], [t.task_spec.bpmn_id for t in ends])


# ------------------------------------------------------------------ the paths

@pytest.mark.parametrize("p, path_name", PATH_CASES)
def test_path(p: Procedure, path_name: str):
    steps, end_status = paths(p)[path_name]
    run = run_path(p, steps)
    assert run.met == [(lane, bpmn_id) for lane, bpmn_id, _ in steps]
    assert run.end_status == end_status
    assert run.end_ids == ["end_returned" if end_status == "returned" else "end_refused"]
    assert run.met[-1][0] == "reception"
    if "wait_supplement" in [bpmn_id for _, bpmn_id, _ in steps]:
        assert "supplement_requested" in run.statuses


@pytest.mark.parametrize("p", PROCEDURES, ids=lambda p: p.slug)
def test_happy_path_budgets_fit_the_legal_deadline(p: Procedure):
    steps, _ = paths(p)["happy"]
    run = run_path(p, steps)
    total = sum(hours(b) for b in run.budgets)
    assert len(run.budgets) == len(steps)  # every step on the happy path has a budget
    assert 0 < total <= deadline_hours(p)


def test_exact_budget_split():
    """The split agreed for each procedure (working hours, 8 h a day)."""
    hh = run_path(HOUSEHOLD, paths(HOUSEHOLD)["happy"][0])
    assert [hours(b) for b in hh.budgets] == [12, 8, 2, 2]          # P1DT4H, P1D, PT2H, PT2H = 3 days
    br = run_path(BIRTH, paths(BIRTH)["happy"][0])
    assert [hours(b) for b in br.budgets] == [2, 1, 1]              # same day


# ------------------------------------------------------------------ static checks on the diagrams

def _graph(p: Procedure):
    root = etree.parse(str(bpmn_file(p))).getroot()
    process = root.find(f"bpmn:process[@id='{p.process_id}']", NS)
    nodes = {}
    for el in process:
        if not isinstance(el.tag, str):
            continue
        tag = etree.QName(el).localname
        if tag not in ("laneSet", "sequenceFlow", "documentation", "extensionElements"):
            nodes[el.get("id")] = (tag, el)
    flows = [(f.get("id"), f.get("sourceRef"), f.get("targetRef"), f) for f in process.findall("bpmn:sequenceFlow", NS)]
    return root, process, nodes, flows


def _el_props(el) -> dict:
    return {prop.get("name"): prop.get("value")
            for prop in el.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}


@pytest.mark.parametrize("p", PROCEDURES, ids=lambda p: p.slug)
def test_longest_loop_free_path_fits_the_deadline(p: Procedure):
    _, _, nodes, flows = _graph(p)
    succ: dict[str, list[str]] = {}
    for _, src, tgt, _ in flows:
        succ.setdefault(src, []).append(tgt)

    def weight(nid):
        tag, el = nodes[nid]
        pr = _el_props(el)
        return hours(pr["budget"]) if tag == "userTask" and "budget" in pr else 0

    longest = 0.0

    def walk(nid, seen, total):
        nonlocal longest
        total += weight(nid)
        if nodes[nid][0] == "endEvent":
            longest = max(longest, total)
        for nxt in succ.get(nid, []):
            if nxt not in seen:
                walk(nxt, seen | {nxt}, total)

    start = next(nid for nid, (tag, _) in nodes.items() if tag == "startEvent")
    walk(start, {start}, 0.0)
    assert 0 < longest <= deadline_hours(p)


@pytest.mark.parametrize("p", PROCEDURES, ids=lambda p: p.slug)
def test_diagram_conventions(p: Procedure):
    root, process, nodes, flows = _graph(p)
    meta = toml_of(p)
    assert meta["slug"] == p.slug and meta["process_id"] == p.process_id
    assert process.get("isExecutable") == "true"
    # lanes are role codes; every flow node sits in exactly one lane
    lane_of = {}
    for lane in process.findall("bpmn:laneSet/bpmn:lane", NS):
        assert lane.get("name") in ROLES
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            assert ref.text not in lane_of
            lane_of[ref.text] = lane.get("name")
    assert set(lane_of) == set(nodes)
    forms_dir = folder(p) / "forms"
    used_forms = set()
    outcomes_of = {}
    for nid, (tag, el) in nodes.items():
        assert el.get("name"), f"{nid} has no name"
        pr = _el_props(el)
        if tag == "userTask":
            assert pr.get("status") in STATUSES
            if pr.get("pause") == "true":
                assert "budget" not in pr and pr["status"] == "supplement_requested"
            else:
                assert parse_duration(pr["budget"]).seconds or parse_duration(pr["budget"]).days
            assert (forms_dir / pr["form"]).is_file(), pr["form"]
            used_forms.add(pr["form"])
            schema = json.loads((forms_dir / pr["form"]).read_text(encoding="utf-8"))
            outcomes = pr["outcomes"].split(",") if "outcomes" in pr else []
            outcomes_of[nid] = outcomes
            if outcomes:  # the form's outcome enum lists exactly the task's outcomes
                assert schema["properties"]["outcome"]["enum"] == outcomes
                assert "outcome" in schema["required"]
            else:
                assert "outcome" not in schema.get("properties", {})
        elif tag == "endEvent":
            assert pr.get("status") in {"returned", "refused"}
    # every form is a task's, except reception.json: the desk's form at reception (engine.dossiers.RECEPTION_FORM)
    assert used_forms == {f.name for f in forms_dir.glob("*.json") if f.name != "reception.json"}
    # every exclusive gateway covers every outcome of the task before it, or has a default flow
    for nid, (tag, el) in nodes.items():
        if tag != "exclusiveGateway":
            continue
        (source,) = [src for _, src, tgt, _ in flows if tgt == nid]
        out = [f for _, src, _, f in flows if src == nid]
        conditions = {f.findtext("bpmn:conditionExpression", namespaces=NS) for f in out}
        covered = {f'outcome == "{o}"' for o in outcomes_of[source]}
        assert el.get("default") or covered <= conditions, (nid, conditions)
    # the start leads to the specialist's examination; the last step before each end is the reception desk
    start = next(nid for nid, (tag, _) in nodes.items() if tag == "startEvent")
    assert [tgt for _, src, tgt, _ in flows if src == start] == ["examine"]
    for nid, (tag, _) in nodes.items():
        if tag == "endEvent":
            (before,) = [src for _, src, tgt, _ in flows if tgt == nid]
            assert lane_of[before] == "reception" and before in ("return_result", "return_refusal")
    # full DI: a shape per flow node, lane and the pool, an edge per flow
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    shapes = {s.get("bpmnElement") for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in plane.findall("bpmndi:BPMNEdge", NS)}
    lanes = {lane.get("id") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)}
    participant = root.find("bpmn:collaboration/bpmn:participant", NS)
    assert participant.get("processRef") == p.process_id
    assert shapes == set(nodes) | lanes | {participant.get("id")}
    assert edges == {fid for fid, *_ in flows}


# ------------------------------------------------------------------ forms

def _all_forms():
    return [pytest.param(p, f.name, id=f"{p.slug}-{f.name}") for p in PROCEDURES
            for f in sorted((folder(p) / "forms").glob("*.json"))]


@pytest.mark.parametrize("p, form", _all_forms())
def test_form_is_a_titled_draft_2020_12_schema(p: Procedure, form: str):
    schema = json.loads((folder(p) / "forms" / form).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["title"] and schema["description"] and schema["required"]
    for name, prop in schema["properties"].items():
        assert prop.get("title"), f"{form}: property {name} has no title"
        if "enum" in prop:
            assert set(prop["x-ui"]["labels"]) == set(prop["enum"]), f"{form}: {name} labels"


def _required_keys(validator: Draft202012Validator, data: dict) -> list[str]:
    """Top-level keys of `data` whose absence the form notices (unconditional or conditional `required`)."""
    return [key for key in data if not validator.is_valid({k: v for k, v in data.items() if k != key})]


@pytest.mark.parametrize("p, path_name", PATH_CASES)
def test_forms_reject_data_missing_a_required_field(p: Procedure, path_name: str):
    """Every step's submitted data passes its form, and fails it without any one required field."""
    _, _, nodes, _ = _graph(p)
    for _, bpmn_id, data in paths(p)[path_name][0]:
        form = _el_props(nodes[bpmn_id][1])["form"]
        v = form_validator(p, form)
        assert v.is_valid(data), f"{bpmn_id}: {[e.message for e in v.iter_errors(data)]}"
        for key in v.schema["required"]:  # the unconditionally required ones
            assert not v.is_valid({k: val for k, val in data.items() if k != key}), f"{form} accepts data without {key}"
        assert _required_keys(v, data), f"{form}: nothing in {sorted(data)} is required"


@pytest.mark.parametrize("p", PROCEDURES, ids=lambda p: p.slug)
def test_conditional_requirements(p: Procedure):
    examine = form_validator(p, "examine.json")
    supplement = examine_supplement()
    for key in ("reason", "missing_documents"):
        assert not examine.is_valid({k: v for k, v in supplement.items() if k != key})
    assert not examine.is_valid({**supplement, "missing_documents": []})
    assert not examine.is_valid({"outcome": "refuse"})
    assert not examine.is_valid({"outcome": "refuse", "reason": "  "})
    assert not examine.is_valid({"outcome": "approve"})
    assert not examine.is_valid({"outcome": "reject", "reason": "x"})  # not an outcome of the task
    for key in (k for k in p.approve if k not in ("outcome", "employees", "father")):
        assert not examine.is_valid({k: v for k, v in p.approve.items() if k != key}), f"approve without {key}"
    for form in ("sign.json", "sign_refusal.json"):
        sign = form_validator(p, form)
        assert not sign.is_valid({"outcome": "send_back"})
        assert not sign.is_valid({"outcome": "approve"})  # how it was signed
        assert sign.is_valid(SIGN_SEND_BACK) and sign.is_valid(SIGN_APPROVE)
    for form in ("return_result.json", "return_refusal.json"):
        ret = form_validator(p, form)
        assert not ret.is_valid({"delivery": "postal"})  # the postal tracking number
        assert not ret.is_valid({"delivery": "counter"})  # who collected it
        assert not ret.is_valid({"delivery": "fax"})
        assert ret.is_valid(RETURN_POSTAL) and ret.is_valid(RETURN_COUNTER) and ret.is_valid(RETURN_ONLINE)
    wait = form_validator(p, "wait_supplement.json")
    assert not wait.is_valid({**SUPPLEMENT_RECEIVED, "documents_received": []})


def test_birth_form_details():
    examine = form_validator(BIRTH, "examine.json")
    no_father = {k: v for k, v in BR_APPROVE.items() if k != "father"}
    assert examine.is_valid(no_father)  # a child whose father is not determined
    bad_date = copy.deepcopy(BR_APPROVE)
    bad_date["child"]["date_of_birth"] = "20/02/2026"
    assert not examine.is_valid(bad_date)
    no_sex = copy.deepcopy(BR_APPROVE)
    del no_sex["child"]["sex"]
    assert not examine.is_valid(no_sex)
    bad_id = copy.deepcopy(BR_APPROVE)
    bad_id["child"]["personal_id_number"] = "12345"
    assert not examine.is_valid(bad_id)
    no_relationship = copy.deepcopy(BR_APPROVE)
    del no_relationship["declarant"]["relationship"]
    assert not examine.is_valid(no_relationship)


def test_household_form_details():
    examine = form_validator(HOUSEHOLD, "examine.json")
    assert not examine.is_valid({**HH_APPROVE, "name_checked": False})  # the name must have been checked
    assert not examine.is_valid({**HH_APPROVE, "business_lines": []})
    issue = form_validator(HOUSEHOLD, "issue.json")
    assert not issue.is_valid({**HH_ISSUE, "sealed": False})
    assert not issue.is_valid({**HH_ISSUE, "issued_on": "04/03/2026"})


@pytest.mark.parametrize("p", PROCEDURES, ids=lambda p: p.slug)
def test_catalog_entry(p: Procedure):
    meta = toml_of(p)
    assert meta["level"] == "commune" and meta["agency_kind"] == "commune"
    assert meta["channels"] == ["counter", "online", "postal"]
    assert meta["documents"] and all(d["name_vi"] for d in meta["documents"])
    assert meta["fees"] and all(isinstance(f["amount"], int) for f in meta["fees"])
    if p is BIRTH:
        assert meta["deadline"] == {"unit": "same_day", "cutoff": "15:00"}
    else:
        assert meta["deadline"] == {"unit": "working_days", "value": 3}
