"""The escalation ladder: decide (table-driven), a dossier walked through time, pauses, concurrency, inbox."""
from __future__ import annotations

import dataclasses
import threading
from collections import Counter

import pytest
from samples import examine_supplement, supplement_received
from sqlalchemy import func, select
from support import act, at, open_task, receive, scan

from engine import dossiers, escalation, jobs
from engine.errors import InvalidInput, NotFound
from engine.escalation import Decision, Subject, decide
from engine.models import ApologyLetter, Escalation, Outbox, Task

TASK = Subject("task", 7, dossier_id=3, agency_id=2, role="specialist")
CLAIMED = dataclasses.replace(TASK, assignee_id=11)
DOSSIER = Subject("dossier", 3, dossier_id=3, agency_id=2)


@pytest.mark.parametrize("subject, level, expected", [
    (TASK, "on_track", []),
    (TASK, "at_risk", [(1, None, "specialist")]),  # unclaimed: the role's holders in the agency
    (CLAIMED, "at_risk", [(1, 11, None)]),  # claimed: the assignee
    (TASK, "overdue", [(1, None, "specialist"), (2, None, "supervisor")]),  # a skipped rung is not lost
    (CLAIMED, "overdue", [(1, 11, None), (2, None, "supervisor")]),
    (DOSSIER, "on_track", []),
    (DOSSIER, "at_risk", [(3, None, "leader")]),
    (DOSSIER, "overdue", [(3, None, "leader"), (4, None, "leader")]),
])
def test_decide_names_the_rungs_reached_and_their_recipients(subject, level, expected):
    got = decide(subject, level)
    assert [(d.rung, d.recipient_id, d.recipient_role) for d in got] == expected
    assert all(d.subject == f"{subject.kind}:{subject.id}" and d.agency_id == 2 and d.dossier_id == 3 for d in got)
    assert all(d.task_id == (7 if subject.kind == "task" else None) for d in got)


def test_decide_is_a_pure_function_of_its_inputs():
    assert decide(TASK, "overdue") == decide(TASK, "overdue")
    assert isinstance(decide(TASK, "at_risk")[0], Decision)


def rungs(session) -> Counter:
    return Counter(session.scalars(select(Escalation.rung)))


def test_a_dossier_left_alone_climbs_each_rung_exactly_once(rt, session, users):
    d = receive(rt, session, users).dossier  # Monday 09:00, due Thursday 17:00; examine due Tuesday 14:30
    expected = [
        (at(3, 9, 59), {}),
        (at(3, 10), {1: 1}),  # examine at 75 % of its budget
        (at(3, 14, 31), {1: 1, 2: 1}),  # examine overdue
        (at(4, 16, 59), {1: 1, 2: 1}),
        (at(4, 17), {1: 1, 2: 1, 3: 1}),  # one working day left: the leader, and a form 04 draft
        (at(5, 17), {1: 1, 2: 1, 3: 1}),  # due at 17:00 is not late at 17:00
        (at(5, 17, 1), {1: 1, 2: 1, 3: 1, 4: 1}),
        (at(9, 8), {1: 1, 2: 1, 3: 1, 4: 1}),
    ]
    for now, counts in expected:
        for _ in range(3):  # scanning again changes nothing
            scan(rt, session, now)
        assert rungs(session) == Counter(counts), now
    rows = {e.rung: e for e in session.scalars(select(Escalation))}
    task = session.scalars(select(Task).where(Task.dossier_id == d.id)).one()
    assert rows[1].subject == f"task:{task.id}" and rows[1].recipient_role == "specialist"
    assert rows[2].recipient_role == "supervisor" and rows[2].agency_id == task.agency_id
    assert rows[3].subject == f"dossier:{d.id}" and rows[3].recipient_role == "leader"
    assert rows[4].recipient_role == "leader" and d.code in rows[4].message
    assert not any(e.late for e in rows.values())  # each rung met in its time
    assert "còn một ngày làm việc" in rows[3].message
    assert session.scalar(select(func.count()).select_from(ApologyLetter)) == 1


def test_decide_marks_a_warning_reached_only_once_overdue_as_late():
    assert [d.late for d in decide(TASK, "at_risk")] == [False]
    assert [(d.rung, d.late) for d in decide(TASK, "overdue")] == [(1, True), (2, False)]
    assert [d.late for d in decide(DOSSIER, "at_risk")] == [False]
    assert [(d.rung, d.late) for d in decide(DOSSIER, "overdue")] == [(3, True), (4, False)]


def test_a_late_scan_records_the_passed_rungs_once_each_as_late_worded_as_what_happened(rt, session, users):
    d = receive(rt, session, users).dossier  # examine due Tuesday 14:30, the dossier Thursday 17:00
    result = scan(rt, session, at(6, 9))  # the first scan since Monday: everything has passed
    created = {c.rung: c for c in result.created}
    assert sorted(created) == [1, 2, 3, 4]
    assert {rung: c.late for rung, c in created.items()} == {1: True, 2: False, 3: True, 4: False}
    rung3 = created[3].message
    assert "đã qua lúc 17:00 05/03/2026" in rung3 and "còn một ngày làm việc đến hạn" not in rung3
    assert "đã quá hạn lúc 14:30 03/03/2026" in created[1].message and "nguy cơ" in created[1].message
    rows = {e.rung: e for e in session.scalars(select(Escalation))}
    assert {rung: e.late for rung, e in rows.items()} == {1: True, 2: False, 3: True, 4: False}
    assert rows[3].message == rung3 and d.code in rung3
    assert scan(rt, session, at(6, 10)).created == ()  # still exactly once each
    assert session.scalar(select(func.count()).select_from(ApologyLetter)) == 1


