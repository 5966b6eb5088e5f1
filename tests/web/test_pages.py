"""The inbox, task and dossier pages on both databases: Vietnamese text, the engine's rules, scope (404)."""
from __future__ import annotations

import datetime as dt
import re

from samples import HH_APPROVE, SIGN_SEND_BACK
from sqlalchemy import select
from support import act, open_task, scan

from engine import dossiers
from engine.models import Agency, SavedFilter, Task


def _html(response) -> str:
    return response.get_data(as_text=True)


def _hoabinh_dossier(rt, session, users):
    hoabinh = session.scalars(select(Agency.id).where(Agency.code == "000.02.31.H26")).one()
    result = dossiers.receive_dossier(rt, session, procedure="household-business", agency_id=hoabinh,
                                      channel="counter", applicant={"name": "Lê Văn Cường"},
                                      actor=users["hoabinh.reception"], now=rt.clock.now())
    session.commit()
    return result


# -- inbox ---------------------------------------------------------------------------------------------------

def test_inbox_lists_tasks_with_time_left_in_words(page_client, receive):
    result = receive(applicant_name="Nguyễn Văn A")
    html = _html(page_client("tanlap.specialist").get("/hop-viec"))
    assert "Hộp việc" in html and "Việc của tôi" in html and "Việc của nhóm" in html
    assert "Nguyễn Văn A" in html and "Thẩm định hồ sơ" in html
    # the row's links and words (looked up once a page, not once a row)
    assert f'href="/ho-so/{result.dossier.id}" class="code"' in html
    assert f'<a href="/cong-viec/{result.created[0].id}">Thẩm định hồ sơ</a>' in html
    assert "Nhóm: Chuyên viên" in html and "Chờ nhận xử lý" in html and ">Trong hạn</span>" in html
    # received Monday 09:00, a P1DT4H step: twelve working hours, one working day of eight and four hours
    assert "còn 1 ngày 4 giờ làm việc" in html
    assert 'class="risk-on_track"' in html
    assert re.search(r'id="count-groups">1<', html)
    # the procedure filter's choices carry the procedures' names (they were once empty)
    assert '<option value="household-business">Đăng ký thành lập hộ kinh doanh</option>' in html


def test_inbox_search_without_diacritics(page_client, receive):
    an = receive(applicant_name="Nguyễn Văn A").dossier
    receive(applicant_name="Trần Thị Bình")
    official = page_client("tanlap.specialist")
    html = _html(official.get("/hop-viec?q=nguyen+van+a"))
    assert an.code in html and "Trần Thị Bình" not in html
    assert "Trần Thị Bình" in _html(official.get("/hop-viec?q=TRAN%20THI"))
    assert "Không có công việc phù hợp." in _html(official.get("/hop-viec?q=khong+ai"))


def test_inbox_filter_errors_are_named_and_the_list_still_shows(page_client, receive):
    receive()
    html = _html(page_client("tanlap.specialist").get("/hop-viec?risk=soon&due_from=31/12/2026"))
    assert "Chọn một giá trị trong danh sách." in html and "Nhập ngày theo dạng 2026-12-31." in html
    assert "Thẩm định hồ sơ" in html


def test_new_work_is_announced_by_the_polled_fragment(app, page_client, receive):
    official = page_client("tanlap.specialist")
    page = _html(official.get("/hop-viec"))
    since = re.search(r'hx-get="/hop-viec/moi\?since=(\d+)', page).group(1)
    assert 'data-poll-seconds="30"' in page
    assert "công việc mới" not in _html(official.get(f"/hop-viec/moi?since={since}"))
    receive()
    fragment = _html(official.get(f"/hop-viec/moi?since={since}"))
    assert "Có 1 công việc mới" in fragment and 'id="count-groups" hx-swap-oob="true">1<' in fragment
    # another agency's new work is not announced
    assert "công việc mới" not in _html(page_client("hoabinh.specialist").get(f"/hop-viec/moi?since={since}"))


