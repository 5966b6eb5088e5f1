"""Dossiers over HTTP: reception with its receipt (form 01), the list, the detail, form 05, withdrawal."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from samples import HH_APPROVE, HH_ISSUE, RETURN_COUNTER, SIGN_APPROVE
from sqlalchemy import func, select

from engine import dossiers
from engine.models import Agency, AuditEvent, DaySequence, Dossier, Task

VN = dt.timezone(dt.timedelta(hours=7))
TANLAP = "000.01.31.H26"
APPLICANT = {"name": "Trần Thị Bình", "id_number": "031190001234", "phone": "0912345678",
             "email": "binh@example.vn", "address": "Số 12, thôn Đông, xã Tân Lập"}




def agency_id(session, code=TANLAP) -> int:
    return session.scalars(select(Agency.id).where(Agency.code == code)).one()


def receive(client, session, procedure="household-business", **extra):
    body = {"procedure": procedure, "agency_id": agency_id(session), "channel": "counter", "applicant": APPLICANT,
            **extra}
    answer = client.post("/api/v1/dossiers", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def walk(rt, session, users, dossier_id, steps, clock=None):
    """Complete the dossier's open step for each (step, data, local time) with the engine, as its role."""
    for step, data, at in steps:
        if at is not None:
            clock.set(at)
        task = session.scalars(select(Task).where(Task.dossier_id == dossier_id,
                                                  Task.state.in_(("ready", "claimed")))).one()
        assert task.bpmn_id == step
        dossiers.complete_task(rt, session, task.id, data, actor=users[f"tanlap.{task.role}"], now=rt.clock.now())
        session.commit()


@pytest.mark.parametrize("procedure, appointment", [
    ("household-business", "2026-03-05T17:00:00+07:00"),  # 3 working days from Monday 09:00
    ("birth-registration", "2026-03-02T17:00:00+07:00"),  # same day: received before 15:00
])
def test_reception_issues_the_receipt(client_for, session, procedure, appointment):
    body = receive(client_for("tanlap.reception"), session, procedure)
    receipt, dossier = body["receipt"], body["dossier"]
    assert re.fullmatch(r"000\.01\.31\.H26-260302-\d{4}", receipt["code"])
    assert receipt["code"].endswith("-0001") and dossier["code"] == receipt["code"]
    assert re.fullmatch(r"[A-Z2-9]{8}", receipt["lookup_secret"])
    assert receipt["form"] == "01" and receipt["applicant"] == APPLICANT
    assert receipt["received_at"] == "2026-03-02T09:00:00+07:00"  # local time, whole seconds
    assert receipt["received_at_local"] == "2026-03-02T09:00:00+07:00"
    assert receipt["appointment_at_local"] == appointment
    assert dt.datetime.fromisoformat(receipt["appointment_at"]) == dt.datetime.fromisoformat(appointment)
    assert receipt["official"].startswith("Cán bộ tiếp nhận")
    assert receipt["agency_code"] == TANLAP and receipt["procedure_name"] == dossier["procedure_name"]
    assert receipt["documents"] and all(d["copies"] >= 1 for d in receipt["documents"])
    expected_fee = 100000 if procedure == "household-business" else 0
    assert receipt["fees_total"] == expected_fee == sum(f["amount"] for f in receipt["fees"])
    assert dossier["status"] == "processing" and dossier["applicant_name"] == APPLICANT["name"]


def test_postal_reception_starts_the_clock_at_the_postmark(client_for, session):
    client = client_for("tanlap.reception")
    body = receive(client, session, channel="postal", clock_started_at="2026-02-27T16:00:00+07:00",
                   documents=[{"name": "Giấy đề nghị đăng ký hộ kinh doanh", "copies": 2}])
    assert body["receipt"]["appointment_at_local"] == "2026-03-04T17:00:00+07:00"
    assert body["receipt"]["documents"] == [{"name": "Giấy đề nghị đăng ký hộ kinh doanh", "copies": 2}]
    second = receive(client, session, "birth-registration")
    assert second["receipt"]["code"].endswith("-0002")


def count_rows(session):
    return [session.scalar(select(func.count()).select_from(m)) for m in (Dossier, Task, AuditEvent, DaySequence)]


