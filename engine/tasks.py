"""Task rows in step with the workflow, and their due times."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import select

from bpmn.durations import Duration
from engine import whole_minutes
from engine.agencies import agency_of_kind
from engine.errors import InvalidInput
from engine.models import Agency, Dossier, Task
from engine.runtime import ready_human_tasks
from engine.specs import CompiledVersion
from engine.workcalendar import WorkCalendar

Pauses = Sequence[tuple[dt.datetime, dt.datetime]]


def budget_seconds(budget: Duration, working_day_seconds: int) -> int:
    """A step's budget as working seconds: P1D is one working day's hours, not "until the end of tomorrow".

    Budgets are shares of the legal time and must add up inside it; the whole-day reading of the law
    ("end of the Nth working day") applies to the dossier's legal deadline, not to its steps.
    """
    return budget.days * working_day_seconds + budget.seconds


def task_deadlines(calendar: WorkCalendar, start: dt.datetime, budget: Duration | None, threshold: float,
                   pauses: Pauses = ()) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Due time (start + budget in working time, up to the whole minute) and warning time (the threshold
    share of the budget used)."""
    if budget is None:
        return None, None
    seconds = budget_seconds(budget, calendar.working_day_seconds)
    due = whole_minutes.due(calendar.add(start, Duration(0, seconds), pauses))
    warn = calendar.add(start, Duration(0, int(seconds * threshold)), pauses)
    return due, warn


def agency_from_data(session, info, data) -> Agency:
    """The agency a step's `agency` property names through the task data: its value is an agency code, of the
    lane's agency kind when the lane names one; InvalidInput (nothing saved) otherwise."""
    code = data.get(info.agency_field)
    found = session.scalars(select(Agency).where(Agency.code == code)).first() if isinstance(code, str) else None
    if found is None:
        raise InvalidInput(f"step '{info.bpmn_id}' goes to the agency named by '{info.agency_field}', but "
                           f"{code!r} is not an agency code", {info.agency_field: ["not an agency code"]})
    if info.agency_kind and found.kind != info.agency_kind:
        raise InvalidInput(f"step '{info.bpmn_id}' needs an agency of kind '{info.agency_kind}'; "
                           f"'{code}' is of kind '{found.kind}'", {info.agency_field: [f"not a {info.agency_kind}"]})
    return found


def sync_tasks(session, calendar: WorkCalendar, threshold: float, dossier: Dossier, agency: Callable[[], Agency],
               compiled: CompiledVersion, workflow, open_rows: list[Task], now: dt.datetime,
               pauses: Pauses = ()) -> tuple[list[Task], list[Task]]:
    """Insert rows for newly READY user tasks and cancel open rows the workflow no longer waits on.

    Returns (created, cancelled). The caller has already closed the row it completed. `agency` gives the
    dossier's agency when a new task needs it (loaded only then).
    """
    ready = {str(t.id): t for t in ready_human_tasks(workflow)}
    known = {row.spiff_task_id for row in open_rows}
    cancelled = []
    for row in open_rows:
        if row.spiff_task_id not in ready:
            row.state, row.completed_at = "cancelled", now
            cancelled.append(row)
    created = []
    agencies: dict[object, Agency | None] = {}  # by lane agency kind, or ("field", step) for data-routed steps
    for spiff_id, spiff_task in ready.items():
        if spiff_id in known:
            continue
        info = compiled.user_tasks[spiff_task.task_spec.bpmn_id]
        if info.agency_field:  # the step's agency is chosen by the dossier's data (e.g. the commune of residence)
            agencies[("field", info.bpmn_id)] = agency_from_data(session, info, spiff_task.data)
        elif info.agency_kind not in agencies:
            base = agency() if info.agency_kind else None
            agencies[info.agency_kind] = agency_of_kind(session, base, info.agency_kind) if base else None
        due, warn = (None, None) if info.pauses_clock else task_deadlines(calendar, now, info.budget, threshold,
                                                                          pauses)
        target = agencies[("field", info.bpmn_id) if info.agency_field else info.agency_kind]
        row = Task(dossier=dossier, agency_id=target.id if target else dossier.agency_id, spiff_task_id=spiff_id, bpmn_id=info.bpmn_id, name=info.name,
                   role=info.role or "", state="ready",
                   budget=info.budget.isoformat() if info.budget else None, pauses_clock=info.pauses_clock,
                   created_at=now, due_at=due, warn_at=warn, risk="on_track")
        session.add(row)
        created.append(row)
    return created, cancelled
