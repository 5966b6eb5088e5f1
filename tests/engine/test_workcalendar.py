"""The working calendar: Vietnamese holidays and swaps, working hours, same-day rule, pauses."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpmn.durations import Deadline, Duration, parse_duration
from config import load_settings
from engine.workcalendar import WorkCalendar, restart_from

VN = dt.timezone(dt.timedelta(hours=7))
CAL = WorkCalendar()
NO_CULTURE = WorkCalendar(cultural_day_off=False)
PERIODS = ((dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 0), dt.time(17, 0)))


def at(text: str) -> dt.datetime:
    """'2026-02-13 16:00' -> that instant in Vietnam."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def in_working_hours(cal: WorkCalendar, instant: dt.datetime) -> bool:
    local = instant.astimezone(VN)
    return cal.is_working_day(local.date()) and any(a <= local.time() <= b for a, b in PERIODS)


# -- days ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "working"), [
    ("2026-02-13", True), ("2026-02-16", False), ("2026-02-17", False), ("2026-02-20", False),
    ("2026-02-21", False), ("2026-02-22", False), ("2026-02-23", True),          # Tết 2026
    ("2027-02-03", True), ("2027-02-04", False), ("2027-02-05", False), ("2027-02-08", False),
    ("2027-02-10", False), ("2027-02-11", True),                                 # Tết 2027
    ("2026-04-27", False), ("2026-04-29", True), ("2026-04-30", False), ("2026-05-01", False),
    ("2026-05-04", True), ("2027-05-03", False),                                 # 30/4-1/5, nghỉ bù
    ("2026-08-21", True), ("2026-08-22", True), ("2026-08-29", False),           # the make-up Saturday
    ("2026-08-31", False), ("2026-09-01", False), ("2026-09-02", False), ("2026-09-03", True),
    ("2026-11-24", False), ("2026-11-25", True), ("2026-03-10", True), ("2026-03-14", False),
])
def test_is_working_day(day, working):
    assert CAL.is_working_day(d(day)) is working


def test_tet_2027_days_off_are_the_library_ones():
    lib = holidays.country_holidays("VN", years=2027)
    tet = sorted(x for x in lib if x.month == 2)
    assert tet == [d("2027-02-04") + dt.timedelta(i) for i in range(7)]
    assert [x for x, _ in CAL.non_working_days(2027) if x.month == 2] == tet


def test_non_working_days_2026_is_the_full_list():
    assert [x.isoformat() for x, _ in CAL.non_working_days(2026)] == [
        "2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-04-26",
        "2026-04-27", "2026-04-30", "2026-05-01", "2026-08-31", "2026-09-01", "2026-09-02", "2026-11-24"]
    assert dict(CAL.non_working_days(2026))[d("2026-02-16")] == "Giao thừa Tết Nguyên Đán"
    assert CAL.make_up_days(2026) == [(d("2026-08-22"), "Ngày làm việc bù cho ngày 31/08/2026")]


def test_day_names():
    assert CAL.day_name(d("2026-09-02")) == "Quốc khánh"
    assert CAL.day_name(d("2026-11-24")) == "Ngày Văn hóa Việt Nam"
    assert CAL.day_name(d("2026-03-10")) is None
    assert CAL.day_name(d("2026-03-14")) is None  # a plain Saturday


@pytest.mark.parametrize(("day", "with_setting", "without"), [
    ("2026-11-24", False, True), ("2029-11-26", False, True),  # 24/11 and its nghỉ bù (24/11/2029 a Saturday)
    ("2026-09-02", False, False), ("2026-11-23", True, True),
])
def test_cultural_day_setting(day, with_setting, without):
    assert CAL.is_working_day(d(day)) is with_setting
    assert NO_CULTURE.is_working_day(d(day)) is without


def test_cultural_day_setting_changes_lists_and_due_times():
    assert d("2026-11-24") not in dict(NO_CULTURE.non_working_days(2026))
    assert NO_CULTURE.day_name(d("2026-11-24")) is None
    assert CAL.add(at("2026-11-23 10:00"), Duration(days=1)) == at("2026-11-25 17:00")
    assert NO_CULTURE.add(at("2026-11-23 10:00"), Duration(days=1)) == at("2026-11-24 17:00")


