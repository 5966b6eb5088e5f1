"""Dossiers from reception to result on the real database, with the deployed procedures."""
from __future__ import annotations

import datetime as dt

import pytest
from samples import (
    BR_APPROVE,
    HH_APPROVE,
    HH_ISSUE,
    RETURN_COUNTER,
    RETURN_POSTAL,
    SIGN_APPROVE,
    SIGN_SEND_BACK,
    SUPPLEMENT_RECEIVED,
    examine_refuse,
    examine_supplement,
    supplement_received,
)
from sqlalchemy import func, select
from support import APPLICANT, T0, TANLAP, VN, act, agency_id, open_task, receive  # noqa: F401 (re-exported)

from engine import dossiers
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import AuditEvent, Dossier, Pause, Task


def test_household_business_from_reception_to_returned_result(rt, session, users):
    received = receive(rt, session, users)
    d = received.dossier
    assert d.code == f"{TANLAP}-260302-0001"
    assert d.status == "processing"
    # 3 working days from Monday 2 March 2026, 09:00 → end of Thursday 5 March
    assert d.appointment_at == dt.datetime(2026, 3, 5, 17, 0, tzinfo=VN)
    [first] = received.created
    assert (first.bpmn_id, first.role, first.state) == ("examine", "specialist", "ready")
    # examine budget P1DT4H = 12 working hours from Monday 09:00: 6.5 h on Monday, 5.5 h on Tuesday
    assert first.due_at == dt.datetime(2026, 3, 3, 14, 30, tzinfo=VN)
    assert first.warn_at == dt.datetime(2026, 3, 3, 10, 0, tzinfo=VN)  # 9 h of 12 used

    steps = [("examine", HH_APPROVE), ("sign", SIGN_APPROVE), ("issue", HH_ISSUE), ("return_result", RETURN_COUNTER)]
    for step, data in steps:
        rt.clock.advance(dt.timedelta(hours=2))
        act(rt, session, users, d.id, step, data)
    session.refresh(d)
    assert d.status == "returned"
    assert d.closed_at is not None
    done = session.scalars(select(Task).where(Task.dossier_id == d.id).order_by(Task.id)).all()
    assert [(t.bpmn_id, t.state) for t in done] == [(s, "completed") for s, _ in steps]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.dossier_id == d.id).order_by(AuditEvent.id)).all()
    assert actions == ["received", "completed", "completed", "completed", "completed"]


def test_birth_registration_is_due_the_same_day_or_the_next_after_the_cutoff(rt, session, users, clock):
    clock.set(dt.datetime(2026, 3, 2, 14, 0, tzinfo=VN))
    early = receive(rt, session, users, procedure="birth-registration").dossier
    assert early.appointment_at == dt.datetime(2026, 3, 2, 17, 0, tzinfo=VN)
    clock.set(dt.datetime(2026, 3, 2, 15, 30, tzinfo=VN))
    late = receive(rt, session, users, procedure="birth-registration").dossier
    assert late.appointment_at == dt.datetime(2026, 3, 3, 17, 0, tzinfo=VN)
    assert late.code.endswith("-0002")
    for step, data in [("examine", BR_APPROVE), ("sign", SIGN_APPROVE), ("return_result", RETURN_POSTAL)]:
        act(rt, session, users, late.id, step, data)
    session.refresh(late)
    assert late.status == "returned"


