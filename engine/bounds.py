"""The range of ids and instants the engine accepts from outside (cursors, filters, report periods).

Ids are 32-bit integers in the database: a larger one overflows PostgreSQL's integer (and 2^63 SQLite's).
Instants near year 1 or 9999 overflow as soon as an offset or a working day is added to them, so input
beyond a few centuries from now is refused where it comes in, naming the field.
"""
from __future__ import annotations

import datetime as dt

MAX_ID = 2**31 - 1
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
EARLIEST_DAY, LATEST_DAY = EARLIEST.date(), LATEST.date() - dt.timedelta(days=1)


def is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def is_instant(value: dt.datetime) -> bool:
    """An aware instant between EARLIEST and LATEST (one whose offset cannot carry it out of range)."""
    if value.tzinfo is None or not EARLIEST_DAY < value.date() < LATEST_DAY:
        return False
    try:
        return EARLIEST <= value.astimezone(dt.UTC) < LATEST
    except OverflowError:
        return False


def is_day(value: dt.date) -> bool:
    return EARLIEST_DAY <= value <= LATEST_DAY


def data_too_large(data, max_values: int, max_chars: int) -> bool:
    """Whether JSON-like data holds more than max_values values or max_chars characters of text.

    Counted as bpmn.script_guards.check_data_size counts a script's data (keys and values, every string's
    length); it stops at the limit, so the check is bounded whatever the data.
    """
    values, chars, stack = 0, 0, [data]
    while stack:
        value = stack.pop()
        values += 1
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, str):
            chars += len(value)
        if values > max_values or chars > max_chars:
            return True
    return False
