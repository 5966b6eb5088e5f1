"""`motcua calendar due` and `motcua calendar days`: stdout holds the answer alone, errors are one line."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from api.commands.calendar import calendar


@pytest.fixture(autouse=True)
def _plain_settings(monkeypatch):
    """Run on the default settings, whatever the developer's environment says."""
    for name in [n for n in os.environ if n.startswith("MOTCUA_")]:
        monkeypatch.delenv(name)


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(calendar, list(args), env=env)


@pytest.mark.parametrize(("args", "due"), [
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P3D"], "2026-02-25T17:00:00+07:00"),
    (["--start", "2026-02-13T09:00:00Z", "--duration", "P3D"], "2026-02-25T17:00:00+07:00"),
    (["--start", "2026-02-13T16:00:00", "--duration", "P3D"], "2026-02-25T17:00:00+07:00"),  # naive = local
    (["--start", "2026-02-05T16:00:00+07:00", "--duration", "PT4H"], "2026-02-06T10:30:00+07:00"),
    (["--start", "2026-02-05T16:00:00+07:00", "--duration", "p1dt2h"], "2026-02-09T09:30:00+07:00"),
    (["--start", "2026-02-13T14:59:00+07:00", "--same-day"], "2026-02-13T17:00:00+07:00"),
    (["--start", "2026-02-13T15:00:00+07:00", "--same-day"], "2026-02-13T17:00:00+07:00"),
    (["--start", "2026-02-13T15:01:00+07:00", "--same-day"], "2026-02-23T17:00:00+07:00"),
    (["--start", "2026-02-13T16:00:00+07:00", "--calendar-days", "15"], "2026-03-02T17:00:00+07:00"),
])
def test_due_prints_the_instant_alone(args, due):
    result = run("due", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (0, due + "\n", "")


@pytest.mark.parametrize(("args", "message"), [
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P1X"],
     "error: --duration: 'P1X' is not an ISO 8601 duration like PT4H, P3D or P1DT2H"),
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "-PT4H"],
     "error: --duration: '-PT4H': a duration cannot be negative"),
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P1M"],
     "error: --duration: 'P1M': years, months and weeks are not working-time units; use days (P5D)"),
    (["--start", "13/02/2026 16:00", "--duration", "P3D"],
     "error: --start: '13/02/2026 16:00' is not an ISO 8601 instant like 2026-02-13T16:00:00+07:00"),
    (["--duration", "P3D"], "error: --start: missing; give the reception instant, e.g. 2026-02-13T16:00:00+07:00"),
    (["--start", "2026-02-13T16:00:00+07:00"], "error: --duration: missing; give --duration, --same-day or --calendar-days"),
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P3D", "--same-day"],
     "error: --same-day: cannot be combined with --duration; give one deadline option"),
    (["--start", "2026-02-13T16:00:00+07:00", "--same-day", "--calendar-days", "3"],
     "error: --calendar-days: cannot be combined with --same-day; give one deadline option"),
    (["--start", "2026-02-13T16:00:00+07:00", "--calendar-days", "-3"],
     "error: --calendar-days: '-3' is not a positive whole number of days"),
    (["--start", "2026-02-13T16:00:00+07:00", "--calendar-days", "0"],
     "error: --calendar-days: '0' is not a positive whole number of days"),
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P99999999D"],
     "error: --duration: 'P99999999D' is longer than the limit of ten years (P3650D or PT29200H of working "
     "time)"),
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P3000DT4000H"],
     "error: --duration: longer than any legal deadline (at most 3650 days)"),
    (["--start", "2026-02-13T16:00:00+07:00", "--calendar-days", "99999999999"],
     "error: --calendar-days: at most 3650 days"),
    (["--start", "2026-02-13T16:00:00+07:00", "--hours", "3"], "error: No such option '--hours'."),
    (["--start"], "error: Option '--start' requires an argument."),
])
def test_bad_input_is_one_line_and_status_2(args, message):
    result = run("due", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message + "\n")


def test_days_lists_holidays_and_marks_make_up_days():
    result = run("days", "--year", "2026")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "2026-01-01  Tết Dương lịch"
    assert "2026-02-16  Giao thừa Tết Nguyên Đán" in lines
    assert "2026-08-22  [làm việc] Ngày làm việc bù cho ngày 31/08/2026" in lines
    assert "2026-11-24  Ngày Văn hóa Việt Nam" in lines
    assert not [line for line in lines if line.startswith("2026-02-21")]  # a plain Saturday
    assert len(lines) == 15


def test_days_rejects_a_bad_year():
    result = run("days", "--year", "20x6")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", "error: --year: '20x6' is not a year like 2026\n")


def test_settings_change_the_answers(tmp_path):
    without_culture = run("days", "--year", "2026", env={"MOTCUA_CALENDAR_CULTURAL_DAY_OFF": "false"})
    assert "2026-11-24" not in without_culture.stdout
    config = tmp_path / "motcua.toml"
    config.write_text('[calendar.working_days]\n"2026-02-21" = "Làm bù"\n', encoding="utf-8")
    result = run("due", "--start", "2026-02-13T16:00:00+07:00", "--duration", "P3D", env={"MOTCUA_CONFIG": str(config)})
    assert result.stdout == "2026-02-24T17:00:00+07:00\n"


def test_bad_settings_are_one_line_and_status_1():
    result = run("due", "--start", "2026-02-13T16:00:00+07:00", "--same-day", env={"MOTCUA_CALENDAR_TIMEZONE": "Mars/Base"})
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: calendar.timezone: unknown time zone 'Mars/Base'\n"


def test_through_the_motcua_command():
    from api.cli import main

    result = CliRunner().invoke(main, ["calendar", "due", "--start", "2026-02-13T16:00:00+07:00", "--duration", "P3D"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "2026-02-25T17:00:00+07:00\n", "")