@pytest.mark.parametrize("change, fields", [
    ({"channel": "fax", "applicant": {"phone": "1"}}, {"channel", "applicant"}),
    ({"agency_id": "x", "procedure": ""}, {"agency_id", "procedure"}),
    ({"clock_started_at": "2026-03-02T08:00:00", "data": []}, {"clock_started_at", "data"}),
    ({"applicant": {**APPLICANT, "email": "not-an-email", "secret": 1}}, {"applicant"}),
    ({"channel": "postal"}, {"clock_started_at"}),                        # checked by the engine
    ({"documents": [{"name": ""}]}, {"documents"}),
    ({"applicant": {**APPLICANT, "name": "Trần\x00Bình"}}, {"applicant.name"}),  # PostgreSQL stores no NUL
    ({"channel": "postal", "clock_started_at": "0001-01-01T00:00:00+07:00"}, {"clock_started_at"}),
    ({"channel": "postal", "clock_started_at": "1900-01-01T08:00:00+07:00"}, {"clock_started_at"}),
])
def test_bad_input_names_the_fields_and_saves_nothing(client_for, session, change, fields):
    body = {"procedure": "household-business", "agency_id": agency_id(session), "channel": "counter",
            "applicant": APPLICANT, **change}
    answer = client_for("tanlap.reception").post("/api/v1/dossiers", json=body)
    assert answer.status_code == 422
    problem = answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert fields <= set(problem["errors"]), problem
    assert count_rows(session) == [0, 0, 0, 0]


def test_reception_needs_the_reception_role_of_that_agency(client, client_for, session):
    body = {"procedure": "household-business", "agency_id": agency_id(session), "channel": "counter",
            "applicant": APPLICANT}
    assert client.post("/api/v1/dossiers", json=body).status_code == 401
    for who in ("hoabinh.reception", "tanlap.specialist"):
        assert client_for(who).post("/api/v1/dossiers", json=body).status_code == 403
    police = {**body, "agency_id": agency_id(session, "000.11.31.H26")}
    assert client_for("admin").post("/api/v1/dossiers", json=police).status_code == 422  # not a commune
    assert client_for("admin").post("/api/v1/dossiers", json={**body, "procedure": "nope"}).status_code == 404
    assert count_rows(session) == [0, 0, 0, 0]


def test_list_is_scoped_to_the_callers_agencies(client_for, session):
    reception = client_for("tanlap.reception")
    first = receive(reception, session)["dossier"]
    receive(reception, session, "birth-registration", applicant={**APPLICANT, "name": "Lê Văn Cường"})
    specialist = client_for("tanlap.specialist")
    page = specialist.get("/api/v1/dossiers").get_json()
    assert page["total"] == 2 and [d["code"] for d in page["items"]][1] == first["code"]  # newest first
    assert specialist.get("/api/v1/dossiers?q=Cường").get_json()["total"] == 1
    assert specialist.get(f"/api/v1/dossiers?q={first['code']}").get_json()["total"] == 1
    assert specialist.get("/api/v1/dossiers?q=260302").get_json()["total"] == 2
    assert specialist.get("/api/v1/dossiers?status=returned").get_json()["total"] == 0
    assert specialist.get("/api/v1/dossiers?status=processing,returned&page_size=1").get_json()["items"][0]
    assert specialist.get("/api/v1/dossiers?page=2&page_size=1").get_json()["items"][0]["code"] == first["code"]
    assert specialist.get("/api/v1/dossiers?status=lost").status_code == 422
    assert client_for("hoabinh.specialist").get("/api/v1/dossiers").get_json()["total"] == 0
    other = agency_id(session)
    assert client_for("hoabinh.specialist").get(f"/api/v1/dossiers?agency_id={other}").status_code == 403
    admin = client_for("admin").get("/api/v1/dossiers").get_json()
    assert admin["total"] == 2 and all(d["applicant_name"] is None for d in admin["items"])
    assert client_for("admin").get("/api/v1/dossiers?q=Cường").get_json()["total"] == 0  # no name search


