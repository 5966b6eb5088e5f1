"""The supervision pages: escalations and digest, risk board, II.06a, 766, evaluation, form 04 — both databases."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import select
from support import VN, scan

from engine import letters
from engine.errors import Conflict
from engine.models import ApologyLetter, Escalation, Task

#: Thursday 10:00 after a Monday 09:00 reception: the step is overdue (rungs 1, 2), the dossier in its last day (3)
SCAN_AT = dt.datetime(2026, 3, 5, 10, 0, tzinfo=VN)


def _html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def scanned(rt, session, receive, clock):
    result = receive()
    receive(channel="online")
    scan(rt, session, SCAN_AT)
    clock.set(SCAN_AT)
    return result.dossier


def test_supervisor_acknowledges_and_reassigns_from_the_inbox(page_client, scanned, session, users):
    sup = page_client("tanlap.supervisor")
    html = _html(sup.get("/canh-bao"))
    assert "Bước quá hạn" in html and scanned.code in html
    ids = [int(i) for i in re.findall(r'id="escalation-(\d+)"', html)]
    assert len(ids) == 2
    answer = sup.post(f"/canh-bao/{ids[0]}/xac-nhan", data={"csrf_token": sup.csrf, "comment": "Đôn đốc chuyên viên."})
    assert answer.status_code == 302
    session.expire_all()
    row = session.get(Escalation, ids[0])
    assert row.acknowledged_at is not None and row.comment == "Đôn đốc chuyên viên."
    specialist = users["tanlap.specialist"].id
    assert sup.post(f"/canh-bao/{ids[1]}/giao-lai", data={"csrf_token": sup.csrf, "assignee_id": specialist}
                    ).status_code == 302
    session.expire_all()
    task = session.get(Task, session.get(Escalation, ids[1]).task_id)
    assert task.assignee_id == specialist and session.get(Escalation, ids[1]).acknowledged_at is not None
    # an escalation of someone else: as if unknown
    other = page_client("hoabinh.supervisor")
    assert other.post(f"/canh-bao/{ids[0]}/xac-nhan", data={"csrf_token": other.csrf}).status_code == 404
    assert sup.post(f"/canh-bao/{ids[0]}/giao-lai", data={"csrf_token": sup.csrf}).status_code == 422


def test_digest_on_the_escalation_page(page_client, scanned, clock):
    clock.set(SCAN_AT + dt.timedelta(days=1))
    html = _html(page_client("tanlap.leader").get("/canh-bao"))
    assert "Bản tin hằng ngày" in html or "Daily digest" in html
    assert html.count(f'>{scanned.code}</a> —') == 1
    assert "neither" in _html(page_client("tanlap.specialist").get("/canh-bao")) or \
        "không giữ" in _html(page_client("tanlap.specialist").get("/canh-bao"))


def test_risk_board_draws_bars_that_open_the_dossiers(page_client, scanned):
    sup = page_client("tanlap.supervisor")
    html = _html(sup.get("/giam-sat/rui-ro?by=procedure"))
    assert "<svg class=\"chart\"" in html and "<rect" in html
    links = re.findall(r'<a href="(/giam-sat/rui-ro/ho-so\?[^"]+)"><rect', html)
    assert links
    drill = _html(sup.get(links[0].replace("&amp;", "&")))
    assert scanned.code in drill
    assert sup.get("/giam-sat/rui-ro?by=colour").status_code == 422
    assert "you hold none" in _html(page_client("tanlap.specialist").get("/giam-sat/rui-ro")) or \
        "không giữ" in _html(page_client("tanlap.specialist").get("/giam-sat/rui-ro"))


def test_report_page_and_its_files(page_client, scanned):
    sup = page_client("tanlap.supervisor")
    html = _html(sup.get("/giam-sat/bao-cao?from=2026-03-01&to=2026-03-31&by=agency"))
    assert "UBND xã Tân Lập" in html
    for link in re.findall(r'id="export-(?:csv|xlsx|pdf)" href="([^"]+)"', html):
        answer = sup.get(link.replace("&amp;", "&"))
        assert answer.status_code == 200 and len(answer.data) > 100, link
    reversed_period = sup.get("/giam-sat/bao-cao?from=2026-03-31&to=2026-03-01")
    assert reversed_period.status_code == 422


def test_766_page_shows_formulas_and_says_what_is_missing(page_client, scanned):
    leader = page_client("tanlap.leader")
    html = _html(leader.get("/giam-sat/chi-so-766?from=2026-03-01&to=2026-03-31"))
    row = html[html.index('id="indicator-3.6"'):]
    row = row[:row.index("</tr>")]
    assert 'class="missing"' in row and "thanh toán" in row and "%" not in row.split('class="missing"')[1]
    on_time = html[html.index('id="indicator-2.1"'):]
    on_time = on_time[:on_time.index("</tr>")]
    assert "100.0 %" in on_time and "2 / 2" in on_time and "10.00" not in on_time  # both still within the time
    assert "Thời gian giải quyết" in html or "processing time" in html
    counted = re.search(r'href="(/giam-sat/chi-so-766/2\.1/ho-so\?[^"]+)"', html).group(1)
    assert scanned.code in _html(leader.get(counted.replace("&amp;", "&")))


def test_evaluation_page_computes_and_says_when(page_client, scanned):
    leader = page_client("tanlap.leader")
    html = _html(leader.get("/giam-sat/danh-gia?year=2026"))
    assert "freshness notice-warning" in html
    assert leader.post("/giam-sat/danh-gia/tinh-lai", data={"csrf_token": leader.csrf, "year": "2026"}
                       ).status_code == 302
    html = _html(leader.get("/giam-sat/danh-gia?year=2026"))
    assert "freshness notice-warning" not in html and "tanlap.supervisor" in html
    assert leader.post("/giam-sat/danh-gia/tinh-lai", data={"csrf_token": leader.csrf, "year": "x"}
                       ).status_code == 422


def test_leader_issues_form_04_once(page_client, scanned, session):
    url = f"/giam-sat/thu-xin-loi/{scanned.id}"
    assert "l-reason" not in _html(page_client("tanlap.supervisor").get(url))
    leader = page_client("tanlap.leader")
    assert scanned.code in _html(leader.get("/giam-sat/thu-xin-loi?from=2026-03-01&to=2026-03-31"))
    form = {"csrf_token": leader.csrf, "new_appointment_at": "2026-03-09T17:00", "reason": "Chờ xác minh."}
    assert leader.post(url + "/ban-hanh", data={**form, "reason": " "}).status_code == 422
    assert leader.post(url + "/ban-hanh", data=form).status_code == 302
    again = leader.post(url + "/ban-hanh", data={**form, "new_appointment_at": "2026-03-10T17:00"})
    assert again.status_code == 409
    session.expire_all()
    letter = session.scalars(select(ApologyLetter).where(ApologyLetter.dossier_id == scanned.id)).one()
    assert letter.new_appointment_at == dt.datetime(2026, 3, 9, 17, 0, tzinfo=VN)
    pdf = leader.get(f"/api/v1/dossiers/{scanned.id}/apology-letter.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_one_winner_when_two_leaders_issue_at_once(rt, scanned, db_url, users):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers by locking the file; the race is PostgreSQL's")
    leader_id = users["tanlap.leader"].id
    barrier, outcomes = threading.Barrier(2), []

    def issue(day: int):
        with rt.sessions() as s:
            from engine.models import User
            actor = s.get(User, leader_id)
            s.get(ApologyLetter, s.scalars(select(ApologyLetter.id)).first())  # read before the race
            barrier.wait(timeout=10)
            try:
                letters.issue_letter(rt, s, scanned.id, new_appointment_at=dt.datetime(2026, 3, day, 17, tzinfo=VN),
                                     reason="Chờ xác minh.", actor=actor, now=SCAN_AT)
                s.commit()
                outcomes.append(("issued", day))
            except Conflict:
                s.rollback()
                outcomes.append(("conflict", day))

    threads = [threading.Thread(target=issue, args=(day,)) for day in (9, 10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(o for o, _ in outcomes) == ["conflict", "issued"], outcomes
    with rt.sessions() as s:
        letter = s.scalars(select(ApologyLetter).where(ApologyLetter.dossier_id == scanned.id)).one()
        winner = [d for o, d in outcomes if o == "issued"][0]
        assert letter.new_appointment_at == dt.datetime(2026, 3, winner, 17, tzinfo=VN)
