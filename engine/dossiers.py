"""Dossier use cases: receive, claim, complete, send back, withdraw. Each flushes; the caller commits.

Every action loads the dossier row with its version, restores the workflow onto the cached spec, acts,
and writes back state, task rows, pauses, the audit event and the status in one unit of work. The
dossier's version column turns a concurrent writer's update into a Conflict, never a lost update.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from bpmn.durations import parse_duration
from bpmn.validation import RECEPTION_FORM
from engine import applicant_notices, audit, bounds, forms, interagency, runtime, search, whole_minutes
from engine.access import (
    ASSIGNING_ROLES,
    dossier_in_scope,
    may_work_on,
    require_role,
    require_task_in_scope,
    require_work_on,
    roles_in,
)
from engine.admin.procedures import offered_by
from engine.codes import dossier_code, lookup_secret
from engine.documents import results as document_results
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, WorkflowError
from engine.fees import payment_from_form
from engine.models import (
    CHANNELS,
    OPEN_TASK_STATES,
    Agency,
    ApologyLetter,
    Dossier,
    Extension,
    Pause,
    Procedure,
    ProcedureVersion,
    Task,
    User,
)
from engine.runtime import Runtime
from engine.specs import CompiledVersion
from engine.tasks import sync_tasks, task_deadlines
from engine.writes import flush

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: the times every workflow starts with (receive_dossier); the engine's, never a form's
ENGINE_DATA = frozenset({"received_at", "clock_started_at", "due_at"})
#: RECEPTION_FORM: the optional form of a procedure package for the data the desk takes in with a dossier (the
#: desk page draws it; the data is checked against it, with its defaults, before any workflow starts)
#: a postmark or online record older than this is a typing error, not a dossier arriving now
MAX_CLOCK_AGE = dt.timedelta(days=366)


@dataclass(frozen=True)
class StepResult:
    """What an action changed: the dossier, the task it closed, the tasks it opened or cancelled."""

    dossier: Dossier
    completed: Task | None = None
    created: list[Task] = field(default_factory=list)
    cancelled: list[Task] = field(default_factory=list)


def _local_tz(rt: Runtime) -> ZoneInfo:
    return ZoneInfo(rt.settings.timezone)


def _pauses(session: Session, dossier_id: int) -> list[Pause]:
    return list(session.scalars(select(Pause).where(Pause.dossier_id == dossier_id).order_by(Pause.paused_at)))


def _open_tasks(session: Session, dossier_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.dossier_id == dossier_id,
                                                   Task.state.in_(OPEN_TASK_STATES))))


def _form_fields(compiled: CompiledVersion, bpmn_id: str) -> frozenset[str] | None:
    """The fields the task's form declares; None when it has no form (any field goes)."""
    form = compiled.user_tasks[bpmn_id].form
    schema = compiled.package.forms.get(form) if form else None
    return frozenset(schema.get("properties", {})) if schema is not None else None


def _validate_form(compiled: CompiledVersion, bpmn_id: str, data: dict) -> dict:
    """The task's form data with its JSON Schema's defaults applied, checked against the schema (formats
    included, engine.forms) and the declared outcomes; InvalidInput names every bad field."""
    info = compiled.user_tasks[bpmn_id]
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise InvalidInput("form data must be an object", {"data": ["expected an object"]})
    declared = _form_fields(compiled, bpmn_id)
    for key in data:
        if not _IDENT.match(str(key)):
            errors.setdefault(str(key), []).append("field names are letters, digits and _; not starting with _")
        elif key in ENGINE_DATA:
            errors.setdefault(key, []).append("set by the engine at reception; a form cannot change it")
        elif declared is not None and key not in declared and not (key == "outcome" and info.outcomes):
            # undeclared fields would land in the workflow data, where gateways and later steps read them
            errors.setdefault(str(key), []).append(f"not a field of the form '{info.form}'")
    if info.form and info.form in compiled.form_validators:
        try:
            data = forms.prepare(compiled.package.forms[info.form], data,
                                 validator=compiled.form_validators[info.form], title=info.form)
        except InvalidInput as exc:
            for path, messages in exc.errors.items():
                errors.setdefault(path, []).extend(messages)
    if info.outcomes and data.get("outcome") not in info.outcomes:
        errors.setdefault("outcome", []).append(f"must be one of: {', '.join(info.outcomes)}")
    if errors:
        raise InvalidInput(f"the form of '{info.name}' has errors", errors)
    return data


