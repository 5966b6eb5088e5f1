"""`GET /api/v1/calendar/due` answers exactly as `motcua calendar due` does, and names bad parameters."""
from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from click.testing import CliRunner

from api.commands.calendar import calendar

# (CLI arguments, the same question as query parameters)
QUESTIONS = [
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P3D"],
     {"start": "2026-02-13T16:00:00+07:00", "duration": "P3D"}),
    (["--start", "2026-02-13T09:00:00Z", "--duration", "P3D"], {"start": "2026-02-13T09:00:00Z", "duration": "P3D"}),
    (["--start", "2026-02-13T16:00:00", "--duration", "P3D"], {"start": "2026-02-13T16:00:00", "duration": "P3D"}),
    (["--start", "2026-02-05T16:00:00+07:00", "--duration", "PT4H"],
     {"start": "2026-02-05T16:00:00+07:00", "duration": "PT4H"}),
    (["--start", "2026-02-05T16:00:00+07:00", "--duration", "p1dt2h"],
     {"start": "2026-02-05T16:00:00+07:00", "duration": "p1dt2h"}),
    (["--start", "2026-03-02T09:17:42.5+07:00", "--duration", "PT0S"],
     {"start": "2026-03-02T09:17:42.5+07:00", "duration": "PT0S"}),
    (["--start", "2026-02-13T15:00:00+07:00", "--same-day"], {"start": "2026-02-13T15:00:00+07:00", "same_day": "true"}),
    (["--start", "2026-02-13T15:01:00+07:00", "--same-day"], {"start": "2026-02-13T15:01:00+07:00", "same_day": "1"}),
    (["--start", "2026-02-13T16:00:00+07:00", "--calendar-days", "15"],
     {"start": "2026-02-13T16:00:00+07:00", "calendar_days": "15"}),
    (["--start", "2026-08-21T10:00:00+07:00", "--calendar-days", "1"],
     {"start": "2026-08-21T10:00:00+07:00", "calendar_days": "1"}),
]

BAD_QUESTIONS = [
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P1X"],
     {"start": "2026-02-13T16:00:00+07:00", "duration": "P1X"}, "duration"),
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P1M"],
     {"start": "2026-02-13T16:00:00+07:00", "duration": "P1M"}, "duration"),
    (["--start", "13/02/2026 16:00", "--duration", "P3D"], {"start": "13/02/2026 16:00", "duration": "P3D"}, "start"),
    (["--duration", "P3D"], {"duration": "P3D"}, "start"),
    (["--start", "2026-02-13T16:00:00+07:00"], {"start": "2026-02-13T16:00:00+07:00"}, "duration"),
    (["--start", "2026-02-13T16:00:00+07:00", "--duration", "P3D", "--same-day"],
     {"start": "2026-02-13T16:00:00+07:00", "duration": "P3D", "same_day": "true"}, "same_day"),
    (["--start", "2026-02-13T16:00:00+07:00", "--calendar-days", "0"],
     {"start": "2026-02-13T16:00:00+07:00", "calendar_days": "0"}, "calendar_days"),
    (["--start", "9999-12-31T16:00:00+07:00", "--duration", "P30D"],
     {"start": "9999-12-31T16:00:00+07:00", "duration": "P30D"}, "start"),
]


@pytest.fixture
def cli(monkeypatch):
    """The command line on the default settings, as its own tests run it."""
    for name in [n for n in os.environ if n.startswith("MOTCUA_")]:
        monkeypatch.delenv(name)

    def run(args):
        return CliRunner().invoke(calendar, ["due", *args])

    return run


@pytest.fixture
def desk(client_for):
    return client_for("tanlap.reception")


@pytest.mark.parametrize(("args", "params"), QUESTIONS)
def test_the_api_gives_the_cli_answer(cli, desk, args, params):
    expected = cli(args)
    assert expected.exit_code == 0, expected.stderr
    response = desk.get("/api/v1/calendar/due", query_string=params)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["due"] == expected.stdout.strip()
    assert body["due"].endswith("+07:00") and body["start"].endswith("+07:00")
    assert body["rule"] in ("duration", "same_day", "calendar_days")


def cli_spelling(message: str) -> str:
    """The API names parameters as sent (same_day), the CLI as options (--same-day)."""
    return re.sub(r"\b(duration|same_day|calendar_days)\b(?=,| or|;|$)",
                  lambda m: "--" + m.group(1).replace("_", "-"), message)


@pytest.mark.parametrize(("args", "params", "bad"), BAD_QUESTIONS)
def test_bad_input_is_422_naming_the_parameter_with_the_cli_message(cli, desk, args, params, bad):
    expected = cli(args)
    response = desk.get("/api/v1/calendar/due", query_string=params)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert next(iter(errors)) == bad  # the first to fix, as the CLI reports it
    option = "--" + bad.replace("_", "-")
    assert (expected.exit_code, expected.stderr) == (2, f"error: {option}: {cli_spelling(errors[bad][0])}\n")


def test_a_non_boolean_same_day_is_422(desk):
    response = desk.get("/api/v1/calendar/due", query_string={"start": "2026-03-02T09:00:00+07:00", "same_day": "x"})
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"query.same_day"}


def test_the_desk_sees_day_swaps_added_at_run_time(desk, rt, session):
    """Unlike the CLI (config only), the API uses the calendar in force, with the admins' overrides."""
    params = {"start": "2026-03-02T09:00:00+07:00", "duration": "P1D"}
    assert desk.get("/api/v1/calendar/due", query_string=params).get_json()["due"] == "2026-03-03T17:00:00+07:00"
    rt.calendars.set_override(session, dt.date(2026, 3, 3), is_working=False, name="Nghỉ bù", actor_id=None,
                              now=rt.clock.now())
    session.commit()
    assert desk.get("/api/v1/calendar/due", query_string=params).get_json()["due"] == "2026-03-04T17:00:00+07:00"


def test_anyone_logged_in_may_ask_but_not_anonymous(client, client_for):
    params = {"start": "2026-03-02T09:00:00+07:00", "same_day": "true"}
    assert client.get("/api/v1/calendar/due", query_string=params).status_code == 401
    assert client_for("hoabinh.specialist").get("/api/v1/calendar/due", query_string=params).status_code == 200
