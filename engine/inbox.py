"""Inboxes: the task rows an official may see, filtered, sorted and paged, in one indexed query a page.

Who sees what: an official sees the tasks of the roles they hold in their agencies and the tasks assigned
to them; a supervisor every task of their agency; an admin everything. Scopes narrow that down: `mine`
(assigned to me), `groups` (nobody's yet, in my groups) and `all` (everything I may see).

Pages are keyset-paged: the cursor carries the sort key of the last row, so a page costs the same at
row 10 and at row 100 000, and rows added meanwhile are neither skipped nor repeated.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import and_, case, false, literal, or_, select, true
from sqlalchemy.orm import Session

from engine.access import roles_in
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import OPEN_TASK_STATES, Dossier, Procedure, ProcedureVersion, Task, User
from engine.runtime import Runtime

SCOPES = ("mine", "groups", "all")
SORTS = ("due_at", "-due_at", "created_at", "-created_at")
RISKS = ("on_track", "at_risk", "overdue")
MAX_LIMIT = 200


@dataclass(frozen=True)
class InboxFilter:
    """What the caller asked for; `status` None means open (ready or claimed)."""

    scope: str = "all"
    procedure: str | None = None
    status: str | None = None
    risk: str | None = None
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None
    q: str | None = None
    sort: str = "due_at"


@dataclass(frozen=True)
class Keyset:
    """Where the previous page ended: its sort, and the last row's sort value and id."""

    sort: str
    value: dt.datetime | None
    id: int


@dataclass(frozen=True)
class InboxRow:
    id: int
    bpmn_id: str
    name: str
    role: str
    agency_id: int
    state: str
    budget: str | None
    created_at: dt.datetime
    claimed_at: dt.datetime | None
    due_at: dt.datetime | None
    #: working hours from now to due_at, negative when late; None when closed, paused or without due time
    working_hours_left: float | None
    risk: str
    dossier: dict
    procedure: dict
    assignee: dict | None
    procedure_version_id: int


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxRow]
    next_cursor: str | None


@dataclass(frozen=True)
class TaskView:
    """One task with what a UI needs to render its form."""

    task: InboxRow
    form_name: str | None
    form: dict | None
    outcomes: tuple[str, ...]


# -- cursors ------------------------------------------------------------------------------------------------