def _dossier_status(compiled: CompiledVersion, workflow, open_tasks: list[Task]) -> str:
    if workflow.completed:
        statuses = runtime.reached_end_statuses(workflow, compiled)
        return statuses[-1] if statuses else "returned"
    for row in open_tasks:
        status = compiled.user_tasks[row.bpmn_id].status
        if status:
            return status
    return "processing"


_CURRENT_VERSION_ID = (
    select(ProcedureVersion.id).join(Procedure)
    .where(Procedure.slug == bindparam("slug"), ProcedureVersion.version == Procedure.current_version)
)


def current_version(rt: Runtime, session: Session, slug: str) -> CompiledVersion:
    """The parsed version of a procedure that new dossiers start on (one small query; the rest is cached)."""
    version_id = session.connection().execute(_CURRENT_VERSION_ID, {"slug": slug}).scalar_one_or_none()
    if version_id is None:
        raise NotFound(f"no deployed procedure '{slug}'")
    return rt.compiled_version(session, version_id)


def receive_dossier(rt: Runtime, session: Session, *, procedure: str, agency_id: int, channel: str,
                    applicant: dict, actor: User | None, now: dt.datetime, data: dict | None = None,
                    clock_started_at: dt.datetime | None = None) -> StepResult:
    """Receive a complete dossier: code, appointment from the legal deadline, workflow started.

    The legal clock starts at the counter at reception; for a postal dossier at the postmark and for an
    online one when the system recorded it complete (`clock_started_at`).
    """
    errors: dict[str, list[str]] = {}
    if channel not in CHANNELS:
        errors["channel"] = [f"must be one of: {', '.join(CHANNELS)}"]
    name = (applicant or {}).get("name") if isinstance(applicant, dict) else None
    if not isinstance(name, str) or not name.strip():
        errors["applicant.name"] = ["required"]
    if channel == "postal" and clock_started_at is None:
        errors["clock_started_at"] = ["the postmark time is required for a postal dossier"]
    if clock_started_at is not None:
        if clock_started_at.tzinfo is None:
            errors["clock_started_at"] = ["needs a time zone offset"]
        elif clock_started_at > now:
            errors["clock_started_at"] = ["cannot be in the future"]
        elif clock_started_at < now - MAX_CLOCK_AGE:
            errors["clock_started_at"] = [f"more than {MAX_CLOCK_AGE.days} days ago: check the postmark's year"]
    data = data or {}
    bad_keys = [k for k in data if not _IDENT.match(str(k)) or k in ENGINE_DATA]
    if bad_keys:
        errors["data"] = [f"bad field names: {', '.join(map(str, bad_keys))}"]
    elif bounds.data_too_large(data, rt.settings.reception_data_values, rt.settings.reception_data_chars):
        # it would become workflow state, read and written again on every action of the dossier
        errors["data"] = [f"too large: at most {rt.settings.reception_data_values:,} values and "
                          f"{rt.settings.reception_data_chars:,} characters (limits.reception_data_*)"]
    if errors:
        raise InvalidInput("the dossier cannot be received", errors)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id}")
    require_role(actor, agency.id, {"reception"}, "receiving a dossier")
    compiled = current_version(rt, session, procedure)
    meta = compiled.meta
    if agency.kind != meta.agency_kind:
        raise InvalidInput(f"'{meta.name_vi}' is handled by a {meta.agency_kind} agency, not a {agency.kind}",
                           {"agency_id": [f"expected an agency of kind {meta.agency_kind}"]})
    if channel not in meta.channels:
        raise InvalidInput(f"'{meta.name_vi}' is not offered by {channel}", {"channel": list(meta.channels)})
    if not offered_by(session, agency.id, procedure):
        raise InvalidInput(f"'{meta.name_vi}' is not offered by {agency.name} (switched off by its administrator)",
                           {"procedure": ["not offered by this agency"]})
    reception_schema = compiled.package.forms.get(RECEPTION_FORM)
    if reception_schema is not None:
        data = forms.prepare(reception_schema, data, title=RECEPTION_FORM)

    calendar = rt.calendars.get(session)
    started = clock_started_at or now
    due = whole_minutes.due(calendar.legal_due(started, meta.deadline, (), meta.same_day_cutoff))
    # What every diagram may read (timers count from them): the engine's values, not the caller's.
    seeded = {"channel": channel, "received_at": now.isoformat(), "clock_started_at": started.isoformat(),
              "due_at": due.isoformat()}  # ENGINE_DATA
    workflow = runtime.start(rt, compiled, {**data, **seeded}, now)

    code = dossier_code(session, agency, now.astimezone(_local_tz(rt)).date())
    dossier = Dossier(
        code=code, lookup_secret=lookup_secret(), search_key=search.dossier_key(code, name.strip()),
        procedure_version_id=compiled.version_id, agency_id=agency.id, channel=channel, status="received",
        applicant_name=name.strip(), applicant=applicant, received_by_id=actor.id if actor else None,
        received_at=now, clock_started_at=started, appointment_at=due, due_at=due, legal_due_at=due,
    )
    runtime.save(rt, session, dossier, workflow)
    session.add(dossier)
    created, _ = sync_tasks(session, calendar, rt.settings.risk_threshold, dossier, lambda: agency, compiled,
                            workflow, [], now)
    _open_pause_if_waiting(session, dossier, created, now)
    interagency.after_step(session, calendar, dossier, compiled, created, now, sent_by=actor,
                           finished=workflow.completed)
    _require_something_to_wait_for(dossier, workflow, created)
    dossier.status = _dossier_status(compiled, workflow, created)
    audit.record(session, "received", dossier=dossier, actor=actor, at=now, channel=channel,
                 appointment_at=due.isoformat(), procedure_version_id=compiled.version_id)
    flush(session)
    applicant_notices.after_reception(session, rt.settings, dossier, now, meta.name_vi)
    return StepResult(dossier, created=created)