def test_supplement_pauses_the_clock_and_moves_due_times(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    appointment = d.appointment_at
    clock.set(dt.datetime(2026, 3, 2, 10, 0, tzinfo=VN))
    act(rt, session, users, d.id, "examine", examine_supplement())
    session.refresh(d)
    assert d.status == "supplement_requested"
    assert d.paused_at == clock.now()
    waiting = open_task(session, d.id)
    assert waiting.pauses_clock and waiting.due_at is None
    # the citizen brings the documents on Wednesday at 10:00: two full working days (16 h) paused
    clock.set(dt.datetime(2026, 3, 4, 10, 0, tzinfo=VN))
    act(rt, session, users, d.id, "wait_supplement", supplement_received(rt.clock.now()))
    session.refresh(d)
    assert d.paused_at is None and d.status == "processing"
    assert d.appointment_at == appointment  # the receipt's date stays for the statistics
    assert d.due_at == dt.datetime(2026, 3, 9, 17, 0, tzinfo=VN)  # Thursday 17:00 + 16 working hours
    pause = session.scalars(select(Pause).where(Pause.dossier_id == d.id)).one()
    assert (pause.paused_at, pause.resumed_at) == (dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC),
                                                   dt.datetime(2026, 3, 4, 3, 0, tzinfo=dt.UTC))
    again = open_task(session, d.id)
    assert again.bpmn_id == "examine" and again.due_at == dt.datetime(2026, 3, 5, 15, 30, tzinfo=VN)


def test_refusal_ends_the_dossier_as_refused(rt, session, users):
    d = receive(rt, session, users).dossier
    act(rt, session, users, d.id, "examine", examine_refuse("Không thuộc thẩm quyền."))
    act(rt, session, users, d.id, "sign_refusal", SIGN_APPROVE)
    act(rt, session, users, d.id, "return_refusal", RETURN_COUNTER)
    session.refresh(d)
    assert d.status == "refused" and d.closed_at is not None


def test_leader_sends_the_draft_back_to_the_specialist(rt, session, users):
    d = receive(rt, session, users).dossier
    act(rt, session, users, d.id, "examine", HH_APPROVE)
    act(rt, session, users, d.id, "sign", SIGN_SEND_BACK)
    assert open_task(session, d.id).bpmn_id == "examine"


def test_send_back_action_returns_to_the_previous_step(rt, session, users):
    d = receive(rt, session, users).dossier
    act(rt, session, users, d.id, "examine", HH_APPROVE)
    sign = open_task(session, d.id)
    result = dossiers.send_back(rt, session, sign.id, "Thiếu chữ ký", actor=users["tanlap.leader"], now=rt.clock.now())
    session.commit()
    assert [t.bpmn_id for t in result.created] == ["examine"]
    assert [t.id for t in result.cancelled] == [sign.id]
    assert open_task(session, d.id).bpmn_id == "examine"


def test_form_errors_name_each_field_and_change_nothing(rt, session, users):
    d = receive(rt, session, users).dossier
    task = open_task(session, d.id)
    version = d.version
    with pytest.raises(InvalidInput) as exc:
        dossiers.complete_task(rt, session, task.id, {"outcome": "approve"}, actor=users["tanlap.specialist"],
                               now=rt.clock.now())
    session.rollback()
    assert "business_name" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        dossiers.complete_task(rt, session, task.id, {**HH_APPROVE, "outcome": "maybe"},
                               actor=users["tanlap.specialist"], now=rt.clock.now())
    session.rollback()
    assert "outcome" in exc.value.errors
    session.refresh(d)
    assert d.version == version and open_task(session, d.id).id == task.id


def test_officials_of_another_role_or_agency_cannot_act(rt, session, users):
    d = receive(rt, session, users).dossier
    task = open_task(session, d.id)
    for who in ("tanlap.leader", "hoabinh.specialist", "tinh.specialist"):
        with pytest.raises(Forbidden if who.startswith("tanlap.") else NotFound):  # another agency: as if unknown
            dossiers.complete_task(rt, session, task.id, HH_APPROVE, actor=users[who], now=rt.clock.now())
        session.rollback()
    with pytest.raises(Forbidden):
        dossiers.receive_dossier(rt, session, procedure="household-business", agency_id=agency_id(session),
                                 channel="counter", applicant=APPLICANT, actor=users["hoabinh.reception"],
                                 now=rt.clock.now())


def test_claimed_task_belongs_to_its_claimer(rt, session, users):
    d = receive(rt, session, users).dossier
    task = open_task(session, d.id)
    dossiers.claim_task(rt, session, task.id, actor=users["tanlap.specialist"], now=rt.clock.now())
    session.commit()
    assert task.state == "claimed"
    with pytest.raises(Conflict):
        dossiers.claim_task(rt, session, task.id, actor=users["admin"], now=rt.clock.now())
    session.rollback()


