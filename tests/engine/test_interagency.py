"""Inter-agency bundles (issue 15 item 2): hand-overs between agencies confirmed by the receiving agency,
each agency's share of the time (injected clock), form 05 and II.06a per share, [[shares]] validation."""
from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import threading

import pytest
from sqlalchemy import select
from support import VN, WORKFLOWS, open_task, receive

from bpmn.rules import Organisation
from bpmn.validation import validate_package
from engine import dossier_views, dossiers, interagency, reports, supervision
from engine.errors import Conflict, Forbidden
from engine.models import Agency, AgencyHandover, AuditEvent, Task, User

BUNDLE = "birth-residence-insurance"
EXAMINED = {"outcome": "approve", "register_entry": "01/2026, số 57"}
SIGNED = {"outcome": "approve", "signature_kind": "digital"}
RESIDENCE = {"residence_updated_on": "2026-03-09", "household_head_consent": True}
CARD = {"card_number": "TE1313100012345", "delivery": "online"}


def _do(rt, session, users, dossier_id, step, username, data, at):
    rt.clock.set(at)
    task = open_task(session, dossier_id)
    assert task.bpmn_id == step
    dossiers.complete_task(rt, session, task.id, data, actor=users[username], now=at)
    session.commit()


def _signed(rt, session, users, start: dt.datetime) -> int:
    """A bundle dossier received at `start`, examined one hour later and signed one more: at the police."""
    rt.clock.set(start)
    d = receive(rt, session, users, procedure=BUNDLE).dossier
    _do(rt, session, users, d.id, "examine", "tanlap.specialist", EXAMINED, start + dt.timedelta(hours=1))
    _do(rt, session, users, d.id, "sign", "tanlap.leader", SIGNED, start + dt.timedelta(hours=2))
    return d.id


def _handovers(session, dossier_id) -> list[AgencyHandover]:
    session.expire_all()
    return list(session.scalars(select(AgencyHandover).where(AgencyHandover.dossier_id == dossier_id)
                                .order_by(AgencyHandover.id)))


def test_the_police_confirm_the_hand_over_before_taking_their_step(rt, session, users):
    dossier_id = _signed(rt, session, users, dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN))
    lead, police = _handovers(session, dossier_id)
    assert lead.from_agency_id is None and lead.confirmed_at is not None  # the lead's share opens at reception
    assert session.get(Agency, police.to_agency_id).kind == "police"
    assert police.from_agency_id == lead.to_agency_id and police.confirmed_at is None
    assert police.sent_by_id == users["tanlap.leader"].id and lead.share_ended_at == police.sent_at
    task = open_task(session, dossier_id)
    assert task.bpmn_id == "register_residence" and task.agency_id == police.to_agency_id
    now = rt.clock.now()
    for attempt in (dossiers.claim_task, lambda *a, **k: dossiers.complete_task(a[0], a[1], a[2], RESIDENCE, **k)):
        with pytest.raises(Conflict, match=f"hand-over {police.id} .* not confirmed yet"):
            attempt(rt, session, task.id, actor=users["conganxa.specialist"], now=now)
        session.rollback()
    with pytest.raises(Forbidden):  # the sending commune cannot confirm for the police
        interagency.confirm(session, police.id, actor=users["tanlap.leader"], now=now)
    session.rollback()
    assert _handovers(session, dossier_id)[1].confirmed_at is None  # nothing changed
    interagency.confirm(session, police.id, actor=users["conganxa.leader"], now=now)
    session.commit()
    dossiers.claim_task(rt, session, task.id, actor=users["conganxa.specialist"], now=now)
    session.commit()
    assert _handovers(session, dossier_id)[1].confirmed_by_id == users["conganxa.leader"].id


