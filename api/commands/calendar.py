"""`motcua calendar`: due instants and the year's days off, from the configured working calendar.

The calendar in force: the settings plus the day swaps stored in the database, when the configured database
exists (the same answer as the API); the settings alone otherwise. `set-day` and `clear-day` record the
government's day swaps at run time. Bad input gives one `error: <option>: ...` line on stderr and exit
status 2, so scripts can rely on stdout holding the answer alone.
"""
from __future__ import annotations

import datetime as dt

import click

from api.commands.database import migrated_runtime, sqlite_file
from config import load_settings
from config.settings import SettingsError
from engine.admin import calendar as admin_calendar
from engine.deadline_query import ask_due
from engine.errors import InvalidInput, NotFound
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


def _settings():
    try:
        return load_settings()
    except SettingsError as exc:
        error = CalendarError(str(exc))
        error.exit_code = 1  # the configuration, not the arguments, is wrong
        raise error from None


def _database_exists(url: str) -> bool:
    if not url.startswith("sqlite"):
        return True
    file = sqlite_file(url)
    return file is not None and file.is_file()


def _calendar() -> WorkCalendar:
    settings = _settings()
    if _database_exists(settings.database_url):
        from sqlalchemy.exc import SQLAlchemyError

        from engine.runtime import Runtime

        try:
            rt = Runtime.from_settings(settings)
            with rt.sessions() as session:
                return rt.calendars.get(session)
        except SQLAlchemyError:  # no schema yet, or the server is down: the configured calendar still answers
            pass
    return WorkCalendar.from_settings(settings)


def _runtime_for_update():
    _settings()  # a bad configuration exits 1, as for the other calendar commands
    return migrated_runtime()


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


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
    cal = _calendar()
    try:
        answer = ask_due(cal, start, duration, same_day, calendar_days, option=_option)
    except InvalidInput as exc:  # the first problem, as one line
        name, messages = next(iter(exc.errors.items()))
        raise CalendarError(f"{name}: {messages[0]}") from None
    click.echo(answer.due.replace(microsecond=0).isoformat())  # as the API writes instants: whole seconds


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


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CalendarError(f"DATE: {text!r} is not a date like 2027-04-29") from None


@calendar.command("set-day", cls=_OneLineCommand)
@click.argument("day", metavar="DATE")
@click.option("--off", "kind", flag_value="off", help="The date is a day off (a swapped weekday).")
@click.option("--working", "kind", flag_value="working", help="The date is a working day (a make-up Saturday).")
@click.option("--name", required=True, help="What the government decided, e.g. 'Nghỉ bù hoán đổi cho 02/05'.")
def set_day(day: str, kind: str | None, name: str) -> None:
    """Record a day swap in the database (every process sees it within a minute; audited, by the system)."""
    if kind is None:
        raise CalendarError("--off/--working: say whether DATE is a day off or a working day")
    date = _day(day)
    rt = _runtime_for_update()
    with rt.sessions() as session:
        try:
            admin_calendar.set_day(rt, session, date, is_working=kind == "working", name=name, actor=None,
                                   now=rt.clock.now())
        except InvalidInput as exc:
            field, messages = next(iter(exc.errors.items()))
            raise CalendarError(f"--{field}: {messages[0]}") from None
        session.commit()
    click.echo(f"{date.isoformat()}  {'[làm việc] ' if kind == 'working' else ''}{name.strip()}")


@calendar.command("clear-day", cls=_OneLineCommand)
@click.argument("day", metavar="DATE")
def clear_day(day: str) -> None:
    """Remove a day swap recorded in the database."""
    date = _day(day)
    rt = _runtime_for_update()
    with rt.sessions() as session:
        try:
            admin_calendar.clear_day(rt, session, date, actor=None, now=rt.clock.now())
        except NotFound as exc:
            raise CalendarError(f"DATE: {exc.detail}") from None
        session.commit()
    click.echo(f"{date.isoformat()}  removed")