def _load_task(session: Session, task_id: int) -> tuple[Task, Dossier]:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    dossier = session.get(Dossier, task.dossier_id)
    return task, dossier


# Built once: constructing a statement costs more than running it here.
_OWNER = select(Task.dossier_id).where(Task.id == bindparam("task_id")).scalar_subquery()
_TASK_WITH_SIBLINGS = (
    select(Task, Dossier).join(Dossier, Task.dossier_id == Dossier.id)
    .where(Task.dossier_id == _OWNER, or_(Task.id == bindparam("task_id"), Task.state.in_(OPEN_TASK_STATES)))
)


def _load_task_with_siblings(session: Session, task_id: int) -> tuple[Task, Dossier, list[Task]]:
    """The task, its dossier and the dossier's other open tasks, in one query."""
    rows = session.execute(_TASK_WITH_SIBLINGS, {"task_id": task_id}).all()
    task = next((t for t, _ in rows if t.id == task_id), None)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task, rows[0][1], [t for t, _ in rows if t.id != task_id]


def _require_open(task: Task) -> None:
    if task.state not in OPEN_TASK_STATES:
        raise Conflict(f"task {task.id} is already {task.state}")


def claim_task(rt: Runtime, session: Session, task_id: int, *, actor: User, now: dt.datetime) -> Task:
    """Take a task from the group inbox into one's own."""
    task, dossier = _load_task(session, task_id)
    require_work_on(actor, task)
    _require_open(task)
    interagency.require_confirmed(session, task, rt.compiled(session, dossier).meta)
    if task.assignee_id not in (None, actor.id):
        raise Conflict(f"task {task.id} is already claimed by another official")
    if task.assignee_id == actor.id and task.state == "claimed":
        return task  # a repeated claim (a double click, a retry): no second audit row, claimed_at kept
    task.assignee_id, task.state, task.claimed_at = actor.id, "claimed", now
    audit.record(session, "claimed", dossier_id=dossier.id, task_id=task.id, actor=actor, at=now)
    flush(session)
    return task


