"""The working time left until a due time, as officials say it: "còn 2 ngày 3 giờ làm việc".

Counted on the working calendar (weekends, holidays and the hours outside working periods do not count),
in working days of the calendar's length (8 h by default), hours and minutes. Time left is rounded down
and time overdue rounded up, to the minute: neither looks better than it is.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from engine.workcalendar import WorkCalendar


@dataclass(frozen=True)
class TimeLeft:
    overdue: bool
    days: int
    hours: int
    minutes: int


def split_working_seconds(seconds: float, working_day_seconds: int) -> TimeLeft:
    """Working seconds (negative when overdue) as working days, hours and minutes."""
    overdue = seconds < 0
    minutes = math.ceil(-seconds / 60) if overdue else math.floor(seconds / 60)
    day_minutes = working_day_seconds // 60
    days, rest = divmod(minutes, day_minutes)
    return TimeLeft(overdue, days, rest // 60, rest % 60)


def time_left(calendar: WorkCalendar, now: dt.datetime, due: dt.datetime) -> TimeLeft:
    """The working time from now until `due` (overdue when `due` has passed)."""
    return split_working_seconds(calendar.between(now, due).total_seconds(), calendar.working_day_seconds)
