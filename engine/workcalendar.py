"""Working-time arithmetic for deadlines: Vietnamese working days and working hours.

A working day is Monday-Friday, minus the public holidays of `holidays` (country VN, with its substituted
days off; 24/11 only when `cultural_day_off`), plus the make-up Saturdays it knows, then the overrides:
`days_off` and `working_days` (config and the admin table; a date may not be in both). Inside a working
day only the working periods count (default 07:30-11:30 and 13:00-17:00, Asia/Ho_Chi_Minh).

Rules (`add(start, duration, pauses)`; instants are aware, results are aware UTC; naive -> ValueError):
- Days count whole working days: P3D is the *end* of the 3rd working day after the reception day, whatever
  the reception time (Thu 10:20 + P3D -> end of Tue when Fri, Mon, Tue are working). A reception on a
  weekend or a holiday makes the next working day day 1.
- Hours and minutes count working time inside the periods (PT4H from Thu 16:00 -> Fri 10:30); a start
  outside working hours begins at the next period start. P1DT2H: days first (end of day 1), then 2 h more.
- A result is the *earliest* instant that uses up the duration, so it lies inside a working period,
  its end included (PT4H from 07:30 -> 11:30, not 13:00).
- A zero duration gives the next working instant: the start itself when it lies inside a working period
  (ends included), else the next period start. Pauses are ignored: nothing is left to pause.
- Pauses (supplement requested -> supplied) are (paused_at, resumed_at) pairs. Working time inside a
  pause after the start does not count, so the due time moves by the paused working time ("resume":
  time already used still counts); pauses may overlap, span weekends, or lie outside the period. The
  "restart" rule is `add(restart_from(start, pauses), duration)` with no pauses.
- `between(a, b, pauses)` is the working time in [a, b] minus the paused working time; it is
  antisymmetric (b < a gives a negative timedelta), and `between(s, add(s, d, p), p) == d` for every
  positive hours-only d, whatever s.
- Same day: received on a working day at or before the cutoff (15:00; exactly 15:00 is not "after 15:00"
  in Decree 23/2015 art. 7) -> end of that day; later, or on a non-working day -> end of the next one.
- Calendar days: end of the working day start.date() + n, or of the next working day when that day is
  not one (Civil Code 2015 art. 148).

Internally an instant maps to a working-time number W (microseconds): L * (working days before its
local date) + the working time elapsed in its day, where L is the working time of one day. W is flat
outside working hours, so adding is `W -> W + d` and between is a subtraction. Years load lazily into
dicts keyed by date ordinal, kept contiguous so the day counts stay global.
"""
from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence

import holidays

from bpmn.durations import Deadline, Duration
from config import Settings

Pause = tuple[dt.datetime, dt.datetime]
Period = tuple[dt.time, dt.time]

_US = 1_000_000
_DEFAULT_HOURS: tuple[Period, ...] = ((dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 0), dt.time(17, 0)))
_MAKE_UP = "Ngày làm việc bù"


def _us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond


def _zone(name: str) -> dt.tzinfo:
    """Return a fixed offset when the zone had one offset since 1976, else the ZoneInfo itself."""
    zone = zoneinfo.ZoneInfo(name)
    offsets = {dt.datetime(y, m, 1, tzinfo=zone).utcoffset() for y in range(1976, 2101) for m in (1, 7)}
    # One offset all year and every year (Asia/Ho_Chi_Minh: +07:00 since 1975): a plain timezone converts
    # faster than ZoneInfo and cannot meet a gap or a fold.
    return dt.timezone(offsets.pop()) if len(offsets) == 1 else zone


def restart_from(start_at: dt.datetime, pauses: Iterable[Pause]) -> dt.datetime:
    """Return where a restarted clock starts: the last resumption, or start_at without pauses."""
    return max([start_at, *(resumed_at for _, resumed_at in pauses)])