def test_a_claimed_step_warns_its_assignee(rt, session, users):
    d = receive(rt, session, users).dossier
    task = open_task(session, d.id)
    dossiers.claim_task(rt, session, task.id, actor=users["tanlap.specialist"], now=at(2, 9, 5))
    session.commit()
    result = scan(rt, session, at(3, 10))
    [created] = result.created
    assert (created.rung, created.recipient_id, created.recipient_role) == (1, users["tanlap.specialist"].id, None)


def test_a_supplement_pause_delays_the_rungs(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    clock.set(at(2, 10))
    act(rt, session, users, d.id, "examine", examine_supplement())
    for now in (at(3, 10), at(4, 17), at(5, 17, 1)):  # the rungs of the unpaused walk
        assert scan(rt, session, now).created == ()
    clock.set(at(4, 10))  # the citizen brings the documents: 16 working hours paused
    act(rt, session, users, d.id, "wait_supplement", supplement_received(rt.clock.now()))  # new examine: warn Thu 11:00
    assert scan(rt, session, at(5, 10, 59)).created == ()
    assert [c.rung for c in scan(rt, session, at(5, 11)).created] == [1]
    assert [c.rung for c in scan(rt, session, at(5, 15, 31)).created] == [2]  # examine was due Thu 15:30
    assert scan(rt, session, at(6, 16, 59)).created == ()  # the dossier is due Monday 9 March 17:00 now
    assert [c.rung for c in scan(rt, session, at(6, 17)).created] == [3]
    assert rungs(session) == Counter({1: 1, 2: 1, 3: 1})


def test_three_scheduler_scans_at_once_record_each_escalation_once(rt, session, users):
    for _ in range(3):
        receive(rt, session, users)
    barrier = threading.Barrier(3)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(jobs.scan_deadlines(rt, at(5, 17, 1)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert rungs(session) == Counter({1: 3, 2: 3, 3: 3, 4: 3})
    assert sum(len(r.created) for r in results if r is not None) == 12


def test_three_unleased_scans_at_once_on_postgresql_still_record_each_escalation_once(rt, session, users, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; the lease is what keeps its scans apart")
    for _ in range(4):
        receive(rt, session, users)
    barrier = threading.Barrier(3)
    created, errors = [], []

    def run():
        with rt.sessions() as own:
            try:
                barrier.wait()
                created.extend(escalation.scan(rt, own, at(5, 17, 1)).created)
                own.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert rungs(session) == Counter({1: 4, 2: 4, 3: 4, 4: 4})
    assert len(created) == 16  # every row reported by exactly one scan: RETURNING of the insert that won
    assert session.scalar(select(func.count()).select_from(ApologyLetter)) == 4


def test_escalations_queue_mail_to_their_recipients(rt, session, users):
    mailing = dataclasses.replace(rt, settings=dataclasses.replace(rt.settings, mail_enabled=True,
                                                                    webhook_url="http://127.0.0.1:9/hook"))
    receive(rt, session, users)
    result = escalation.scan(mailing, session, at(5, 17, 1))
    session.commit()
    mails = session.execute(select(Outbox.recipient, Outbox.escalation_id).where(Outbox.channel == "email")).all()
    by_rung = {c.id: c.rung for c in result.created}
    assert sorted((by_rung[e], r) for r, e in mails) == [
        (1, "tanlap.specialist@motcua.local"), (2, "tanlap.supervisor@motcua.local"),
        (3, "tanlap.leader@motcua.local"), (4, "tanlap.leader@motcua.local")]
    assert session.scalar(select(func.count()).where(Outbox.channel == "webhook")) == 4
    assert result.messages_queued == 8


# -- the escalation inbox -------------------------------------------------------------------------------


def test_each_official_sees_the_escalations_addressed_to_them_or_their_role(rt, session, users):
    receive(rt, session, users)
    scan(rt, session, at(5, 17, 1))
    seen = {name: [i.rung for i in escalation.list_for_user(session, users[name])]
            for name in ("tanlap.specialist", "tanlap.supervisor", "tanlap.leader", "hoabinh.leader")}
    assert seen == {"tanlap.specialist": [1], "tanlap.supervisor": [2], "tanlap.leader": [4, 3],
                    "hoabinh.leader": []}


def test_reading_acknowledging_and_reassigning_an_escalation(rt, session, users):
    d = receive(rt, session, users).dossier
    scan(rt, session, at(3, 14, 31))
    supervisor = users["tanlap.supervisor"]
    [item] = escalation.list_for_user(session, supervisor, unread_only=True)
    escalation.mark_read(session, item.id, user=supervisor, now=at(3, 15))
    assert escalation.list_for_user(session, supervisor, unread_only=True) == []
    task = escalation.reassign(rt, session, item.id, users["tanlap.specialist"].id, user=supervisor, now=at(3, 15, 5),
                               comment="Anh Bình xử lý ngay trong chiều nay")
    session.commit()
    assert task.assignee_id == users["tanlap.specialist"].id and task.dossier_id == d.id
    [item] = escalation.list_for_user(session, supervisor)
    assert item.acknowledged_at is not None and item.comment == "Anh Bình xử lý ngay trong chiều nay"
    assert escalation.list_for_user(session, supervisor, open_only=True) == []
    with pytest.raises(NotFound):
        escalation.acknowledge(session, item.id, user=users["hoabinh.supervisor"], now=at(3, 16))
    with pytest.raises(InvalidInput):
        escalation.acknowledge(session, item.id, user=supervisor, now=at(3, 16), comment="  ")
