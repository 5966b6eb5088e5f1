"""What the printed forms show, and who may print them (engine.printouts)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from support import APPLICANT, agency_id, at

from engine import printouts, reception
from engine.errors import NotFound
from engine.models import AuditEvent

DOCUMENTS = [{"name": "Giấy đề nghị đăng ký hộ kinh doanh", "copies": 2}]


def issue(rt, session, users):
    r = reception.receive_with_receipt(rt, session, procedure="household-business", agency_id=agency_id(session),
                                       channel="counter", applicant=APPLICANT, actor=users["tanlap.reception"],
                                       now=rt.clock.now(), documents=DOCUMENTS)
    session.commit()
    return r


def test_the_receipt_is_the_same_when_printed_again(rt, session, users, clock):
    first = issue(rt, session, users)
    clock.set(at(5, 10))
    again = printouts.receipt(rt, session, first.dossier.id, actor=users["tanlap.specialist"], now=clock.now())
    assert again.dossier.lookup_secret == first.dossier.lookup_secret
    assert again.documents == DOCUMENTS and again.official.username == "tanlap.reception"
    assert again.meta.code == first.meta.code and again.fees == first.fees and again.step is None
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "printed")).all()
    assert [(e.actor_id, e.detail, e.at) for e in events] == [(users["tanlap.specialist"].id, {"form": "receipt"},
                                                               at(5, 10))]


@pytest.mark.parametrize("who", ["hoabinh.reception", "hoabinh.leader", "admin"])
def test_outsiders_are_told_no_such_dossier(rt, session, users, who):
    d = issue(rt, session, users).dossier
    for call in (lambda: printouts.receipt(rt, session, d.id, actor=users[who], now=rt.clock.now()),
                 lambda: printouts.control_sheet_print(rt, session, d.id, actor=users[who], now=rt.clock.now()),
                 lambda: printouts.apology_letter(rt, session, d.id, actor=users[who], now=rt.clock.now())):
        with pytest.raises(NotFound, match=f"no dossier {d.id}"):
            call()
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "printed")).all() == []


def test_a_slip_is_printed_by_its_agency_only(rt, session, users):
    slip = reception.refuse_at_desk(rt, session, procedure="household-business", agency_id=agency_id(session),
                                    channel="counter", applicant=APPLICANT, reason="Không thuộc thẩm quyền.",
                                    actor=users["tanlap.reception"], now=rt.clock.now())
    session.commit()
    found = printouts.desk_slip(rt, session, "refusal", slip.record.number, actor=users["tanlap.clerk"])
    assert found.record.id == slip.record.id and found.official.username == "tanlap.reception"
    for kind, who in (("refusal", "hoabinh.reception"), ("refusal", "admin"),
                      ("supplement_request", "tanlap.reception")):
        with pytest.raises(NotFound):
            printouts.desk_slip(rt, session, kind, slip.record.number, actor=users[who])