# -- add ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "duration", "due"), [
    ("2026-02-13 16:00", "P3D", "2026-02-25 17:00"),   # Friday before Tết: 23, 24, 25
    ("2026-02-05 10:20", "P3D", "2026-02-10 17:00"),   # Thursday: Fri, Mon, Tue
    ("2026-02-05 06:00", "P1D", "2026-02-06 17:00"),   # the reception day never counts
    ("2026-02-07 10:00", "P1D", "2026-02-09 17:00"),   # Saturday: Monday is day 1
    ("2026-02-17 09:00", "P1D", "2026-02-23 17:00"),   # on Tết
    ("2026-08-21 10:00", "P1D", "2026-08-22 17:00"),   # the make-up Saturday counts
    ("2026-08-28 10:00", "P2D", "2026-09-04 17:00"),   # 31/08, 01/09, 02/09 off
    ("2026-04-29 10:00", "P2D", "2026-05-05 17:00"),   # 30/4, 1/5, weekend
    ("2027-02-03 10:00", "P1D", "2027-02-11 17:00"),   # Tết 2027
    ("2026-12-31 10:00", "P1D", "2027-01-04 17:00"),   # across years: 1/1, weekend
    ("2026-02-05 16:00", "PT4H", "2026-02-06 10:30"),
    ("2026-02-05 07:30", "PT4H", "2026-02-05 11:30"),  # a period end, not the next start
    ("2026-02-05 12:00", "PT1H", "2026-02-05 14:00"),  # lunch: starts at 13:00
    ("2026-02-05 06:00", "PT1H30M", "2026-02-05 09:00"),
    ("2026-02-06 18:00", "PT1H", "2026-02-09 08:30"),
    ("2026-02-13 16:00", "PT8H", "2026-02-23 16:00"),
    ("2026-02-05 16:00", "P1DT2H", "2026-02-09 09:30"),  # end of Fri, then 2 hours
    ("2026-02-05 10:00", "PT0S", "2026-02-05 10:00"),    # zero: the next working instant
    ("2026-02-05 11:30", "PT0S", "2026-02-05 11:30"),
    ("2026-02-05 12:00", "PT0S", "2026-02-05 13:00"),
    ("2026-02-13 17:30", "PT0S", "2026-02-23 07:30"),
])
def test_add(start, duration, due):
    result = CAL.add(at(start), parse_duration(duration))
    assert result == at(due)
    assert result.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("duration", ["P3D", "PT4H", "P1DT2H", "PT0S"])
def test_utc_input_gives_the_same_answer(duration):
    utc = dt.datetime(2026, 2, 13, 9, 0, tzinfo=dt.UTC)
    assert utc == at("2026-02-13 16:00")
    assert CAL.add(utc, parse_duration(duration)) == CAL.add(at("2026-02-13 16:00"), parse_duration(duration))
    assert CAL.due_same_day(utc) == CAL.due_same_day(at("2026-02-13 16:00"))


def test_naive_instants_are_refused():
    naive = dt.datetime(2026, 2, 13, 16, 0)
    for call in (lambda: CAL.add(naive, Duration(days=1)), lambda: CAL.between(naive, at("2026-03-02 08:00")),
                 lambda: CAL.due_same_day(naive), lambda: CAL.add_calendar_days(naive, 3),
                 lambda: CAL.add(at("2026-03-02 08:00"), Duration(days=1), [(naive, naive)])):
        with pytest.raises(ValueError, match="no time zone"):
            call()


def test_a_zone_with_summer_time_converts_each_instant():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    cal = WorkCalendar(timezone="Europe/Paris")
    start = dt.datetime(2026, 3, 27, 16, 0, tzinfo=paris)  # Friday, +01:00; Monday is +02:00
    due = cal.add(start, Duration(seconds=4 * 3600))
    assert due == dt.datetime(2026, 3, 30, 10, 30, tzinfo=paris)
    assert due == dt.datetime(2026, 3, 30, 8, 30, tzinfo=dt.UTC)
    assert cal.between(start, due) == dt.timedelta(hours=4)