def test_the_hand_over_names_the_official_who_sent_it_in_the_trail_and_the_timeline(rt, session, users):
    dossier_id = _signed(rt, session, users, dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN))
    sent = session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier_id,
                                                    AuditEvent.action == "handed_over")).one()
    assert sent.actor_id == users["tanlap.leader"].id  # whose signing sent it, as the hand-over row says
    detail = dossier_views.dossier_detail(rt, session, dossier_id, actor=users["tanlap.leader"], now=rt.clock.now())
    (line,) = [e for e in detail.timeline if e.action == "handed_over"]
    (row,) = [a for a in detail.audit_trail if a.action == "handed_over"]
    leader = users["tanlap.leader"].full_name
    assert line.actor == leader and row.actor == leader
    assert line.label == "Chuyển hồ sơ liên thông sang cơ quan khác"


def test_two_officials_confirming_at_once_one_wins(rt, session, users):
    dossier_id = _signed(rt, session, users, dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN))
    handover_id = _handovers(session, dossier_id)[1].id
    names = ("conganxa.specialist", "conganxa.leader")
    ids = [users[n].id for n in names]
    barrier = threading.Barrier(2)
    won, lost = [], []

    def confirm(user_id):
        with rt.sessions() as s:
            barrier.wait()
            try:
                interagency.confirm(s, handover_id, actor=s.get(User, user_id), now=rt.clock.now())
                s.commit()
                won.append(user_id)
            except Conflict:
                s.rollback()
                lost.append(user_id)

    threads = [threading.Thread(target=confirm, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(won) == 1 and len(lost) == 1
    assert _handovers(session, dossier_id)[1].confirmed_by_id == won[0]
    with pytest.raises(Conflict, match="confirmed already"):
        interagency.confirm(session, handover_id, actor=users["conganxa.leader"], now=rt.clock.now())


def _over_the_weekend(rt, session, users) -> int:
    """Received Friday 14:00, handed to the police Friday 16:00, confirmed Monday 15:00, done Tuesday 09:00,
    card issued Tuesday 11:00."""
    dossier_id = _signed(rt, session, users, dt.datetime(2026, 3, 6, 14, 0, tzinfo=VN))
    police = _handovers(session, dossier_id)[1]
    rt.clock.set(dt.datetime(2026, 3, 9, 15, 0, tzinfo=VN))
    interagency.confirm(session, police.id, actor=users["conganxa.specialist"], now=rt.clock.now())
    session.commit()
    _do(rt, session, users, dossier_id, "register_residence", "conganxa.specialist", RESIDENCE,
        dt.datetime(2026, 3, 10, 9, 0, tzinfo=VN))
    insurance = _handovers(session, dossier_id)[2]
    rt.clock.set(dt.datetime(2026, 3, 10, 10, 0, tzinfo=VN))
    interagency.confirm(session, insurance.id, actor=users["bhxh.specialist"], now=rt.clock.now())
    session.commit()
    _do(rt, session, users, dossier_id, "issue_card", "bhxh.specialist", CARD, dt.datetime(2026, 3, 10, 11, 0, tzinfo=VN))
    return dossier_id


def test_each_share_is_timed_from_its_sending_across_a_weekend(rt, session, users):
    dossier_id = _over_the_weekend(rt, session, users)
    lead, police, insurance = _handovers(session, dossier_id)
    calendar = rt.calendars.get(session)
    friday_16 = dt.datetime(2026, 3, 6, 16, 0, tzinfo=VN)
    # a slow confirmation is the police's time: its share starts when the commune sent the dossier
    assert police.sent_at == friday_16 and police.confirmed_at == dt.datetime(2026, 3, 9, 15, 0, tzinfo=VN)
    # one working day after Friday 16:00 is on Monday, not Saturday
    assert police.share_due_at.astimezone(VN).date() == dt.date(2026, 3, 9)
    assert calendar.between(police.sent_at, police.share_due_at) == dt.timedelta(seconds=calendar.working_day_seconds)
    assert police.share_ended_at == insurance.sent_at == dt.datetime(2026, 3, 10, 9, 0, tzinfo=VN)
    assert insurance.share_ended_at == dt.datetime(2026, 3, 10, 11, 0, tzinfo=VN)  # the end of the dossier
    assert lead.share_ended_at == friday_16
    sheet = dossier_views.control_sheet(rt, session, dossier_id, actor=users["tanlap.leader"], now=rt.clock.now())
    assert [(s.agency_name, s.mark) for s in sheet.shares] == [
        ("UBND xã Tân Lập", "early"), ("Công an xã Tân Lập", "late"), ("Bảo hiểm xã hội tỉnh", "early")]
    police_line = sheet.shares[1]
    assert police_line.from_agency_name == "UBND xã Tân Lập" and police_line.confirmed_at == police.confirmed_at
    assert police_line.used == calendar.between(friday_16, police.share_ended_at) > police_line.used * 0
    assert police_line.budget == "P1D"


def test_report_06a_counts_each_agency_share_besides_the_whole_dossier(rt, session, users):
    _over_the_weekend(rt, session, users)
    waiting = _signed(rt, session, users, dt.datetime(2026, 3, 11, 9, 0, tzinfo=VN))  # at the police, unconfirmed
    now = dt.datetime(2026, 3, 13, 17, 0, tzinfo=VN)  # the police's share of `waiting` was due on the 12th
    report = reports.handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=now)
    rows = {(r.agency_code, r.share): r for r in report.rows if r.procedure_code == "2.000986"}
    assert set(rows) == {("000.01.31.H26", False), ("000.11.31.H26", True), ("000.40.00.H26", True)}
    whole, police, insurance = rows[("000.01.31.H26", False)], rows[("000.11.31.H26", True)], \
        rows[("000.40.00.H26", True)]
    assert whole.figures.received == 2 and whole.figures.resolved == 1 and whole.figures.in_progress == 1
    assert police.agency_name.endswith(reports.SHARE_LABEL)
    assert (police.figures.received, police.figures.resolved_late, police.figures.in_progress_overdue) == (2, 1, 1)
    assert police.figures.resolved_early + police.figures.resolved_on_time + police.figures.in_progress_within == 0
    assert (insurance.figures.received, insurance.figures.resolved_early) == (1, 1)
    # the shares are not added to the total: each dossier counts once
    assert report.total.received == sum(r.figures.received for r in report.rows if not r.share)
    # the police's own report lists only its shares
    mine = reports.handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=now,
                                   agency_ids=[session.get(Task, open_task(session, waiting).id).agency_id])
    assert [(r.share, r.figures.received) for r in mine.rows] == [(True, 2)]