def unclaim_task(rt: Runtime, session: Session, task_id: int, *, actor: User, now: dt.datetime) -> Task:
    """Put a claimed task back into the group inbox (its claimer, or a head and above of the agency)."""
    task, dossier = _load_task(session, task_id)
    require_task_in_scope(actor, task)
    may_assign = actor.is_admin or bool(roles_in(actor, task.agency_id) & ASSIGNING_ROLES)
    if not (may_work_on(actor, task) or may_assign):
        raise Forbidden(f"task {task.id} belongs to another agency or role")
    _require_open(task)
    if task.assignee_id != actor.id and not may_assign:
        raise Conflict(f"task {task.id} is not claimed by you")
    task.assignee_id, task.state, task.claimed_at = None, "ready", None
    audit.record(session, "unclaimed", dossier_id=dossier.id, task_id=task.id, actor=actor, at=now)
    flush(session)
    return task


def assign_task(rt: Runtime, session: Session, task_id: int, assignee_id: int, *, actor: User,
                now: dt.datetime) -> Task:
    """Hand a task to a colleague holding its role (heads, leaders and supervisors of the agency)."""
    task, dossier = _load_task(session, task_id)
    require_task_in_scope(actor, task)
    require_role(actor, task.agency_id, ASSIGNING_ROLES, "assigning a task")
    _require_open(task)
    assignee = session.get(User, assignee_id)
    if assignee is None or not assignee.is_active or task.role not in roles_in(assignee, task.agency_id):
        raise InvalidInput(f"the assignee must hold the role '{task.role}' in this agency",
                           {"assignee_id": ["not an official of this role and agency"]})
    task.assignee_id, task.state, task.claimed_at = assignee.id, "claimed", now
    audit.record(session, "assigned", dossier_id=dossier.id, task_id=task.id, actor=actor, at=now,
                 assignee_id=assignee.id)
    flush(session)
    return task