# -- between ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "hours"), [
    ("2026-02-13 16:00", "2026-02-23 16:00", 8),
    ("2026-02-05 11:00", "2026-02-05 13:30", 1),
    ("2026-02-05 12:00", "2026-02-05 12:30", 0),
    ("2026-02-07 09:00", "2026-02-08 09:00", 0),
    ("2026-02-05 10:00", "2026-02-05 10:00", 0),
    ("2026-02-23 16:00", "2026-02-13 16:00", -8),  # antisymmetric
])
def test_between(a, b, hours):
    assert CAL.between(at(a), at(b)) == dt.timedelta(hours=hours)


# -- same day and calendar days -------------------------------------------------------------------------

@pytest.mark.parametrize(("received", "due"), [
    ("2026-02-13 14:59", "2026-02-13 17:00"),
    ("2026-02-13 15:00", "2026-02-13 17:00"),       # exactly 15:00 is not "after 15:00"
    ("2026-02-13 15:00:01", "2026-02-23 17:00"),
    ("2026-02-13 15:01", "2026-02-23 17:00"),       # the next working day is after Tết
    ("2026-02-12 16:30", "2026-02-13 17:00"),
    ("2026-02-12 06:00", "2026-02-12 17:00"),
    ("2026-02-07 09:00", "2026-02-09 17:00"),       # Saturday
    ("2026-09-01 09:00", "2026-09-03 17:00"),       # Quốc khánh
])
def test_due_same_day(received, due):
    assert CAL.due_same_day(at(received)) == at(due)


def test_same_day_cutoff_can_be_given():
    assert CAL.due_same_day(at("2026-02-12 15:30"), cutoff=dt.time(16, 0)) == at("2026-02-12 17:00")
    assert WorkCalendar(same_day_cutoff=dt.time(11, 0)).due_same_day(at("2026-02-12 11:01")) == at("2026-02-13 17:00")
    with pytest.raises(ValueError, match="after the end of the working day"):
        CAL.due_same_day(at("2026-02-12 15:30"), cutoff=dt.time(18, 0))


@pytest.mark.parametrize(("start", "n", "due"), [
    ("2026-03-02 10:00", 15, "2026-03-17 17:00"),
    ("2026-02-01 15:00", 15, "2026-02-23 17:00"),   # 16/02 is Tết: the next working day
    ("2026-03-06 10:00", 15, "2026-03-23 17:00"),   # a Saturday: Monday
    ("2026-08-07 10:00", 15, "2026-08-22 17:00"),   # the make-up Saturday is a working day
    ("2026-08-16 10:00", 15, "2026-09-03 17:00"),   # 31/08: 31, 1, 2 off
])
def test_add_calendar_days(start, n, due):
    assert CAL.add_calendar_days(at(start), n) == at(due)


def test_calendar_days_must_be_positive():
    with pytest.raises(ValueError, match="at least 1 day"):
        CAL.add_calendar_days(at("2026-03-02 10:00"), 0)


@pytest.mark.parametrize(("deadline", "due"), [
    (Deadline("working_days", 3), "2026-02-25 17:00"),
    (Deadline("working_hours", 4), "2026-02-23 10:30"),
    (Deadline("calendar_days", 15), "2026-03-02 17:00"),  # 28/02 is a Saturday
    (Deadline("same_day"), "2026-02-23 17:00"),
])
def test_legal_due(deadline, due):
    assert CAL.legal_due(at("2026-02-13 16:00"), deadline) == at(due)


# -- overrides ------------------------------------------------------------------------------------------

def test_overrides_change_results():
    start = at("2026-03-09 10:00")  # Monday
    assert CAL.add(start, Duration(days=1)) == at("2026-03-10 17:00")
    off = WorkCalendar(days_off={d("2026-03-10"): "Nghỉ hoán đổi"})
    assert off.add(start, Duration(days=1)) == at("2026-03-11 17:00")
    assert off.day_name(d("2026-03-10")) == "Nghỉ hoán đổi"
    assert (d("2026-03-10"), "Nghỉ hoán đổi") in off.non_working_days(2026)
    on = WorkCalendar(working_days={d("2026-03-14"): "Làm bù"})
    assert on.add(at("2026-03-13 10:00"), Duration(days=1)) == at("2026-03-14 17:00")
    assert on.make_up_days(2026) == [(d("2026-03-14"), "Làm bù"),
                                     (d("2026-08-22"), "Ngày làm việc bù cho ngày 31/08/2026")]
    holiday_worked = WorkCalendar(working_days={d("2026-09-02"): "Làm việc"})
    assert holiday_worked.is_working_day(d("2026-09-02"))
    with pytest.raises(ValueError, match="both a day off and a working day"):
        WorkCalendar(days_off={d("2026-03-10"): "a"}, working_days={d("2026-03-10"): "b"})


