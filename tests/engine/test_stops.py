"""Stopping a dossier's processing (reason and notice) and the citizen's withdrawal both end it and are reported."""
from __future__ import annotations

import datetime as dt

import pytest
from samples import examine_supplement
from sqlalchemy import select
from support import act, at, receive

from engine import dossiers, reports, stops
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.models import AuditEvent, Outbox, Task


def test_a_stopped_dossier_ends_with_its_notice_and_is_reported(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    act(rt, session, users, d.id, "examine", examine_supplement())  # waiting for the citizen, clock paused
    with pytest.raises(InvalidInput):
        stops.stop_processing(rt, session, d.id, "  ", actor=users["tanlap.leader"], now=rt.clock.now())
    with pytest.raises(Forbidden):
        stops.stop_processing(rt, session, d.id, "Lý do", actor=users["tanlap.specialist"], now=rt.clock.now())
    clock.set(at(3, 10))
    notice = stops.stop_processing(rt, session, d.id, "Người yêu cầu đã chết, không còn đối tượng giải quyết.",
                                   actor=users["tanlap.leader"], now=clock.now())
    session.commit()
    assert (notice.dossier.status, notice.dossier.paused_at) == ("stopped", None)
    assert "Lý do: Người yêu cầu đã chết" in notice.text and d.code in notice.text
    assert [t.state for t in session.scalars(select(Task).where(Task.dossier_id == d.id, Task.bpmn_id ==
                                                                "wait_supplement"))] == ["cancelled"]
    [mail] = session.scalars(select(Outbox).where(Outbox.recipient == "binh@example.vn")).all()
    assert "DỪNG GIẢI QUYẾT" in mail.body["text"]
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.dossier_id == d.id).order_by(AuditEvent.id)).all()[-1] == "stopped"
    with pytest.raises(Conflict):
        stops.stop_processing(rt, session, d.id, "Lần nữa", actor=users["tanlap.leader"], now=clock.now())
    w = receive(rt, session, users).dossier
    dossiers.withdraw_dossier(rt, session, w.id, "Công dân xin rút hồ sơ.", actor=users["tanlap.reception"],
                              now=clock.now())
    session.commit()
    report = reports.handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=clock.now())
    assert (report.total.stopped, report.total.withdrawn, report.total.received) == (1, 1, 2)
