"""Our BPMN extension properties (`spiffworkflow:properties`) read into frozen dataclasses.

A user task carries `budget`, `form`, `outcomes`, `pause` and `status`; an end event may carry
`status`. SpiffWorkflow hands every value over as a string, so all checking of those strings lives here,
next to the code that reads them: the validator reports these messages, the engine gets typed values.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins import EndEventMixin as EndEvent

from bpmn.durations import Duration, parse_duration

#: Dossier statuses a diagram may name (task `status`, end event `status`).
STATUSES = (
    "received", "processing", "supplement_requested", "awaiting_payment", "processed",
    "returned", "refused", "withdrawn", "stopped",
)
#: What an end event without `status` means: the result was returned to the citizen.
DEFAULT_END_STATUS = "returned"
USER_TASK_PROPERTIES = ("budget", "form", "outcomes", "pause", "status", "agency", "branch")
#: names the engine sets in every workflow's data: a step's branch data may not replace them
ENGINE_NAMES = ("channel", "received_at", "clock_started_at", "due_at")
#: spiff-arena's name for a step's JSON Schema: read as `form` (the file must be in forms/)
FORM_ALIASES = ("formJsonSchemaFilename",)
#: form properties of other tools that cannot be honoured, with what to do instead (refused, not ignored:
#: a step whose form is ignored would run with no checks on its data)
FOREIGN_FORM_PROPERTIES = {
    "formUiSchemaFilename": "spiff-arena's UI schema is not read here: put its hints in the form's \"x-ui\" "
                            "(forms/<name>.json) and remove this property",
    "formKey": "a Camunda form key is not read here: write the form as a JSON Schema in forms/ and set the "
               "property form = \"x.json\"",
}
END_EVENT_PROPERTIES = ("status",)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORM_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.json$")


@dataclass(frozen=True)
class UserTaskInfo:
    """What the engine needs to know about a user task, typed."""

    bpmn_id: str
    name: str
    lane: str | None
    role: str | None
    agency_kind: str | None
    budget: Duration | None
    form: str | None
    outcomes: tuple[str, ...]
    pauses_clock: bool
    status: str | None
    #: the data field whose value (an agency code) names the agency that does this step; None: the lane's
    #: agency kind nearest to the dossier's agency, or the dossier's agency itself
    agency_field: str | None = None
    #: the step's completed data is kept under this name (`police["outcome"]`), not merged into the top
    #: level, so that parallel branches do not overwrite each other's values when they join
    branch: str | None = None


def split_lane(lane: str | None) -> tuple[str | None, str | None]:
    """Split a lane name into (agency_kind, role): `police:specialist` -> ("police", "specialist")."""
    if not lane:
        return None, None
    agency, sep, role = lane.strip().partition(":")
    if not sep:
        return None, agency.strip()
    return agency.strip() or None, role.strip() or None


def parse_outcomes(text: str | None) -> tuple[str, ...]:
    """Parse `approve,reject`; raise ValueError unless every item is a simple identifier, once."""
    if text is None or not text.strip():
        return ()
    items = tuple(item.strip() for item in text.split(","))
    for item in items:
        if not _IDENTIFIER.match(item):
            raise ValueError(f"outcome {item!r} is not a simple identifier (letters, digits, _)")
    duplicates = sorted({item for item in items if items.count(item) > 1})
    if duplicates:
        raise ValueError(f"outcome {duplicates[0]!r} is listed twice")
    return items


def parse_flag(text: str | None) -> bool:
    """Read a "true"/"false" property; a missing one is false."""
    if text is None:
        return False
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise ValueError(f"{text!r} must be \"true\" or \"false\"")
    return value == "true"


def form_of(props: Mapping[str, str]) -> str | None:
    """The form file a step names: `form`, or spiff-arena's `formJsonSchemaFilename` (same meaning)."""
    for name in ("form", *FORM_ALIASES):
        if props.get(name) is not None:
            return props[name]
    return None


