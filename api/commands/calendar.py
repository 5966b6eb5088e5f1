"""`motcua calendar`: due instants and the year's days off, from the configured working calendar.

No database: the overrides come from the settings only. Bad input gives one `error: <option>: ...` line
on stderr and exit status 2, so scripts can rely on stdout holding the answer alone.
"""
from __future__ import annotations

import datetime as dt

import click

from bpmn.durations import parse_duration
from config import load_settings
from config.settings import SettingsError
from engine.workcalendar import WorkCalendar


class CalendarError(click.ClickException):
    """One line on stderr, no usage text: `error: <message>`."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class _OneLineCommand(click.Command):
    """Report parse errors (unknown option, missing value) as one line too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise CalendarError(exc.format_message()) from None


def _calendar() -> WorkCalendar:
    try:
        return WorkCalendar.from_settings(load_settings())
    except SettingsError as exc:
        error = CalendarError(str(exc))
        error.exit_code = 1  # the configuration, not the arguments, is wrong
        raise error from None


def _instant(text: str, tz: dt.tzinfo) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CalendarError(f"--start: {text!r} is not an ISO 8601 instant like 2026-02-13T16:00:00+07:00") from None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


@click.group()
def calendar():
    """Working calendar: due instants and days off (Vietnamese holidays, day swaps, working hours)."""


@calendar.command(cls=_OneLineCommand)
@click.option("--start", metavar="INSTANT",
              help="Reception instant, ISO 8601 (2026-02-13T16:00:00+07:00 or ...Z). Without an offset it is "
                   "read as local time in the configured zone (Asia/Ho_Chi_Minh).")
@click.option("--duration", metavar="ISO8601",
              help="Working time: P3D = end of the 3rd working day after the reception day; PT4H = 4 hours "
                   "inside working hours; P1DT2H = days first, then hours.")
@click.option("--same-day", is_flag=True,
              help="Same-day rule: end of the reception day, or of the next working day when received after "
                   "the cutoff (15:00; exactly 15:00 is still the same day) or on a non-working day.")
@click.option("--calendar-days", metavar="N",
              help="N calendar days: end of the Nth day after the reception day, moved to the end of the "
                   "next working day when that day is not one (Civil Code art. 148).")
def due(start: str | None, duration: str | None, same_day: bool, calendar_days: str | None) -> None:
    """Print the due instant of a dossier received at --start.

    Give exactly one deadline: --duration, --same-day or --calendar-days. stdout gets one ISO 8601 instant
    with the local offset; bad input gets one `error:` line on stderr and exit status 2.

    \b
    Example: motcua calendar due --start 2026-02-13T16:00:00+07:00 --duration P3D
             2026-02-25T17:00:00+07:00   (Tết 16-20/02 and the weekend are skipped)
    """
    chosen = [name for name, given in (("--duration", duration is not None), ("--same-day", same_day),
                                       ("--calendar-days", calendar_days is not None)) if given]
    if start is None:
        raise CalendarError("--start: missing; give the reception instant, e.g. 2026-02-13T16:00:00+07:00")
    if len(chosen) > 1:
        raise CalendarError(f"{chosen[1]}: cannot be combined with {chosen[0]}; give one deadline option")
    if not chosen:
        raise CalendarError("--duration: missing; give --duration, --same-day or --calendar-days")
    if duration is not None:
        try:
            parsed = parse_duration(duration)
        except ValueError as exc:
            raise CalendarError(f"--duration: {exc}") from None
    if calendar_days is not None and not (calendar_days.strip().isdigit() and int(calendar_days) >= 1):
        raise CalendarError(f"--calendar-days: {calendar_days!r} is not a positive whole number of days")
    cal = _calendar()
    at = _instant(start, cal.tzinfo)
    try:
        if duration is not None:
            result = cal.add(at, parsed)
        elif calendar_days is not None:
            result = cal.add_calendar_days(at, int(calendar_days))
        else:
            result = cal.due_same_day(at)
    except (ValueError, OverflowError) as exc:  # e.g. a year the calendar cannot reach
        raise CalendarError(f"--start: {start!r}: {exc}") from None
    click.echo(result.astimezone(cal.tzinfo).isoformat())


@calendar.command(cls=_OneLineCommand)
@click.option("--year", metavar="YYYY", help="The year to list (default: this year).")
def days(year: str | None) -> None:
    """List the year's days off (holidays, swapped days, overrides) and its make-up working days.

    One line a date, `YYYY-MM-DD  name`; make-up working days (Saturdays worked for a swapped day off)
    are marked `[làm việc]`. Weekends without a holiday are left out.
    """
    if year is not None and not (year.strip().isdigit() and 1900 <= int(year) <= 2999):
        raise CalendarError(f"--year: {year!r} is not a year like 2026")
    cal = _calendar()
    number = int(year) if year is not None else dt.datetime.now(cal.tzinfo).year
    lines = [(d, name) for d, name in cal.non_working_days(number)]
    lines += [(d, f"[làm việc] {name}") for d, name in cal.make_up_days(number)]
    for d, name in sorted(lines):
        click.echo(f"{d.isoformat()}  {name}")