def test_saved_filters_belong_to_their_official(rt, page_client, receive):
    receive()
    official = page_client("tanlap.specialist")
    saved = official.post("/hop-viec/bo-loc", data={"csrf_token": official.csrf, "name": "Quá hạn của tôi",
                                                     "scope": "mine", "risk": "overdue"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/hop-viec?scope=mine&risk=overdue"
    html = _html(official.get("/hop-viec"))
    assert "Quá hạn của tôi" in html and "/hop-viec?scope=mine&amp;risk=overdue" in html
    with rt.sessions() as s:
        [row] = s.scalars(select(SavedFilter)).all()
    other = page_client("tanlap.head")
    assert "Quá hạn của tôi" not in _html(other.get("/hop-viec"))
    assert other.post(f"/hop-viec/bo-loc/{row.id}/xoa", data={"csrf_token": other.csrf}).status_code == 404
    assert official.post(f"/hop-viec/bo-loc/{row.id}/xoa").status_code == 400  # no CSRF token
    assert official.post(f"/hop-viec/bo-loc/{row.id}/xoa", data={"csrf_token": official.csrf}).status_code == 302
    assert "Quá hạn của tôi" not in _html(official.get("/hop-viec"))


def test_inbox_in_english(page_client, receive):
    receive()
    official = page_client("tanlap.specialist")
    official.post("/ngon-ngu", data={"lang": "en", "next": "/hop-viec", "csrf_token": official.csrf})
    html = _html(official.get("/hop-viec"))
    assert "My tasks" in html and "1 day 4 hours of working time left" in html


# -- task ----------------------------------------------------------------------------------------------------

def test_task_page_claim_then_complete_one_field_wrong_then_right(rt, session, page_client, receive):
    result = receive()
    task_id = result.created[0].id
    official = page_client("tanlap.specialist")
    html = _html(official.get(f"/cong-viec/{task_id}"))
    assert "Thẩm định hồ sơ đăng ký thành lập hộ kinh doanh" in html
    assert 'for="f-business_name">Tên hộ kinh doanh' in html and "Nhận xử lý" in html
    assert 'name="missing_documents.0.quantity" inputmode="numeric" value="1"' in html  # a default
    assert 'name="outcome" value="approve"' in html and "Đủ điều kiện – trình ký Giấy chứng nhận" in html
    assert official.post(f"/cong-viec/{task_id}/nhan").status_code == 400  # no CSRF token
    claimed = official.post(f"/cong-viec/{task_id}/nhan", data={"csrf_token": official.csrf})
    assert claimed.status_code == 302
    assert "Bạn đã nhận xử lý công việc này." in _html(official.get(f"/cong-viec/{task_id}"))

    form = {"csrf_token": official.csrf, "outcome": "approve", "business_name": HH_APPROVE["business_name"],
            "name_checked": "true", "owner_name": "Trần Thị Bình", "owner_id_number": "12345",
            "business_address": HH_APPROVE["business_address"], "business_lines.0.code": "4711",
            "business_lines.0.name": "Bán lẻ", "capital": "150000000", "employees": "2"}
    wrong = official.post(f"/cong-viec/{task_id}/hoan-thanh", data=form)
    html = _html(wrong)
    assert wrong.status_code == 422
    assert "Chưa hoàn thành bước" in html
    error = re.search(r'id="owner_id_number-error"><li>([^<]+)</li>', html)
    assert error and error.group(1) == "Không đúng định dạng."
    assert 'value="12345"' in html and f'value="{HH_APPROVE["business_name"]}"' in html  # values kept
    session.expire_all()
    assert session.get(Task, task_id).state == "claimed"  # nothing stored

    right = official.post(f"/cong-viec/{task_id}/hoan-thanh", data={**form, "owner_id_number": "031190001234"})
    assert right.status_code == 302 and right.headers["Location"] == "/hop-viec"
    assert "Đã hoàn thành bước “Thẩm định hồ sơ”" in _html(official.get("/hop-viec"))
    session.expire_all()
    assert session.get(Task, task_id).state == "completed"


def test_enter_or_add_row_draws_the_form_again_and_decides_nothing(session, page_client, receive):
    task_id = receive().created[0].id
    official = page_client("tanlap.specialist")
    html = _html(official.post(f"/cong-viec/{task_id}/hoan-thanh",
                               data={"csrf_token": official.csrf, "_add_row": "business_lines",
                                     "business_lines.0.name": "Bán lẻ"}))
    assert 'name="business_lines.1.name"' in html and 'value="Bán lẻ"' in html
    official.post(f"/cong-viec/{task_id}/hoan-thanh", data={"csrf_token": official.csrf, "refresh": "1",
                                                             "outcome": "approve"})
    session.expire_all()
    assert session.get(Task, task_id).state == "ready"


def test_a_task_outside_the_agency_is_not_found(rt, session, users, page_client):
    other = _hoabinh_dossier(rt, session, users)
    official = page_client("tanlap.specialist")
    response = official.get(f"/cong-viec/{other.created[0].id}")
    assert response.status_code == 404 and "Không tìm thấy" in _html(response)
    assert official.get("/cong-viec/999999").status_code == 404
    # acting on it is refused by the engine as if it did not exist (404, as the API), nothing changes
    assert official.post(f"/cong-viec/{other.created[0].id}/nhan", data={"csrf_token": official.csrf}).status_code == 404


def test_a_head_assigns_by_name_among_holders_of_the_role(session, users, page_client, receive):
    task_id = receive().created[0].id
    head = page_client("tanlap.head")
    html = _html(head.get(f"/cong-viec/{task_id}"))
    specialist = users["tanlap.specialist"]
    assert f'<option value="{specialist.id}">{specialist.full_name} (tanlap.specialist)</option>' in html
    assert "tanlap.leader" not in html  # not a specialist
    done = head.post(f"/cong-viec/{task_id}/giao", data={"csrf_token": head.csrf, "assignee_id": str(specialist.id)})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Task, task_id).assignee_id == specialist.id
    refused = head.post(f"/cong-viec/{task_id}/giao", data={"csrf_token": head.csrf,
                                                            "assignee_id": str(users["tanlap.leader"].id)})
    assert refused.status_code == 422
    # a specialist sees no assign form
    assert 'name="assignee_id"' not in _html(page_client("tanlap.specialist").get(f"/cong-viec/{task_id}"))


def test_sent_back_task_shows_the_reason_and_comes_back_filled_to_its_official(rt, session, users, page_client,
                                                                              receive):
    dossier = receive().dossier
    act(rt, session, users, dossier.id, "examine", HH_APPROVE)
    sign = open_task(session, dossier.id)
    leader = page_client("tanlap.leader")
    html = _html(leader.get(f"/cong-viec/{sign.id}"))
    assert "Các bước trước" in html and HH_APPROVE["business_name"] in html  # the draft being signed
    missing = leader.post(f"/cong-viec/{sign.id}/tra-lai", data={"csrf_token": leader.csrf, "reason": " "})
    assert missing.status_code == 422 and "Hãy ghi lý do trả lại hồ sơ." in _html(missing)
    back = leader.post(f"/cong-viec/{sign.id}/tra-lai", data={"csrf_token": leader.csrf,
                                                               "reason": "Sửa địa điểm kinh doanh."})
    assert back.status_code == 302
    session.expire_all()
    again = open_task(session, dossier.id)
    assert again.bpmn_id == "examine" and again.assignee_id == users["tanlap.specialist"].id
    html = _html(page_client("tanlap.specialist").get(f"/cong-viec/{again.id}"))
    assert "Hồ sơ bị trả lại" in html and "Sửa địa điểm kinh doanh." in html
    assert f'value="{HH_APPROVE["business_address"]}"' in html and 'value="031190001234"' in html


def test_birth_registration_form_draws_its_groups(page_client, receive):
    task_id = receive(procedure="birth-registration").created[0].id
    html = _html(page_client("tanlap.specialist").get(f"/cong-viec/{task_id}"))
    assert 'name="child.full_name"' in html and 'name="mother.full_name"' in html


# -- dossier -------------------------------------------------------------------------------------------------

def test_dossier_page_dates_sheet_diagram_and_pdfs(rt, session, users, page_client, receive):
    dossier = receive().dossier
    rt.clock.advance(dt.timedelta(hours=1))
    act(rt, session, users, dossier.id, "examine", HH_APPROVE)
    official = page_client("tanlap.specialist")
    html = _html(official.get(f"/ho-so/{dossier.id}"))
    assert "Ngày hẹn trả (trên giấy tiếp nhận)" in html and "Hạn giải quyết theo quy định" in html
    assert "Hạn xử lý đang áp dụng" in html and "17:00 05/03/2026" in html
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05)" in html and "Trước hạn" in html
    assert f"/api/v1/dossiers/{dossier.id}/receipt.pdf" in html
    assert "bpmn-viewer.production.min.js" in html
    assert 'data-finished="[&#34;examine&#34;]"' in html and 'data-current="[&#34;sign&#34;]"' in html
    assert "Nhật ký truy cập và thao tác" in html and "Xem hồ sơ" in html
    xml = official.get(f"/ho-so/{dossier.id}/quy-trinh.bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b'id="examine"' in xml.data and b"bpmndi:BPMNDiagram" in xml.data


def test_a_dossier_outside_the_agency_is_not_found(rt, session, users, page_client):
    other = _hoabinh_dossier(rt, session, users)
    official = page_client("tanlap.specialist")
    assert official.get(f"/ho-so/{other.dossier.id}").status_code == 404
    assert official.get(f"/ho-so/{other.dossier.id}/quy-trinh.bpmn").status_code == 404
    assert official.get("/ho-so/999999").status_code == 404
    assert page_client("hoabinh.specialist").get(f"/ho-so/{other.dossier.id}").status_code == 200


def test_pages_need_a_signed_in_official(client, receive):
    dossier = receive().dossier
    for path in ("/hop-viec", f"/ho-so/{dossier.id}", f"/ho-so/{dossier.id}/quy-trinh.bpmn", "/hop-viec/moi"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/?next="), path
    polled = client.get("/hop-viec/moi", headers={"HX-Request": "true"})
    assert polled.status_code == 401 and polled.headers["HX-Redirect"].startswith("/?next=")


def test_no_page_holds_inline_script(page_client, receive):
    result = receive()
    official = page_client("tanlap.specialist")
    for path in ("/", "/hop-viec", f"/cong-viec/{result.created[0].id}", f"/ho-so/{result.dossier.id}",
                 "/doi-mat-khau"):
        html = _html(official.get(path))
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert 'style="' not in html, path



def test_a_step_returned_by_the_diagram_shows_the_leaders_reason(rt, session, users, page_client, receive):
    dossier = receive().dossier
    act(rt, session, users, dossier.id, "examine", HH_APPROVE)
    act(rt, session, users, dossier.id, "sign", SIGN_SEND_BACK)
    again = open_task(session, dossier.id)
    html = _html(page_client("tanlap.specialist").get(f"/cong-viec/{again.id}"))
    assert "Hồ sơ bị trả lại" in html and SIGN_SEND_BACK["reason"] in html
    assert f'value="{HH_APPROVE["business_name"]}"' in html


def test_the_dossier_page_links_form_04_only_once_a_letter_was_drafted(rt, session, page_client, receive):
    """Every PDF link of the dossier page opens a form: form 04 (a 404 before any apology) only after one."""
    dossier = receive().dossier
    leader = page_client("tanlap.leader")
    link = f"/api/v1/dossiers/{dossier.id}/apology-letter.pdf"
    html = _html(leader.get(f"/ho-so/{dossier.id}"))
    assert f"/api/v1/dossiers/{dossier.id}/receipt.pdf" in html and link not in html
    assert leader.get(link).status_code == 404
    rt.clock.set(dt.datetime(2026, 3, 4, 17, 0, tzinfo=rt.clock.now().tzinfo))  # late: the scan drafts one
    scan(rt, session, rt.clock.now())
    html = _html(leader.get(f"/ho-so/{dossier.id}"))
    assert link in html and "Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)" in html
    assert leader.get(link).status_code == 200


def test_an_unknown_address_is_a_page_for_people_and_a_problem_under_the_api(client, page_client):
    for who in (client, page_client("tanlap.specialist")):
        response = who.get("/khong-co-trang-nay")
        assert response.status_code == 404 and response.mimetype == "text/html"
        assert '<html lang="vi">' in _html(response) and "Không tìm thấy" in _html(response)
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404
