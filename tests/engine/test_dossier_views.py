"""Read models of dossiers: early/on time/late, handovers of form 05, who sees what, the tracking book."""
from __future__ import annotations

import datetime as dt

import pytest
from samples import (
    HH_APPROVE,
    HH_ISSUE,
    RETURN_COUNTER,
    SIGN_APPROVE,
    SIGN_SEND_BACK,
    examine_supplement,
    supplement_received,
)
from sqlalchemy import select
from support import T0

from engine import dossier_views, dossiers, tracking_book
from engine.errors import NotFound
from engine.models import Agency, Task

VN = dt.timezone(dt.timedelta(hours=7))
DUE = dt.datetime(2026, 3, 3, 14, 30, tzinfo=VN)  # a Tuesday afternoon
APPLICANT = {"name": "Trần Thị Bình", "id_number": "031190001234"}


@pytest.mark.parametrize("done, now, expected", [
    (dt.datetime(2026, 3, 2, 16, 0, tzinfo=VN), None, "early"),      # the day before
    (dt.datetime(2026, 3, 3, 7, 30, tzinfo=VN), None, "on_time"),    # same day, hours ahead: not "early"
    (DUE, None, "on_time"),                                          # at the due time exactly
    (DUE + dt.timedelta(seconds=1), None, "late"),
    (dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC), None, "on_time"),  # 01:00 on Tuesday in Hà Nội
    (None, DUE - dt.timedelta(hours=1), None),                       # open, not yet due
    (None, DUE + dt.timedelta(hours=1), "late"),                     # open past its due time
])
def test_marks(done, now, expected):
    assert dossier_views.mark(done, DUE, VN, now) == expected


def test_no_due_time_no_mark():
    assert dossier_views.mark(T0, None, VN, T0) is None


def agency(session, code="000.01.31.H26") -> Agency:
    return session.scalars(select(Agency).where(Agency.code == code)).one()


def receive(rt, session, users, code="000.01.31.H26", prefix="tanlap"):
    result = dossiers.receive_dossier(rt, session, procedure="household-business", agency_id=agency(session, code).id,
                                      channel="counter", applicant=APPLICANT, actor=users[f"{prefix}.reception"],
                                      now=rt.clock.now())
    session.commit()
    return result.dossier


def step(rt, session, users, dossier, data, minutes=30):
    rt.clock.advance(dt.timedelta(minutes=minutes))
    # a step sent back by the diagram's outcome comes back claimed by the official who did it
    task = session.scalars(select(Task).where(Task.dossier_id == dossier.id,
                                              Task.state.in_(("ready", "claimed")))).one()
    dossiers.complete_task(rt, session, task.id, data, actor=users[f"tanlap.{task.role}"], now=rt.clock.now())
    session.commit()
    return task


def test_sent_back_steps_are_handed_over_by_whoever_sent_them_back(rt, session, users):
    d = receive(rt, session, users)
    step(rt, session, users, d, HH_APPROVE)
    step(rt, session, users, d, SIGN_SEND_BACK)           # the leader's form outcome
    step(rt, session, users, d, HH_APPROVE)
    sign = session.scalars(select(Task).where(Task.dossier_id == d.id, Task.state == "ready")).one()
    rt.clock.advance(dt.timedelta(minutes=5))
    dossiers.send_back(rt, session, sign.id, "Thiếu chữ ký", actor=users["tanlap.leader"], now=rt.clock.now())
    session.commit()
    sheet = dossier_views.control_sheet(rt, session, d.id, actor=users["tanlap.supervisor"], now=rt.clock.now())
    leader = users["tanlap.leader"].full_name
    moves = [(h.from_step, h.to_step, h.state, h.from_official) for h in sheet.handovers]
    assert moves == [
        ("reception", "examine", "completed", users["tanlap.reception"].full_name),
        ("examine", "sign", "completed", users["tanlap.specialist"].full_name),
        ("sign", "examine", "completed", leader),
        ("examine", "sign", "cancelled", users["tanlap.specialist"].full_name),
        # the send-back action: no completer, the audit actor; the step goes back to the official who did it
        ("sign", "examine", "claimed", leader),
    ]
    assert sheet.handovers[3].completed_at is None and sheet.handovers[3].mark is None
    back = sheet.handovers[-1]
    assert (back.to_official, back.received_at) == (users["tanlap.specialist"].full_name, rt.clock.now())