def test_detail_shows_everything_to_the_handling_agency_and_logs_the_access(client, client_for, rt, session,
                                                                          users):
    d = receive(client_for("tanlap.reception"), session)["dossier"]
    walk(rt, session, users, d["id"], [("examine", HH_APPROVE, None)])
    specialist = client_for("tanlap.specialist")
    detail = specialist.get(f"/api/v1/dossiers/{d['id']}").get_json()
    assert detail["applicant"] == APPLICANT and detail["personal_data_visible"] is True
    assert detail["dossier"]["code"] == d["code"] and detail["procedure_version"] == 1
    assert [s["step"] for s in detail["current_steps"]] == ["sign"]
    assert [e["action"] for e in detail["timeline"]] == ["received", "receipt_issued", "completed"]
    assert detail["timeline"][2]["step_name"] == "Thẩm định hồ sơ"
    assert detail["documents"][0]["required"] is True and detail["documents_received"]
    trail = detail["audit_trail"]
    assert trail[-1]["action"] == "viewed" and trail[-1]["actor_id"] == users["tanlap.specialist"].id
    assert all("data" not in (e["detail"] or {}) for e in trail)  # form contents are not repeated here
    assert [h["to_step"] for h in detail["control_sheet"]["handovers"]] == ["examine", "sign"]
    admin = client_for("admin").get(f"/api/v1/dossiers/{d['id']}").get_json()
    assert admin["applicant"] is None and admin["dossier"]["applicant_name"] is None
    assert client_for("hoabinh.leader").get(f"/api/v1/dossiers/{d['id']}").status_code == 404  # as if unknown
    assert specialist.get("/api/v1/dossiers/999999").status_code == 404
    assert client.get(f"/api/v1/dossiers/{d['id']}").status_code == 401
    views = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "viewed")).all()
    assert views == [{"personal_data": True}, {"personal_data": False}]


def test_control_sheet_marks_each_step_early_on_time_or_late(client_for, rt, session, users, clock):
    d = receive(client_for("tanlap.reception"), session)["dossier"]
    walk(rt, session, users, d["id"], [
        ("examine", HH_APPROVE, dt.datetime(2026, 3, 2, 11, 0, tzinfo=VN)),   # due Tue 14:30: a day early
        ("sign", SIGN_APPROVE, dt.datetime(2026, 3, 3, 10, 0, tzinfo=VN)),    # due Tue 11:00: same day
        ("issue", HH_ISSUE, dt.datetime(2026, 3, 3, 15, 0, tzinfo=VN)),       # due Tue 13:30: late
        ("return_result", RETURN_COUNTER, dt.datetime(2026, 3, 3, 16, 0, tzinfo=VN)),
    ], clock)
    sheet = client_for("tanlap.supervisor").get(f"/api/v1/dossiers/{d['id']}/control-sheet").get_json()
    lines = sheet["handovers"]
    assert [h["to_step"] for h in lines] == ["examine", "sign", "issue", "return_result"]
    assert [h["mark"] for h in lines] == ["early", "on_time", "late", "on_time"]
    assert [h["mark_vi"] for h in lines][:3] == ["Trước hạn", "Đúng hạn", "Quá hạn"]
    assert lines[0]["from_step"] == "reception" and lines[0]["from_official"].startswith("Cán bộ tiếp nhận")
    assert lines[1]["from_step"] == "examine" and lines[1]["from_official"].startswith("Chuyên viên")
    assert lines[1]["to_official"].startswith("Lãnh đạo cơ quan")
    assert all(h["handed_at"] and h["received_at"] and h["completed_at"] and h["due_at"] for h in lines)
    late = lines[2]
    assert dt.datetime.fromisoformat(late["completed_at"]) > dt.datetime.fromisoformat(late["due_at"])
    assert sheet["form"] == "05" and sheet["status"] == "returned"
    assert sheet["mark"] == "early" and sheet["appointment_at_local"] == "2026-03-05T17:00:00+07:00"


def test_an_open_step_past_its_due_time_is_late(client_for, session, clock):
    d = receive(client_for("tanlap.reception"), session)["dossier"]
    clock.set(dt.datetime(2026, 3, 3, 15, 0, tzinfo=VN))  # examine was due Tuesday 14:30
    sheet = client_for("tanlap.specialist").get(f"/api/v1/dossiers/{d['id']}/control-sheet").get_json()
    [line] = sheet["handovers"]
    assert (line["state"], line["completed_at"], line["mark"]) == ("ready", None, "late")
    assert sheet["mark"] is None  # the dossier is still within its legal time
    clock.set(dt.datetime(2026, 3, 6, 8, 0, tzinfo=VN))
    assert client_for("tanlap.specialist").get(f"/api/v1/dossiers/{d['id']}/control-sheet").get_json()["mark"] == "late"


