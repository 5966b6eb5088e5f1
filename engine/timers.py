"""BPMN timer events on the engine's clock, and working-time durations for timer expressions.

SpiffWorkflow reads the time only through `datetime.now(timezone.utc)` inside its timer module. We replace
that module's `datetime` name, once, by a subclass whose `now()` answers the instant set for the current
thread by `clock_at(now)`, and the real time otherwise: a scheduler tick, a test with a frozen clock and
`motcua escalate --now` all see their own `now`, and other threads are not affected.

Each dossier stores its earliest waiting timer (`Dossier.next_timer_at`, from `next_timer_at(workflow)`
after every step); the timer job (engine.jobs.fire_timers) polls that indexed column.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer

from bpmn.durations import parse_duration
from engine.workcalendar import WorkCalendar

TIMER_EVENTS = ("DurationTimerEventDefinition", "TimeDateEventDefinition", "CycleTimerEventDefinition")
_now = threading.local()
_real_datetime = dt.datetime


class _ClockDatetime(dt.datetime):
    """`datetime` as SpiffWorkflow's timer module sees it: now() is the engine's instant when one is set."""

    @classmethod
    def now(cls, tz=None):
        at = getattr(_now, "at", None)
        if at is None:
            return _real_datetime.now(tz)
        return at.astimezone(tz) if tz else at.astimezone().replace(tzinfo=None)


def install() -> None:
    """Route SpiffWorkflow's timer clock through `clock_at` (idempotent)."""
    spiff_timer.datetime = _ClockDatetime


@contextmanager
def clock_at(now: dt.datetime) -> Iterator[None]:
    """Let the workflow steps run in this block see `now` as the current time (this thread only)."""
    if now.tzinfo is None:
        raise ValueError("clock_at needs an aware datetime")
    install()
    previous = getattr(_now, "at", None)
    _now.at = now
    try:
        yield
    finally:
        _now.at = previous


def next_timer_at(workflow) -> dt.datetime | None:
    """Return the earliest instant a waiting timer of the workflow fires, or None when none waits."""
    instants = []
    for event in workflow.waiting_events():
        if event.event_type not in TIMER_EVENTS or event.value is None:
            continue
        value = event.value
        if isinstance(value, dt.datetime):
            instants.append(value if value.tzinfo else value.replace(tzinfo=spiff_timer.LOCALTZ))
        else:
            instants.append(spiff_timer.TimerEventDefinition.get_datetime(str(value)))
    return min(instants).astimezone(dt.UTC) if instants else None


def add_working_time_to(calendar: WorkCalendar, start, duration: str, timezone: dt.tzinfo) -> str:
    """Return start + a working-time duration as an ISO string with its offset (timer expressions need one)."""
    at = start if isinstance(start, dt.datetime) else dt.datetime.fromisoformat(str(start))
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone)
    return calendar.add(at, parse_duration(duration)).astimezone(timezone).isoformat()


def script_functions(calendar: Callable[[], WorkCalendar]) -> dict[str, Callable]:
    """Return the functions timer expressions may call: add_working_time(start_iso, "PT4H"), and
    after_working_time("PT4H") (from the step's start: when the timer starts waiting).

    `calendar` gives the calendar in force when the expression runs (with the admins' day swaps).
    """
    def add_working_time(start, duration):
        cal = calendar()
        return add_working_time_to(cal, start, duration, cal.tzinfo)

    def after_working_time(duration):
        """The instant `duration` of working time after now: a timer's expression is evaluated when the timer
        starts waiting, so on a boundary timer that is its step's start (a step-level working-time timer)."""
        cal = calendar()
        return add_working_time_to(cal, engine_now(), duration, cal.tzinfo)

    return {"add_working_time": add_working_time, "after_working_time": after_working_time}


def engine_now() -> dt.datetime:
    """The instant the workflow steps of this thread run at (clock_at), else the real time."""
    at = getattr(_now, "at", None)
    return at if at is not None else _real_datetime.now(dt.UTC)
