"""engine.oversight: the risk board, the 766 indicators, the annual evaluation, the digest — on real dossiers."""
from __future__ import annotations

import datetime as dt

import pytest
from samples import HH_APPROVE, HH_ISSUE, RETURN_COUNTER, SIGN_APPROVE
from support import VN, act, agency_id, receive, scan

from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import Pause
from engine.oversight import board, digest, evaluation, indicators

#: Thursday 10:00 after a Monday 09:00 reception: the household dossier is in its last day, its step overdue
SCAN_AT = dt.datetime(2026, 3, 5, 10, 0, tzinfo=VN)


def _finish(rt, session, users, dossier_id):
    """Take the household dossier through its four steps now (on time)."""
    for step, data in (("examine", HH_APPROVE), ("sign", SIGN_APPROVE), ("issue", HH_ISSUE),
                       ("return_result", RETURN_COUNTER)):
        act(rt, session, users, dossier_id, step, data)


def test_board_counts_and_drills_down(rt, session, users, clock):
    late = receive(rt, session, users).dossier
    receive(rt, session, users, channel="online")
    scan(rt, session, SCAN_AT)
    sup = users["tanlap.supervisor"]
    got = board.risk_board(session, actor=sup, now=SCAN_AT, by="agency")
    assert [(r.open, r.overdue + r.at_risk) for r in got.rows] == [(2, 2)]
    assert got.total.open == 2
    by_procedure = board.risk_board(session, actor=sup, now=SCAN_AT, by="procedure")
    assert by_procedure.rows[0].label and by_procedure.rows[0].open == 2
    by_official = board.risk_board(session, actor=sup, now=SCAN_AT, by="official")
    assert [r.key for r in by_official.rows] == [board.UNASSIGNED]
    rows = board.board_dossiers(session, actor=sup, now=SCAN_AT, by="agency", key=got.rows[0].key, level="open")
    assert late.id in [r.id for r in rows] and len(rows) == 2
    later = board.board_dossiers(session, actor=sup, now=SCAN_AT + dt.timedelta(days=1), by="agency", key=None,
                                 level="overdue")
    assert {r.level for r in later} == {"overdue"} and len(later) == 2
    with pytest.raises(InvalidInput):
        board.risk_board(session, actor=sup, now=SCAN_AT, by="nobody")
    with pytest.raises(Forbidden):
        board.risk_board(session, actor=users["tanlap.specialist"], now=SCAN_AT)
    with pytest.raises(Forbidden):
        board.risk_board(session, actor=users["hoabinh.supervisor"], now=SCAN_AT, agency_id=agency_id(session))


def test_766_on_time_counts_the_dossiers_it_names(rt, session, users, clock):
    done = receive(rt, session, users).dossier.id
    _finish(rt, session, users, done)                         # finished on Monday: on time
    open_late = receive(rt, session, users, channel="online").dossier.id   # still open after its due time
    leader = users["tanlap.leader"]
    tanlap = agency_id(session)
    got = indicators.indicators(rt, session, actor=leader, agency_id=tanlap, start=dt.date(2026, 3, 1),
                                end=dt.date(2026, 3, 31), now=dt.datetime(2026, 3, 20, 9, tzinfo=VN))
    by = {i.code: i for i in got.indicators}
    assert (by["2.1"].numerator, by["2.1"].denominator, by["2.1"].points) == (1, 2, 10.0)
    assert (by["3.3"].numerator, by["3.3"].denominator) == (1, 2)
    assert by["2.2"].value is not None and by["2.2"].value < 1
    assert not by["5.4"].available and by["5.4"].value is None and "PAKN" in by["5.4"].missing_vi
    assert {i.certainty for i in got.indicators} == {"unsure"}
    met = indicators.indicator_dossiers(rt, session, actor=leader, agency_id=tanlap, code="2.1",
                                        start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31),
                                        now=dt.datetime(2026, 3, 20, 9, tzinfo=VN), part="not_met")
    assert [r.id for r in met] == [open_late]
    # a second supplement request scores the dossier overdue (766 rule 2.1), finished on time or not
    for day in (3, 4):
        session.add(Pause(dossier_id=done, paused_at=dt.datetime(2026, 3, day, 9, tzinfo=VN),
                          resumed_at=dt.datetime(2026, 3, day, 10, tzinfo=VN)))
    session.commit()
    again = indicators.indicators(rt, session, actor=leader, agency_id=tanlap, start=dt.date(2026, 3, 1),
                                  end=dt.date(2026, 3, 31), now=dt.datetime(2026, 3, 20, 9, tzinfo=VN))
    assert {i.code: i for i in again.indicators}["2.1"].numerator == 0
    with pytest.raises(NotFound):
        indicators.indicator_dossiers(rt, session, actor=leader, agency_id=tanlap, code="3.6",
                                      start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=SCAN_AT)
    with pytest.raises(Forbidden):
        indicators.indicators(rt, session, actor=users["tanlap.head"], agency_id=tanlap,
                              start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=SCAN_AT)
    with pytest.raises(InvalidInput):
        indicators.indicators(rt, session, actor=leader, agency_id=None, start=dt.date(2026, 3, 1),
                              end=dt.date(2026, 3, 31), now=SCAN_AT)


def test_evaluation_per_official_and_year(rt, session, users, clock):
    done = receive(rt, session, users).dossier.id
    _finish(rt, session, users, done)
    receive(rt, session, users)
    scan(rt, session, SCAN_AT)
    evaluation.refresh(rt, session, year=2026, now=SCAN_AT)
    session.commit()
    got = evaluation.evaluation(session, actor=users["tinh.leader"], year=2026)
    rows = {r.username: r for r in got.rows}
    assert rows["tanlap.specialist"].handled == 1 and rows["tanlap.specialist"].on_time == 1
    assert rows["tanlap.specialist"].escalations == 1          # rung 1 to the specialists of Tân Lập
    assert rows["tanlap.supervisor"].escalations == 1          # rung 2
    assert got.computed_at is not None
    assert evaluation.evaluation(session, actor=users["hoabinh.leader"], year=2026).rows == []
    with pytest.raises(InvalidInput):
        evaluation.evaluation(session, actor=users["tinh.leader"], year=1066)


def test_digest_lists_overdue_dossiers(rt, session, users, clock):
    late = receive(rt, session, users).dossier
    lines = digest.digest(session, actor=users["tanlap.leader"], now=dt.datetime(2026, 3, 6, 9, tzinfo=VN))
    assert [line.code for line in lines] == [late.code]
    assert digest.digest(session, actor=users["tanlap.leader"], now=SCAN_AT) == []