def test_from_settings_merges_database_rows_over_the_file():
    config = load_settings(overrides={"calendar": {"days_off": {"2026-03-10": "Nghỉ (tệp cấu hình)"},
                                                   "cultural_day_off": False}}, environ={})
    cal = WorkCalendar.from_settings(config)
    assert not cal.is_working_day(d("2026-03-10"))
    assert cal.is_working_day(d("2026-11-24"))
    db = WorkCalendar.from_settings(config, days_off={d("2026-03-11"): "Nghỉ (CSDL)"},
                                    working_days={d("2026-03-10"): "Làm việc (CSDL)"})
    assert db.is_working_day(d("2026-03-10"))
    assert not db.is_working_day(d("2026-03-11"))
    assert db.add(at("2026-03-09 10:00"), Duration(days=2)) == at("2026-03-12 17:00")


# -- pauses ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "duration", "pauses", "due"), [
    # Over a weekend: Fri 09:00 -> Mon 09:00 is 8 working hours paused.
    ("2026-03-05 10:00", "PT8H", [("2026-03-06 09:00", "2026-03-09 09:00")], "2026-03-09 10:00"),
    # Several pauses, then overlapping ones (their union counts once).
    ("2026-03-09 07:30", "PT4H", [("2026-03-09 08:00", "2026-03-09 08:30"), ("2026-03-09 09:00", "2026-03-09 09:30")],
     "2026-03-09 14:00"),
    ("2026-03-09 07:30", "PT4H", [("2026-03-09 08:00", "2026-03-09 09:00"), ("2026-03-09 08:30", "2026-03-09 09:30")],
     "2026-03-09 14:30"),
    # A pause holding the start; pauses before the start, after the due, or on a weekend change nothing.
    ("2026-03-09 10:00", "PT1H", [("2026-03-09 09:00", "2026-03-09 11:00")], "2026-03-09 13:30"),
    ("2026-03-09 10:00", "PT1H", [("2026-03-06 09:00", "2026-03-09 08:00"), ("2026-03-09 15:00", "2026-03-10 09:00"),
                                  ("2026-03-07 08:00", "2026-03-08 18:00")], "2026-03-09 11:00"),
    # Days: one paused working day moves the Friday-before-Tết dossier by one working day.
    ("2026-02-13 16:00", "P3D", [("2026-02-23 09:00", "2026-02-24 09:00")], "2026-02-26 17:00"),
    # A pause across Tết only counts its working time: Fri 16:00-17:00 and Mon 07:30-08:30.
    ("2026-02-13 14:00", "PT4H", [("2026-02-13 16:00", "2026-02-23 08:30")], "2026-02-23 10:30"),
])
def test_pauses_move_the_due_time(start, duration, pauses, due):
    spans = [(at(p), at(r)) for p, r in pauses]
    result = CAL.add(at(start), parse_duration(duration), spans)
    assert result == at(due)
    assert CAL.between(at(start), result, spans) == CAL.between(at(start), CAL.add(at(start), parse_duration(duration)))


def test_pauses_apply_to_every_deadline_unit():
    pause = [(at("2026-02-23 09:00"), at("2026-02-24 09:00"))]
    assert CAL.legal_due(at("2026-02-13 16:00"), Deadline("same_day"), pause) == at("2026-02-24 17:00")
    assert CAL.add_calendar_days(at("2026-02-13 16:00"), 12, pause) == at("2026-02-26 17:00")


def test_a_pause_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="before it began"):
        CAL.add(at("2026-03-09 10:00"), Duration(days=1), [(at("2026-03-09 12:00"), at("2026-03-09 11:00"))])


