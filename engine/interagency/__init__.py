"""Inter-agency bundles (liên thông): one dossier handled in turn by several agencies, each with its share.

A procedure whose procedure.toml has `[[shares]]` (bpmn.package.Share: an agency kind and its budget of
working time) is a bundle. Its steps go to agencies by their lanes (`police:specialist`, engine.tasks); when
the process moves from a step of one agency to a step of another, the engine records a hand-over
(AgencyHandover): who sent it and when. The receiving agency confirms it got the dossier; until then its
officials may not take or complete its steps (Conflict, naming the hand-over). Confirming is one atomic
update: of two officials confirming at once, one wins, the other gets a Conflict.

Each agency's share runs from the hand-over's sending (a slow confirmation is the receiver's time) to the
hand-over out of it, or the end of the dossier; it is due `budget` of working time after its start. The
lead agency's first share opens at reception (its row has no sender and needs no confirmation). Form 05
(engine.dossier_views) and report II.06a (engine.reports) count each share. The engine handles one agency
at a time: steps open at two agencies at once are handed over in the order they opened.
Each function flushes; the caller commits.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.access import roles_in
from engine.errors import Conflict, Forbidden, NotFound
from engine.models import Agency, AgencyHandover, Dossier, Task, User
from engine.specs import CompiledVersion
from engine.tasks import task_deadlines
from engine.time_left import TimeLeft, split_working_seconds
from engine.workcalendar import WorkCalendar


def _share_due(calendar: WorkCalendar, meta, agency: Agency, start: dt.datetime) -> tuple[str | None, dt.datetime | None]:
    share = meta.share_of(agency.kind)
    if share is None:
        return None, None
    return share.budget.isoformat(), task_deadlines(calendar, start, share.budget, 1.0)[0]


def _rows(session: Session, dossier_id: int) -> list[AgencyHandover]:
    return list(session.scalars(select(AgencyHandover).where(AgencyHandover.dossier_id == dossier_id)
                                .order_by(AgencyHandover.sent_at, AgencyHandover.id)))


def after_step(session: Session, calendar: WorkCalendar, dossier: Dossier, compiled: CompiledVersion,
               created: Sequence[Task], now: dt.datetime, *, sent_by: User | None, finished: bool) -> None:
    """Record the hand-overs the new steps make (a bundle's only): the lead's share at reception, one row per
    agency change, and the end of the last share when the dossier finishes. `sent_by`: the official whose
    reception, step or sending back moved the dossier (None for a timer's or the system's move); the row and
    the audit event both name them."""
    meta = compiled.meta
    if not meta.shares:
        return
    sent_by_id = sent_by.id if sent_by is not None else None
    session.flush()  # the new task rows carry their agency ids
    rows = _rows(session, dossier.id) if dossier.id is not None else []
    if not rows:
        lead = session.get(Agency, dossier.agency_id)
        budget, due = _share_due(calendar, meta, lead, dossier.clock_started_at or now)
        rows.append(AgencyHandover(dossier_id=dossier.id, from_agency_id=None, to_agency_id=lead.id,
                                   sent_at=dossier.clock_started_at or now, sent_by_id=sent_by_id,
                                   confirmed_at=now, confirmed_by_id=sent_by_id, share_budget=budget,
                                   share_due_at=due))
        session.add(rows[-1])
    for task in created:
        last = rows[-1]
        if task.agency_id == last.to_agency_id:
            continue
        if last.share_ended_at is None:
            last.share_ended_at = now
        budget, due = _share_due(calendar, meta, session.get(Agency, task.agency_id), now)
        rows.append(AgencyHandover(dossier_id=dossier.id, from_agency_id=last.to_agency_id,
                                   to_agency_id=task.agency_id, sent_at=now, sent_by_id=sent_by_id,
                                   share_budget=budget, share_due_at=due))
        session.add(rows[-1])
        audit.record(session, "handed_over", actor=sent_by, at=now, dossier_id=dossier.id,
                     from_agency_id=last.to_agency_id, to_agency_id=task.agency_id)
    if finished and rows[-1].share_ended_at is None:
        rows[-1].share_ended_at = now
    session.flush()


def move_share_due(session: Session, calendar: WorkCalendar, dossier: Dossier, compiled: CompiledVersion,
                   pauses: Sequence[tuple[dt.datetime, dt.datetime]]) -> None:
    """After a supplement arrived: the open share's due time moves by the paused time, as the steps' do."""
    if not compiled.meta.shares:
        return
    rows = _rows(session, dossier.id)
    if not rows or rows[-1].share_ended_at is not None:
        return
    row = rows[-1]
    share = compiled.meta.share_of(session.get(Agency, row.to_agency_id).kind)
    if share is not None:
        row.share_due_at = task_deadlines(calendar, row.sent_at, share.budget, 1.0,
                                          [p for p in pauses if p[1] > row.sent_at])[0]


def require_confirmed(session: Session, task: Task, meta) -> None:
    """Refuse (Conflict) work on a bundle's step whose agency has not confirmed the hand-over of its dossier
    (no query for other procedures)."""
    if not meta.shares:
        return
    waiting = session.scalars(select(AgencyHandover).where(
        AgencyHandover.dossier_id == task.dossier_id, AgencyHandover.to_agency_id == task.agency_id,
        AgencyHandover.confirmed_at.is_(None))).first()
    if waiting is not None:
        raise Conflict(f"hand-over {waiting.id} of this dossier to the agency of step '{task.bpmn_id}' is not "
                       f"confirmed yet: an official of the receiving agency confirms it first")


def confirm(session: Session, handover_id: int, *, actor: User, now: dt.datetime) -> AgencyHandover:
    """The receiving agency confirms it got the dossier (any of its officials). Twice: Conflict."""
    row = session.get(AgencyHandover, handover_id)
    if row is None:
        raise NotFound(f"no hand-over {handover_id}")
    if not roles_in(actor, row.to_agency_id):
        raise Forbidden("a hand-over is confirmed by an official of the receiving agency")
    done = session.execute(update(AgencyHandover).where(AgencyHandover.id == row.id,
                                                        AgencyHandover.confirmed_at.is_(None))
                           .values(confirmed_at=now, confirmed_by_id=actor.id)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(f"hand-over {row.id} was confirmed already")
    session.refresh(row)
    audit.record(session, "handover_confirmed", actor=actor, at=now, dossier_id=row.dossier_id, handover_id=row.id)
    session.flush()
    return row


@dataclass(frozen=True)
class ShareLine:
    """One agency's share of a bundle dossier, with the hand-over that opened it (form 05)."""

    handover_id: int
    agency_id: int
    agency_name: str
    share_name: str
    budget: str | None
    started_at: dt.datetime
    due_at: dt.datetime | None
    ended_at: dt.datetime | None
    #: working time used so far (to the end, or to now while open)
    used: dt.timedelta
    #: the same in working days (of the calendar's length), hours and minutes, for words
    used_parts: TimeLeft
    #: early / on_time / late (engine.dossier_views.mark), None while open and not yet due
    mark: str | None
    from_agency_name: str | None
    sent_by: str | None
    confirmed_at: dt.datetime | None
    confirmed_by: str | None

    @property
    def waiting(self) -> bool:
        return self.confirmed_at is None


def shares(session: Session, calendar: WorkCalendar, dossier: Dossier, meta, now: dt.datetime) -> list[ShareLine]:
    """The dossier's shares in order (empty for a dossier that is not a bundle's)."""
    from engine.dossier_views import mark  # the dossier views read this module

    rows = _rows(session, dossier.id)
    if not rows:
        return []
    agency_ids = {r.to_agency_id for r in rows} | {r.from_agency_id for r in rows if r.from_agency_id}
    agencies = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(agency_ids)))}
    user_ids = {r.sent_by_id for r in rows} | {r.confirmed_by_id for r in rows}
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids - {None}))).all()) \
        if user_ids - {None} else {}
    out = []
    for r in rows:
        agency = agencies[r.to_agency_id]
        end = r.share_ended_at or dossier.closed_at
        share = meta.share_of(agency.kind)
        used = calendar.between(r.sent_at, end or max(now, r.sent_at))
        out.append(ShareLine(
            r.id, agency.id, agency.name, share.name_vi if share else "", r.share_budget, r.sent_at, r.share_due_at,
            end, used, split_working_seconds(used.total_seconds(), calendar.working_day_seconds),
            mark(end, r.share_due_at, calendar.tzinfo, now if end is None else None),
            agencies[r.from_agency_id].name if r.from_agency_id else None, names.get(r.sent_by_id),
            r.confirmed_at if r.from_agency_id else r.sent_at, names.get(r.confirmed_by_id)))
    return out


def waiting_for(session: Session, actor: User, dossier_id: int) -> list[int]:
    """The hand-overs of a dossier that the actor's agencies have to confirm (the page's buttons)."""
    agency_ids = {m.agency_id for m in actor.memberships}
    if not agency_ids:
        return []
    return list(session.scalars(select(AgencyHandover.id).where(
        AgencyHandover.dossier_id == dossier_id, AgencyHandover.to_agency_id.in_(agency_ids),
        AgencyHandover.confirmed_at.is_(None))))

