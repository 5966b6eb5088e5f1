"""Risk levels: pure rules, the remaining-path rule, and the rows the scan keeps up to date.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from samples import HH_APPROVE, examine_supplement, supplement_received
from sqlalchemy import select
from support import act, at, open_task, receive, scan

from bpmn.durations import Duration
from engine import deadlines
from engine.models import Dossier, Escalation, Task
from engine.workcalendar import WorkCalendar


def risk_of(session, model, row_id):
    return session.execute(select(model.risk).where(model.id == row_id)).scalar_one()


# -- pure rules ----------------------------------------------------------------------------------------

NOW = at(3, 10)


@pytest.mark.parametrize("warn, due, paused, expected", [
    (None, None, False, "on_track"),                 # a wait on the citizen has no budget
    (at(3, 11), at(3, 14), False, "on_track"),
    (at(3, 10), at(3, 14), False, "at_risk"),         # the warning time itself counts
    (at(2, 9), at(3, 9, 59), False, "overdue"),
    (at(2, 9), at(3, 10), False, "at_risk"),          # due at 10:00 is not yet late at 10:00
    (at(2, 9), at(3, 9), True, "on_track"),           # the clock stands still while paused
])
def test_task_level_follows_warning_and_due_times(warn, due, paused, expected):
    assert deadlines.task_level(NOW, warn, due, paused=paused) == expected


@pytest.mark.parametrize("due, last_day, paused, ready, expected", [
    (at(5, 17), at(4, 17), False, False, "on_track"),
    (at(4, 17), at(3, 10), False, False, "at_risk"),
    (at(3, 9), at(2, 9), False, False, "overdue"),
    (at(3, 9), at(2, 9), True, False, "on_track"),
    (at(3, 9), at(2, 9), False, True, "on_track"),  # the result waits for the citizen
])
def test_dossier_level_follows_its_last_working_day(due, last_day, paused, ready, expected):
    assert deadlines.dossier_level(NOW, due, last_day, paused=paused, result_ready=ready) == expected


@pytest.fixture(scope="module")
def calendar():
    return WorkCalendar()


def test_last_working_day_starts_one_working_day_before_the_due_time(calendar):
    # received Monday 09:00, due Thursday 17:00: one working day left from Wednesday 17:00 on
    assert deadlines.last_day_starts(calendar, at(2, 9), at(5, 17), 0.75) == at(4, 17)


def test_same_day_procedures_use_the_threshold_share_for_their_last_day(calendar):
    # due the same day at 17:00 (6.5 working hours from 09:00): 75 % (4 h 52.5 min) used at 15:22:30
    assert deadlines.last_day_starts(calendar, at(2, 9), at(2, 17), 0.75) == at(2, 15, 22) + dt.timedelta(seconds=30)


@pytest.mark.parametrize("start, due, here, after, expected", [
    # 30.5 working hours available, 24 expected: fits; stops fitting when only the 12 h after are left
    (at(2, 9), at(5, 17), 12 * 3600, 12 * 3600, at(4, 11, 30)),
    # 8.5 h available, 8 + 4 expected: at risk from its start
    (at(5, 8, 30), at(5, 17), 8 * 3600, 4 * 3600, at(5, 8, 30)),
    # already past the dossier's due time
    (at(6, 9), at(5, 17), 3600, 0, at(6, 9)),
])
def test_path_warning_is_when_the_rest_of_the_path_no_longer_fits(calendar, start, due, here, after, expected):
    assert deadlines.path_warn_at(calendar, start, due, here, after) == expected


def test_longest_path_after_a_step_skips_loops():
    graph = {"examine": frozenset({"sign", "refuse", "wait"}), "wait": frozenset({"examine"}),
             "sign": frozenset({"examine", "issue"}), "issue": frozenset({"return"}), "refuse": frozenset(),
             "return": frozenset()}
    hours = {"examine": 12, "wait": 0, "sign": 8, "issue": 2, "return": 2, "refuse": 9}
    durations = {k: v * 3600 for k, v in hours.items()}
    assert deadlines.longest_after(graph, durations, "examine") == 12 * 3600  # sign, issue, return
    assert deadlines.longest_after(graph, durations, "wait") == 24 * 3600  # examine again, then the rest
    assert deadlines.longest_after(graph, durations, "return") == 0


# -- on the database -----------------------------------------------------------------------------------


def test_successors_of_the_household_business_steps_come_from_the_diagram(rt, session, users):
    d = receive(rt, session, users).dossier
    compiled = rt.compiled(session, d)
    graph = deadlines.successor_graph(compiled.version_id, (compiled.spec,))
    assert graph["examine"] == {"sign", "sign_refusal", "wait_supplement"}
    assert graph["sign"] == {"issue"}  # sending back to examine is a loop, not the path ahead
    assert graph["wait_supplement"] == frozenset()
    assert graph["return_result"] == frozenset()


def test_a_task_turns_at_risk_then_overdue_and_its_dossier_follows(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    task = open_task(session, d.id)  # examine: warn Tue 10:00, due Tue 14:30
    scan(rt, session, at(3, 9, 59))
    assert (risk_of(session, Task, task.id), risk_of(session, Dossier, d.id)) == ("on_track", "on_track")
    scan(rt, session, at(3, 10))
    assert (risk_of(session, Task, task.id), risk_of(session, Dossier, d.id)) == ("at_risk", "at_risk")
    scan(rt, session, at(3, 14, 31))
    assert (risk_of(session, Task, task.id), risk_of(session, Dossier, d.id)) == ("overdue", "at_risk")
    scan(rt, session, at(5, 17, 1))
    assert risk_of(session, Dossier, d.id) == "overdue"


def test_risk_goes_back_when_the_step_is_done_and_the_next_is_on_time(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    scan(rt, session, at(3, 10, 30))
    assert risk_of(session, Dossier, d.id) == "at_risk"
    clock.set(at(3, 11))
    act(rt, session, users, d.id, "examine", HH_APPROVE)
    result = scan(rt, session, at(3, 11, 5))
    assert risk_of(session, Dossier, d.id) == "on_track"
    assert result.rows_lowered == 1


def test_a_step_that_starts_too_late_for_the_rest_of_its_path_is_at_risk_at_once(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    clock.set(at(5, 8, 30))  # Thursday: the specialist finishes only on the dossier's last day
    act(rt, session, users, d.id, "examine", HH_APPROVE)
    sign = open_task(session, d.id)
    assert sign.warn_at == at(5, 16)  # 75 % of its own budget (6 working hours)
    result = scan(rt, session, at(5, 8, 35))
    session.refresh(sign)
    # sign (8 h) + issue and return (4 h) cannot fit in the 7 working hours left: at risk from its start
    assert sign.warn_at == at(5, 8, 30) and sign.risk == "at_risk"
    assert result.assessed == 1
    assert session.scalar(select(Escalation.rung).where(Escalation.subject == f"task:{sign.id}")) == 1


def test_expected_durations_come_from_history_once_there_are_enough_samples(rt, session, users, clock):
    calendar = rt.calendars.get(session)
    settings = dataclasses.replace(rt.settings, history_min_samples=3)
    version = None
    for i in range(3):
        clock.set(at(2, 9))
        d = receive(rt, session, users).dossier
        version = d.procedure_version_id
        clock.set(at(2, 10 + i))
        act(rt, session, users, d.id, "examine", HH_APPROVE)
    budgets = {"examine": Duration(1, 4 * 3600), "sign": Duration(1)}
    durations = deadlines.expected_durations(session, calendar, settings, version, budgets)
    assert durations == {"examine": 2 * 3600, "sign": 8 * 3600}  # median of 1, 2, 3 h; sign from its budget
    deadlines.clear_history_cache()
    few = dataclasses.replace(settings, history_min_samples=4, expected_budget_share=0.5)
    assert deadlines.expected_durations(session, calendar, few, version, budgets)["examine"] == 6 * 3600


def test_a_paused_dossier_and_its_wait_are_not_at_risk(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    clock.set(at(2, 10))
    act(rt, session, users, d.id, "examine", examine_supplement())
    wait = open_task(session, d.id)
    result = scan(rt, session, at(6, 17, 30))  # long past the original due time
    assert (risk_of(session, Task, wait.id), risk_of(session, Dossier, d.id)) == ("on_track", "on_track")
    assert result.created == ()
    clock.set(at(4, 10))
    act(rt, session, users, d.id, "wait_supplement", supplement_received(rt.clock.now()))
    scan(rt, session, at(4, 10, 5))
    assert risk_of(session, Dossier, d.id) == "on_track"