def test_waiting_for_the_citizen_has_no_mark_and_the_dossier_is_scored_on_its_moved_due_time(rt, session, users):
    d = receive(rt, session, users)
    step(rt, session, users, d, examine_supplement())
    rt.clock.set(dt.datetime(2026, 3, 6, 9, 0, tzinfo=VN))  # the citizen comes back on Friday
    for data in (supplement_received(rt.clock.now()), HH_APPROVE, SIGN_APPROVE, HH_ISSUE, RETURN_COUNTER):
        step(rt, session, users, d, data)
    sheet = dossier_views.control_sheet(rt, session, d.id, actor=users["tanlap.head"], now=rt.clock.now())
    waiting = sheet.handovers[1]
    assert (waiting.to_step, waiting.due_at, waiting.mark) == ("wait_supplement", None, None)
    assert sheet.finished_at > sheet.appointment_at  # past the receipt's date ...
    assert sheet.due_at > sheet.finished_at and sheet.mark == "early"  # ... but the pause moved it lawfully


def test_an_agency_holding_a_task_of_the_dossier_sees_it_and_its_applicant(rt, session, users):
    d = receive(rt, session, users)
    hoabinh = agency(session, "000.02.31.H26")
    with pytest.raises(NotFound):
        dossier_views.dossier_detail(rt, session, d.id, actor=users["hoabinh.specialist"], now=rt.clock.now())
    session.rollback()
    assert dossier_views.list_dossiers(session, actor=users["hoabinh.specialist"]).total == 0
    # an inter-agency step handed to another agency (as a `kind:role` lane would)
    session.add(Task(dossier_id=d.id, spiff_task_id="00000000-0000-0000-0000-000000000001", bpmn_id="verify",
                     name="Xác minh", role="specialist", agency_id=hoabinh.id, state="ready", created_at=T0))
    session.commit()
    detail = dossier_views.dossier_detail(rt, session, d.id, actor=users["hoabinh.specialist"], now=rt.clock.now())
    assert detail.applicant == APPLICANT and "UBND phường Hòa Bình" in {s.agency for s in detail.current_steps}
    page = dossier_views.list_dossiers(session, actor=users["hoabinh.specialist"])
    assert [r.applicant_name for r in page.items] == [APPLICANT["name"]]


def test_admins_see_dossiers_without_personal_data(rt, session, users):
    d = receive(rt, session, users)
    for data in (HH_APPROVE, SIGN_APPROVE, HH_ISSUE, RETURN_COUNTER):
        step(rt, session, users, d, data)
    detail = dossier_views.dossier_detail(rt, session, d.id, actor=users["admin"], now=rt.clock.now())
    assert detail.applicant is None and detail.row.applicant_name is None and not detail.personal_data_visible
    assert detail.result_delivery == {"delivery": "counter"}  # without the name of who collected it
    own = dossier_views.dossier_detail(rt, session, d.id, actor=users["tanlap.reception"], now=rt.clock.now())
    assert own.result_delivery["returned_to"] == RETURN_COUNTER["returned_to"]


def test_the_book_holds_only_the_agencys_dossiers_of_the_period(rt, session, users):
    mine = receive(rt, session, users)
    receive(rt, session, users, "000.02.31.H26", "hoabinh")
    rt.clock.set(dt.datetime(2026, 3, 2, 23, 59, tzinfo=VN))
    late_evening = receive(rt, session, users)
    rt.clock.set(dt.datetime(2026, 3, 3, 0, 0, tzinfo=VN))
    receive(rt, session, users)
    book = tracking_book.tracking_book(rt, session, agency_id=agency(session).id, start=dt.date(2026, 3, 2),
                                       end=dt.date(2026, 3, 2), actor=users["tanlap.leader"])
    assert [line.code for line in book.lines] == [mine.code, late_evening.code]
    assert book.lines[0].handed_to == "UBND xã Tân Lập — Thẩm định hồ sơ"
    text = tracking_book.tracking_book_csv(book, VN)
    assert text.startswith("\ufeffSTT,") and text.count("\r\n") == 3