def complete_task(rt: Runtime, session: Session, task_id: int, data: dict, *, actor: User,
                  now: dt.datetime) -> StepResult:
    """Complete a task with its form data and advance the dossier's workflow."""
    task, dossier, others = _load_task_with_siblings(session, task_id)
    require_work_on(actor, task)
    _require_open(task)
    if task.assignee_id not in (None, actor.id):
        raise Conflict(f"task {task.id} is claimed by another official")
    compiled = rt.compiled(session, dossier)
    interagency.require_confirmed(session, task, compiled.meta)
    data = _validate_form(compiled, task.bpmn_id, data)
    resumed_at = _supplement_received_at(dossier, task, data, now)
    status_before, paused_before = dossier.status, dossier.paused_at is not None
    if compiled.user_tasks[task.bpmn_id].status == "awaiting_payment":
        # the step that waits for the fees or the financial obligation records the payment (engine.fees)
        payment_from_form(session, dossier, data, actor=actor, now=now)
    workflow = runtime.restore(rt, compiled, dossier)
    branch = compiled.user_tasks[task.bpmn_id].branch
    runtime.run_human_task(workflow, task.spiff_task_id, {branch: data} if branch else data, now)

    task.state, task.completed_at, task.completed_by_id = "completed", now, actor.id
    task.outcome = data.get("outcome")
    if "delivery" in (_form_fields(compiled, task.bpmn_id) or ()) and "delivery" in data:
        # a return step's form: the result (or refusal notice) handed over at the counter, by post or online
        dossier.result_delivery = {k: data[k] for k in ("delivery", "postal_tracking", "returned_to", "note")
                                   if k in data}
    if task.assignee_id is None:
        task.assignee_id = actor.id
    result = after_step(rt, session, dossier, compiled, workflow, now, done=task, open_rows=others,
                        resumed_at=resumed_at, actor=actor)
    if task.outcome == SEND_BACK_OUTCOME:
        _send_back_by_outcome(session, dossier, task, result.created, now)
    audit.record(session, "completed", dossier=dossier, task_id=task.id, actor=actor, at=now,
                 step=task.bpmn_id, outcome=task.outcome, data=data)
    flush(session)
    applicant_notices.after_step(session, rt.settings, dossier, now, procedure_name=compiled.meta.name_vi,
                                 status_before=status_before, paused_before=paused_before, data=data)
    # the electronic result, signed at the procedure's signing step (when a certificate is configured)
    document_results.on_step_completed(rt, session, dossier, task, data, actor=actor, now=now)
    return result


def _supplement_received_at(dossier: Dossier, task: Task, data: dict, now: dt.datetime) -> dt.datetime | None:
    """When the clock resumes after a pause: when the supplement was received (`supplemented_at` on the
    waiting step's form), not when the desk recorded it.

    The form says so: "thời điểm nhận hồ sơ bổ sung", and by post "thời điểm cơ quan nhận từ nhân viên bưu
    chính". A supplement the post delivered at 09:30 and entered at 14:00 gave the agency those hours too.
    The instant lies between the request (the pause) and now; otherwise the form has an error.
    """
    text = data.get("supplemented_at") if task.pauses_clock else None
    if not isinstance(text, str):
        return None
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        at = None
    problem = None
    if at is None or at.tzinfo is None:
        problem = "cần ngày giờ có múi giờ, ví dụ 2026-12-04T10:00:00+07:00"
    elif at > now:
        problem = "không được sau thời điểm hiện tại"
    elif dossier.paused_at is not None and at < dossier.paused_at:
        problem = "không được trước thời điểm yêu cầu bổ sung (khi thời hạn tạm dừng)"
    if problem:
        raise InvalidInput("the supplement's reception time is wrong", {"supplemented_at": [problem]})
    return at