def test_withdrawal(client_for, session):
    reception = client_for("tanlap.reception")
    d = receive(reception, session)["dossier"]
    url = f"/api/v1/dossiers/{d['id']}/withdraw"
    assert reception.post(url, json={}).get_json()["errors"] == {"reason": ["Missing data for required field."]}
    assert client_for("tanlap.specialist").post(url, json={"reason": "x"}).status_code == 403
    answer = reception.post(url, json={"reason": "Công dân xin rút hồ sơ."})
    assert answer.status_code == 200 and answer.get_json()["status"] == "withdrawn"
    assert reception.post(url, json={"reason": "again"}).status_code == 409
    sheet = reception.get(f"/api/v1/dossiers/{d['id']}/control-sheet").get_json()
    assert sheet["handovers"][0]["state"] == "cancelled" and sheet["mark"] is None


def test_a_nul_character_anywhere_is_422_naming_it(client, client_for):
    answers = [
        client.post("/api/v1/auth/login", json={"username": "a\x00b", "password": "x"}),
        client.get("/api/v1/public/dossiers/a%00b?secret=x"),
        client_for("tanlap.specialist").get("/api/v1/tasks?q=a%00b"),
    ]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert [set(a.get_json()["errors"]) for a in answers] == [{"username"}, {"path.code"}, {"query.q"}]


def test_control_sheet_as_csv_for_excel(client_for, rt, session, users, clock):
    d = receive(client_for("tanlap.reception"), session)["dossier"]
    walk(rt, session, users, d["id"], [("examine", HH_APPROVE, dt.datetime(2026, 3, 2, 11, 0, tzinfo=VN))], clock)
    supervisor = client_for("tanlap.supervisor")
    answer = supervisor.get(f"/api/v1/dossiers/{d['id']}/control-sheet?format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert f'phieu-kiem-soat-{d["code"]}.csv' in answer.headers["Content-Disposition"]
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeffMã hồ sơ,STT,Bên giao")
    lines = text.strip().splitlines()
    assert len(lines) == 3  # the header, examine (done early), sign (open)
    assert lines[1].startswith(f"{d['code']},1,") and "02/03/2026 11:00" in lines[1] and "Trước hạn" in lines[1]
    assert lines[0].endswith(",Ghi chú,Phần liên thông") and lines[1].endswith(",")  # no share: not a bundle
    bad = supervisor.get(f"/api/v1/dossiers/{d['id']}/control-sheet?format=pdf")
    assert bad.status_code == 422 and "query.format" in bad.get_json()["errors"]


@pytest.mark.parametrize("url", [
    "/api/v1/tasks?mine=true",                       # a query schema that does not declare it
    "/api/v1/procedures?x=1",                        # a view that declares no query parameter
    "/api/v1/tracking-book?from=2026-03-01&to=2026-03-03&form=csv",
])
def test_unknown_query_parameters_are_refused_by_name(client_for, url):
    answer = client_for("tanlap.reception").get(url)
    assert answer.status_code == 422, answer.get_json()
    body = answer.get_json()
    unknown = {k for k in body["errors"]}
    assert unknown == {f"query.{url.rsplit('&', 1)[-1].split('?')[-1].split('=')[0]}"}


def test_unknown_query_parameters_come_after_the_login_check(client):
    assert client.get("/api/v1/tasks?mine=true").status_code == 401


def test_declared_query_parameters_pass_for_get_and_head(client_for):
    reception = client_for("tanlap.reception")
    assert reception.get("/api/v1/tasks?scope=mine").status_code == 200
    assert reception.head("/api/v1/tasks?scope=mine").status_code == 200
    assert reception.head("/api/v1/tasks?mine=true").status_code == 422


def _instants(value):
    """Every ISO 8601 instant in a JSON answer."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _instants(v)]
    if isinstance(value, list):
        return [s for v in value for s in _instants(v)]
    return [value] if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", value) else []


def test_times_leave_the_api_in_local_time_with_whole_seconds(client_for, session, clock):
    clock.set(dt.datetime(2026, 3, 2, 9, 0, 7, 654321, tzinfo=VN))
    d = receive(client_for("tanlap.reception"), session)["dossier"]
    assert d["received_at"] == "2026-03-02T09:00:07+07:00"
    supervisor = client_for("tanlap.supervisor")
    answers = [supervisor.get(f"/api/v1/dossiers/{d['id']}").get_json(),
               client_for("tanlap.specialist").get("/api/v1/tasks").get_json()]
    found = [s for a in answers for s in _instants(a)]
    assert len(found) > 8
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", s) for s in found), found
