"""The working calendar's yearly day swaps, changed by system administrators and audited.

The days off the `holidays` package and the settings know are listed with the swaps recorded here
(engine.calendar_store: a day off, or a make-up working day); every change names who made it and when.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.admin.scope import require_administrator, require_system_administrator
from engine.errors import InvalidInput
from engine.models import AuditEvent, CalendarOverride, User


@dataclass(frozen=True)
class Override:
    day: dt.date
    is_working: bool
    name: str
    changed_at: dt.datetime
    changed_by: str | None


@dataclass(frozen=True)
class CalendarYear:
    year: int
    #: (day, name) of every weekday off: holidays, substituted days off, swaps
    days_off: list[tuple[dt.date, str]]
    #: (day, name) of the make-up working days (Saturdays worked for a swapped day off)
    working_days: list[tuple[dt.date, str]]
    #: the swaps recorded at run time, with who recorded them
    overrides: list[Override]
    #: the year's calendar changes, newest first
    history: list[AuditEvent]


def _year(year) -> int:
    if not isinstance(year, int) or not 1900 <= year <= 2999:
        raise InvalidInput("the year is not valid", {"year": ["a year like 2026"]})
    return year


def calendar_year(rt, session: Session, year: int, *, actor) -> CalendarYear:
    """The year's days off and make-up working days, the recorded swaps, and the changes made to them."""
    require_administrator(actor)
    year = _year(year)
    calendar = rt.calendars.get(session)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = session.execute(select(CalendarOverride, User.username).outerjoin(User, User.id == CalendarOverride.created_by_id)
                           .where(CalendarOverride.day.between(first, last)).order_by(CalendarOverride.day)).all()
    overrides = [Override(o.day, o.is_working, o.name, o.created_at, who) for o, who in rows]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(("admin.day_set", "admin.day_cleared")))
                             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(500)).all()
    history = [e for e in events if (e.detail or {}).get("day", "").startswith(f"{year}-")]
    return CalendarYear(year, list(calendar.non_working_days(year)), list(calendar.make_up_days(year)), overrides,
                        history)


def set_day(rt, session: Session, day: dt.date, *, is_working: bool, name: str, actor, now: dt.datetime):
    """Record a day off or a make-up working day (replacing an earlier swap of that day)."""
    require_system_administrator(actor, "changing the working calendar")
    if not isinstance(name, str) or len(name.strip()) > 255:
        raise InvalidInput("the name is too long", {"name": ["at most 255 characters"]})
    before = session.get(CalendarOverride, day)
    previous = None if before is None else {"is_working": before.is_working, "name": before.name}
    row = rt.calendars.set_override(session, day, is_working=is_working, name=name or "",
                                    actor_id=actor.id if actor else None, now=now)
    audit.record(session, "admin.day_set", actor=actor, at=now, day=day.isoformat(), is_working=is_working,
                 name=row.name, previous=previous)
    return row


def clear_day(rt, session: Session, day: dt.date, *, actor, now: dt.datetime) -> None:
    """Remove a recorded swap: the day falls back to the settings and the holidays package."""
    require_system_administrator(actor, "changing the working calendar")
    before = session.get(CalendarOverride, day)
    previous = None if before is None else {"is_working": before.is_working, "name": before.name}
    rt.calendars.remove_override(session, day)
    audit.record(session, "admin.day_cleared", actor=actor, at=now, day=day.isoformat(), previous=previous)