def encode_cursor(keyset: Keyset) -> str:
    raw = json.dumps([keyset.sort, keyset.value.isoformat() if keyset.value else None, keyset.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Keyset:
    """Read a cursor made by encode_cursor; raise ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        sort, value, row_id = json.loads(raw)
        at = dt.datetime.fromisoformat(value) if value is not None else None
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError("not a cursor returned by this endpoint") from None
    if sort not in SORTS or not isinstance(row_id, int) or (at is not None and at.tzinfo is None) \
            or (at is None and sort.lstrip("-") == "created_at"):
        raise ValueError("not a cursor returned by this endpoint")
    return Keyset(sort, at, row_id)


# -- who sees what -------------------------------------------------------------------------------------------

def may_see(actor: User, agency_id: int, role: str, assignee_id: int | None) -> bool:
    """The same rule as the inbox query, for one task."""
    if actor.is_admin or assignee_id == actor.id:
        return True
    held = roles_in(actor, agency_id)
    return role in held or "supervisor" in held


def _group_clause(actor: User):
    """Tasks of the caller's groups: (agency, role) pairs held, and whole agencies supervised."""
    if actor.is_admin:
        return true()
    by_agency: dict[int, set[str]] = {}
    for m in actor.memberships:
        by_agency.setdefault(m.agency_id, set()).add(m.role)
    supervised = sorted(a for a, roles in by_agency.items() if "supervisor" in roles)
    # One (agency_id = ? AND role IN (...)) arm per agency: each arm is a range of ix_task_inbox.
    arms = [and_(Task.agency_id == a, Task.role.in_(sorted(roles)))
            for a, roles in sorted(by_agency.items()) if a not in supervised]
    if supervised:
        arms.append(Task.agency_id.in_(supervised))
    return or_(*arms) if arms else false()


def _scope_clause(actor: User, scope: str):
    mine = Task.assignee_id == actor.id
    if scope == "mine":
        return mine
    if scope == "groups":
        return and_(Task.assignee_id.is_(None), _group_clause(actor))
    return true() if actor.is_admin else or_(mine, _group_clause(actor))


# -- the query ------------------------------------------------------------------------------------------------

def _risk_expr(now: dt.datetime):
    """Risk as of now, by engine.deadlines.task_level's rule, with the scan's path verdict kept.

    The scan stores a level every few minutes; for a running task the clock alone tells overdue and the
    warning time, so the inbox is right between two scans too. Its `at_risk` from the path still ahead is
    kept; a stored `overdue` whose due time has moved (a pause ended) is stale. Closed and paused tasks keep
    what the scan stored.
    """
    running = and_(Task.state.in_(OPEN_TASK_STATES), Dossier.paused_at.is_(None))
    return case(
        (~running, Task.risk),
        (Task.due_at < now, literal("overdue")),
        (or_(Task.warn_at <= now, Task.risk == "at_risk"), literal("at_risk")),
        else_=literal("on_track"),
    )


def _order_and_after(sort: str, after: Keyset | None):
    column = Task.due_at if sort.lstrip("-") == "due_at" else Task.created_at
    descending = sort.startswith("-")
    # Tasks without a due time (waiting for the citizen) come last in both directions.
    order = [(column.desc() if descending else column.asc()).nulls_last(),
             Task.id.desc() if descending else Task.id.asc()]
    if after is None:
        return order, true()
    later_id = Task.id < after.id if descending else Task.id > after.id
    if after.value is None:
        return order, and_(column.is_(None), later_id)
    beyond = column < after.value if descending else column > after.value
    return order, or_(beyond, and_(column == after.value, later_id), column.is_(None))


def _statement(now: dt.datetime):
    risk = _risk_expr(now).label("effective_risk")
    # Columns, not entities: the dossier row carries the workflow state, which an inbox never needs.
    stmt = (
        select(Task.id, Task.bpmn_id, Task.name, Task.role, Task.agency_id, Task.state, Task.budget,
               Task.assignee_id, Task.created_at, Task.claimed_at, Task.due_at,
               Dossier.id.label("dossier_id"), Dossier.code, Dossier.applicant_name, Dossier.paused_at,
               Dossier.procedure_version_id, Procedure.slug, Procedure.name_vi, Procedure.name_en,
               User.full_name.label("assignee_name"), risk)
        .join(Dossier, Dossier.id == Task.dossier_id)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .outerjoin(User, User.id == Task.assignee_id)
    )
    return stmt, risk


def _row(r, hours_left) -> InboxRow:
    return InboxRow(
        id=r.id, bpmn_id=r.bpmn_id, name=r.name, role=r.role, agency_id=r.agency_id, state=r.state,
        budget=r.budget, created_at=r.created_at, claimed_at=r.claimed_at, due_at=r.due_at,
        working_hours_left=hours_left, risk=r.effective_risk,
        dossier={"id": r.dossier_id, "code": r.code, "applicant_name": r.applicant_name},
        procedure={"slug": r.slug, "name_vi": r.name_vi, "name_en": r.name_en},
        assignee={"id": r.assignee_id, "full_name": r.assignee_name} if r.assignee_id else None,
        procedure_version_id=r.procedure_version_id,
    )


def _rows(rt: Runtime, session: Session, result, now: dt.datetime) -> list[InboxRow]:
    calendar = None
    out = []
    for r in result:
        hours = None
        if r.due_at is not None and r.state in OPEN_TASK_STATES and r.paused_at is None:
            calendar = calendar or rt.calendars.get(session)  # cached; re-read at most once a minute
            hours = round(calendar.between(now, r.due_at).total_seconds() / 3600, 2)
        out.append(_row(r, hours))
    return out


def list_tasks(rt: Runtime, session: Session, filters: InboxFilter, *, actor: User, now: dt.datetime,
               after: Keyset | None = None, limit: int = 50) -> InboxPage:
    """One page of the caller's inbox, in one SQL statement."""
    if after is not None and after.sort != filters.sort:
        raise InvalidInput("the cursor belongs to another sort order", {"cursor": [f"made for sort={after.sort}"]})
    limit = max(1, min(limit, MAX_LIMIT))
    stmt, risk = _statement(now)
    states = (filters.status,) if filters.status else OPEN_TASK_STATES
    stmt = stmt.where(_scope_clause(actor, filters.scope), Task.state.in_(states))
    if filters.procedure:
        stmt = stmt.where(Procedure.slug == filters.procedure)
    if filters.risk:
        stmt = stmt.where(risk == filters.risk)
    if filters.due_before is not None:
        stmt = stmt.where(Task.due_at < filters.due_before)
    if filters.due_after is not None:
        stmt = stmt.where(Task.due_at >= filters.due_after)
    if filters.q:
        # autoescape: a % or _ typed by the user is a character, not a wildcard
        stmt = stmt.where(or_(Dossier.code.icontains(filters.q, autoescape=True),
                              Dossier.applicant_name.icontains(filters.q, autoescape=True)))
    order, after_clause = _order_and_after(filters.sort, after)
    result = session.execute(stmt.where(after_clause).order_by(*order).limit(limit + 1)).all()
    rows = _rows(rt, session, result[:limit], now)
    next_cursor = None
    if len(result) > limit:
        last = rows[-1]
        value = last.due_at if filters.sort.lstrip("-") == "due_at" else last.created_at
        next_cursor = encode_cursor(Keyset(filters.sort, value, last.id))
    return InboxPage(rows, next_cursor)


def get_task(rt: Runtime, session: Session, task_id: int, *, actor: User, now: dt.datetime) -> TaskView:
    """One task as its inbox row, with its form's JSON Schema and outcomes."""
    stmt, _ = _statement(now)
    result = session.execute(stmt.where(Task.id == task_id)).all()
    if not result:
        raise NotFound(f"no task {task_id}")
    [r] = result
    if not may_see(actor, r.agency_id, r.role, r.assignee_id):
        raise Forbidden(f"task {task_id} belongs to role '{r.role}' of another agency or official")
    row = _rows(rt, session, result, now)[0]
    compiled = rt.specs.get_by_id(row.procedure_version_id)
    if compiled is None:
        compiled = rt.specs.get(session.get(ProcedureVersion, row.procedure_version_id))
    info = compiled.user_tasks.get(row.bpmn_id)
    form_name = info.form if info else None
    return TaskView(row, form_name, compiled.package.forms.get(form_name) if form_name else None,
                    info.outcomes if info else ())