def send_back(rt: Runtime, session: Session, task_id: int, reason: str, *, actor: User,
              now: dt.datetime) -> StepResult:
    """Return the dossier to the previous step (the last completed task), with a reason."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("sending back needs a reason", {"reason": ["required"]})
    task, dossier, others = _load_task_with_siblings(session, task_id)
    require_work_on(actor, task)
    _require_open(task)
    # Never back to waiting for the citizen: that would pause the legal clock again without a form 02.
    previous = session.scalars(
        select(Task).where(Task.dossier_id == dossier.id, Task.state == "completed", Task.pauses_clock.is_(False))
        .order_by(Task.completed_at.desc(), Task.id.desc()).limit(1)
    ).first()
    if previous is None:
        raise Conflict("this is the first step: there is no previous step to send back to")
    compiled = rt.compiled(session, dossier)
    workflow = runtime.restore(rt, compiled, dossier)
    runtime.reset_to(workflow, previous.spiff_task_id, now)
    task.outcome = "sent_back"
    result = after_step(rt, session, dossier, compiled, workflow, now, done=None, open_rows=[task, *others],
                        actor=actor)
    _return_to_previous_official(session, previous, result.created, now)
    audit.record(session, "sent_back", dossier_id=dossier.id, task_id=task.id, actor=actor, at=now,
                 step=task.bpmn_id, to_step=previous.bpmn_id, reason=reason.strip())
    flush(session)
    return result


#: a step's outcome that the diagram routes back to an earlier step (the leader returning a draft)
SEND_BACK_OUTCOME = "send_back"


def _send_back_by_outcome(session: Session, dossier: Dossier, done: Task, created: list[Task],
                          now: dt.datetime) -> None:
    """A step the diagram sent back to (outcome "send_back") goes, like the engine's send-back, to the
    official who did it last, while they still hold its role; otherwise to the group."""
    for row in created:
        previous = session.scalars(
            select(Task).where(Task.dossier_id == dossier.id, Task.bpmn_id == row.bpmn_id, Task.state == "completed",
                               Task.id != done.id)
            .order_by(Task.completed_at.desc(), Task.id.desc()).limit(1)
        ).first()
        if previous is not None:
            _return_to_previous_official(session, previous, [row], now)


def _return_to_previous_official(session: Session, previous: Task, created: list[Task], now: dt.datetime) -> None:
    """The step sent back goes to the official who did it, while they still hold its role there."""
    official = session.get(User, previous.completed_by_id) if previous.completed_by_id else None
    if official is None or not official.is_active:
        return
    for row in created:
        if row.bpmn_id == previous.bpmn_id and row.role in roles_in(official, row.agency_id):
            row.assignee_id, row.state, row.claimed_at = official.id, "claimed", now


def withdraw_dossier(rt: Runtime, session: Session, dossier_id: int, reason: str, *, actor: User,
                     now: dt.datetime) -> StepResult:
    """Record the citizen's withdrawal: open tasks are cancelled and the dossier is closed."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"no dossier {dossier_id}")
    dossier_in_scope(session, actor, dossier)
    require_role(actor, dossier.agency_id, {"reception"}, "recording a withdrawal")
    if dossier.closed_at is not None:
        raise Conflict(f"dossier {dossier.code} is already {dossier.status}")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("a withdrawal needs the citizen's reason", {"reason": ["required"]})
    cancelled = _open_tasks(session, dossier.id)
    for row in cancelled:
        row.state, row.completed_at = "cancelled", now
    _close_pause(session, dossier, now)
    dossier.status, dossier.closed_at = "withdrawn", now
    audit.record(session, "withdrawn", dossier_id=dossier.id, actor=actor, at=now, reason=reason.strip())
    session.add(dossier)
    flush(session)
    return StepResult(dossier, cancelled=cancelled)


# --- keeping the dossier in step after the workflow moved ------------------------------------------------


def _open_pause_if_waiting(session: Session, dossier: Dossier, created: list[Task], now: dt.datetime) -> None:
    if dossier.paused_at is None and any(t.pauses_clock for t in created):
        dossier.paused_at = now
        session.add(Pause(dossier=dossier, paused_at=now))


def _close_pause(session: Session, dossier: Dossier, now: dt.datetime) -> Pause | None:
    if dossier.paused_at is None:
        return None
    pause = session.scalars(select(Pause).where(Pause.dossier_id == dossier.id, Pause.resumed_at.is_(None))).first()
    if pause is not None:
        pause.resumed_at = now
    dossier.paused_at = None
    return pause


