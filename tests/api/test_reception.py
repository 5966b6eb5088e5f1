"""The desk's slips that start no workflow (forms 02 and 03) and the tracking book (form 06) over HTTP."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from samples import BR_APPROVE, RETURN_POSTAL, SIGN_APPROVE
from sqlalchemy import func, select

from engine import dossiers
from engine.models import Agency, DeskRecord, Dossier, Task

VN = dt.timezone(dt.timedelta(hours=7))
TANLAP = "000.01.31.H26"
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "031090001111", "phone": "0987654321",
             "address": "Số 5, thôn Tây, xã Tân Lập"}
MISSING = [{"name": "Bản sao giấy tờ pháp lý của chủ hộ kinh doanh", "copy_type": "certified_copy", "quantity": 1}]




def agency_id(session, code=TANLAP) -> int:
    return session.scalars(select(Agency.id).where(Agency.code == code)).one()


def desk(session, **extra):
    return {"procedure": "household-business", "agency_id": agency_id(session), "channel": "counter",
            "applicant": APPLICANT, **extra}


def test_request_to_supplement_is_numbered_per_agency_and_day(client_for, session):
    client = client_for("tanlap.reception")
    answer = client.post("/api/v1/reception/supplement-requests", json=desk(session, missing_documents=MISSING,
                                                                            reason="Bổ sung bản sao chứng thực."))
    assert answer.status_code == 201, answer.get_json()
    slip = answer.get_json()
    assert slip["form"] == "02" and slip["kind"] == "supplement_request"
    assert slip["number"] == f"{TANLAP}-260302-B0001"
    assert slip["missing_documents"][0]["name"] == MISSING[0]["name"]
    assert slip["created_at_local"] == "2026-03-02T09:00:00+07:00" and slip["applicant"] == APPLICANT
    assert slip["procedure_code"] == "1.001612" and slip["official"].startswith("Cán bộ tiếp nhận")
    again = client.post("/api/v1/reception/supplement-requests", json=desk(session, missing_documents=MISSING))
    assert again.get_json()["number"].endswith("-B0002")
    # no workflow, no dossier, and dossier codes keep their own gap-free sequence
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0
    received = client.post("/api/v1/dossiers", json=desk(session)).get_json()
    assert received["receipt"]["code"] == f"{TANLAP}-260302-0001"


def test_refusal_at_the_desk(client_for, session, clock):
    client = client_for("tanlap.reception")
    answer = client.post("/api/v1/reception/refusals",
                         json=desk(session, reason="Ngành nghề kinh doanh thuộc danh mục cấm."))
    assert answer.status_code == 201
    slip = answer.get_json()
    assert (slip["form"], slip["number"], slip["missing_documents"]) == ("03", f"{TANLAP}-260302-T0001", None)
    clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=VN))
    nextday = client.post("/api/v1/reception/refusals", json=desk(session, reason="Không thuộc thẩm quyền."))
    assert nextday.get_json()["number"] == f"{TANLAP}-260303-T0001"
    record = session.scalars(select(DeskRecord).order_by(DeskRecord.id)).first()
    assert record.kind == "refusal" and record.applicant_name == APPLICANT["name"]


@pytest.mark.parametrize("path, body, fields", [
    ("supplement-requests", {"missing_documents": []}, {"missing_documents"}),
    ("supplement-requests", {"missing_documents": [{"copy_type": "photo"}]}, {"missing_documents"}),
    ("refusals", {"reason": "", "channel": "fax"}, {"reason", "channel"}),
    ("refusals", {"applicant": {}}, {"applicant", "reason"}),
])
def test_bad_slips_name_the_fields_and_save_nothing(client_for, session, path, body, fields):
    answer = client_for("tanlap.reception").post(f"/api/v1/reception/{path}", json=desk(session, **body))
    assert answer.status_code == 422
    assert fields <= set(answer.get_json()["errors"])
    assert session.scalar(select(func.count()).select_from(DeskRecord)) == 0


def test_slips_need_the_reception_role_of_the_agency(client, client_for, session):
    body = desk(session, reason="Không thuộc thẩm quyền.")
    assert client.post("/api/v1/reception/refusals", json=body).status_code == 401
    assert client_for("hoabinh.reception").post("/api/v1/reception/refusals", json=body).status_code == 403
    assert client_for("tanlap.specialist").post("/api/v1/reception/refusals", json=body).status_code == 403
    answer = client_for("tanlap.reception").post("/api/v1/reception/refusals", json={**body, "procedure": "nope"})
    assert answer.status_code == 404
    assert session.scalar(select(func.count()).select_from(DeskRecord)) == 0


def _receive_three(client_for, rt, session, users, clock):
    """Two dossiers on Monday (one walked to its result), one on Tuesday."""
    client = client_for("tanlap.reception")
    first = client.post("/api/v1/dossiers", json=desk(session, procedure="birth-registration")).get_json()
    client.post("/api/v1/dossiers", json=desk(session, applicant={"name": "=HYPERLINK(\"x\")"}))
    for step, data in (("examine", BR_APPROVE), ("sign", SIGN_APPROVE), ("return_result", RETURN_POSTAL)):
        clock.advance(dt.timedelta(hours=1))
        task = session.scalars(select(Task).where(Task.dossier_id == first["dossier"]["id"],
                                                  Task.state == "ready")).one()
        assert task.bpmn_id == step
        dossiers.complete_task(rt, session, task.id, data, actor=users[f"tanlap.{task.role}"], now=clock.now())
        session.commit()
    clock.set(dt.datetime(2026, 3, 3, 9, 0, tzinfo=VN))
    client.post("/api/v1/dossiers", json=desk(session))
    return first


def test_tracking_book_lists_the_dossiers_received_in_the_period(client_for, rt, session, users, clock):
    first = _receive_three(client_for, rt, session, users, clock)
    client = client_for("tanlap.supervisor")
    book = client.get("/api/v1/tracking-book?from=2026-03-02&to=2026-03-02").get_json()
    assert book["form"] == "06" and book["agency_code"] == TANLAP
    assert (book["from"], book["to"]) == ("2026-03-02", "2026-03-02")
    lines = book["lines"]
    assert [line["number"] for line in lines] == [1, 2]
    one = lines[0]
    assert one["code"] == first["receipt"]["code"] and one["applicant_name"] == APPLICANT["name"]
    assert one["procedure_name"] == "Đăng ký khai sinh" and one["status"] == "returned"
    assert one["handed_to"] == "UBND xã Tân Lập — Thẩm định hồ sơ, ghi Sổ đăng ký khai sinh"
    assert one["result_at"] == "2026-03-02T12:00:00+07:00" and one["signature"] == ""
    assert one["received_at_local"] == "2026-03-02T09:00:00+07:00"
    assert lines[1]["result_at"] is None and lines[1]["status_vi"] == "Đang giải quyết"
    week = client.get("/api/v1/tracking-book?from=2026-03-02&to=2026-03-08").get_json()
    assert [line["number"] for line in week["lines"]] == [1, 2, 3]


def test_tracking_book_as_csv_for_excel(client_for, rt, session, users, clock):
    first = _receive_three(client_for, rt, session, users, clock)
    answer = client_for("tanlap.reception").get("/api/v1/tracking-book?from=2026-03-01&to=2026-03-03&format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    header, lines = rows[0], rows[1:]
    assert header[:3] == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính"] and header[-1] == "Ký nhận"
    assert len(lines) == 3 and [line[0] for line in lines] == ["1", "2", "3"]
    assert lines[0][1] == first["receipt"]["code"] and lines[0][3] == "Nguyễn Văn An"
    assert lines[0][5] == "02/03/2026 09:00" and lines[0][9] == "02/03/2026 12:00"
    assert lines[0][10] == "Đã trả kết quả" and lines[0][-1] == ""
    assert lines[1][3] == "'=HYPERLINK(\"x\")"  # stays text in Excel


def test_tracking_book_access_and_period(client, client_for, session):
    url = "/api/v1/tracking-book?from=2026-03-01&to=2026-03-31"
    assert client.get(url).status_code == 401
    assert client_for("tanlap.specialist").get(url).status_code == 422  # keeps no book: which agency?
    assert client_for("tanlap.specialist").get(f"{url}&agency_id={agency_id(session)}").status_code == 403
    assert client_for("hoabinh.leader").get(f"{url}&agency_id={agency_id(session)}").status_code == 403
    assert client_for("admin").get(url).status_code == 422
    assert client_for("admin").get(f"{url}&agency_id={agency_id(session)}").get_json()["lines"] == []
    bad = client_for("tanlap.leader").get("/api/v1/tracking-book?from=2026-03-31&to=2026-03-01")
    assert bad.status_code == 422 and "to" in bad.get_json()["errors"]
    assert client_for("tanlap.leader").get("/api/v1/tracking-book?from=2026-03-01").status_code == 422
