"""The lint rules, case by case over the broken corpus (tests/data/bpmn/broken): one file or package per
problem, named for it. Each case names the element, severity, a distinctive part of the message and the
line; valid packages (and the procedure library) give no errors."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bpmn.package import Problem
from bpmn.parser import index_diagram, longest_path, read_xml
from bpmn.validation import (
    DEFAULT_AGENCY_KINDS,
    DEFAULT_ROLES,
    validate_package,
    validate_path,
    validation_targets,
)
from config import load_settings

DATA = Path(__file__).resolve().parents[1] / "data" / "bpmn"
BROKEN = DATA / "broken"
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
AT_ID = "at id"  # the line of the element's id="..." in the file


@dataclass(frozen=True)
class Case:
    path: str  # under tests/data/bpmn/broken
    file: str  # how the problem's file name ends
    element_id: str | None
    severity: str
    fragment: str
    line: int | str | None = AT_ID


D, P = "diagrams/", "packages/"
CASES = [
    Case(D + "malformed-xml.bpmn", "malformed-xml.bpmn", None, "error",
         "malformed XML: Opening and ending tag mismatch: userTask line 13 and process", 21),
    Case(D + "not-bpmn.bpmn", "not-bpmn.bpmn", None, "error", "not a BPMN file", 2),
    Case(D + "xsd-unknown-element.bpmn", "xsd-unknown-element.bpmn", "bogus", "error",
         "not valid BPMN (XSD): Element 'bpmn:bogusElement': This element is not expected"),
    Case(D + "no-executable-process.bpmn", "no-executable-process.bpmn", None, "error",
         "no executable process in this file", 2),
    Case(D + "no-start-event.bpmn", "no-start-event.bpmn", "permit", "error", "the process has no start event"),
    Case(D + "user-task-outside-lane.bpmn", "user-task-outside-lane.bpmn", "receive", "error",
         "the user task is not in any lane"),
    Case(D + "lane-unknown-role.bpmn", "lane-unknown-role.bpmn", "Lane_1", "error",
         "lane 'reviewer': unknown role 'reviewer'"),
    Case(D + "lane-unknown-agency-kind.bpmn", "lane-unknown-agency-kind.bpmn", "Lane_1", "error",
         "unknown agency kind 'army'"),
    Case(D + "lane-without-name.bpmn", "lane-without-name.bpmn", "Lane_1", "error", "the lane has no role"),
    Case(D + "budget-missing.bpmn", "budget-missing.bpmn", "receive", "error", "property budget is missing"),
    Case(D + "budget-invalid.bpmn", "budget-invalid.bpmn", "receive", "error",
         "property budget: '3 days' is not an ISO 8601 duration"),
    Case(D + "budget-in-weeks.bpmn", "budget-in-weeks.bpmn", "receive", "error",
         "years, months and weeks are not working-time units"),
    Case(D + "property-unknown.bpmn", "property-unknown.bpmn", "receive", "warning", "unknown property 'buget'"),
    Case(D + "property-without-value.bpmn", "property-without-value.bpmn", "receive", "error",
         "needs both name and value"),
    Case(D + "pause-not-boolean.bpmn", "pause-not-boolean.bpmn", "receive", "error",
         "property pause: 'yes' must be \"true\" or \"false\""),
    Case(D + "status-unknown.bpmn", "status-unknown.bpmn", "receive", "error", "property status: 'done' is not one of"),
    Case(D + "outcomes-not-identifiers.bpmn", "outcomes-not-identifiers.bpmn", "receive", "error",
         "outcome 're-check' is not a simple identifier"),
    Case(D + "end-event-unknown-status.bpmn", "end-event-unknown-status.bpmn", "end", "error",
         "property status: 'finished' is not one of"),
    Case(D + "gateway-outcome-not-covered.bpmn", "gateway-outcome-not-covered.bpmn", "gw", "error",
         "no flow for outcome reject of task 'receive'): add a default flow"),
    Case(D + "gateway-conditions-not-outcomes.bpmn", "gateway-conditions-not-outcomes.bpmn", "gw", "error",
         "the conditions may all be false"),
    Case(D + "gateway-undeclared-outcome.bpmn", "gateway-undeclared-outcome.bpmn", "f_a", "error",
         "condition compares outcome with 'aprove', which task 'receive' does not declare"),
    Case(D + "gateway-flow-without-condition.bpmn", "gateway-flow-without-condition.bpmn", "f_b", "error",
         "no condition and is not its gateway's default flow"),
    Case(D + "condition-syntax-error.bpmn", "condition-syntax-error.bpmn", "f_a", "error",
         "condition: syntax error: invalid syntax"),
    Case(D + "condition-dunder-escape.bpmn", "condition-dunder-escape.bpmn", "f_a", "error",
         "condition: attribute '__class__' is not allowed"),
    Case(D + "condition-comprehension.bpmn", "condition-comprehension.bpmn", "f_a", "error",
         "comprehensions are not allowed in conditions"),
    Case(D + "dead-end.bpmn", "dead-end.bpmn", "receive", "error", "dead end: no outgoing flow"),
    Case(D + "dangling-target.bpmn", "dangling-target.bpmn", "f2", "error",
         "the flow's target 'nowhere' is not a flow node"),
    Case(D + "task-two-outgoing.bpmn", "task-two-outgoing.bpmn", "receive", "error", "2 outgoing flows"),
    Case(D + "call-activity-missing.bpmn", "call-activity-missing.bpmn", "call", "error",
         "calls process 'not_here', which is not in this file"),
    Case(D + "script-import.bpmn", "script-import.bpmn", "calc", "error", "import statements are not allowed"),
    Case(D + "script-open-file.bpmn", "script-open-file.bpmn", "calc", "error", "script: open() is not allowed"),
    Case(D + "script-while-loop.bpmn", "script-while-loop.bpmn", "calc", "error", "line 2: while loops are not allowed"),
    Case(D + "script-getattr-dunder.bpmn", "script-getattr-dunder.bpmn", "calc", "error", "getattr() is not allowed"),
    Case(D + "script-empty.bpmn", "script-empty.bpmn", "calc", "error", "the script is empty"),
    Case(D + "prescript-open-file.bpmn", "prescript-open-file.bpmn", "receive", "error",
         "preScript: open() is not allowed"),
    Case(D + "timer-unquoted-duration.bpmn", "timer-unquoted-duration.bpmn", "remind", "error",
         "needs quotes: \"PT8H\""),
    Case(D + "timer-import.bpmn", "timer-import.bpmn", "remind", "error",
         "timer expression: name '__import__' is not allowed"),
    # Every expression SpiffWorkflow evaluates is checked (issue 10, item 3): these passed validate before.
    Case(D + "service-task-parameter-import.bpmn", "service-task-parameter-import.bpmn", "calc", "error",
         "service task parameter: name '__import__' is not allowed"),
    Case(D + "message-payload-import.bpmn", "message-payload-import.bpmn", "calc", "error",
         "message payload: name '__import__' is not allowed"),
    # A loop needs a bound under the configured ceiling (issue 10, item 2).
    Case(D + "loop-without-maximum.bpmn", "loop-without-maximum.bpmn", "calc", "error",
         "a loop needs loopMaximum, a whole number from 1 to 1000"),
    Case(D + "loop-cardinality-over-ceiling.bpmn", "loop-cardinality-over-ceiling.bpmn", "calc", "error",
         "loopCardinality 10000 is over the configured ceiling of 1000"),
    Case(D + "loop-over-data.bpmn", "loop-over-data.bpmn", "calc", "error",
         "a multi-instance over a collection of task data has no bound"),
    Case(D + "manual-task.bpmn", "manual-task.bpmn", "receive", "error", "use a user task"),
    Case(D + "unreachable-task.bpmn", "unreachable-task.bpmn", "orphan", "warning", "no incoming flow"),
    Case(P + "toml-syntax-error", "procedure.toml", None, "error", "not valid TOML", 19),
    Case(P + "toml-missing-code", "procedure.toml", None, "error", "code: missing (required)", None),
    Case(P + "toml-deadline-unit-weeks", "procedure.toml", "deadline", "error",
         "unit: 'weeks' is not one of working_days, working_hours, calendar_days, same_day", 14),
    Case(P + "toml-deadline-value-zero", "procedure.toml", "deadline", "error", "value: must be a whole number >= 1", 15),
    Case(P + "toml-fee-amount-text", "procedure.toml", "fees #1", "error", "amount: must be a whole number", 19),
    Case(P + "toml-channel-unknown", "procedure.toml", None, "error", "channels: 'fax' is not one of", 10),
    Case(P + "toml-agency-kind-unknown", "procedure.toml", None, "error", "agency_kind: 'district' is not one of", 8),
    Case(P + "toml-slug-not-folder-name", "procedure.toml", None, "error", "must equal the folder name", 1),
    Case(P + "toml-unknown-key", "procedure.toml", None, "warning", "deadline_days: unknown key; did you mean", 10),
    Case(P + "process-id-not-found", "procedure.toml", None, "error",
         "process_id: 'permit_v2' is not a process of process-id-not-found.bpmn (it has: permit)", 3),
    Case(P + "diagram-missing", "diagram-missing.bpmn", None, "error", "missing: the package needs its diagram", None),
    Case(P + "form-missing", "form-missing.bpmn", "receive", "error", "property form: 'receive.json' is not in forms/"),
    Case(P + "form-invalid-json", "forms/receive.json", None, "error", "not valid JSON: Expecting ',' delimiter", 7),
    Case(P + "form-invalid-schema", "forms/receive.json", "$.properties.age.type", "error",
         "not a valid JSON Schema (Draft 2020-12): 'integr' is not valid", None),
    Case(P + "form-unused", "forms/old.json", None, "warning", "no user task uses this form", None),
    Case(P + "budget-over-deadline", "budget-over-deadline.bpmn", "permit", "warning",
         "the budgets on the longest path sum to 3 working days, more than the legal deadline (2 working days)"),
]


def _line_of_id(file: Path, element_id: str) -> int:
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if f'id="{element_id}"' in line:
            return number
    raise AssertionError(f"{element_id} not in {file}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.path.split("/")[-1])
def test_broken_corpus_case(case: Case):
    problems = validate_path(BROKEN / case.path)
    found = [p for p in problems if p.element_id == case.element_id and case.fragment in p.message]
    assert found, f"no problem on {case.element_id!r} with {case.fragment!r}; got:\n" + "\n".join(map(str, problems))
    problem = found[0]
    assert problem.severity == case.severity
    assert problem.file.replace("\\", "/").endswith(case.file)
    line = case.line
    if line == AT_ID:
        line = _line_of_id(Path(problem.file), case.element_id)
    assert problem.line == line, str(problem)


def test_every_corpus_entry_has_a_case():
    entries = {f"diagrams/{p.name}" for p in (BROKEN / "diagrams").glob("*.bpmn")}
    entries |= {f"packages/{p.name}" for p in (BROKEN / "packages").iterdir() if p.is_dir()}
    assert entries == {c.path for c in CASES}


@pytest.mark.parametrize("case", [c for c in CASES if c.severity == "error"], ids=lambda c: c.path.split("/")[-1])
def test_broken_cases_do_not_pass(case: Case):
    assert any(p.is_error for p in validate_path(BROKEN / case.path))


def _besides_reception(problems: list[Problem]) -> list[Problem]:
    """The samples keep the reception step they were written with (a warning since the rule exists)."""
    return [p for p in problems if not (p.element_id == "receive" and p.severity == "warning"
                                         and p.message.startswith("a reception step inside the diagram"))]


@pytest.mark.parametrize("path", ["valid/simple-permit", "modeler/simple-permit", "valid/inter-agency-subprocess.bpmn"])
def test_valid_packages_give_no_problem(path):
    assert _besides_reception(validate_path(DATA / path)) == []


def test_a_folder_with_a_diagram_but_no_procedure_toml_is_an_error():
    # valid/ holds the simple-permit package and a loose diagram: the folder itself is not a package
    problems = _besides_reception(validate_path(DATA / "valid"))
    assert [(Path(p.file).relative_to(DATA).as_posix(), p.severity) for p in problems] == \
        [("valid/procedure.toml", "error")]
    assert problems[0].message.startswith("missing: valid/ holds a diagram but no procedure.toml")


def test_a_package_folder_without_procedure_toml_is_an_error(tmp_path):
    folder = tmp_path / "marriage"
    folder.mkdir()
    (folder / "marriage.bpmn").write_text((DATA / "valid/inter-agency-subprocess.bpmn").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    errors = [p for p in validate_path(folder) if p.is_error]
    assert [Path(p.file).name for p in errors] == ["procedure.toml"] and "not a procedure package" in errors[0].message


def test_a_valid_package_fails_with_roles_it_does_not_know():
    problems = _besides_reception(validate_package(DATA / "valid/simple-permit", roles=("reception", "specialist")))
    assert [(p.element_id, p.severity) for p in problems] == [("Lane_leader", "error")]
    assert "unknown role 'leader'" in problems[0].message


def test_the_budget_rule_follows_the_working_day_length():
    # budgets PT4H + P1D + PT4H on the longest path; the supplement loop and the pause task count nothing.
    # With 8-hour days that is 2 working days, within the legal 3; with 3-hour days it is 11 h > 9 h.
    assert _besides_reception(validate_package(DATA / "valid/simple-permit", working_day_seconds=8 * 3600)) == []
    problems = _besides_reception(validate_package(DATA / "valid/simple-permit", working_day_seconds=3 * 3600))
    assert [(p.element_id, p.severity) for p in problems] == [("simple_permit", "warning")]
    assert problems[0].message == (
        "the budgets on the longest path sum to 3 working days 2 h, more than the legal deadline "
        "(3 working days): receive 1 working day 1 h → examine 1 working day → sign 1 working day 1 h")


def test_a_workflows_root_validates_every_package_sorted_by_file():
    problems = validate_path(BROKEN / "packages")
    files = {Path(p.file).relative_to(BROKEN / "packages").parts[0] for p in problems}
    assert files == {p.name for p in (BROKEN / "packages").iterdir()}
    assert problems == sorted(problems, key=lambda p: (p.file, p.line or 0))


def test_a_folder_without_packages_is_an_error(tmp_path):
    (tmp_path / "drafts").mkdir()
    assert [p.message for p in validate_path(tmp_path)] == ["no procedure here: no procedure.toml or .bpmn file below"]


def test_a_tree_is_searched_for_packages_and_loose_diagrams():
    targets = validation_targets(DATA)
    assert DATA / "valid" / "simple-permit" in targets and DATA / "broken" / "packages" / "form-missing" in targets
    assert DATA / "broken" / "diagrams" / "dead-end.bpmn" in targets
    assert not any(t.is_relative_to(DATA / "valid" / "simple-permit") and t != DATA / "valid" / "simple-permit"
                   for t in targets)  # a package's own diagram is not checked twice
    assert len(targets) == len(CASES) + 4  # + the valid package, the modeler's copy, one loose valid diagram, bpmnio


def test_a_missing_path_raises():
    with pytest.raises(FileNotFoundError):
        validate_path(DATA / "no-such-thing")


def test_problem_prints_like_a_compiler_message():
    assert str(Problem("a/b.bpmn", "gw", 12, "add a default flow")) == "a/b.bpmn:12: [gw] add a default flow (error)"
    assert str(Problem("procedure.toml", "deadline", None, "unit: bad", "warning")) == \
        "procedure.toml: [deadline] unit: bad (warning)"
    assert str(Problem("x.bpmn", None, 3, "malformed XML: oops")) == "x.bpmn:3: malformed XML: oops (error)"


def test_default_roles_and_agency_kinds_are_the_configured_defaults():
    settings = load_settings(environ={})
    assert (DEFAULT_ROLES, DEFAULT_AGENCY_KINDS) == (settings.roles, settings.agency_kinds)


@pytest.mark.skipif(not any(WORKFLOWS.glob("*/procedure.toml")), reason="no procedure in workflows/ yet")
def test_the_procedure_library_has_no_errors():
    problems = validate_path(WORKFLOWS)
    assert not [p for p in problems if p.is_error], "\n".join(map(str, problems))


def test_messages_name_no_namespace_uri():
    for case in CASES:
        for problem in validate_path(BROKEN / case.path):
            assert not re.search(r"\{http", problem.message), str(problem)


def test_subprocess_tasks_take_the_subprocess_lane_and_budgets_sum_through_it():
    path = DATA / "valid" / "inter-agency-subprocess.bpmn"
    d = index_diagram(read_xml(path.read_text(encoding="utf-8"), str(path)), str(path))
    assert d.nodes["verify"].lane == "police:specialist"  # no flowNodeRef: SpiffWorkflow's rule
    # receive 2 h, then the longer branch of the parallel split: the subprocess's 1 working day
    assert longest_path(d, "inter_agency", 8 * 3600) == (10 * 3600, [("receive", 7200), ("police_check", 28800)])