def after_step(rt: Runtime, session: Session, dossier: Dossier, compiled: CompiledVersion, workflow,
               now: dt.datetime, done: Task | None, open_rows: list[Task],
               resumed_at: dt.datetime | None = None, actor: User | None = None) -> StepResult:
    """Bring the rows in step after the workflow moved: tasks, pauses, due times, status, state.

    `resumed_at`: when the supplement that ended a pause was received, if earlier than `now`.
    `actor`: the official who moved it (completed the step or sent it back); None for timers and the system.
    """
    calendar = rt.calendars.get(session)
    resumed = (done is not None and done.pauses_clock
               and _close_pause(session, dossier, resumed_at or now) is not None)
    # New tasks start now, after every closed pause: pauses matter only to the rows already open.
    created, cancelled = sync_tasks(session, calendar, rt.settings.risk_threshold, dossier,
                                    lambda: session.get(Agency, dossier.agency_id), compiled, workflow, open_rows, now)
    if resumed:
        pauses = whole_minutes.pauses((p.paused_at, p.resumed_at) for p in _pauses(session, dossier.id)
                                      if p.resumed_at)
        _move_due_times(rt, session, calendar, dossier, compiled, [t for t in open_rows if t not in cancelled], pauses)
        interagency.move_share_due(session, calendar, dossier, compiled, pauses)
    _open_pause_if_waiting(session, dossier, created, now)
    interagency.after_step(session, calendar, dossier, compiled, created, now, sent_by=actor,
                           finished=workflow.completed)
    still_open = [t for t in open_rows if t not in cancelled] + created
    dossier.status = _dossier_status(compiled, workflow, still_open)
    if workflow.completed:
        dossier.processed_at = dossier.processed_at or now
        dossier.closed_at = now
    runtime.save(rt, session, dossier, workflow)
    _require_something_to_wait_for(dossier, workflow, still_open)
    return StepResult(dossier, completed=done, created=created, cancelled=cancelled)


def _require_something_to_wait_for(dossier: Dossier, workflow, open_rows: list[Task]) -> None:
    """The invariant checked after every action: an unfinished dossier has an open step, a pause or a
    waiting timer. Otherwise it would stay "processing" for ever, with no one and nothing to move it on;
    the action is refused instead (the caller rolls back: nothing is stored)."""
    if workflow.completed or open_rows or dossier.paused_at is not None or dossier.next_timer_at is not None:
        return
    stuck = runtime.stranded_at(workflow)
    where = f"{stuck} " if stuck else ""
    raise WorkflowError(f"{where}the diagram left the dossier unfinished with no open step, pause or waiting "
                        f"timer (it would stay '{dossier.status}' for ever)", element_id=stuck)


def _move_due_times(rt: Runtime, session: Session, calendar, dossier: Dossier, compiled: CompiledVersion,
                    open_rows: list[Task], pauses) -> None:
    """After a supplement arrived: the legal due time and open steps' due times move by the paused time."""
    meta = compiled.meta
    if meta.pause_rule == "restart":
        legal = calendar.legal_due(pauses[-1][1], meta.deadline, (), meta.same_day_cutoff)
    else:
        legal = calendar.legal_due(dossier.clock_started_at, meta.deadline, pauses, meta.same_day_cutoff)
    legal = whole_minutes.due(legal)
    # A new date promised by an apology letter stays promised: the supplement only moves the legal time.
    # Extensions granted after the letter moved the promised date too (engine.letters.record_extension).
    letter = session.execute(select(ApologyLetter.new_appointment_at, ApologyLetter.issued_at).where(
        ApologyLetter.dossier_id == dossier.id, ApologyLetter.issued_at.is_not(None))).first()
    promised = letter.new_appointment_at if letter else None
    for extra, granted_at in session.execute(select(Extension.duration, Extension.created_at)
                                             .where(Extension.dossier_id == dossier.id).order_by(Extension.id)):
        legal = calendar.add(legal, parse_duration(extra))
        if promised is not None and granted_at >= letter.issued_at:
            promised = calendar.add(promised, parse_duration(extra))
    dossier.legal_due_at = legal
    dossier.due_at = max(legal, promised) if promised else legal
    for row in open_rows:
        info = compiled.user_tasks[row.bpmn_id]
        if not info.pauses_clock:
            row.due_at, row.warn_at = task_deadlines(calendar, row.created_at, info.budget,
                                                     rt.settings.risk_threshold, pauses)


def get_dossier(session: Session, dossier_id: int) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"no dossier {dossier_id}")
    return dossier