def properties_of(task_spec) -> dict[str, str]:
    """Return the `spiffworkflow:properties` of a task spec (empty when it has none)."""
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def user_task_problems(props: Mapping[str, str]) -> list[tuple[str, str]]:
    """List (severity, message) for a user task's properties; [] when they are all usable."""
    out: list[tuple[str, str]] = []
    for name in props:
        if name not in USER_TASK_PROPERTIES + FORM_ALIASES + tuple(FOREIGN_FORM_PROPERTIES):
            out.append(("warning", f"unknown property {name!r} (known: {', '.join(USER_TASK_PROPERTIES)})"))
    try:
        pauses = parse_flag(props.get("pause"))
    except ValueError as exc:
        out.append(("error", f"property pause: {exc}"))
        pauses = True  # do not also demand a budget because of a typo in `pause`
    budget = props.get("budget")
    if budget is None:
        if not pauses:
            out.append(("error", "property budget is missing: give the step's share of the legal time "
                                 "as a working-time duration (PT4H, P1D), or pause=\"true\" for a wait "
                                 "on the citizen"))
    else:
        try:
            if parse_duration(budget).is_zero:
                out.append(("error", "property budget: a step needs more than zero working time"))
        except ValueError as exc:
            out.append(("error", f"property budget: {exc}"))
    out += [("error", f"property {name}: {fix}") for name, fix in FOREIGN_FORM_PROPERTIES.items() if name in props]
    form = form_of(props)
    if form is not None and not _FORM_FILE.match(form.strip()):
        out.append(("error", f"property form: {form!r} must be a file name in forms/ like examine.json"))
    named = {(props.get(name) or "").strip() for name in ("form", *FORM_ALIASES) if props.get(name) is not None}
    if len(named) > 1:
        out.append(("error", f"properties form and {FORM_ALIASES[0]} name different files: keep form"))
    try:
        parse_outcomes(props.get("outcomes"))
    except ValueError as exc:
        out.append(("error", f"property outcomes: {exc}"))
    status = props.get("status")
    if status is not None and status.strip() not in STATUSES:
        out.append(("error", f"property status: {status!r} is not one of {', '.join(STATUSES)}"))
    agency = props.get("agency")
    if agency is not None and not _IDENTIFIER.match(agency.strip()):
        out.append(("error", f"property agency: {agency!r} must name a data field (like residence_commune) whose "
                             f"value is the code of the agency that does this step"))
    branch = props.get("branch")
    if branch is not None and (not _IDENTIFIER.match(branch.strip()) or branch.strip() in ENGINE_NAMES):
        out.append(("error", f"property branch: {branch!r} must be a simple name (like police_check), not one of "
                             f"the engine's {', '.join(ENGINE_NAMES)}: the step's data is kept under it"))
    return out


def end_event_problems(props: Mapping[str, str]) -> list[tuple[str, str]]:
    """List (severity, message) for an end event's properties."""
    out = [("warning", f"unknown property {name!r} on an end event (known: status)")
           for name in props if name not in END_EVENT_PROPERTIES]
    status = props.get("status")
    if status is not None and status.strip() not in STATUSES:
        out.append(("error", f"property status: {status!r} is not one of {', '.join(STATUSES)}"))
    return out


def read_user_task(bpmn_id: str, name: str | None, lane: str | None, props: Mapping[str, str]) -> UserTaskInfo:
    """Build a UserTaskInfo; raise ValueError naming the task and property when a value is unusable."""
    errors = [message for severity, message in user_task_problems(props) if severity == "error"]
    if errors:
        raise ValueError(f"user task {bpmn_id!r}: {errors[0]}")
    agency_kind, role = split_lane(lane)
    budget = props.get("budget")
    form = form_of(props)
    status = props.get("status")
    return UserTaskInfo(
        bpmn_id=bpmn_id,
        name=name or bpmn_id,
        lane=lane,
        role=role,
        agency_kind=agency_kind,
        budget=parse_duration(budget) if budget is not None else None,
        form=form.strip() if form is not None else None,
        outcomes=parse_outcomes(props.get("outcomes")),
        pauses_clock=parse_flag(props.get("pause")),
        status=status.strip() if status is not None else None,
        agency_field=props["agency"].strip() if props.get("agency") else None,
        branch=props["branch"].strip() if props.get("branch") else None,
    )


def user_task_info(task_spec) -> UserTaskInfo:
    """Read a parsed user task spec (its lane and properties) into a UserTaskInfo."""
    return read_user_task(task_spec.bpmn_id, task_spec.bpmn_name, task_spec.lane, properties_of(task_spec))


def end_status(task_spec) -> str | None:
    """Return an end event's `status` property (e.g. "refused"); None for other specs or no status."""
    if not isinstance(task_spec, EndEvent):
        return None
    status = properties_of(task_spec).get("status")
    return status.strip() if status else None


def outcome_comparisons(condition: str | None) -> tuple[set[str], set[str] | None]:
    """Return (every string a condition compares `outcome` with, the values if it is only such tests).

    The second item is None unless the condition is `outcome == "x"`, `outcome in ("x", "y")` or an `or`
    of those: only then can a gateway's conditions be proven to cover every outcome.
    """
    try:
        tree = ast.parse((condition or "").strip(), mode="eval").body
    except SyntaxError:
        return set(), None

    def strings(node) -> set[str] | None:
        items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
        if all(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items):
            return {i.value for i in items}
        return None

    def test(node) -> set[str] | None:  # outcome == "x", "x" == outcome, outcome in ("x", "y")
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            parts = [test(v) for v in node.values]
            return None if None in parts else set().union(*parts)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, op, right = node.left, node.ops[0], node.comparators[0]
            if isinstance(op, ast.Eq) and isinstance(right, ast.Name) and right.id == "outcome":
                left, right = right, left
            if isinstance(left, ast.Name) and left.id == "outcome" and isinstance(op, (ast.Eq, ast.In)):
                return strings(right) if isinstance(op, ast.In) or isinstance(right, ast.Constant) else None
        return None

    compared: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Name) and s.id == "outcome" for s in sides):
                for side in sides:
                    compared |= strings(side) or set()
    return compared, test(tree)