def test_reception_input_errors(rt, session, users):
    with pytest.raises(InvalidInput) as exc:
        dossiers.receive_dossier(rt, session, procedure="household-business", agency_id=agency_id(session),
                                 channel="fax", applicant={}, actor=users["tanlap.reception"], now=rt.clock.now())
    assert set(exc.value.errors) == {"channel", "applicant.name"}
    with pytest.raises(InvalidInput) as exc:
        dossiers.receive_dossier(rt, session, procedure="household-business", agency_id=agency_id(session),
                                 channel="postal", applicant=APPLICANT, actor=users["tanlap.reception"],
                                 now=rt.clock.now())
    assert "clock_started_at" in exc.value.errors
    with pytest.raises(NotFound):
        dossiers.receive_dossier(rt, session, procedure="no-such", agency_id=agency_id(session), channel="counter",
                                 applicant=APPLICANT, actor=users["tanlap.reception"], now=rt.clock.now())
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_postal_clock_starts_at_the_postmark(rt, session, users, clock):
    postmark = dt.datetime(2026, 2, 27, 16, 0, tzinfo=VN)  # Friday
    d = receive(rt, session, users, channel="postal", clock_started_at=postmark).dossier
    assert d.clock_started_at == postmark
    assert d.appointment_at == dt.datetime(2026, 3, 4, 17, 0, tzinfo=VN)  # Mon, Tue, Wed
    assert d.received_at == T0


def test_a_supplement_keeps_the_apology_letters_new_date(rt, session, users, clock):
    from support import at, scan

    from engine import letters

    d = receive(rt, session, users).dossier  # Monday 2/3 09:00, due Thursday 5/3 17:00
    scan(rt, session, at(4, 17))  # one working day left: form 04 drafted
    clock.set(at(5, 8))
    letters.issue_letter(rt, session, d.id, new_appointment_at=at(9, 17), reason="Chờ xác minh",
                         actor=users["tanlap.leader"], now=at(5, 8))
    session.commit()
    clock.set(at(5, 9))
    act(rt, session, users, d.id, "examine", examine_supplement())
    clock.set(at(6, 9))  # one working day (8 h) paused
    act(rt, session, users, d.id, "wait_supplement", supplement_received(rt.clock.now()))
    session.refresh(d)
    assert d.legal_due_at == at(6, 17)  # the legal time moves by the pause ...
    assert d.due_at == at(9, 17)  # ... and the date promised to the citizen stays
    assert d.appointment_at == at(5, 17)


def test_a_paused_dossier_finished_within_its_moved_due_time_is_not_late(rt, session, users, clock):
    from support import at

    from engine.reports import handling_report

    d = receive(rt, session, users).dossier  # due Thursday 5/3 17:00
    clock.set(at(2, 10))
    act(rt, session, users, d.id, "examine", examine_supplement())
    clock.set(at(9, 10))  # five working days paused: legal due Thursday 12/3 17:00
    act(rt, session, users, d.id, "wait_supplement", supplement_received(rt.clock.now()))
    clock.set(at(10, 9))
    for step, data in [("examine", HH_APPROVE), ("sign", SIGN_APPROVE), ("issue", HH_ISSUE),
                       ("return_result", RETURN_COUNTER)]:
        act(rt, session, users, d.id, step, data)
    session.refresh(d)
    assert d.legal_due_at == at(12, 17) and d.status == "returned"
    total = handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=at(31, 17)).total
    assert (total.resolved_early, total.resolved_on_time, total.resolved_late) == (1, 0, 0)