def test_the_csv_files_name_the_share_in_a_last_column(rt, session, users):
    """Form 05's CSV and report II.06a's files: a column at the end says the share, for a spreadsheet's filter;
    the columns before it keep their names and order."""
    dossier_id = _over_the_weekend(rt, session, users)
    sheet = dossier_views.control_sheet(rt, session, dossier_id, actor=users["tanlap.leader"], now=rt.clock.now())
    header, *lines = csv.reader(io.StringIO(dossier_views.control_sheet_csv(sheet, VN).lstrip("\ufeff")))
    assert header[:13] == ["Mã hồ sơ", "STT", "Bên giao", "Người giao", "Bên nhận", "Cơ quan nhận", "Người nhận",
                           "Thời gian giao", "Thời gian nhận", "Hạn xử lý", "Thời gian hoàn thành",
                           "Kết quả giải quyết", "Ghi chú"] and header[13:] == ["Phần liên thông"]
    assert [(line[5], line[13]) for line in lines] == [  # each step's agency and its share
        ("UBND xã Tân Lập", "UBND cấp xã: đăng ký khai sinh"), ("UBND xã Tân Lập", "UBND cấp xã: đăng ký khai sinh"),
        ("Công an xã Tân Lập", "Công an cấp xã: đăng ký thường trú"),
        ("Bảo hiểm xã hội tỉnh", "Bảo hiểm xã hội: cấp thẻ bảo hiểm y tế")]

    report = reports.handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=rt.clock.now())
    header, *rows, total = csv.reader(io.StringIO(supervision.report_csv(supervision.PeriodReport("procedure", report))
                                                  .lstrip("\ufeff")))
    assert header[-1] == "Phần liên thông" and header[-2] == "Số tiền đã thu (đồng)"
    assert sorted((row[3], row[-1]) for row in rows) == [
        ("Bảo hiểm xã hội tỉnh" + reports.SHARE_LABEL, "Có"), ("Công an xã Tân Lập" + reports.SHARE_LABEL, "Có"),
        ("UBND xã Tân Lập", "Không")]
    assert total[3] == "Tổng cộng" and total[-1] == ""