class WorkCalendar:
    """Working days and hours of one agency; thread-safe, caches the years it has seen."""

    def __init__(self, *, timezone: str = "Asia/Ho_Chi_Minh", working_hours: Sequence[Period] = _DEFAULT_HOURS,
                 same_day_cutoff: dt.time = dt.time(15, 0), cultural_day_off: bool = True,
                 days_off: Mapping[dt.date, str] | None = None,
                 working_days: Mapping[dt.date, str] | None = None):
        self.timezone = timezone
        self.tzinfo = _zone(timezone)
        self.working_hours = tuple(working_hours)
        self.same_day_cutoff = same_day_cutoff
        self.cultural_day_off = cultural_day_off
        self._days_off = dict(days_off or {})
        self._working_days = dict(working_days or {})
        both = sorted(set(self._days_off) & set(self._working_days))
        if both:
            raise ValueError(f"{both[0].isoformat()} is both a day off and a working day")
        self._periods = tuple((_us(a), _us(b)) for a, b in self.working_hours)
        if not self._periods or any(a >= b for a, b in self._periods) or any(
                p[1] > q[0] for p, q in zip(self._periods, self._periods[1:], strict=False)):
            raise ValueError("working_hours: periods must be non-empty, increasing and not overlap")
        self._day_us = sum(b - a for a, b in self._periods)  # L: the working time of one day
        self._check_cutoff(same_day_cutoff)
        self._lock = threading.Lock()
        self._years: tuple[int, int] | None = None  # the contiguous range of loaded years
        self._before: dict[int, int] = {}  # ordinal -> working days before it (global count)
        self._working: dict[int, bool] = {}  # ordinal -> is a working day
        self._nth: dict[int, int] = {}  # working-day number -> ordinal
        self._names: dict[int, str] = {}  # ordinal -> holiday, override or make-up name
        self._holidays_of: dict[int, dict[dt.date, str]] = {}  # year -> the library's days off kept
        self._ends: tuple[int, int] = (0, 0)  # working-day numbers: first of the range, one past the last

    @classmethod
    def from_settings(cls, settings: Settings, days_off: Mapping[dt.date, str] | None = None,
                      working_days: Mapping[dt.date, str] | None = None) -> WorkCalendar:
        """Build the calendar from Settings, the extra overrides (database rows) winning over the file."""
        off = {d: n for d, n in settings.days_off.items() if d not in (working_days or {})}
        work = {d: n for d, n in settings.working_days.items() if d not in (days_off or {})}
        return cls(timezone=settings.timezone, working_hours=settings.working_hours,
                   same_day_cutoff=settings.same_day_cutoff, cultural_day_off=settings.cultural_day_off,
                   days_off={**off, **(days_off or {})}, working_days={**work, **(working_days or {})})

    @property
    def working_day_seconds(self) -> int:
        """Working seconds in one working day (8 h with the default periods)."""
        return sum((_us(b) - _us(a)) // 1_000_000 for a, b in self.working_hours)

    # -- days -------------------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        """Tell whether people work on this date."""
        return self._is_working(day.toordinal())

    def day_name(self, day: dt.date) -> str | None:
        """Return the Vietnamese name of the holiday, override or make-up day on this date, if any."""
        self._load(day.year)
        return self._names.get(day.toordinal())

    def non_working_days(self, year: int) -> list[tuple[dt.date, str]]:
        """List the year's non-working weekdays and named days off (plain weekends left out)."""
        return [(d, self._names.get(d.toordinal(), "")) for d in self._year_days(year)
                if not self._is_working(d.toordinal()) and (d.weekday() < 5 or d.toordinal() in self._names)]

    def make_up_days(self, year: int) -> list[tuple[dt.date, str]]:
        """List the year's working days that fall on a weekend or a listed holiday (make-up days)."""
        days = self._year_days(year)
        listed = self._holidays_of[year]
        return [(d, self._names.get(d.toordinal(), _MAKE_UP)) for d in days
                if self._is_working(d.toordinal()) and (d.weekday() >= 5 or d in listed)]

    # -- working time -----------------------------------------------------------------------------------

    def add(self, start: dt.datetime, duration: Duration, pauses: Sequence[Pause] = ()) -> dt.datetime:
        """Return the due instant of `duration` of working time from `start` (see the module rules)."""
        o, tod = self._local(start)
        if duration.is_zero:
            return self._next_working_instant(o, tod)
        w0 = self._w(o, tod)
        # The Nth working day after the reception day has number before(o + 1) + N - 1; aim at its end.
        target = self._day_us * (self._before_day(o + 1) + duration.days) if duration.days else w0
        return self._due(w0, target + duration.seconds * _US, pauses)

    def between(self, a: dt.datetime, b: dt.datetime, pauses: Sequence[Pause] = ()) -> dt.timedelta:
        """Return the unpaused working time from a to b (negative when b is before a)."""
        wa, wb = self._w(*self._local(a)), self._w(*self._local(b))
        if wb < wa:
            return -self.between(b, a, pauses)
        paused, reach = 0, wa
        for p, r in self._pause_spans(pauses, wa):
            p, r = max(p, reach), min(r, wb)  # the union of the pauses, clipped to [a, b]
            if r > p:
                paused += r - p
                reach = r
        return dt.timedelta(microseconds=wb - wa - paused)

    def due_same_day(self, received: dt.datetime, cutoff: dt.time | None = None,
                     pauses: Sequence[Pause] = ()) -> dt.datetime:
        """Return the end of the reception day, or of the next working day when received after the cutoff."""
        cutoff = self.same_day_cutoff if cutoff is None else cutoff
        self._check_cutoff(cutoff)
        o, tod = self._local(received)
        today = self._is_working(o) and tod <= _us(cutoff)
        # The working-day number of a non-working day is that of the next working day.
        return self._due(self._w(o, tod), self._day_us * (self._before_day(o if today else o + 1) + 1), pauses)

    def add_calendar_days(self, start: dt.datetime, n: int, pauses: Sequence[Pause] = ()) -> dt.datetime:
        """Return the end of day start+n, moved to the end of the next working day if it is not one."""
        if n < 1:
            raise ValueError(f"a period in calendar days must be at least 1 day, got {n}")
        o, tod = self._local(start)
        return self._due(self._w(o, tod), self._day_us * (self._before_day(o + n) + 1), pauses)

    def legal_due(self, start: dt.datetime, deadline: Deadline, pauses: Sequence[Pause] = (),
                  cutoff: dt.time | None = None) -> dt.datetime:
        """Return a dossier's legal due instant for a deadline in any unit."""
        if deadline.unit == "working_days":
            return self.add(start, Duration(days=deadline.value), pauses)
        if deadline.unit == "working_hours":
            return self.add(start, Duration(seconds=deadline.value * 3600), pauses)
        if deadline.unit == "calendar_days":
            return self.add_calendar_days(start, deadline.value, pauses)
        return self.due_same_day(start, cutoff, pauses)

    # -- instants <-> working-time numbers ----------------------------------------------------------------

    def _local(self, at: dt.datetime) -> tuple[int, int]:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"{at.isoformat()} has no time zone: pass an aware datetime")
        loc = at.astimezone(self.tzinfo)
        return loc.toordinal(), ((loc.hour * 60 + loc.minute) * 60 + loc.second) * _US + loc.microsecond

    def _instant(self, ordinal: int, tod: int) -> dt.datetime:
        local = dt.datetime.fromordinal(ordinal) + dt.timedelta(microseconds=tod)
        return local.replace(tzinfo=self.tzinfo).astimezone(dt.UTC)

    def _w(self, ordinal: int, tod: int) -> int:
        """Map a local instant to its working-time number."""
        w = self._day_us * self._before_day(ordinal)
        if self._working[ordinal]:
            for a, b in self._periods:
                if tod <= a:
                    break
                w += min(tod, b) - a
        return w

    def _from_w(self, w: int) -> dt.datetime:
        """Return the earliest instant whose working-time number is w (a period end, not the next start)."""
        k, rest = divmod(w, self._day_us)
        if rest == 0:
            k, rest = k - 1, self._day_us
        for a, b in self._periods:
            if rest <= b - a:
                return self._instant(self._nth_day(k), a + rest)
            rest -= b - a
        raise AssertionError("unreachable: rest is at most one day of working time")

    def _due(self, w0: int, target: int, pauses: Sequence[Pause]) -> dt.datetime:
        """Walk from w0 to target, skipping the paused working time after w0."""
        pos, left = w0, target - w0
        for p, r in self._pause_spans(pauses, w0):
            if r <= pos:
                continue
            if p >= pos + left:
                break  # done before this pause starts
            left -= max(p - pos, 0)
            pos = r
        return self._from_w(pos + left)

    def _pause_spans(self, pauses: Sequence[Pause], w0: int) -> list[tuple[int, int]]:
        spans = []
        for paused_at, resumed_at in pauses:
            if resumed_at < paused_at:
                raise ValueError(f"pause resumed at {resumed_at.isoformat()} before it began")
            p, r = max(self._w(*self._local(paused_at)), w0), self._w(*self._local(resumed_at))
            if r > p:  # pauses before the start or outside working time change nothing
                spans.append((p, r))
        return sorted(spans)

    def _next_working_instant(self, ordinal: int, tod: int) -> dt.datetime:
        if self._is_working(ordinal):
            for a, b in self._periods:
                if tod <= b:
                    return self._instant(ordinal, max(tod, a))
        return self._instant(self._nth_day(self._before_day(ordinal + 1)), self._periods[0][0])

    def _check_cutoff(self, cutoff: dt.time) -> None:
        if _us(cutoff) > self._periods[-1][1]:
            raise ValueError(f"same-day cutoff {cutoff} is after the end of the working day")

    # -- the per-year tables ------------------------------------------------------------------------------

    def _is_working(self, ordinal: int) -> bool:
        try:
            return self._working[ordinal]
        except KeyError:
            self._load(dt.date.fromordinal(ordinal).year)
            return self._working[ordinal]

    def _before_day(self, ordinal: int) -> int:
        """Return the number of working days before this date (that of the next working day if off)."""
        try:
            return self._before[ordinal]
        except KeyError:
            self._load(dt.date.fromordinal(ordinal).year)
            return self._before[ordinal]

    def _nth_day(self, k: int) -> int:
        while k not in self._nth:
            lo, hi = self._years  # type: ignore[misc]  # _nth is only asked after a load
            self._load(hi + 1 if k >= self._ends[1] else lo - 1)
        return self._nth[k]

    def _year_days(self, year: int) -> list[dt.date]:
        self._load(year)
        first = dt.date(year, 1, 1).toordinal()
        return [dt.date.fromordinal(o) for o in range(first, dt.date(year + 1, 1, 1).toordinal())]

    def _load(self, year: int) -> None:
        """Load `year` and every year between it and those already loaded, so day counts stay global."""
        if self._years and self._years[0] <= year <= self._years[1]:
            return
        if not 1 < year < 9999:
            raise ValueError(f"year {year} is out of the calendar's range")
        with self._lock:
            if self._years is None:
                self._fill(year, upward=True)
            while year > self._years[1]:
                self._fill(self._years[1] + 1, upward=True)
            while year < self._years[0]:
                self._fill(self._years[0] - 1, upward=False)

    def _fill(self, year: int, upward: bool) -> None:
        """Compute one year's working days and names; number its working days after (or before) the range."""
        lib = holidays.country_holidays("VN", years=year, language="vi")
        culture = lib.get(dt.date(year, 11, 24))
        listed = {d: n for d, n in lib.items() if d.year == year
                  # 24/11 and its substituted day (nghỉ bù) share the beginning of the name.
                  and (self.cultural_day_off or not culture or not n.startswith(culture))}
        first = dt.date(year, 1, 1).toordinal()
        days = [dt.date.fromordinal(o) for o in range(first, dt.date(year + 1, 1, 1).toordinal())]
        flags = []
        for d in days:
            if d in self._working_days or d in self._days_off:
                flags.append(d in self._working_days)
            elif d in listed:
                flags.append(False)
            else:  # a weekend is worked only as a make-up day the library knows (22/08/2026)
                flags.append(d.weekday() < 5 or lib.is_working_day(d))
                if flags[-1] and d.weekday() >= 5:
                    self._names[d.toordinal()] = self._make_up_name(d, listed)
        self._holidays_of[year] = listed
        self._names.update((d.toordinal(), n) for d, n in listed.items())
        for overrides in (self._days_off, self._working_days):
            self._names.update((d.toordinal(), n) for d, n in overrides.items() if d.year == year)
        lo, hi = self._ends
        k = hi if upward else lo - sum(flags)
        for d, is_working in zip(days, flags, strict=True):
            self._working[d.toordinal()] = is_working  # before _before: readers do not lock
            self._before[d.toordinal()] = k
            if is_working:
                self._nth[k] = d.toordinal()
                k += 1
        self._ends = (lo, k) if upward else (k - sum(flags), hi)
        if self._years is None:
            self._years = (year, year)
        else:
            self._years = (self._years[0], year) if upward else (year, self._years[1])

    @staticmethod
    def _make_up_name(day: dt.date, listed: Mapping[dt.date, str]) -> str:
        # The library names the swapped day off after the Saturday ("thay cho ngày 22/08/2026") but not
        # the Saturday itself: name the Saturday after its day off when both are in the same year.
        key = day.strftime("%d/%m/%Y")
        paired = [d for d, n in listed.items() if key in n]
        return f"{_MAKE_UP} cho ngày {paired[0]:%d/%m/%Y}" if paired else _MAKE_UP
