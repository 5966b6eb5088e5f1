"""The annual evaluation of the one-stop unit's officials, per official, agency and year.

Per official and agency (the agency of the steps), for a calendar year (local time):
- handled: dossiers in which the official completed at least one step that year;
- on time / late: steps the official completed by their due time / after it (form 05's verdict per step);
- sent back: steps the official sent back to the previous step;
- supplements requested: requests to supplement (form 02) the official issued at the desk, and steps they
  completed that put the dossier to wait for the citizen's supplement during processing;
- escalations received: deadline escalations addressed to the official, or to a role they hold there.

Counting a year reads every task of it: the figures are pre-aggregated (`refresh`) into
oversight_official_year, and the page says when they were computed. Reading them (`evaluation`) is one
indexed query whatever the number of dossiers. A province's evaluation covers its agency tree.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.models import (
    Agency,
    DeskRecord,
    Escalation,
    Membership,
    OversightOfficialYear,
    OversightRefresh,
    Pause,
    Task,
    User,
)
from engine.supervision import REPORT_ROLES, watched_agencies

FIGURES = ("handled", "on_time", "late", "sent_back", "supplements", "escalations")
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class EvaluationRow:
    user_id: int
    username: str
    full_name: str
    agency_id: int
    agency_code: str
    agency_name: str
    handled: int
    on_time: int
    late: int
    sent_back: int
    supplements: int
    escalations: int


@dataclass(frozen=True)
class Evaluation:
    year: int
    agency_ids: list[int]
    rows: list[EvaluationRow]
    #: when the figures were computed (None: never for this year)
    computed_at: dt.datetime | None


def _year(year) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("bad year", {"year": [f"a year from {FIRST_YEAR} to {LAST_YEAR}"]})
    return year


def agency_tree(session: Session, root_id: int) -> list[int]:
    """The agency and every agency below it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for agency_id, parent_id in session.execute(select(Agency.id, Agency.parent_id)):
        children[parent_id].append(agency_id)
    out, todo = [], [root_id]
    while todo:
        current = todo.pop()
        if current not in out:
            out.append(current)
            todo.extend(children.get(current, ()))
    return sorted(out)


def scope(session: Session, actor: User, agency_id: int | None) -> list[int]:
    """The agencies whose evaluation the caller reads: the tree under the agency asked for (or under each
    agency where they are supervisor or leader); admins every agency."""
    roots = watched_agencies(session, actor, agency_id, REPORT_ROLES, "reading the annual evaluation")
    if roots is None:
        return sorted(session.scalars(select(Agency.id)))
    return sorted({a for root in roots for a in agency_tree(session, root)})


