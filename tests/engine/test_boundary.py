"""Reception regardless of administrative boundary: received at Hòa Bình, handled by Tân Lập."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from support import APPLICANT, TANLAP, VN, agency_id, open_task

from engine import boundary
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.models import Agency, AuditEvent, BoundaryReception, Dossier

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


def test_reports_count_processing_at_the_competent_agency_and_reception_at_the_receiving_point(rt, session, users,
                                                                                                clock):
    """II.06a (and the 766 indicators, which select on the same Dossier.agency_id) count the dossier where it
    is handled; the reception itself counts at the point that received it (boundary.report)."""
    from engine.reports import handling_report
    receive(rt, session, users)
    day = clock.now().astimezone(VN).date()
    report = handling_report(session, start=day, end=day, now=clock.now())
    assert [(r.agency_code, r.figures.received) for r in report.rows] == [(TANLAP, 1)]
    counts = boundary.report(session, clock.now() - dt.timedelta(days=1), clock.now() + dt.timedelta(days=1),
                             clock.now())
    assert counts[agency_id(session, HOABINH)].received_for_others == 1
    assert counts[agency_id(session, TANLAP)].received_elsewhere_for_it == 1


def test_the_forwarding_list_shows_each_side_and_only_to_its_officials(rt, session, users, clock):
    receipt, _ = receive(rt, session, users)
    mine = boundary.forwardings(session, agency_id(session, HOABINH), actor=users["hoabinh.reception"],
                                now=clock.now() + dt.timedelta(days=2))
    assert [(f.dossier_code, f.received_here, f.state, f.late) for f in mine] == [
        (receipt.dossier.code, True, "waiting", True)]  # past its forwarding time, still here
    theirs = boundary.forwardings(session, agency_id(session, TANLAP), actor=users["tanlap.specialist"],
                                  now=clock.now())
    assert [(f.received_here, f.receiving_agency_code, f.late) for f in theirs] == [(False, HOABINH, False)]
    with pytest.raises(Forbidden):
        boundary.forwardings(session, agency_id(session, TANLAP), actor=users["hoabinh.reception"], now=clock.now())


def test_the_competent_agencies_are_the_procedures_kind_offering_it_today(rt, session, users):
    from engine.admin.procedures import set_agency_procedure

    province = agency_id(session, "000.00.00.H26")
    choice = boundary.competent_agencies(rt, session, "household-business", province, rt.clock.now())
    assert {a.code for a in choice.agencies} == {TANLAP, HOABINH} and not choice.receiving_is_competent
    assert boundary.competent_agencies(rt, session, "household-business", agency_id(session, TANLAP),
                                       rt.clock.now()).receiving_is_competent
    set_agency_procedure(session, agency_id(session, HOABINH), "household-business", actor=None,
                         now=rt.clock.now(), enabled=False)  # switched off by its administrator
    session.get(Agency, agency_id(session, TANLAP)).valid_until = dt.date(2025, 6, 30)  # merged away
    session.flush()
    assert boundary.competent_agencies(rt, session, "household-business", province, rt.clock.now()).agencies == []


def test_the_desk_receives_for_itself_or_for_the_agency_it_chose(rt, session, users):
    province, tanlap = agency_id(session, "000.00.00.H26"), agency_id(session, TANLAP)
    common = dict(procedure="household-business", channel="counter", applicant=APPLICANT, now=rt.clock.now())
    with pytest.raises(InvalidInput) as err:  # the province's centre does not handle it: a choice is required
        boundary.receive_at_desk(rt, session, receiving_agency_id=province, competent_agency_id=None,
                                 actor=users["tinh.reception"], **common)
    assert "competent_agency_id" in err.value.errors
    police = agency_id(session, "000.11.31.H26")
    with pytest.raises(InvalidInput) as err:
        boundary.receive_at_desk(rt, session, receiving_agency_id=province, competent_agency_id=police,
                                 actor=users["tinh.reception"], **common)
    assert "competent_agency_id" in err.value.errors
    assert session.scalar(select(func.count(Dossier.id))) == 0
    receipt = boundary.receive_at_desk(rt, session, receiving_agency_id=province, competent_agency_id=tanlap,
                                       actor=users["tinh.reception"], **common)
    assert receipt.dossier.agency_id == tanlap
    own = boundary.receive_at_desk(rt, session, receiving_agency_id=tanlap, competent_agency_id=None,
                                   actor=users["tanlap.reception"], **common)
    session.commit()
    assert own.dossier.agency_id == tanlap
    assert session.scalars(select(BoundaryReception.dossier_id)).all() == [receipt.dossier.id]
