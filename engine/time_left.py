"""The working time left until a due time, as officials say it: "còn 2 ngày 3 giờ làm việc"; and a budget of
working time ("P1DT4H") in the same parts and words: "1 ngày 4 giờ làm việc".

Counted on the working calendar (weekends, holidays and the hours outside working periods do not count),
in working days of the calendar's length (8 h by default), hours and minutes. Time left is rounded down
and time overdue rounded up, to the minute: neither looks better than it is.

A budget is split and put in order here, once (budget_words); each unit's words are given by whoever shows
them: the printed forms in Vietnamese (budget_vi), the workspace's pages through their catalog
(api.web.labels), which gives the same Vietnamese words (a test compares them).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from bpmn.durations import parse_duration
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


def split_budget(iso: str) -> TimeLeft:
    """A budget of working time (ISO 8601: "P1DT4H") in working days, hours and minutes as written: days stay
    days and hours stay hours ("PT16H" is 16 hours), as the procedure's text says them. ValueError when `iso`
    is not a duration."""
    d = parse_duration(iso)
    hours, minutes = divmod(d.seconds // 60, 60)
    return TimeLeft(False, d.days, hours, minutes)


def amount_words(amount: TimeLeft, say_unit: Callable[[str, int], str]) -> str:
    """An amount of working time in words, its parts largest first (days, hours; minutes when there are some
    or nothing else is), each said by `say_unit("day", 1)`: "1 ngày 4 giờ"."""
    parts = [(unit, n) for unit, n in (("day", amount.days), ("hour", amount.hours)) if n]
    if amount.minutes or not parts:
        parts.append(("minute", amount.minutes))
    return " ".join(say_unit(unit, n) for unit, n in parts)


def budget_words(iso: str | None, say_unit: Callable[[str, int], str], say_whole: Callable[[str], str]) -> str:
    """A budget in words (amount_words), said whole by `say_whole("1 ngày 4 giờ")`. "" for no budget, the text
    itself when it is not a duration. The printed forms say it in Vietnamese (budget_vi), the pages through
    their catalog (api.web.labels: the same Vietnamese words)."""
    if not iso:
        return ""
    try:
        budget = split_budget(iso)
    except ValueError:
        return iso
    return say_whole(amount_words(budget, say_unit))


_UNITS_VI = {"day": "ngày", "hour": "giờ", "minute": "phút"}


def unit_vi(unit: str, n: int) -> str:
    return f"{n} {_UNITS_VI[unit]}"


def budget_vi(iso: str | None) -> str:
    """A budget in Vietnamese words for the printed forms: "P1DT4H" -> "1 ngày 4 giờ làm việc"."""
    return budget_words(iso, unit_vi, lambda amount: f"{amount} làm việc")


def used_vi(used: TimeLeft) -> str:
    """Working time used, in Vietnamese words for the printed forms: "3 giờ 20 phút làm việc"."""
    return f"{amount_words(used, unit_vi)} làm việc"
