"""Reception regardless of administrative boundary: received at Hòa Bình, handled by Tân Lập."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from support import APPLICANT, TANLAP, VN, agency_id, open_task

from engine import boundary
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.models import AuditEvent, BoundaryReception, Dossier

HOABINH = "000.02.31.H26"


def receive(rt, session, users, **kw):
    receipt, row = boundary.receive_elsewhere(
        rt, session, receiving_agency_id=agency_id(session, HOABINH), competent_agency_id=agency_id(session, TANLAP),
        procedure="household-business", channel="counter", applicant=APPLICANT, actor=users["hoabinh.reception"],
        now=rt.clock.now(), **kw)
    session.commit()
    return receipt, row


def test_the_receiving_point_and_the_competent_agency_are_kept_apart(rt, session, users):
    receipt, row = receive(rt, session, users)
    dossier = receipt.dossier
    assert dossier.agency_id == agency_id(session, TANLAP)  # handled, and scored, at Tân Lập
    assert dossier.code.startswith(TANLAP)
    assert row.receiving_agency_id == agency_id(session, HOABINH) and row.received_by_id == users["hoabinh.reception"].id
    assert dossier.received_by_id == users["hoabinh.reception"].id
    assert open_task(session, dossier.id).agency_id == agency_id(session, TANLAP)  # in Tân Lập's inbox
    assert session.scalar(select(AuditEvent.actor_id).where(AuditEvent.dossier_id == dossier.id,
                                                            AuditEvent.action == "received")) == users["hoabinh.reception"].id
    # forwarding is due within one working day (config [boundary] forward_within = "P1D"): on Tuesday
    assert row.forward_due_at.astimezone(VN).date() == dt.date(2026, 3, 3)


def test_forwarding_is_timed_and_reports_count_each_where_it_belongs(rt, session, users, clock):
    on_time, _ = receive(rt, session, users)
    late, _ = receive(rt, session, users)
    waiting, _ = receive(rt, session, users)
    boundary.forward(session, on_time.dossier.id, actor=users["hoabinh.reception"], now=clock.now())
    boundary.forward(session, late.dossier.id, actor=users["hoabinh.reception"],
                     now=clock.now() + dt.timedelta(days=2))
    boundary.accept(session, on_time.dossier.id, actor=users["tanlap.reception"], now=clock.now())
    session.commit()
    start, end = clock.now() - dt.timedelta(days=1), clock.now() + dt.timedelta(days=1)
    counts = boundary.report(session, start, end, clock.now())
    hoabinh, tanlap = counts[agency_id(session, HOABINH)], counts[agency_id(session, TANLAP)]
    assert (hoabinh.received_for_others, hoabinh.forwarded_on_time, hoabinh.forwarded_late,
            hoabinh.not_forwarded) == (3, 1, 1, 1)
    assert hoabinh.received_elsewhere_for_it == 0
    assert (tanlap.received_elsewhere_for_it, tanlap.confirmed, tanlap.received_for_others) == (3, 1, 0)
    # the handling belongs to Tân Lập: its dossiers, none at Hòa Bình
    assert session.scalar(select(func.count(Dossier.id)).where(Dossier.agency_id == agency_id(session, HOABINH))) == 0
    assert boundary.overdue_forwarding(session, clock.now() + dt.timedelta(days=3)) == 1
    assert waiting.dossier.id


def test_refusals(rt, session, users, clock):
    hb, tl = agency_id(session, HOABINH), agency_id(session, TANLAP)
    with pytest.raises(Forbidden):  # only the receiving point's desk receives there
        boundary.receive_elsewhere(rt, session, receiving_agency_id=hb, competent_agency_id=tl,
                                   procedure="household-business", channel="counter", applicant=APPLICANT,
                                   actor=users["tanlap.reception"], now=clock.now())
    with pytest.raises(InvalidInput) as same:
        boundary.receive_elsewhere(rt, session, receiving_agency_id=hb, competent_agency_id=hb,
                                   procedure="household-business", channel="counter", applicant=APPLICANT,
                                   actor=users["hoabinh.reception"], now=clock.now())
    assert "competent_agency_id" in same.value.errors
    session.rollback()
    receipt, _ = receive(rt, session, users)
    with pytest.raises(Conflict):  # confirmed before it was sent
        boundary.accept(session, receipt.dossier.id, actor=users["tanlap.reception"], now=clock.now())
    with pytest.raises(Forbidden):  # Tân Lập does not forward what Hòa Bình received
        boundary.forward(session, receipt.dossier.id, actor=users["tanlap.reception"], now=clock.now())
    boundary.forward(session, receipt.dossier.id, actor=users["hoabinh.reception"], now=clock.now())
    with pytest.raises(Conflict):
        boundary.forward(session, receipt.dossier.id, actor=users["hoabinh.reception"], now=clock.now())
    assert session.scalar(select(func.count(BoundaryReception.id))) == 1
