"""The engine functions behind the workspace: time left in words, search keys, counts, saved filters,
passwords, colleagues, a sent-back step's return to its official, and migration 0003's fill."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from samples import HH_APPROVE, SIGN_SEND_BACK
from sqlalchemy import select, text
from support import PASSWORD, T0, act, agency_id, open_task, receive

from config import load_settings
from engine import accounts, inbox, migrate, saved_filters, search
from engine.db import make_engine
from engine.errors import InvalidInput, NotFound
from engine.models import ApiToken
from engine.time_left import split_working_seconds, time_left
from engine.workcalendar import WorkCalendar

DAY = 8 * 3600


@pytest.mark.parametrize(("seconds", "expected"), [
    (DAY + 3 * 3600, (False, 1, 3, 0)),
    (2 * DAY + 3 * 3600 + 59, (False, 2, 3, 0)),  # left: rounded down to the minute
    (59, (False, 0, 0, 0)),
    (-1, (True, 0, 0, 1)),  # overdue: rounded up
    (-(DAY + 90 * 60), (True, 1, 1, 30)),
])
def test_split_working_seconds(seconds, expected):
    left = split_working_seconds(seconds, DAY)
    assert (left.overdue, left.days, left.hours, left.minutes) == expected


def test_time_left_counts_working_time_only():
    calendar = WorkCalendar.from_settings(load_settings())
    # Friday 16:00 → Monday 10:00: one hour on Friday, two and a half on Monday (07:30-10:00)
    friday = dt.datetime(2026, 3, 6, 16, 0, tzinfo=T0.tzinfo)
    left = time_left(calendar, friday, dt.datetime(2026, 3, 9, 10, 0, tzinfo=T0.tzinfo))
    assert (left.overdue, left.days, left.hours, left.minutes) == (False, 0, 3, 30)
    late = time_left(calendar, dt.datetime(2026, 3, 9, 10, 0, tzinfo=T0.tzinfo), friday)
    assert (late.overdue, late.hours, late.minutes) == (True, 3, 30)


def test_fold_and_search_keys():
    assert search.fold("  Nguyễn   Văn A ") == "nguyen van a"
    assert search.fold("ĐẶNG Thị Ánh Đào") == "dang thi anh dao"
    assert search.dossier_key("000.01.31.H26-260302-0001", "Lê Đức") == "000.01.31.h26-260302-0001 le duc"
    assert search.contains_pattern("100%_Vốn/") == "%100/%/_von//%"


def test_counts_mine_groups_and_new(rt, session, users):
    before = inbox.latest_task_id(session)
    first = receive(rt, session, users)
    receive(rt, session, users)
    specialist = users["tanlap.specialist"]
    counted = inbox.counts(session, actor=specialist, since_id=before)
    assert counted == inbox.InboxCounts(0, 2, 2)
    # the same statement reads the mark the page's poll starts from
    assert counted.latest_id == inbox.latest_task_id(session) > before
    from engine import dossiers

    dossiers.claim_task(rt, session, first.created[0].id, actor=specialist, now=rt.clock.now())
    session.commit()
    latest = inbox.latest_task_id(session)
    assert inbox.counts(session, actor=specialist, since_id=latest) == inbox.InboxCounts(1, 1, 0)
    assert inbox.counts(session, actor=users["hoabinh.specialist"], since_id=before) == inbox.InboxCounts(0, 0, 0)


def test_inbox_search_folds_what_is_typed(rt, session, users):
    receive(rt, session, users)  # Trần Thị Bình
    found = inbox.list_tasks(rt, session, inbox.InboxFilter(q="tran thi binh"), actor=users["tanlap.specialist"],
                             now=rt.clock.now())
    assert [r.dossier["applicant_name"] for r in found.items] == ["Trần Thị Bình"]
    assert found.items[0].time_left is not None and found.items[0].time_left.days == 1


def test_saved_filters(rt, session, users):
    me, other = users["tanlap.specialist"], users["tanlap.head"]
    row = saved_filters.save_filter(session, me, "Của tôi", {"scope": "mine", "risk": "", "q": "binh"}, rt.clock.now())
    assert row.query == {"scope": "mine", "q": "binh"}
    again = saved_filters.save_filter(session, me, "Của tôi", {"scope": "groups"}, rt.clock.now())
    assert again.id == row.id and again.query == {"scope": "groups"}
    with pytest.raises(InvalidInput) as bad:
        saved_filters.save_filter(session, me, "x", {"limit": "5"}, rt.clock.now())
    assert set(bad.value.errors) == {"limit"}
    with pytest.raises(InvalidInput):
        saved_filters.save_filter(session, me, " ", {}, rt.clock.now())
    assert saved_filters.list_filters(session, other) == []
    with pytest.raises(NotFound):
        saved_filters.delete_filter(session, other, row.id)
    saved_filters.delete_filter(session, me, row.id)
    assert saved_filters.list_filters(session, me) == []


def test_change_password_needs_the_current_one_and_ends_other_sessions(rt, session, users):
    clerk, now = users["tanlap.clerk"], rt.clock.now()
    kept = accounts.open_session(session, clerk, now)
    other = accounts.open_session(session, clerk, now)
    with pytest.raises(InvalidInput) as wrong:
        accounts.change_password(session, clerk, "nope", "a-new-pass-456", now)
    assert set(wrong.value.errors) == {"current_password"}
    with pytest.raises(InvalidInput) as short:
        accounts.change_password(session, clerk, PASSWORD, "short", now)
    assert set(short.value.errors) == {"new_password"}
    old_hash = clerk.password_hash
    try:
        accounts.change_password(session, clerk, PASSWORD, "a-new-pass-456", now, keep_session=kept)
        assert accounts.authenticate(session, "tanlap.clerk", "a-new-pass-456") is not None
        assert accounts.user_for_token(session, kept, now, kind="session") is not None
        assert accounts.user_for_token(session, other, now, kind="session") is None
    finally:
        clerk.password_hash = old_hash
        session.commit()
    assert session.scalars(select(ApiToken).where(ApiToken.user_id == clerk.id)).all()


def test_holders_of_role(session, users):
    tanlap = agency_id(session)
    assert [c.username for c in accounts.holders_of_role(session, tanlap, "specialist")] == ["tanlap.specialist"]
    assert accounts.holders_of_role(session, tanlap, "nobody") == []


def test_a_sent_back_step_returns_to_its_official(rt, session, users):
    dossier = receive(rt, session, users).dossier
    act(rt, session, users, dossier.id, "examine", HH_APPROVE)
    act(rt, session, users, dossier.id, "sign", SIGN_SEND_BACK)  # the diagram's own way back
    from engine import dossiers

    assert open_task(session, dossier.id).bpmn_id == "examine"
    act(rt, session, users, dossier.id, "examine", HH_APPROVE)
    sign = open_task(session, dossier.id)
    dossiers.send_back(rt, session, sign.id, "Sửa tên hộ kinh doanh.", actor=users["tanlap.leader"],
                       now=rt.clock.now())
    session.commit()
    back = open_task(session, dossier.id)
    assert (back.bpmn_id, back.state, back.assignee_id) == ("examine", "claimed", users["tanlap.specialist"].id)


def test_migration_0003_fills_the_search_key(tmp_path):
    path = tmp_path / "m.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, "0001")
    engine.dispose()
    # a dossier as revision 0001 stored it (plain sqlite3: no foreign keys to satisfy for this one row)
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO dossier (id, code, lookup_secret, procedure_version_id, agency_id, channel, status, "
                    "applicant_name, applicant, received_at, clock_started_at, appointment_at, due_at, legal_due_at, "
                    "risk, workflow_state, version) VALUES (1, '000.01.31.H26-260302-0001', 's', 1, 1, 'counter', "
                    "'received', 'Nguyễn Văn Ánh', '{}', '2026-03-02 02:00:00', '2026-03-02 02:00:00', "
                    "'2026-03-05 10:00:00', '2026-03-05 10:00:00', '2026-03-05 10:00:00', 'on_track', x'', 1)")
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT search_key FROM dossier")) == "000.01.31.h26-260302-0001 nguyen van anh"
        assert conn.scalar(text("SELECT count(*) FROM saved_filter")) == 0
    with engine.begin() as conn:  # the downgrade copies the table on SQLite: without the row of no agency
        conn.execute(text("DELETE FROM dossier"))
    migrate.downgrade(engine, "0001")
    engine.dispose()


@pytest.mark.parametrize("candidates", [500, 1])
def test_search_finds_the_same_by_either_path(rt, session, users, monkeypatch, candidates):
    # 500: the few matching open dossiers are found first; 1: too many, each task's dossier is checked
    monkeypatch.setattr(inbox, "SEARCH_CANDIDATES", candidates)

    def received(name):
        return receive(rt, session, users, applicant={"name": name}).dossier

    an, anh = received("Nguyễn Văn An"), received("Nguyễn Văn Anh")
    received("Trần Thị Bình")
    me = users["tanlap.specialist"]

    def found(q, **kw):
        page = inbox.list_tasks(rt, session, inbox.InboxFilter(q=q, **kw), actor=me, now=rt.clock.now())
        return sorted(r.dossier["id"] for r in page.items)

    assert found("nguyen van an") == sorted([an.id, anh.id])
    assert found("VĂN ANH") == [anh.id]
    assert found(anh.code[-4:]) == [anh.id]
    assert found("khong ai") == []
    assert found("nguyen", sort="risk") == sorted([an.id, anh.id])


def test_the_risk_sort_reads_paused_dossiers_apart_and_keeps_the_order(rt, session, users):
    # A running task's level follows its due time; a paused dossier's tasks keep the stored level whatever
    # their due time (engine.inbox._risk_parts reads them apart): the order and the pages stay the rule's.
    from sqlalchemy import update

    from engine import dossiers
    from engine.models import Dossier, Task

    now = rt.clock.now()
    hour = dt.timedelta(hours=1)
    # (due in hours from now, warn in hours from now, stored risk, paused)
    shapes = [(-3, -5, "on_track", False),  # overdue by the clock
              (5, 4, "overdue", True),  # paused, stored overdue though due later: overdue
              (-2, -4, "at_risk", True),  # paused, stored at risk though past due: at risk
              (-1, -3, "on_track", False),  # overdue
              (2, -1, "on_track", False),  # warned: at risk
              (30, 20, "at_risk", False),  # at risk on its path
              (-4, -6, "on_track", True),  # paused, stored on track though past due: on track
              (10, 8, "overdue", False),  # a stale overdue: on track
              (None, None, "at_risk", False),  # no due time, at risk on its path
              (None, None, "on_track", False),
              (1, 0.5, "on_track", False),  # on track
              (None, None, "at_risk", True),  # paused, no due time, stored at risk: at risk
              (None, -1, "on_track", True),  # paused, no due time, warned but stored on track: on track
              (None, -1, "on_track", False),  # no due time, warned: at risk
              (3, None, "on_track", False),  # no warning time: on track
              (0, -1, "on_track", False)]  # due this instant: not yet overdue, at risk
    expected_level = ["overdue", "overdue", "at_risk", "overdue", "at_risk", "at_risk", "on_track", "on_track",
                      "at_risk", "on_track", "on_track", "at_risk", "on_track", "at_risk", "on_track", "at_risk"]
    tasks = []
    for i, (due, warn, risk, paused) in enumerate(shapes):
        dossier = dossiers.receive_dossier(rt, session, procedure="household-business", agency_id=agency_id(session),
                                           channel="counter", applicant={"name": f"Người {i}"},
                                           actor=users["tanlap.reception"], now=now).dossier
        session.commit()
        [task] = session.scalars(select(Task).where(Task.dossier_id == dossier.id, Task.state == "ready")).all()
        session.execute(update(Task).where(Task.id == task.id).values(
            due_at=now + due * hour if due is not None else None,
            warn_at=now + warn * hour if warn is not None else None, risk=risk))
        if paused:
            session.execute(update(Dossier).where(Dossier.id == dossier.id).values(paused_at=now - hour))
        session.commit()
        tasks.append((task.id, due))
    me = users["tanlap.specialist"]
    page = inbox.list_tasks(rt, session, inbox.InboxFilter(sort="risk"), actor=me, now=now, limit=200)
    mine = {r.id for r in page.items}
    assert {t for t, _ in tasks} <= mine
    rank = {t: (inbox.RISK_ORDER.index(level), due is None, due or 0, t)
            for (t, due), level in zip(tasks, expected_level, strict=True)}
    assert {r.id: r.risk for r in page.items if r.id in rank} == {
        t: level for (t, _), level in zip(tasks, expected_level, strict=True)}
    ours = [r.id for r in page.items if r.id in rank]
    assert ours == sorted(rank, key=rank.get)
    # page by page, one row at a time, the same rows in the same order
    paged, cursor = [], None
    while True:
        one = inbox.list_tasks(rt, session, inbox.InboxFilter(sort="risk"), actor=me, now=now, after=cursor, limit=1)
        paged += [r.id for r in one.items]
        if one.next_cursor is None:
            break
        cursor = inbox.decode_cursor(one.next_cursor)
    assert paged == [r.id for r in page.items]


def test_the_trigram_table_finds_what_the_plain_search_finds(rt, session, users, monkeypatch):
    # SQLite: 3 folded characters or more are looked up in the FTS5 trigram table of the open dossiers' keys
    # (migration speed_3, kept by triggers); the plain path reads every open key. Both give the same rows,
    # with diacritics, % _ and " typed literally, and a dossier that closes leaves the table.
    from engine import dossiers
    from engine.models import Dossier

    def received(name):
        return receive(rt, session, users, applicant={"name": name}).dossier

    names = ["Nguyễn Văn An", "Nguyễn Văn Anh", "Trần Thị Bình", "Đỗ 100% Hà", "Lê_Văn Ngọc", 'Phạm "Ba" Tư',
             "Nguyễn Văn 1000"]
    made = {name: received(name) for name in names}
    me = users["tanlap.specialist"]

    def found(q, plain):
        monkeypatch.setattr(inbox, "TRIGRAM", 10_000 if plain else 3)
        page = inbox.list_tasks(rt, session, inbox.InboxFilter(q=q), actor=me, now=rt.clock.now())
        return sorted(r.dossier["id"] for r in page.items)

    queries = ["nguyen van an", "VĂN ANH", "ĐỖ 100%", "100%", "0% h", "le_van", "e_v", "lev", '"ba"', 'm "b',
               "van", "an", "khong ai", made["Trần Thị Bình"].code[-4:], "1000", "00%", "n 1_00"]
    expected = {"nguyen van an": [made["Nguyễn Văn An"].id, made["Nguyễn Văn Anh"].id],
                "ĐỖ 100%": [made["Đỗ 100% Hà"].id], "le_van": [made["Lê_Văn Ngọc"].id], "lev": [],
                "e_v": [made["Lê_Văn Ngọc"].id], '"ba"': [made['Phạm "Ba" Tư'].id], "1000": [made["Nguyễn Văn 1000"].id],
                "n 1_00": []}
    for q in queries:
        assert found(q, plain=False) == found(q, plain=True), q
        if q in expected:
            assert found(q, plain=False) == sorted(expected[q]), q

    closing = made["Nguyễn Văn Anh"]
    dossiers.withdraw_dossier(rt, session, closing.id, "Người nộp rút hồ sơ.", actor=users["tanlap.reception"],
                              now=rt.clock.now())
    session.commit()
    assert found("nguyen van anh", plain=False) == found("nguyen van anh", plain=True) == []
    assert found("nguyen van an", plain=False) == [made["Nguyễn Văn An"].id]
    if session.get_bind().dialect.name == "postgresql":  # the trigram index has no pending list to read through
        assert "fastupdate=off" in session.scalar(text(
            "SELECT reloptions FROM pg_class WHERE relname = 'ix_dossier_open_search_trgm'"))
    if session.get_bind().dialect.name == "sqlite":
        # the index holds each open dossier under its key, and the closed one no more
        for row in session.execute(select(Dossier.id, Dossier.search_key, Dossier.closed_at)).all():
            ids = session.scalars(text("SELECT rowid FROM dossier_search WHERE dossier_search MATCH :p"),
                                  {"p": '"' + row.search_key.replace('"', '""') + '"'}).all()
            assert (row.id in ids) == (row.closed_at is None), row
        assert closing.id not in session.scalars(text("SELECT rowid FROM dossier_search WHERE dossier_search MATCH "
                                                      "'\"nguyen van anh\"'")).all()
        # a changed key is the table's too
        session.execute(text("UPDATE dossier SET search_key = 'x-1 doi ten' WHERE id = :id"),
                        {"id": made["Trần Thị Bình"].id})
        session.commit()
        assert found("doi ten", plain=False) == [made["Trần Thị Bình"].id]
        assert found("tran thi", plain=False) == []
