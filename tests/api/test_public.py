"""The citizen's look-up and rating: no login, no personal data, one 404 for any miss, a rate limit."""
from __future__ import annotations

import json

import pytest
from samples import HH_APPROVE, HH_ISSUE, RETURN_COUNTER, SIGN_APPROVE
from sqlalchemy import func, select

from engine import dossiers
from engine.models import Agency, Rating, Task

APPLICANT = {"name": "Trần Thị Bình", "id_number": "031190001234", "phone": "0912345678",
             "email": "binh@example.vn", "address": "Số 12, thôn Đông, xã Tân Lập"}




@pytest.fixture
def receipt(client_for, session):
    agency = session.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
    answer = client_for("tanlap.reception").post("/api/v1/dossiers", json={
        "procedure": "household-business", "agency_id": agency, "channel": "counter", "applicant": APPLICANT})
    assert answer.status_code == 201
    return answer.get_json()["receipt"]


def return_result(rt, session, users, code):
    for data in (HH_APPROVE, SIGN_APPROVE, HH_ISSUE, RETURN_COUNTER):
        task = session.scalars(select(Task).where(Task.dossier.has(code=code), Task.state == "ready")).one()
        dossiers.complete_task(rt, session, task.id, data, actor=users[f"tanlap.{task.role}"], now=rt.clock.now())
        session.commit()


def test_look_up_shows_status_and_dates_but_no_personal_data(client, receipt):
    answer = client.get(f"/api/v1/public/dossiers/{receipt['code']}?secret={receipt['lookup_secret']}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["code"] == receipt["code"] and body["status"] == "processing"
    assert body["status_vi"] == "Đang giải quyết" and body["current_steps"] == ["Thẩm định hồ sơ"]
    assert body["received_at_local"] == "2026-03-02T09:00:00+07:00"
    assert body["appointment_at_local"] == "2026-03-05T17:00:00+07:00"
    assert body["procedure_name"] == "Đăng ký thành lập hộ kinh doanh" and body["agency_name"] == "UBND xã Tân Lập"
    assert (body["may_rate"], body["is_rated"], body["is_paused"]) == (False, False, False)
    # the decoded text, not the response bytes: JSON escapes Vietnamese letters as \uXXXX
    shown = json.dumps(body, ensure_ascii=False) + answer.get_data(as_text=True)
    for value in APPLICANT.values():
        assert value not in shown
    assert "applicant" not in shown and receipt["lookup_secret"] not in shown


def test_the_secret_is_read_as_printed(client, receipt):
    secret = receipt["lookup_secret"]
    typed = f"{secret[:4].lower()}-{secret[4:]}"
    assert client.get(f"/api/v1/public/dossiers/{receipt['code']}?secret={typed}").status_code == 200


def test_wrong_secret_and_unknown_code_get_the_same_404(client, receipt):
    wrong = "A" * 8 if receipt["lookup_secret"] != "A" * 8 else "B" * 8
    bad_secret = client.get(f"/api/v1/public/dossiers/{receipt['code']}?secret={wrong}")
    bad_code = client.get(f"/api/v1/public/dossiers/000.01.31.H26-260302-9999?secret={receipt['lookup_secret']}")
    assert bad_secret.status_code == bad_code.status_code == 404
    assert bad_secret.get_json() == bad_code.get_json()
    assert client.get(f"/api/v1/public/dossiers/{receipt['code']}").status_code == 422  # no secret at all


def test_too_many_look_ups_from_one_address_get_429(app, client, receipt):
    app.config["PUBLIC_RATE_LIMIT"] = (5, 60)
    url = f"/api/v1/public/dossiers/{receipt['code']}?secret=WRONGONE"
    assert [client.get(url).status_code for _ in range(5)] == [404] * 5
    limited = client.get(url)
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    # 5 per 60 s: the next token in at most 12 s (less when the five requests took a while)
    assert limited.get_json()["code"] == "rate_limited" and 1 <= int(limited.headers["Retry-After"]) <= 12
    ok = f"/api/v1/public/dossiers/{receipt['code']}?secret={receipt['lookup_secret']}"
    assert client.get(ok).status_code == 429  # the right secret does not get around the limit
    other = client.get(ok, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200  # buckets are per client address


def test_rating_once_after_the_result_is_returned(client, rt, session, users, receipt):
    url = f"/api/v1/public/dossiers/{receipt['code']}/rating"
    rating = {"secret": receipt["lookup_secret"], "score": 5, "criteria": {"attitude": 5, "timeliness": 4},
              "comment": "Cán bộ hướng dẫn tận tình."}
    early = client.post(url, json=rating)
    assert early.status_code == 409 and early.get_json()["code"] == "conflict"
    return_result(rt, session, users, receipt["code"])
    lookup = client.get(f"/api/v1/public/dossiers/{receipt['code']}?secret={receipt['lookup_secret']}").get_json()
    assert lookup["status"] == "returned" and lookup["may_rate"] is True and lookup["current_steps"] == []
    assert client.post(url, json={**rating, "score": 6}).status_code == 422
    assert client.post(url, json={**rating, "secret": "WRONGONE"}).status_code == 404
    first = client.post(url, json=rating)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["score"] == 5 and first.get_json()["criteria"] == {"attitude": 5, "timeliness": 4}
    assert client.post(url, json={**rating, "score": 1}).status_code == 409
    assert session.scalar(select(func.count()).select_from(Rating)) == 1
    lookup = client.get(f"/api/v1/public/dossiers/{receipt['code']}?secret={receipt['lookup_secret']}").get_json()
    assert (lookup["may_rate"], lookup["is_rated"]) == (False, True)
