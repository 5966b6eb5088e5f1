"""The working calendar in force: config plus the day swaps admins add at run time (database rows).

Rows are re-read at most every `ttl` seconds per process, and at once after a change made here, so a swap
added on the admin page reaches every process without a restart.
"""
from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from config import Settings
from engine.errors import InvalidInput, NotFound
from engine.models import CalendarOverride
from engine.workcalendar import WorkCalendar


class CalendarStore:
    def __init__(self, settings: Settings, ttl: float = 60.0):
        self.settings = settings
        self.ttl = ttl
        self._calendar: WorkCalendar | None = None
        self._loaded = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> WorkCalendar:
        """The calendar with the current overrides."""
        if self._calendar is None or time.monotonic() - self._loaded > self.ttl:
            rows = session.execute(select(CalendarOverride.day, CalendarOverride.is_working,
                                          CalendarOverride.name)).all()
            calendar = WorkCalendar.from_settings(
                self.settings,
                days_off={r.day: r.name for r in rows if not r.is_working},
                working_days={r.day: r.name for r in rows if r.is_working},
            )
            with self._lock:
                self._calendar, self._loaded = calendar, time.monotonic()
        return self._calendar

    def invalidate(self) -> None:
        with self._lock:
            self._calendar = None

    def set_override(self, session: Session, day: dt.date, *, is_working: bool, name: str, actor_id: int | None,
                     now: dt.datetime) -> CalendarOverride:
        """Declare a day off or a make-up working day (replacing an earlier override of that day)."""
        if not name.strip():
            raise InvalidInput("a day swap needs a name", {"name": ["required"]})
        row = session.get(CalendarOverride, day)
        if row is None:
            row = CalendarOverride(day=day)
            session.add(row)
        row.is_working, row.name, row.created_at, row.created_by_id = is_working, name.strip(), now, actor_id
        session.flush()
        self.invalidate()
        return row

    def remove_override(self, session: Session, day: dt.date) -> None:
        """Remove an override; the day falls back to config and the holidays package."""
        if session.execute(delete(CalendarOverride).where(CalendarOverride.day == day)).rowcount == 0:
            raise NotFound(f"no calendar override on {day.isoformat()}")
        self.invalidate()