def test_a_dossier_of_a_procedure_without_shares_records_no_hand_over(rt, session, users):
    d = receive(rt, session, users, procedure="construction-permit-house").dossier
    assert _handovers(session, d.id) == []


# --- validation ----------------------------------------------------------------------------------------------


@pytest.fixture
def bundle(tmp_path):
    folder = tmp_path / BUNDLE
    shutil.copytree(WORKFLOWS / BUNDLE, folder)
    return folder


def _errors(folder, **kw) -> list[str]:
    return [str(p) for p in validate_package(folder, **kw) if p.is_error]


def _edit(folder, old: str, new: str) -> None:
    path = folder / "procedure.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_library_bundles_are_clean(bundle):
    assert _errors(bundle) == []
    assert _errors(WORKFLOWS / "death-residence-funeral") == []


def test_a_lane_kind_without_a_share_is_an_error_naming_the_lane(bundle):
    _edit(bundle, 'kind = "police"', 'kind = "tax"')
    errors = _errors(bundle)
    assert any("lane 'police:specialist'" in e and "[[shares]]" in e for e in errors), errors


def test_shares_beyond_the_legal_deadline_are_an_error(bundle):
    _edit(bundle, 'budget = "P1D"', 'budget = "P3D"')
    errors = _errors(bundle)
    assert any("procedure.toml" in e and "shares: the agencies' budgets sum to" in e for e in errors), errors


def test_steps_beyond_their_share_are_an_error_naming_the_share(bundle):
    _edit(bundle, 'budget = "PT4H"', 'budget = "PT2H"')  # examine PT2H + sign PT1H on the longest path
    errors = _errors(bundle)
    assert any("shares #1: budget" in e and "'commune'" in e for e in errors), errors


def test_a_share_to_a_kind_with_no_agency_today_is_refused(bundle):
    errors = _errors(bundle, organisation=Organisation(frozenset({"commune", "police"})))
    assert any("shares #3: kind" in e and "'social_insurance'" in e for e in errors), errors


def test_bad_share_fields_are_named(bundle):
    _edit(bundle, 'budget = "PT4H"', 'budget = "four hours"')
    errors = _errors(bundle)
    assert any("shares #1" in e and "budget" in e for e in errors), errors


def test_deploy_refuses_a_share_whose_agencies_have_all_ended(rt, session, bundle):
    from support import keep_organisation

    from engine.deploy import deploy_path
    from engine.errors import InvalidInput
    from engine.models import ProcedureVersion

    _edit(bundle, 'name_vi = "Liên thông', 'name_vi = "(bản mới) Liên thông')  # a change to deploy
    versions = session.query(ProcedureVersion).count()
    with keep_organisation(rt):
        insurance = session.scalars(select(Agency).where(Agency.kind == "social_insurance")).one()
        insurance.valid_until = rt.clock.now().date() - dt.timedelta(days=1)
        session.commit()
        with pytest.raises(InvalidInput) as refused:
            deploy_path(rt, session, bundle, actor=None, now=rt.clock.now())
        session.rollback()
        problems = " ".join(refused.value.errors["problems"])
        assert "shares #3: kind" in problems and "'social_insurance'" in problems, problems
        assert "lane 'social_insurance:specialist'" in problems  # the lane rule says it too
    assert session.query(ProcedureVersion).count() == versions  # nothing deployed
