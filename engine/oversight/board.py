"""The risk board: the open dossiers of the agencies a caller watches, counted by agency, procedure or official.

Columns: open (all open dossiers), then three parts of them: at risk and overdue among those whose clock
runs (the clock's verdict as in engine.supervision: the stored risk corrected by the time since the last
scan), and paused (waiting for the citizen's supplement); the rest is on track. By official, a dossier counts for each official holding one of its
open steps, and under "unassigned" while a step waits in a group. Every figure has its dossiers
(`board_dossiers`), with the same filter.

Read live: open dossiers are a small share of all (the completed ones are not read), through the partial
index on open dossiers.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import and_, case, func, literal, select, true
from sqlalchemy.orm import Session

from engine.deadlines import OPEN_DOSSIER
from engine.errors import InvalidInput
from engine.models import OPEN_TASK_STATES, Agency, Dossier, Procedure, ProcedureVersion, Task, User
from engine.supervision import WATCH_ROLES, _dossier_risk, watched_agencies

GROUPS = ("agency", "procedure", "official")
LEVELS = ("open", "at_risk", "overdue", "paused")
#: the key of the official column for dossiers whose open step nobody holds
UNASSIGNED = 0
MAX_DRILL = 200


@dataclass(frozen=True)
class BoardRow:
    key: int
    label: str
    code: str
    open: int
    at_risk: int
    overdue: int
    paused: int


@dataclass(frozen=True)
class Board:
    by: str
    rows: list[BoardRow]
    total: BoardRow
    as_of: dt.datetime


def _check(by: str, level: str | None = None) -> None:
    if by not in GROUPS:
        raise InvalidInput("unknown grouping", {"by": [f"one of {', '.join(GROUPS)}"]})
    if level is not None and level not in LEVELS:
        raise InvalidInput("unknown level", {"level": [f"one of {', '.join(LEVELS)}"]})


def _open_steps():
    """(dossier id, official id or UNASSIGNED) for every open step of an open dossier, once per pair."""
    return (select(Task.dossier_id.label("dossier_id"),
                   func.coalesce(Task.assignee_id, UNASSIGNED).label("official_id"))
            .where(Task.state.in_(OPEN_TASK_STATES)).distinct().subquery())


def risk_board(session: Session, *, actor: User, now: dt.datetime, by: str = "agency",
               agency_id: int | None = None) -> Board:
    """Count the open dossiers the caller watches by `by`: open, at risk, overdue, paused."""
    _check(by)
    agencies = watched_agencies(session, actor, agency_id, WATCH_ROLES, "reading the risk board")
    level = _dossier_risk(now)
    running = Dossier.paused_at.is_(None)
    figures = (func.count().label("open"),
               func.sum(case((and_(running, level == "at_risk"), 1), else_=0)).label("at_risk"),
               func.sum(case((and_(running, level == "overdue"), 1), else_=0)).label("overdue"),
               func.sum(case((~running, 1), else_=0)).label("paused"))
    scope = [OPEN_DOSSIER, Dossier.agency_id.in_(agencies) if agencies is not None else true()]
    if by == "agency":
        stmt = (select(Agency.id, Agency.name, Agency.code, *figures).join(Agency, Agency.id == Dossier.agency_id)
                .where(*scope).group_by(Agency.id, Agency.name, Agency.code))
    elif by == "procedure":
        stmt = (select(Procedure.id, Procedure.name_vi, Procedure.code, *figures)
                .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
                .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
                .where(*scope).group_by(Procedure.id, Procedure.name_vi, Procedure.code))
    else:
        steps = _open_steps()
        # grouped by the official's id alone; their names are read after, for the few rows
        stmt = (select(steps.c.official_id, literal(""), literal(""), *figures)
                .join(steps, steps.c.dossier_id == Dossier.id).where(*scope).group_by(steps.c.official_id))
    rows = [BoardRow(key, label, code, n, int(risky or 0), int(late or 0), int(paused or 0))
            for key, label, code, n, risky, late, paused in session.execute(stmt)]
    if by == "official" and rows:
        names = {r.id: (r.full_name, r.username) for r in session.execute(
            select(User.id, User.full_name, User.username).where(User.id.in_([r.key for r in rows])))}
        rows = [replace(r, label=names.get(r.key, ("", ""))[0], code=names.get(r.key, ("", ""))[1]) for r in rows]
    rows.sort(key=lambda r: (-r.overdue, -r.at_risk, -r.open, r.label))
    if by == "official":  # a dossier with steps held by two officials is on two rows: count the total apart
        n, risky, late, paused = session.execute(select(*figures).select_from(Dossier).where(*scope)).one()
    else:  # each dossier is on one row
        n, risky, late, paused = (sum(getattr(r, f) for r in rows) for f in ("open", "at_risk", "overdue", "paused"))
    total = BoardRow(-1, "", "", n, int(risky or 0), int(late or 0), int(paused or 0))
    return Board(by, rows, total, now)


@dataclass(frozen=True)
class DrillRow:
    id: int
    code: str
    agency_name: str
    procedure_name: str
    status: str
    due_at: dt.datetime
    level: str
    paused: bool


def board_dossiers(session: Session, *, actor: User, now: dt.datetime, by: str, key: int | None,
                   level: str = "open", agency_id: int | None = None, limit: int = MAX_DRILL) -> list[DrillRow]:
    """The dossiers behind one figure of the board (`key` None: the total line), soonest due first."""
    _check(by, level)
    agencies = watched_agencies(session, actor, agency_id, WATCH_ROLES, "reading the risk board")
    risk = _dossier_risk(now)
    stmt = (select(Dossier.id, Dossier.code, Agency.name, Procedure.name_vi, Dossier.status, Dossier.due_at,
                   risk.label("level"), Dossier.paused_at)
            .join(Agency, Agency.id == Dossier.agency_id)
            .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(OPEN_DOSSIER))
    if agencies is not None:
        stmt = stmt.where(Dossier.agency_id.in_(agencies))
    if key is not None:
        if by == "agency":
            stmt = stmt.where(Dossier.agency_id == key)
        elif by == "procedure":
            stmt = stmt.where(Procedure.id == key)
        else:
            held = select(Task.id).where(Task.dossier_id == Dossier.id, Task.state.in_(OPEN_TASK_STATES),
                                         Task.assignee_id == key if key else Task.assignee_id.is_(None))
            stmt = stmt.where(held.exists())
    if level == "at_risk":
        stmt = stmt.where(Dossier.paused_at.is_(None), risk == "at_risk")
    elif level == "overdue":
        stmt = stmt.where(Dossier.paused_at.is_(None), risk == "overdue")
    elif level == "paused":
        stmt = stmt.where(Dossier.paused_at.is_not(None))
    rows = session.execute(stmt.order_by(Dossier.due_at, Dossier.id).limit(max(1, min(limit, MAX_DRILL))))
    return [DrillRow(r.id, r.code, r.name, r.name_vi, r.status, r.due_at, r.level, r.paused_at is not None)
            for r in rows]


@dataclass(frozen=True)
class AgencyChoice:
    id: int
    code: str
    name: str


def agencies_to_choose(session: Session, actor: User, roles: frozenset[str]) -> list[AgencyChoice]:
    """The agencies a page may offer: where the caller holds one of `roles`; every agency for an admin."""
    stmt = select(Agency.id, Agency.code, Agency.name).order_by(Agency.code)
    if not actor.is_admin:
        held = {m.agency_id for m in actor.memberships if m.role in roles}
        if not held:
            return []
        stmt = stmt.where(Agency.id.in_(held))
    return [AgencyChoice(*r) for r in session.execute(stmt)]