def test_sending_back_never_reopens_the_wait_for_the_citizen(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    act(rt, session, users, d.id, "examine", examine_supplement())
    act(rt, session, users, d.id, "wait_supplement", supplement_received(rt.clock.now()))
    examine = open_task(session, d.id)
    dossiers.send_back(rt, session, examine.id, "Xem lại", actor=users["tanlap.specialist"], now=rt.clock.now())
    session.commit()
    session.refresh(d)
    assert open_task(session, d.id).bpmn_id == "examine"
    assert d.paused_at is None and d.status == "processing"
    assert session.scalar(select(func.count()).select_from(Pause).where(Pause.dossier_id == d.id)) == 1


def test_fields_the_form_does_not_declare_are_refused(rt, session, users):
    d = receive(rt, session, users).dossier
    task = open_task(session, d.id)
    with pytest.raises(InvalidInput) as err:
        dossiers.complete_task(rt, session, task.id, {**HH_APPROVE, "delivery": "postal", "channel": "online"},
                               actor=users["tanlap.specialist"], now=rt.clock.now())
    session.rollback()
    assert set(err.value.errors) == {"delivery", "channel"}
    with pytest.raises(InvalidInput) as err:
        dossiers.complete_task(rt, session, task.id, {**HH_APPROVE, "due_at": "2030-01-01T17:00:00+07:00"},
                               actor=users["tanlap.specialist"], now=rt.clock.now())
    session.rollback()
    assert "set by the engine" in err.value.errors["due_at"][0]
    session.refresh(d)
    assert d.result_delivery is None and open_task(session, d.id).id == task.id


def test_every_workflow_starts_with_its_channel_and_times(rt, session, users):
    from engine import runtime

    d = receive(rt, session, users).dossier
    workflow = runtime.restore(rt, rt.compiled(session, d), d)
    data = runtime.ready_human_tasks(workflow)[0].data
    assert data["channel"] == "counter"
    assert dt.datetime.fromisoformat(data["received_at"]) == d.received_at == T0
    assert dt.datetime.fromisoformat(data["clock_started_at"]) == d.clock_started_at
    assert dt.datetime.fromisoformat(data["due_at"]) == d.due_at


def test_an_extension_after_the_apology_survives_a_supplement(rt, session, users, clock):
    import dataclasses

    from support import at, scan

    from engine import letters

    allowed = dataclasses.replace(rt, settings=dataclasses.replace(rt.settings,
                                                                   extensions={"household-business": "P2D"}))
    d = receive(rt, session, users).dossier  # due Thursday 5/3 17:00
    scan(rt, session, at(4, 17))
    clock.set(at(5, 8))
    letters.issue_letter(rt, session, d.id, new_appointment_at=at(9, 17), reason="Chờ xác minh",
                         actor=users["tanlap.leader"], now=at(5, 8))
    session.commit()
    letters.record_extension(allowed, session, d.id, duration="P1D", reason="Hồ sơ phức tạp",
                             actor=users["tanlap.leader"], now=at(5, 8, 30))
    session.commit()
    session.refresh(d)
    assert (d.legal_due_at, d.due_at) == (at(6, 17), at(10, 17))
    clock.set(at(5, 9))
    act(allowed, session, users, d.id, "examine", examine_supplement())
    clock.set(at(6, 9))  # one working day paused
    act(allowed, session, users, d.id, "wait_supplement", supplement_received(clock.now()))
    session.refresh(d)
    assert d.legal_due_at == at(9, 17)  # 5/3 + the day paused + the day of extension
    assert d.due_at == at(10, 17)  # the promised date with its extension never moves back


def test_a_form_gets_its_defaults_and_its_formats_checked(rt, session, users):
    d = receive(rt, session, users, procedure="birth-registration").dossier
    data = {**BR_APPROVE, "child": {k: v for k, v in BR_APPROVE["child"].items() if k != "ethnicity"}}
    act(rt, session, users, d.id, "examine", data)  # ethnicity left out: the form's default "Kinh"
    stored = session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == d.id,
                                                      AuditEvent.action == "completed")).one()
    assert stored.detail["data"]["child"]["ethnicity"] == "Kinh"

    d = receive(rt, session, users).dossier
    act(rt, session, users, d.id, "examine", examine_supplement())
    task = open_task(session, d.id)
    with pytest.raises(InvalidInput) as err:
        dossiers.complete_task(rt, session, task.id, {**SUPPLEMENT_RECEIVED, "supplemented_at": "04/12/2026 10:00"},
                               actor=users["tanlap.reception"], now=rt.clock.now())
    session.rollback()
    assert list(err.value.errors) == ["supplemented_at"]
    assert open_task(session, d.id).id == task.id


