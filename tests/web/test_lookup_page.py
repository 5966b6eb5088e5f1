"""The citizen's public look-up page (/lookup): plain words, what is missing, how to collect, the rating."""
from __future__ import annotations

import pytest
from samples import HH_APPROVE, HH_ISSUE, RETURN_POSTAL, SIGN_APPROVE
from sqlalchemy import func, select
from support import act

from api.links import public_lookup_url
from engine.models import Rating


def _html(response) -> str:
    return response.get_data(as_text=True)


def _url(d) -> str:
    return public_lookup_url(d.code, d.lookup_secret, "")


def _returned_by_post(rt, session, users, receive):
    d = receive().dossier
    for step, data in (("examine", HH_APPROVE), ("sign", SIGN_APPROVE), ("issue", HH_ISSUE),
                       ("return_result", RETURN_POSTAL)):
        act(rt, session, users, d.id, step, data)
    return d


def _csrf(client) -> str:
    with client.session_transaction() as s:
        s["csrf"] = "citizen-token"
    return "citizen-token"


def test_the_receipt_link_opens_lookup_and_the_old_address_redirects(client, receive):
    d = receive().dossier
    assert _url(d).startswith("/lookup?code=")
    html = _html(client.get(_url(d)))
    assert d.code in html and ("Hồ sơ đã được tiếp nhận" in html or "Hồ sơ đang được giải quyết" in html)
    assert "Ngày giờ hẹn trả kết quả" in html and "mang theo Giấy tiếp nhận" in html
    old = client.get(f"/tra-cuu?code={d.code}&secret={d.lookup_secret}")
    assert old.status_code == 301 and old.headers["Location"].endswith(_url(d))


def test_code_and_secret_may_come_as_a_posted_form(client, receive):
    d = receive().dossier
    response = client.post("/lookup", data={"csrf_token": _csrf(client), "code": d.code, "secret": d.lookup_secret})
    assert response.status_code == 200 and d.code in _html(response)


def test_while_paused_it_lists_what_is_missing_and_does_not_send_the_citizen_on_the_appointment_day(
        client, rt, session, users, receive):
    d = receive().dossier
    act(rt, session, users, d.id, "examine", {
        "outcome": "supplement", "reason": "Thiếu giấy tờ.",
        "missing_documents": [{"name": "Bản sao hợp đồng thuê nhà", "copy_type": "certified_copy", "quantity": 2,
                               "note": "ghi rõ địa chỉ"}]})
    html = _html(client.get(_url(d)))
    assert "Bản sao hợp đồng thuê nhà" in html and "bản sao có chứng thực" in html and "2 bản" in html
    assert "ghi rõ địa chỉ" in html and "Tạm dừng xử lý" in html
    assert "Đến ngày hẹn, mang theo" not in html  # not told to come on the appointment day while paused
    assert "Nguyễn" not in html  # no personal data


def test_after_a_postal_return_it_shows_the_tracking_number_and_takes_one_rating(
        client, rt, session, users, receive):
    d = _returned_by_post(rt, session, users, receive)
    html = _html(client.get(_url(d)))
    assert "EB123456789VN" in html and "bưu chính" in html and 'name="score"' in html
    token = _csrf(client)
    form = {"csrf_token": token, "code": d.code, "secret": d.lookup_secret}
    assert client.post("/lookup/rating", data={**form, "score": "9"}).status_code == 422
    done = client.post("/lookup/rating", data={**form, "score": "5", "comment": "Nhanh, đúng hẹn"})
    assert done.status_code == 302 and "rated=1" in done.headers["Location"]
    after = _html(client.get(done.headers["Location"]))
    assert "Cảm ơn" in after and 'name="score"' not in after
    again = client.post("/lookup/rating", data={**form, "score": "1"})
    assert again.status_code == 409
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Rating)) == 1
    assert session.scalars(select(Rating)).one().score == 5


def test_rating_before_the_return_is_refused(client, session, receive):
    d = receive().dossier
    response = client.post("/lookup/rating", data={"csrf_token": _csrf(client), "code": d.code,
                                                   "secret": d.lookup_secret, "score": "4"})
    assert response.status_code == 409 and 'name="score"' not in _html(response)
    assert session.scalar(select(func.count()).select_from(Rating)) == 0


@pytest.mark.parametrize("path", ["/lookup", "/api/v1/public/dossiers/X"])
def test_the_page_and_the_api_spend_from_one_limit(app, client, receive, path):
    app.config["PUBLIC_RATE_LIMIT"] = (2, 3600)
    d = receive().dossier
    client.get(f"/lookup?code={d.code}&secret=X")
    client.get(f"/api/v1/public/dossiers/{d.code}?secret=X")
    response = client.get(f"{path}?code={d.code}&secret=X" if path == "/lookup" else f"{path}?secret=X")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


def test_the_api_lists_the_missing_documents_too(client, rt, session, users, receive):
    from samples import examine_supplement

    d = receive().dossier
    act(rt, session, users, d.id, "examine", examine_supplement())
    body = client.get(f"/api/v1/public/dossiers/{d.code}?secret={d.lookup_secret}").get_json()
    assert body["is_paused"] and body["missing_documents"] == [
        {"name": "Giấy tờ cần bổ sung", "copy_type": "copy", "quantity": 1}]
    assert body["channel"] == "counter" and body["delivery"] is None
