"""Form 04 (apology and new appointment): drafted by the scan, issued once; extensions as their own act."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select
from support import VN, at, receive, scan

from engine import letters
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.models import AuditEvent, Dossier, Escalation, Outbox
from engine.workcalendar import WorkCalendar


def with_settings(rt, **changes):
    return dataclasses.replace(rt, settings=dataclasses.replace(rt.settings, **changes))


@pytest.mark.parametrize("due, remaining_h, expected", [
    (at(5, 17), 12, at(9, 17)),  # Thu 17:00 + 12 working hours = Mon 11:30 -> end of Monday
    (at(5, 17), 0, at(6, 17)),  # at least one working hour later: end of Friday
    (at(6, 17), 1, at(9, 17)),  # across the weekend
])
def test_the_proposed_date_is_the_due_time_plus_the_work_left_at_a_day_end(due, remaining_h, expected):
    assert letters.propose_date(WorkCalendar(), due, remaining_h * 3600) == expected


def test_the_scan_drafts_form_04_on_the_last_working_day(rt, session, users):
    d = receive(rt, session, users).dossier
    result = scan(rt, session, at(4, 17))
    assert result.letters_drafted == 1
    letter = letters.get_letter(session, d.id)
    # examine has outrun its 12 h; sign, issue and return (12 h) are left after Thursday 17:00
    assert letter.proposed_at == at(9, 17) and letter.issued_at is None and letter.reason is None
    assert "ngày hẹn mới 17:00 09/03/2026" in session.scalar(select(Escalation.message).where(Escalation.rung == 3))


def test_a_leader_issues_the_letter_once_and_the_citizen_is_mailed(rt, session, users):
    mailing = with_settings(rt, mail_enabled=True)
    d = receive(rt, session, users).dossier
    scan(rt, session, at(4, 17))
    letter = letters.issue_letter(mailing, session, d.id, new_appointment_at=at(9, 17), reason="Chờ xác minh",
                                  actor=users["tanlap.leader"], now=at(5, 8))
    session.commit()
    assert (letter.issued_at, letter.new_appointment_at, letter.reason) == (at(5, 8), at(9, 17), "Chờ xác minh")
    session.refresh(d)
    assert d.due_at == at(9, 17) and d.appointment_at == at(5, 17)  # statistics keep the receipt's date
    mail = session.scalars(select(Outbox)).one()
    assert mail.recipient == "binh@example.vn" and "PHIẾU XIN LỖI" in mail.body["text"]
    assert "17:00 ngày 09/03/2026" in mail.body["text"] and "Chờ xác minh" in mail.body["text"]
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "apology_issued")) is not None
    with pytest.raises(Conflict, match="only once"):
        letters.issue_letter(mailing, session, d.id, new_appointment_at=at(10, 17), reason="Lần nữa",
                             actor=users["tanlap.leader"], now=at(9, 16))
    session.rollback()
    # the new date is the commitment now: overdue only after it
    assert scan(rt, session, at(5, 17, 1)).created == ()  # the original due time passes quietly
    assert [c.rung for c in scan(rt, session, at(9, 17, 1)).created] == [4]


def test_issuing_needs_a_leader_a_reason_and_a_later_date(rt, session, users):
    d = receive(rt, session, users).dossier
    with pytest.raises(Forbidden):
        letters.issue_letter(rt, session, d.id, new_appointment_at=at(9, 17), reason="x",
                             actor=users["tanlap.specialist"], now=at(4, 17))
    with pytest.raises(InvalidInput) as exc:
        letters.issue_letter(rt, session, d.id, new_appointment_at=at(5, 12), reason=" ",
                             actor=users["tanlap.leader"], now=at(4, 17))
    assert set(exc.value.errors) == {"reason", "new_appointment_at"}


def test_an_extension_needs_the_procedure_to_allow_it_and_stays_within_the_limit(rt, session, users):
    d = receive(rt, session, users).dossier
    with pytest.raises(Conflict, match="allows no extension"):
        letters.record_extension(rt, session, d.id, duration="P1D", reason="Hồ sơ phức tạp",
                                 actor=users["tanlap.leader"], now=at(3, 9))
    allowed = with_settings(rt, extensions={"household-business": "P2D"})
    letters.record_extension(allowed, session, d.id, duration="P1D", reason="Hồ sơ phức tạp",
                             actor=users["tanlap.leader"], now=at(3, 9))
    session.commit()
    assert session.get(Dossier, d.id).due_at == at(6, 17)
    with pytest.raises(InvalidInput):
        letters.record_extension(allowed, session, d.id, duration="P1DT1H", reason="Thêm nữa",
                                 actor=users["tanlap.leader"], now=at(3, 10))
    session.rollback()
    letters.record_extension(allowed, session, d.id, duration="P1D", reason="Thêm một ngày",
                             actor=users["tanlap.leader"], now=at(3, 10))
    session.commit()
    assert session.get(Dossier, d.id).due_at == at(9, 17)
    assert session.get(Dossier, d.id).due_at.astimezone(VN).hour == 17