def test_a_ten_second_pause_moves_no_due_time(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    assert d.due_at == dt.datetime(2026, 3, 5, 17, 0, tzinfo=VN)
    clock.set(dt.datetime(2026, 3, 2, 10, 0, 0, tzinfo=VN))
    act(rt, session, users, d.id, "examine", examine_supplement())
    clock.set(dt.datetime(2026, 3, 2, 10, 0, 10, tzinfo=VN))
    act(rt, session, users, d.id, "wait_supplement", supplement_received(clock.now()))
    session.refresh(d)
    # was Friday 07:30:10, shown to the citizen: ten paused seconds past 17:00
    assert (d.legal_due_at, d.due_at) == (dt.datetime(2026, 3, 5, 17, 0, tzinfo=VN),) * 2


def test_pauses_count_whole_minutes_and_due_times_land_on_minutes(rt, session, users, clock):
    clock.set(dt.datetime(2026, 3, 2, 9, 0, 7, 250000, tzinfo=VN))
    d = receive(rt, session, users).dossier
    examine = open_task(session, d.id)
    assert examine.due_at == dt.datetime(2026, 3, 3, 14, 31, tzinfo=VN)  # 14:30:07.25, up to the minute
    clock.set(dt.datetime(2026, 3, 2, 10, 0, 30, tzinfo=VN))
    act(rt, session, users, d.id, "examine", examine_supplement())
    clock.set(dt.datetime(2026, 3, 2, 10, 5, 10, tzinfo=VN))  # 4 min 40 s paused: 4 minutes count
    act(rt, session, users, d.id, "wait_supplement", supplement_received(clock.now()))
    session.refresh(d)
    assert d.due_at == dt.datetime(2026, 3, 6, 7, 34, tzinfo=VN)
    assert all(t.due_at is None or (t.due_at.second, t.due_at.microsecond) == (0, 0)
               for t in session.scalars(select(Task).where(Task.dossier_id == d.id)))


def test_the_clock_resumes_when_the_supplement_was_received_not_when_it_was_entered(rt, session, users, clock):
    d = receive(rt, session, users).dossier
    clock.set(dt.datetime(2026, 3, 2, 10, 0, tzinfo=VN))
    act(rt, session, users, d.id, "examine", examine_supplement())
    clock.set(dt.datetime(2026, 3, 4, 14, 0, tzinfo=VN))  # entered on Wednesday afternoon ...
    task = open_task(session, d.id)
    for bad in ("2026-03-04T14:30:00+07:00", "2026-03-02T09:59:00+07:00"):  # after now; before the request
        with pytest.raises(InvalidInput) as err:
            dossiers.complete_task(rt, session, task.id, {**SUPPLEMENT_RECEIVED, "supplemented_at": bad},
                                   actor=users["tanlap.reception"], now=clock.now())
        session.rollback()
        assert list(err.value.errors) == ["supplemented_at"]
    postal = {**SUPPLEMENT_RECEIVED, "channel": "postal", "supplemented_at": "2026-03-04T10:00:00+07:00"}
    act(rt, session, users, d.id, "wait_supplement", postal)  # ... delivered by the post at 10:00
    session.refresh(d)
    pause = session.scalars(select(Pause).where(Pause.dossier_id == d.id)).one()
    assert pause.resumed_at == dt.datetime(2026, 3, 4, 10, 0, tzinfo=VN)
    assert d.due_at == dt.datetime(2026, 3, 9, 17, 0, tzinfo=VN)  # 16 working hours paused, not 20