def _bounds(rt, year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(rt.settings.timezone)
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


def compute(rt, session: Session, year: int, agency_ids: list[int] | None = None) -> dict[tuple[int, int], dict]:
    """Count the year's figures from the tasks, desk records and escalations: {(agency, user): figures}."""
    since, until = _bounds(rt, _year(year))
    counts: dict[tuple[int, int], dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))

    def where_agency(column):
        return [column.in_(agency_ids)] if agency_ids is not None else []

    in_year = [Task.completed_at >= since, Task.completed_at < until]
    late = and_(Task.due_at.is_not(None), Task.completed_at > Task.due_at)
    for agency_id, user_id, handled, n_late, n in session.execute(
            select(Task.agency_id, Task.completed_by_id, func.count(func.distinct(Task.dossier_id)),
                   func.sum(case((late, 1), else_=0)), func.count())
            .where(Task.state == "completed", Task.completed_by_id.is_not(None), *in_year,
                   *where_agency(Task.agency_id))
            .group_by(Task.agency_id, Task.completed_by_id)):
        c = counts[(agency_id, user_id)]
        c["handled"], c["late"], c["on_time"] = handled, int(n_late or 0), n - int(n_late or 0)
    for agency_id, user_id, n in session.execute(
            select(Task.agency_id, Task.assignee_id, func.count())
            .where(Task.outcome == "sent_back", Task.assignee_id.is_not(None), *in_year,
                   *where_agency(Task.agency_id))
            .group_by(Task.agency_id, Task.assignee_id)):
        counts[(agency_id, user_id)]["sent_back"] += n
    for agency_id, user_id, n in session.execute(
            select(Task.agency_id, Task.completed_by_id, func.count())
            .join(Pause, and_(Pause.dossier_id == Task.dossier_id, Pause.paused_at == Task.completed_at))
            .where(Task.state == "completed", Task.completed_by_id.is_not(None), *in_year,
                   *where_agency(Task.agency_id))
            .group_by(Task.agency_id, Task.completed_by_id)):
        counts[(agency_id, user_id)]["supplements"] += n
    for agency_id, user_id, n in session.execute(
            select(DeskRecord.agency_id, DeskRecord.created_by_id, func.count())
            .where(DeskRecord.kind == "supplement_request", DeskRecord.created_by_id.is_not(None),
                   DeskRecord.created_at >= since, DeskRecord.created_at < until, *where_agency(DeskRecord.agency_id))
            .group_by(DeskRecord.agency_id, DeskRecord.created_by_id)):
        counts[(agency_id, user_id)]["supplements"] += n
    escalated = [Escalation.created_at >= since, Escalation.created_at < until, *where_agency(Escalation.agency_id)]
    for agency_id, user_id, n in session.execute(
            select(Escalation.agency_id, Escalation.recipient_id, func.count())
            .where(Escalation.recipient_id.is_not(None), *escalated)
            .group_by(Escalation.agency_id, Escalation.recipient_id)):
        counts[(agency_id, user_id)]["escalations"] += n
    for agency_id, user_id, n in session.execute(
            select(Escalation.agency_id, Membership.user_id, func.count())
            .join(Membership, and_(Membership.agency_id == Escalation.agency_id,
                                   Membership.role == Escalation.recipient_role))
            .where(Escalation.recipient_id.is_(None), *escalated)
            .group_by(Escalation.agency_id, Membership.user_id)):
        counts[(agency_id, user_id)]["escalations"] += n
    return dict(counts)


def refresh(rt, session: Session, *, year: int, now: dt.datetime, actor: User | None = None,
            agency_id: int | None = None) -> int:
    """Recompute a year's figures (all agencies: the stored table is one per year); return the rows stored.

    With an actor, they must read some agency's evaluation (or be an admin); without one (the scheduler,
    the benchmark), no check.
    """
    if actor is not None:
        scope(session, actor, agency_id)
    counts = compute(rt, session, _year(year))
    session.execute(delete(OversightOfficialYear).where(OversightOfficialYear.year == year))
    rows = [dict(year=year, agency_id=a, user_id=u, computed_at=now, **c) for (a, u), c in counts.items()]
    if rows:
        session.execute(OversightOfficialYear.__table__.insert(), rows)
    stamp = session.get(OversightRefresh, year)
    if stamp is None:
        session.add(OversightRefresh(year=year, computed_at=now, rows=len(rows)))
    else:
        stamp.computed_at, stamp.rows = now, len(rows)
    session.flush()
    return len(rows)


def evaluation(session: Session, *, actor: User, year: int, agency_id: int | None = None) -> Evaluation:
    """The stored figures of a year for the agencies the caller evaluates, by agency then official."""
    agencies = scope(session, actor, agency_id)
    stamp = session.get(OversightRefresh, _year(year))
    rows = session.execute(
        select(OversightOfficialYear, User.username, User.full_name, Agency.code, Agency.name)
        .join(User, User.id == OversightOfficialYear.user_id).join(Agency, Agency.id == OversightOfficialYear.agency_id)
        .where(OversightOfficialYear.year == year, OversightOfficialYear.agency_id.in_(agencies))
        .order_by(Agency.code, User.full_name, User.id)).all()
    return Evaluation(year, agencies, [
        EvaluationRow(r.user_id, username, full_name, r.agency_id, code, name,
                      *(getattr(r, f) for f in FIGURES))
        for r, username, full_name, code, name in rows], stamp.computed_at if stamp else None)

