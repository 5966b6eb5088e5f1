"""The administration pages: what they show and do, in Vietnamese, with the engine's refusals as pages."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from support import PASSWORD, agency_id, keep_organisation
from web_support import csrf_of, sign_in

from engine import dossiers
from engine.admin import officials
from engine.models import Task, User


@pytest.fixture(autouse=True)
def _organisation(rt):
    with keep_organisation(rt):
        yield


def test_the_tree_and_a_new_agency_with_its_errors_beside_the_fields(page_client, session):
    admin = page_client("admin")
    page = admin.get("/quan-tri").get_data(as_text=True)
    assert "Cây cơ quan" in page and "UBND xã Tân Lập" in page and "Quản trị" in page
    bad = admin.post("/quan-tri/co-quan", data={"csrf_token": admin.csrf, "code": "000.01.31.H26", "name": "",
                                                "level": "commune", "kind": "commune", "valid_from": "01/07/2025"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="f-valid_from-error"' in text  # a date the page could not read: nothing sent to the engine
    bad = admin.post("/quan-tri/co-quan", data={"csrf_token": admin.csrf, "code": "000.01.31.H26", "name": "",
                                                "level": "commune", "kind": "commune"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="f-code-error"' in text and 'id="f-name-error"' in text
    made = admin.post("/quan-tri/co-quan", data={"csrf_token": admin.csrf, "code": "000.07.31.H26",
                                                 "name": "UBND xã Bảy", "level": "commune", "kind": "commune",
                                                 "parent_id": str(agency_id(session, "000.00.00.H26")),
                                                 "valid_from": "2025-07-01"})
    assert made.status_code == 302
    assert "UBND xã Bảy" in admin.get(made.headers["Location"]).get_data(as_text=True)
    past = admin.get("/quan-tri/co-quan?as_of=2025-06-30").get_data(as_text=True).split("</table>")[0]
    assert "UBND xã Bảy" not in past and "UBND xã Tân Lập" in past


def test_deactivation_says_how_many_tasks_returned(rt, page_client, receive, users, session):
    task_id = receive().created[0].id
    dossiers.claim_task(rt, session, task_id, actor=users["tanlap.specialist"], now=rt.clock.now())
    session.commit()
    specialist = page_client("tanlap.specialist")
    admin = page_client("admin")
    page = admin.post(f"/quan-tri/can-bo/{users['tanlap.specialist'].id}/vo-hieu", data={"csrf_token": admin.csrf},
                      follow_redirects=True).get_data(as_text=True)
    assert "1 công việc đang mở đã trả về hộp việc của nhóm" in page and "Đã khóa" in page
    assert specialist.get("/hop-viec").status_code == 302  # signed out at once
    session.expire_all()
    assert session.get(Task, task_id).assignee_id is None
    # one's own account has no deactivate button, and the engine refuses it anyway
    me = users["admin"].id
    assert "Khóa tài khoản</button>" not in admin.get(f"/quan-tri/can-bo/{me}").get_data(as_text=True)
    assert admin.post(f"/quan-tri/can-bo/{me}/vo-hieu", data={"csrf_token": admin.csrf}).status_code == 403


def test_a_reset_password_sends_the_official_to_the_password_page(app, page_client, users):
    admin = page_client("admin")
    page = admin.post(f"/quan-tri/can-bo/{users['tanlap.clerk'].id}/dat-lai-mat-khau",
                      data={"csrf_token": admin.csrf}).get_data(as_text=True)
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    clerk = app.test_client()
    token = csrf_of(clerk.get("/").get_data(as_text=True))
    signed = clerk.post("/dang-nhap", data={"username": "tanlap.clerk", "password": temporary, "csrf_token": token})
    assert signed.status_code == 302
    inbox = clerk.get("/hop-viec")
    assert inbox.status_code == 302 and inbox.headers["Location"].endswith("/doi-mat-khau")
    form = clerk.get("/doi-mat-khau").get_data(as_text=True)
    assert "Quản trị viên đã đặt mật khẩu tạm cho bạn" in form
    changed = clerk.post("/doi-mat-khau", data={"csrf_token": csrf_of(form), "current_password": temporary,
                                                "new_password": "clerk-own-pass", "confirm_password": "clerk-own-pass"})
    assert changed.status_code == 200
    assert clerk.get("/hop-viec").status_code == 200
    assert sign_in(app.test_client(), "tanlap.clerk", "clerk-own-pass")
    with pytest.raises(AssertionError):
        sign_in(app.test_client(), "tanlap.clerk", PASSWORD)


def test_an_agency_administrator_sees_their_agencies_only(rt, page_client, users, session):
    officials.grant_role(session, users["tanlap.head"].id, agency_id(session), "admin", actor=users["admin"],
                         now=rt.clock.now())
    session.commit()
    head = page_client("tanlap.head")
    tree = head.get("/quan-tri/co-quan").get_data(as_text=True)
    assert "UBND xã Tân Lập" in tree and "UBND phường Hòa Bình" not in tree
    assert head.get(f"/quan-tri/co-quan/{agency_id(session, '000.02.31.H26')}").status_code == 404
    assert head.get(f"/quan-tri/can-bo/{users['hoabinh.clerk'].id}").status_code == 404
    page = head.post(f"/quan-tri/can-bo/{users['tanlap.clerk'].id}/vai-tro", data={
        "csrf_token": head.csrf, "agency_id": str(agency_id(session, "000.02.31.H26")), "role": "leader"})
    assert page.status_code == 403
    calendar = head.get("/quan-tri/lich?year=2026").get_data(as_text=True)
    assert "Ghi ngày hoán đổi" not in calendar  # reads the calendar, changes nothing
    assert head.post("/quan-tri/lich", data={"csrf_token": head.csrf, "day": "2027-05-03", "kind": "off",
                                             "name": "x"}).status_code == 403


def test_calendar_and_procedures_pages(page_client, session, users):
    admin = page_client("admin")
    bad = admin.post("/quan-tri/lich", data={"csrf_token": admin.csrf, "day": "2027-05-03", "name": "Nghỉ bù"})
    assert bad.status_code == 422 and "Chọn ngày nghỉ hoặc ngày làm việc." in bad.get_data(as_text=True)
    page = admin.post("/quan-tri/lich", data={"csrf_token": admin.csrf, "day": "2027-05-03", "kind": "off",
                                              "name": "Nghỉ bù Quốc khánh"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Nghỉ bù Quốc khánh" in text and "Đặt ngày hoán đổi" in text and ">admin<" in text
    tanlap = agency_id(session)
    saved = admin.post(f"/quan-tri/co-quan/{tanlap}/thu-tuc/household-business", data={
        "csrf_token": admin.csrf, "local_code": "1.001612.H26", "contact": "ĐT 0243 123 456"}, follow_redirects=True)
    text = saved.get_data(as_text=True)
    assert 'value="1.001612.H26"' in text and "ĐT 0243 123 456" in text
    assert 'id="p-household-business-enabled" >' in text or 'id="p-household-business-enabled" ' in text
    bad = admin.post(f"/quan-tri/co-quan/{tanlap}/thu-tuc/household-business", data={
        "csrf_token": admin.csrf, "enabled": "on", "local_code": "mã sai!"})
    assert bad.status_code == 422
    log = admin.get("/quan-tri/nhat-ky").get_data(as_text=True)
    assert "Sửa cấu hình thủ tục" in log and "Đặt ngày hoán đổi" in log
    assert session.scalars(select(User.id)).first()
