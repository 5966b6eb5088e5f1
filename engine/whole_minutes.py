"""Deadline arithmetic in whole minutes, as officials and citizens read times (17:00, never 07:30:10).

- A pause counts whole minutes: its span is floored to the minute and starts at the minute it began in.
  Floor, not round up: a pause the citizen caused may only move the deadline by time that really passed,
  and a supplement handed over within the minute it was asked for (a ten-second pause) moves nothing. A
  17:00 due time plus ten paused seconds was 07:30:10 the next morning, shown to the citizen.
- A dossier's due time is rounded up to the minute: a start with seconds (received 09:00:07, due PT4H
  later) must not give a due time the slip cannot print; up, because the law's time is never shortened.

The pause rows keep the real instants (the audit trail's truth); these functions give what is counted.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

_MINUTE = dt.timedelta(minutes=1)


def floor_minute(at: dt.datetime) -> dt.datetime:
    return at.replace(second=0, microsecond=0)


def due(at: dt.datetime) -> dt.datetime:
    """`at` rounded up to the whole minute."""
    floored = floor_minute(at)
    return floored if floored == at else floored + _MINUTE


def pauses(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The pauses as counted: each from the minute it began, lasting its span floored to whole minutes."""
    counted = []
    for paused_at, resumed_at in spans:
        start = floor_minute(paused_at)
        minutes = max((resumed_at - paused_at) // _MINUTE, 0)
        counted.append((start, start + minutes * _MINUTE))
    return counted
