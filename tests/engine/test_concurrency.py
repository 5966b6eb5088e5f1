"""Concurrent officials with real threads: no lost update, no duplicate dossier code."""
from __future__ import annotations

import threading

from samples import HH_APPROVE
from sqlalchemy import select
from support import APPLICANT, agency_id, open_task, receive

from engine import dossiers
from engine.errors import Conflict
from engine.models import AuditEvent, Dossier, Task, User


def _race(n, fn):
    """Run fn(i) in n threads released together; return the results or exceptions."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_officials_completing_the_same_task_one_wins_the_other_gets_a_conflict(rt, session, users):
    d = receive(rt, session, users).dossier
    task_id = open_task(session, d.id).id
    specialist_id, admin_id = users["tanlap.specialist"].id, users["admin"].id
    outcomes = [{**HH_APPROVE, "business_name": "Hộ kinh doanh A"}, {**HH_APPROVE, "business_name": "Hộ kinh doanh B"}]

    def complete(i):
        with rt.sessions() as s:
            actor = s.get(User, (specialist_id, admin_id)[i])
            dossiers.complete_task(rt, s, task_id, outcomes[i], actor=actor, now=rt.clock.now())
            s.commit()
            return "ok"

    results = _race(2, complete)
    assert sorted(type(r).__name__ if isinstance(r, Exception) else r for r in results) == ["Conflict", "ok"]
    winner = results.index("ok")
    session.expire_all()
    completions = session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == d.id,
                                                           AuditEvent.action == "completed")).all()
    assert len(completions) == 1
    assert completions[0].detail["data"]["business_name"] == outcomes[winner]["business_name"]
    assert [t.bpmn_id for t in session.scalars(select(Task).where(Task.dossier_id == d.id,
                                                                    Task.state == "ready"))] == ["sign"]
    assert isinstance(results[1 - winner], Conflict)


def test_concurrent_receptions_get_distinct_consecutive_codes(rt, session, users):
    reception_id = users["tanlap.reception"].id
    agency = agency_id(session)
    n = 8

    def receive_one(_i):
        with rt.sessions() as s:
            result = dossiers.receive_dossier(rt, s, procedure="household-business", agency_id=agency,
                                              channel="counter", applicant=APPLICANT,
                                              actor=s.get(User, reception_id), now=rt.clock.now())
            s.commit()
            return result.dossier.code

    codes = _race(n, receive_one)
    assert all(isinstance(c, str) for c in codes), codes
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, n + 1))
    assert len(session.scalars(select(Dossier.id)).all()) == n


def test_concurrent_claims_leave_one_claimer(rt, session, users):
    d = receive(rt, session, users).dossier
    task_id = open_task(session, d.id).id
    ids = [users["tanlap.specialist"].id, users["admin"].id]

    def claim(i):
        with rt.sessions() as s:
            dossiers.claim_task(rt, s, task_id, actor=s.get(User, ids[i]), now=rt.clock.now())
            s.commit()
            return ids[i]

    results = _race(2, claim)
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1 and all(isinstance(r, Conflict) for r in results if not isinstance(r, int))
    session.expire_all()
    assert session.get(Task, task_id).assignee_id == winners[0]


def test_two_processes_alternating_on_one_dossier_never_reuse_a_stale_live_workflow(rt, session, users):
    """Each runtime keeps live workflows; a version written by the other must be read from the row."""
    from samples import HH_ISSUE, SIGN_APPROVE

    from engine.runtime import Runtime

    other = Runtime(settings=rt.settings, sessions=rt.sessions.__class__(**rt.sessions.kw), clock=rt.clock)
    d = receive(rt, session, users).dossier
    for runtime, step, role, data in [(rt, "examine", "specialist", HH_APPROVE),
                                      (other, "sign", "leader", SIGN_APPROVE),
                                      (rt, "issue", "clerk", HH_ISSUE)]:
        with runtime.sessions() as s:
            task = open_task(s, d.id)
            assert task.bpmn_id == step
            dossiers.complete_task(runtime, s, task.id, data, actor=s.get(User, users[f"tanlap.{role}"].id),
                                   now=runtime.clock.now())
            s.commit()
    session.expire_all()
    assert open_task(session, d.id).bpmn_id == "return_result"
