"""ISO 8601 durations as used for working time (`PT4H`, `P3D`, `P1DT2H30M`).

Days and clock time are kept apart: a working day is not 24 hours, and "3 working days" is counted in whole
days on the calendar (see engine.workcalendar), while hours and minutes are counted inside working hours.
Years, months and weeks are refused: their length in working time is not defined.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERN = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


#: the longest duration anything may name (a budget, a timer, an extension, add_working_time): ten years,
#: 3,650 days, or in clock time 3,650 working days of 8 hours. Counting working time walks the calendar
#: day by day: PT99999999H took 3.4 s; the bound takes at most about 0.1 s, once per process.
MAX_DAYS = 3650
MAX_SECONDS = MAX_DAYS * 8 * 3600
MAX_TEXT = 40  # characters of a duration's text: more digits than any duration under the bound needs


@dataclass(frozen=True, order=True)
class Duration:
    """A working duration: whole working days plus working seconds."""

    days: int = 0
    seconds: int = 0

    def __post_init__(self):
        if self.days < 0 or self.seconds < 0:
            raise ValueError("a duration cannot be negative")

    @property
    def is_zero(self) -> bool:
        return self.days == 0 and self.seconds == 0

    def isoformat(self) -> str:
        out = "P"
        if self.days:
            out += f"{self.days}D"
        h, rest = divmod(self.seconds, 3600)
        m, s = divmod(rest, 60)
        if h or m or s or not self.days:
            out += "T"
            if h:
                out += f"{h}H"
            if m:
                out += f"{m}M"
            if s or not (h or m or self.days):
                out += f"{s}S"
        return out

    def __str__(self) -> str:
        return self.isoformat()


def parse_duration(text: str) -> Duration:
    """Parse `PnDTnHnMnS`; raise ValueError saying what is wrong with the text."""
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO 8601 duration string, got {type(text).__name__}")
    raw = text.strip().upper()
    if len(raw) > MAX_TEXT:
        raise ValueError(f"{text[:MAX_TEXT]!r}...: too long for a duration")
    if raw.startswith("-"):
        raise ValueError(f"{text!r}: a duration cannot be negative")
    m = _PATTERN.match(raw)
    if not m or raw in ("P", "PT"):
        if re.match(r"^P(\d+Y|\d+M|\d+W)", raw):
            raise ValueError(f"{text!r}: years, months and weeks are not working-time units; use days (P5D)")
        raise ValueError(f"{text!r} is not an ISO 8601 duration like PT4H, P3D or P1DT2H")
    parts = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
    days, seconds = parts["days"], parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]
    if days * 8 * 3600 + seconds > MAX_SECONDS:
        raise ValueError(f"{text!r} is longer than the limit of ten years (P{MAX_DAYS}D or "
                         f"PT{MAX_SECONDS // 3600}H of working time)")
    return Duration(days, seconds)


DEADLINE_UNITS = ("working_days", "working_hours", "calendar_days", "same_day")


@dataclass(frozen=True)
class Deadline:
    """A procedure's legal deadline: `value` in `unit` (`same_day` takes no value)."""

    unit: str
    value: int = 0

    def __post_init__(self):
        if self.unit not in DEADLINE_UNITS:
            raise ValueError(f"deadline unit {self.unit!r} is not one of {', '.join(DEADLINE_UNITS)}")
        if self.value < 0 or (self.unit != "same_day" and self.value == 0):
            raise ValueError(f"deadline value must be a positive number of {self.unit}")
        if self.value > (MAX_SECONDS // 3600 if self.unit == "working_hours" else MAX_DAYS):
            raise ValueError(f"deadline value {self.value} {self.unit} is longer than the limit of ten years")

    def describe_vi(self) -> str:
        return {
            "working_days": f"{self.value} ngày làm việc",
            "working_hours": f"{self.value} giờ làm việc",
            "calendar_days": f"{self.value} ngày",
            "same_day": "trong ngày",
        }[self.unit]
