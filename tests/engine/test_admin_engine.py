"""Administration in the engine (engine.admin): the agency tree with its dates, officials and their roles,
deactivation, password resets, calendar swaps and procedures per agency, every change audited."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from support import APPLICANT, agency_id, keep_organisation, receive

from engine import accounts, dossiers
from engine.admin import agencies, calendar, history, officials, procedures
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import Agency, AuditEvent, CalendarOverride, Membership, Task, User


@pytest.fixture(autouse=True)
def _organisation(rt):
    with keep_organisation(rt):
        yield


def _province(session) -> int:
    return agency_id(session, "000.00.00.H26")


def _make_agency_admin(session, users, code="000.01.31.H26", now=None) -> User:
    """tanlap.head also administers Tân Lập (the role `admin` there)."""
    user = users["tanlap.head"]
    officials.grant_role(session, user.id, agency_id(session, code), "admin", actor=users["admin"],
                         now=now or dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    session.commit()
    session.refresh(user)
    return user


def test_the_tree_as_it_was_before_and_after_the_2025_reform(session, users, clock):
    now, admin = clock.now(), users["admin"]
    province = _province(session)
    district = agencies.create_agency(session, actor=admin, now=now, code="000.20.31.H26", name="UBND huyện Cũ",
                                      level="district", kind="district", parent_id=province,
                                      valid_until=dt.date(2025, 6, 30))
    old = agencies.create_agency(session, actor=admin, now=now, code="000.21.31.H26", name="UBND xã Cũ",
                                 level="commune", kind="commune", parent_id=district.id,
                                 valid_until=dt.date(2025, 6, 30))
    merged = agencies.create_agency(session, actor=admin, now=now, code="000.22.31.H26", name="UBND xã Hợp Nhất",
                                    level="commune", kind="commune", parent_id=province,
                                    valid_from=dt.date(2025, 7, 1))
    session.commit()
    before = {a.code: a.depth for a in agencies.agencies_as_of(session, dt.date(2025, 6, 30))}
    after = {a.code: a.depth for a in agencies.agencies_as_of(session, dt.date(2025, 7, 1))}
    assert before["000.20.31.H26"] == 1 and before["000.21.31.H26"] == 2 and "000.22.31.H26" not in before
    assert "000.20.31.H26" not in after and "000.21.31.H26" not in after and after["000.22.31.H26"] == 1
    assert {"000.00.00.H26", "000.01.31.H26"} <= before.keys() & after.keys()  # open-ended agencies: both days
    # a report's own query can use the same condition
    assert session.scalars(select(Agency.code).where(agencies.valid_on(dt.date(2025, 1, 1)),
                                                     Agency.id.in_([old.id, merged.id]))).all() == ["000.21.31.H26"]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "admin.agency_created")).all()
    assert len(actions) == 3


def test_bad_agency_input_names_each_field_and_changes_nothing(session, users, clock):
    count = session.scalar(select(func.count()).select_from(Agency))
    with pytest.raises(InvalidInput) as caught:
        agencies.create_agency(session, actor=users["admin"], now=clock.now(), code="000.01.31.H26", name="",
                               level="Xã!", kind="commune", parent_id=999_999,
                               valid_from=dt.date(2026, 1, 2), valid_until=dt.date(2026, 1, 1))
    assert set(caught.value.errors) == {"code", "name", "level", "parent_id", "valid_until"}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Agency)) == count
    tanlap = agency_id(session)
    with pytest.raises(InvalidInput) as caught:  # under itself
        agencies.update_agency(session, _province(session), {"parent_id": tanlap}, actor=users["admin"],
                               now=clock.now())
    assert "parent_id" in caught.value.errors


def test_an_agency_administrator_stays_in_their_subtree(session, users, clock):
    now = clock.now()
    head = _make_agency_admin(session, users)
    tanlap, hoabinh, province = agency_id(session), agency_id(session, "000.02.31.H26"), _province(session)
    assert [a.id for a in agencies.agency_tree(session, head)] == [tanlap]
    # a new hamlet office under Tân Lập: yes; under the province: no
    child = agencies.create_agency(session, actor=head, now=now, code="000.01.31.H26.T1", name="Tổ một cửa thôn",
                                   level="hamlet", kind="commune-office", parent_id=tanlap)
    with pytest.raises(InvalidInput):
        agencies.create_agency(session, actor=head, now=now, code="X1", name="X", level="commune", kind="commune",
                               parent_id=province)
    # roles: granted in Tân Lập and below; outside, refused and nothing written
    made = officials.create_official(session, actor=head, now=now, username="tanlap.reception2",
                                     full_name="Cán bộ tiếp nhận hai", roles=[(child.id, "reception")])
    with pytest.raises(Forbidden):
        officials.grant_role(session, made.user.id, hoabinh, "specialist", actor=head, now=now)
    with pytest.raises(Forbidden):
        officials.create_official(session, actor=head, now=now, username="hoabinh.x", full_name="X",
                                  roles=[(hoabinh, "reception")])
    with pytest.raises(Forbidden):
        officials.create_official(session, actor=head, now=now, username="boss", full_name="X",
                                  roles=[(tanlap, "reception")], is_admin=True)
    # officials of other agencies, and system administrators, are unknown to them
    for other in ("hoabinh.specialist", "admin", "tinh.leader"):
        with pytest.raises(NotFound):
            officials.deactivate(session, users[other].id, actor=head, now=now)
    assert {u.username for u in officials.list_officials(session, head)} >= {"tanlap.reception2", "tanlap.clerk"}
    assert "hoabinh.specialist" not in {u.username for u in officials.list_officials(session, head)}
    # plain officials administer nothing
    with pytest.raises(Forbidden):
        agencies.agency_tree(session, users["tanlap.specialist"])


def test_nobody_locks_out_the_last_administrator_or_deactivates_themself(session, users, clock):
    now, admin = clock.now(), users["admin"]
    # the seeded `admin` is made the only system administrator here, whatever other tests' runs left in this
    # session's database (the organisation is put back after the test)
    for other in session.scalars(select(User).where(User.is_admin.is_(True), User.id != admin.id)):
        other.is_admin = False
    session.flush()
    with pytest.raises(Forbidden):
        officials.deactivate(session, admin.id, actor=admin, now=now)
    with pytest.raises(Conflict):
        officials.update_official(session, admin.id, {"is_admin": False}, actor=admin, now=now)
    with pytest.raises(Conflict):  # the system itself (CLI, seed) is held to it too
        officials.deactivate(session, admin.id, actor=None, now=now)
    second = officials.create_official(session, actor=admin, now=now, username="admin2", full_name="Quản trị hai",
                                       is_admin=True).user
    officials.update_official(session, admin.id, {"is_admin": False}, actor=second, now=now)
    with pytest.raises(Conflict):
        officials.deactivate(session, second.id, actor=None, now=now)
    assert session.get(User, second.id).is_active


def test_deactivation_returns_open_tasks_and_ends_sessions_and_tokens(rt, session, users, clock):
    now = clock.now()
    specialist = users["tanlap.specialist"]
    tasks = [receive(rt, session, users).created[0].id for _ in range(3)]
    for task_id in tasks[:2]:
        dossiers.claim_task(rt, session, task_id, actor=specialist, now=now)
    session.commit()
    _, token = accounts.create_token(session, specialist, "script", now)
    cookie = accounts.open_session(session, specialist, now)
    session.commit()
    done = officials.deactivate(session, specialist.id, actor=users["admin"], now=now)
    session.commit()
    assert (done.tasks_returned, done.credentials_revoked) == (2, 2)
    rows = session.scalars(select(Task).where(Task.id.in_(tasks))).all()
    assert {(t.state, t.assignee_id) for t in rows} == {("ready", None)}
    assert accounts.user_for_token(session, token, now) is None
    assert accounts.user_for_token(session, cookie, now, kind="session") is None
    assert accounts.log_in(session, rt_throttle(), "tanlap.specialist", "demo-pass-123", "x", now) is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.official_deactivated")).one()
    assert event.detail["tasks_returned"] == 2 and event.actor_id == users["admin"].id
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "returned_to_group")) == 2
    # reactivated: a temporary password; the old token stays revoked
    again = officials.reactivate(session, specialist.id, actor=users["admin"], now=now)
    session.commit()
    assert again.temporary_password and session.get(User, specialist.id).must_change_password
    assert accounts.user_for_token(session, token, now) is None


def rt_throttle():
    return accounts.LoginThrottle(100, 100, 60)


def test_withdrawing_a_role_returns_that_roles_tasks(rt, session, users, clock):
    now = clock.now()
    task_id = receive(rt, session, users).created[0].id
    dossiers.claim_task(rt, session, task_id, actor=users["tanlap.specialist"], now=now)
    session.commit()
    returned = officials.withdraw_role(session, users["tanlap.specialist"].id, agency_id(session), "specialist",
                                       actor=users["admin"], now=now)
    session.commit()
    assert returned == 1 and session.get(Task, task_id).assignee_id is None
    assert not session.scalars(select(Membership).where(Membership.user_id == users["tanlap.specialist"].id)).all()
    with pytest.raises(NotFound):
        officials.withdraw_role(session, users["tanlap.specialist"].id, agency_id(session), "specialist",
                                actor=users["admin"], now=now)


def test_a_reset_password_must_be_changed_at_next_sign_in(rt, session, users, clock):
    now = clock.now()
    clerk = users["tanlap.clerk"]
    cookie = accounts.open_session(session, clerk, now)
    session.commit()
    made = officials.reset_password(session, clerk.id, actor=users["admin"], now=now)
    session.commit()
    assert accounts.user_for_token(session, cookie, now, kind="session") is None  # signed out
    assert accounts.authenticate(session, "tanlap.clerk", "demo-pass-123") is None
    user = accounts.authenticate(session, "tanlap.clerk", made.temporary_password)
    new_cookie = accounts.open_session(session, user, now)
    assert accounts.user_for_token(session, new_cookie, now, kind="session").must_change_password
    accounts.change_password(session, user, made.temporary_password, "my-own-password", now, keep_session=new_cookie)
    session.commit()
    assert not accounts.user_for_token(session, new_cookie, now, kind="session").must_change_password
    events = [e.action for e in history.admin_history(session, actor=users["admin"])]
    assert events[0] == "admin.password_reset"
    assert made.temporary_password not in str([e.detail for e in history.admin_history(session, actor=users["admin"])])


def test_bad_official_input_names_each_field(session, users, clock):
    with pytest.raises(InvalidInput) as caught:
        officials.create_official(session, actor=users["admin"], now=clock.now(), username="Tân Lập", full_name=" ",
                                  email="not-an-address")
    assert set(caught.value.errors) == {"username", "full_name", "email"}
    with pytest.raises(InvalidInput) as caught:
        officials.create_official(session, actor=users["admin"], now=clock.now(), username="tanlap.clerk",
                                  full_name="X")
    assert "taken" in caught.value.errors["username"][0]
    with pytest.raises(InvalidInput) as caught:
        officials.create_official(session, actor=users["admin"], now=clock.now(), username="new.one", full_name="X",
                                  roles=[(agency_id(session), "Chuyên viên")])
    assert "roles.role" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        officials.create_official(session, actor=users["admin"], now=clock.now(), username="new.one", full_name="X",
                                  roles=[(999_999, "reception")])
    assert "roles.agency_id" in caught.value.errors


def test_no_role_in_an_agency_that_has_ended(session, users, clock):
    now, admin = clock.now(), users["admin"]
    ended = agencies.create_agency(session, actor=admin, now=now, code="000.30.31.H26", name="UBND xã Đã Nhập",
                                   level="commune", kind="commune", parent_id=_province(session),
                                   valid_until=dt.date(2025, 6, 30))
    with pytest.raises(Conflict):
        officials.grant_role(session, users["tanlap.clerk"].id, ended.id, "clerk", actor=admin, now=now)


def test_calendar_swaps_are_audited_with_who_changed_what(rt, session, users, clock):
    now, admin = clock.now(), users["admin"]
    day = dt.date(2027, 4, 29)
    calendar.set_day(rt, session, day, is_working=False, name="Nghỉ bù", actor=admin, now=now)
    calendar.set_day(rt, session, day, is_working=False, name="Nghỉ hoán đổi cho 03/05", actor=admin, now=now)
    session.commit()
    year = calendar.calendar_year(rt, session, 2027, actor=admin)
    assert [(o.day, o.name, o.changed_by) for o in year.overrides] == [(day, "Nghỉ hoán đổi cho 03/05", "admin")]
    assert (day, "Nghỉ hoán đổi cho 03/05") in year.days_off
    assert [e.detail["previous"] for e in year.history] == [{"is_working": False, "name": "Nghỉ bù"}, None]
    calendar.clear_day(rt, session, day, actor=admin, now=now)
    session.commit()
    assert session.get(CalendarOverride, day) is None
    assert calendar.calendar_year(rt, session, 2027, actor=admin).history[0].action == "admin.day_cleared"
    with pytest.raises(Forbidden):  # agency administrators read the calendar but do not change it
        calendar.set_day(rt, session, day, is_working=True, name="x", actor=_make_agency_admin(session, users),
                         now=now)
    with pytest.raises(InvalidInput):
        calendar.set_day(rt, session, day, is_working=True, name="  ", actor=admin, now=now)


def test_a_switched_off_procedure_is_refused_at_the_desk_and_the_receipt_prints_the_contact(rt, session, users,
                                                                                             clock):
    from engine import printouts

    now, tanlap = clock.now(), agency_id(session)
    procedures.set_agency_procedure(session, tanlap, "household-business", actor=users["admin"], now=now,
                                    enabled=False)
    session.commit()
    with pytest.raises(InvalidInput) as caught:
        dossiers.receive_dossier(rt, session, procedure="household-business", agency_id=tanlap, channel="counter",
                                 applicant=APPLICANT, actor=users["tanlap.reception"], now=now)
    assert "procedure" in caught.value.errors
    session.rollback()
    offered = procedures.set_agency_procedure(session, tanlap, "household-business", actor=users["admin"], now=now,
                                              enabled=True, local_code="1.001612.H26",
                                              contact="Bộ phận Một cửa xã Tân Lập, ĐT 0243 123 456")
    session.commit()
    assert offered.local_code == "1.001612.H26" and offered.configured
    dossier = receive(rt, session, users).dossier
    printed = printouts.receipt(rt, session, dossier.id, actor=users["tanlap.reception"], now=now, log=False)
    assert printed.offered.contact == "Bộ phận Một cửa xã Tân Lập, ĐT 0243 123 456"
    with pytest.raises(InvalidInput) as caught:
        procedures.set_agency_procedure(session, tanlap, "household-business", actor=users["admin"], now=now,
                                        enabled=True, local_code="mã sai!", contact="x" * 501)
    assert set(caught.value.errors) == {"local_code", "contact"}
    with pytest.raises(NotFound):  # another commune's procedures are not an agency administrator's
        procedures.agency_procedures(session, agency_id(session, "000.02.31.H26"),
                                     actor=_make_agency_admin(session, users))


def test_the_demo_seed_went_through_the_administration(rt, session):
    from engine.seed import seed_demo

    session.execute(AuditEvent.__table__.delete())
    made = seed_demo(session, password="demo-pass-123", hash_method="pbkdf2:sha256:1000")
    assert made == {}  # nothing twice
    user = officials.create_official(session, actor=None, now=rt.clock.now(), username="seeded.one",
                                     full_name="Seeded", password="demo-pass-123",
                                     hash_method="pbkdf2:sha256:1000").user
    assert not user.must_change_password  # the seed sets the password itself
    assert session.scalars(select(AuditEvent.action)).all() == ["admin.official_created"]