def test_restart_rule_counts_from_the_last_resumption():
    start = at("2026-03-02 10:00")
    pauses = [(at("2026-03-03 10:00"), at("2026-03-04 09:00")), (at("2026-03-04 10:00"), at("2026-03-05 14:00"))]
    assert restart_from(start, pauses) == at("2026-03-05 14:00")
    assert restart_from(start, []) == start
    assert CAL.add(restart_from(start, pauses), Duration(days=3)) == at("2026-03-10 17:00")
    # The resume rule keeps the time used between the pauses: Thu 17:00 + 17.5 paused hours.
    assert CAL.add(start, Duration(days=3), pauses) == at("2026-03-10 09:00")


# -- properties -----------------------------------------------------------------------------------------

ZONES = st.sampled_from([VN, dt.UTC, dt.timezone(dt.timedelta(hours=-5))])
STARTS = st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31), timezones=ZONES)
HOURS = st.integers(1, 30 * 8 * 60).map(lambda m: Duration(seconds=m * 60))
DURATIONS = st.builds(Duration, st.integers(0, 30), st.integers(0, 16 * 3600))
LIB = holidays.country_holidays("VN", years=range(2025, 2029))


def oracle_hours(start: dt.datetime, minutes: int) -> dt.datetime:
    """Walk the periods of each working day, using the library directly."""
    t, left = start.astimezone(VN), minutes
    while True:
        if LIB.is_working_day(t.date()):
            for a, b in PERIODS:
                a, b = dt.datetime.combine(t.date(), a, VN), dt.datetime.combine(t.date(), b, VN)
                if t < b:
                    t = max(t, a)
                    if left * 60 <= (b - t).total_seconds():
                        return t + dt.timedelta(minutes=left)
                    left -= round((b - t).total_seconds() / 60)
                    t = b
        t = dt.datetime.combine(t.date() + dt.timedelta(1), dt.time(0), VN)


def oracle_days(start: dt.datetime, n: int) -> dt.datetime:
    day = start.astimezone(VN).date()
    while n:
        day += dt.timedelta(1)
        n -= LIB.is_working_day(day)
    return dt.datetime.combine(day, dt.time(17), VN)


@given(STARTS.map(lambda s: s.replace(second=0, microsecond=0)), st.integers(1, 3 * 8 * 60))
def test_add_hours_matches_a_naive_walk(start, minutes):
    assert CAL.add(start, Duration(seconds=minutes * 60)) == oracle_hours(start, minutes)


@given(STARTS, st.integers(1, 30))
def test_add_days_matches_a_naive_count(start, n):
    assert CAL.add(start, Duration(days=n)) == oracle_days(start, n)


@given(STARTS, HOURS)
def test_between_undoes_add_for_hours(start, duration):
    assert CAL.between(start, CAL.add(start, duration)) == dt.timedelta(seconds=duration.seconds)


@given(STARTS, DURATIONS)
def test_due_times_lie_in_working_hours_of_working_days(start, duration):
    assert in_working_hours(CAL, CAL.add(start, duration))
    assert in_working_hours(CAL, CAL.due_same_day(start))
    assert in_working_hours(CAL, CAL.add_calendar_days(start, duration.days + 1))


@given(STARTS, DURATIONS, DURATIONS)
def test_add_is_monotonic_in_the_duration(start, d1, d2):
    low, high = Duration(min(d1.days, d2.days), min(d1.seconds, d2.seconds)), Duration(
        max(d1.days, d2.days), max(d1.seconds, d2.seconds))
    assert start <= CAL.add(start, low) <= CAL.add(start, high)


PAUSES = st.lists(st.tuples(st.integers(-5 * 24 * 60, 40 * 24 * 60), st.integers(0, 10 * 24 * 60)), max_size=4)


@settings(max_examples=200)
@given(STARTS, DURATIONS.filter(lambda x: not x.is_zero), PAUSES)
def test_pauses_never_make_a_due_time_earlier(start, duration, offsets):
    pauses = [(start + dt.timedelta(minutes=a), start + dt.timedelta(minutes=a + n)) for a, n in offsets]
    plain, paused = CAL.add(start, duration), CAL.add(start, duration, pauses)
    assert plain <= paused
    assert in_working_hours(CAL, paused)
    assert CAL.between(start, paused, pauses) == CAL.between(start, plain)
