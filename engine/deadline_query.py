""""When is a dossier received at S due under rule R?": the question the reception desk and the CLI ask.

Both `motcua calendar due` and `GET /api/v1/calendar/due` parse their raw text with `parse_due_query`
and answer with `answer_due_query`, so the two give the same instant and the same messages for the same
input. `option` spells a parameter name the caller's way (`--same-day` on the command line, `same_day`
over HTTP); `errors` are keyed by that spelling, in the order a person should fix them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from bpmn.durations import Duration, parse_duration
from engine.errors import InvalidInput
from engine.workcalendar import WorkCalendar

Spelling = Callable[[str], str]


@dataclass(frozen=True)
class DueQuery:
    """A parsed question: the start instant and exactly one deadline rule."""

    start: dt.datetime
    start_text: str  # as given, for messages
    rule: str  # "duration" | "same_day" | "calendar_days"
    duration: Duration | None = None
    calendar_days: int | None = None


@dataclass(frozen=True)
class DueAnswer:
    query: DueQuery
    due: dt.datetime


def _instant(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    try:
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    # A desk clerk types local time: no offset means the calendar's zone, as in the CLI's help.
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


#: no legal deadline comes near ten years; a larger one is a typing error (and past the calendar's reach)
MAX_DAYS = 3650


def parse_due_query(start: str | None, duration: str | None, same_day: bool, calendar_days: str | None, *,
                    tz: dt.tzinfo, option: Spelling = str) -> DueQuery:
    """Parse the raw parameters; raise InvalidInput naming each bad one."""
    errors: dict[str, list[str]] = {}
    chosen = [name for name, given in (("duration", duration is not None), ("same_day", same_day),
                                       ("calendar_days", calendar_days is not None)) if given]
    if start is None:
        errors[option("start")] = ["missing; give the reception instant, e.g. 2026-02-13T16:00:00+07:00"]
    if len(chosen) > 1:
        errors[option(chosen[1])] = [f"cannot be combined with {option(chosen[0])}; give one deadline option"]
    if not chosen:
        errors[option("duration")] = [f"missing; give {option('duration')}, {option('same_day')} "
                                      f"or {option('calendar_days')}"]
    parsed = None
    if duration is not None:
        try:
            parsed = parse_duration(duration)
        except ValueError as exc:
            errors.setdefault(option("duration"), []).append(str(exc))
        else:
            if parsed.days + parsed.seconds / 3600 > MAX_DAYS:  # hours counted as whole days: a loose bound
                errors.setdefault(option("duration"), []).append(f"longer than any legal deadline "
                                                                 f"(at most {MAX_DAYS} days)")
    if calendar_days is not None and not (calendar_days.strip().isdigit() and int(calendar_days) >= 1):
        errors.setdefault(option("calendar_days"), []).append(
            f"{calendar_days!r} is not a positive whole number of days")
    elif calendar_days is not None and int(calendar_days) > MAX_DAYS:
        errors.setdefault(option("calendar_days"), []).append(f"at most {MAX_DAYS} days")
    at = _instant(start, tz) if start is not None else None
    if start is not None and at is None:
        errors[option("start")] = [f"{start!r} is not an ISO 8601 instant like 2026-02-13T16:00:00+07:00"]
    if errors:
        raise InvalidInput("the due-time question has invalid parameters", errors)
    return DueQuery(start=at, start_text=start, rule=chosen[0], duration=parsed,
                    calendar_days=int(calendar_days) if calendar_days is not None else None)


def answer_due_query(calendar: WorkCalendar, query: DueQuery, *, option: Spelling = str) -> dt.datetime:
    """The due instant, in the calendar's zone (+07:00 for Asia/Ho_Chi_Minh)."""
    try:
        if query.rule == "duration":
            due = calendar.add(query.start, query.duration)
        elif query.rule == "calendar_days":
            due = calendar.add_calendar_days(query.start, query.calendar_days)
        else:
            due = calendar.due_same_day(query.start)
    except (ValueError, OverflowError) as exc:  # e.g. a year the calendar cannot reach
        raise InvalidInput("the due time cannot be computed", {option("start"): [f"{query.start_text!r}: {exc}"]}) from None
    return due.astimezone(calendar.tzinfo)


def ask_due(calendar: WorkCalendar, start: str | None, duration: str | None, same_day: bool,
            calendar_days: str | None, *, option: Spelling = str) -> DueAnswer:
    """Parse the raw parameters and answer them with this calendar."""
    query = parse_due_query(start, duration, same_day, calendar_days, tz=calendar.tzinfo, option=option)
    return DueAnswer(query, answer_due_query(calendar, query, option=option))
