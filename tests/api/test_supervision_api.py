"""Supervision over HTTP: open dossiers by risk, form II.06a (JSON and CSV), form 04 letters, extensions."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pytest
from sqlalchemy import select
from support import VN, at, scan

from api import create_app
from engine.models import Agency, Dossier, Procedure, ProcedureVersion, Task

DOSSIERS = "/api/v1/supervision/dossiers"
REPORT = "/api/v1/supervision/report"
LETTERS = "/api/v1/supervision/letters"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def get(client, url, status=200, **params):
    response = client.get(url, query_string=params)
    assert response.status_code == status, response.get_json()
    return response.get_json()


# -- open dossiers by risk ----------------------------------------------------------------------------------


@pytest.fixture
def three_risks(rt, session, receive, clock):
    """Tân Lập: one dossier overdue, one at risk (its step overdue), one on track; Hòa Bình: one on track."""
    overdue = receive(applicant_name="Quá Hạn").dossier  # Monday 09:00: due Thursday 17:00
    clock.set(at(4, 9))
    at_risk = receive(applicant_name="Nguy Cơ").dossier  # its examination was due Thursday 14:30
    clock.set(at(6, 9))
    on_track = receive(applicant_name="Đúng Hạn").dossier
    other = receive(agency="hoabinh", applicant_name="Phường Khác").dossier
    clock.set(at(6, 10))
    scan(rt, session, clock.now())
    return overdue, at_risk, on_track, other


def test_supervisors_see_their_agencys_open_dossiers_by_risk(three_risks, client_for):
    overdue, at_risk, on_track, _ = three_risks
    page = get(client_for("tanlap.supervisor"), DOSSIERS)
    assert page["counts"] == {"on_track": 1, "at_risk": 1, "overdue": 1, "total": 3}
    assert [d["id"] for d in page["items"]] == [overdue.id, at_risk.id, on_track.id]  # soonest due first
    assert [d["risk"] for d in page["items"]] == ["overdue", "at_risk", "on_track"]
    first = page["items"][0]
    assert (first["code"], first["applicant_name"], first["status"]) == (overdue.code, "Quá Hạn", "processing")
    assert first["working_hours_left"] == -2.5  # Thursday 17:00 to Friday 10:00: 07:30-10:00
    assert dt.datetime.fromisoformat(first["due_at"]) == at(5, 17) and first["is_paused"] is False
    assert first["agency"]["code"] == "000.01.31.H26" and first["procedure"]["slug"] == "household-business"
    [step] = first["current_steps"]
    assert (step["step"], step["name"], step["risk"], step["assignee"]) == ("examine", "Thẩm định hồ sơ", "overdue",
                                                                           None)
    assert page["items"][2]["working_hours_left"] > 0 and page["items"][2]["current_steps"][0]["risk"] == "on_track"

    for level, expected in (("overdue", overdue), ("at_risk", at_risk), ("on_track", on_track)):
        filtered = get(client_for("tanlap.leader"), DOSSIERS, risk=level)
        assert [d["id"] for d in filtered["items"]] == [expected.id]
        assert filtered["counts"]["total"] == 3  # the counts ignore the risk filter
    assert get(client_for("tanlap.head"), DOSSIERS)["counts"]["total"] == 3


def test_who_may_watch_which_agency(three_risks, client_for, client, session):
    overdue, _, _, other = three_risks
    tanlap, hoabinh = overdue.agency_id, other.agency_id
    assert [d["id"] for d in get(client_for("hoabinh.supervisor"), DOSSIERS)["items"]] == [other.id]
    admin = client_for("admin")
    everything = get(admin, DOSSIERS)
    assert everything["counts"]["total"] == 4
    assert all(d["applicant_name"] is None for d in everything["items"])  # admins handle no dossier
    assert get(admin, DOSSIERS, agency_id=hoabinh)["counts"] == {"on_track": 1, "at_risk": 0, "overdue": 0,
                                                                 "total": 1}
    assert client.get(DOSSIERS).status_code == 401
    assert get(client_for("tanlap.specialist"), DOSSIERS, status=403)["code"] == "forbidden"
    get(client_for("tanlap.reception"), DOSSIERS, status=403)
    get(client_for("hoabinh.supervisor"), DOSSIERS, status=403, agency_id=tanlap)
    get(admin, DOSSIERS, status=404, agency_id=2_000_000_000)
    assert set(get(admin, DOSSIERS, status=422, risk="late")["errors"]) == {"query.risk"}


def test_the_open_dossiers_come_in_keyset_pages(three_risks, client_for):
    supervisor = client_for("tanlap.supervisor")
    first = get(supervisor, DOSSIERS, limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = get(supervisor, DOSSIERS, limit=2, cursor=first["next_cursor"])
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert [d["id"] for d in first["items"] + second["items"]] == [d["id"] for d in get(supervisor, DOSSIERS)["items"]]
    assert set(get(supervisor, DOSSIERS, status=422, cursor="not-a-cursor")["errors"]) == {"query.cursor"}


# -- the periodic report (form II.06a) ----------------------------------------------------------------------


def t(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VN)


def add(session, n: int, channel: str, status: str, received: dt.datetime, appointment: dt.datetime,
        finished: dt.datetime | None = None, agency: str = "000.01.31.H26") -> Dossier:
    version = session.scalars(select(ProcedureVersion.id).join(Procedure)
                              .where(Procedure.slug == "household-business")).first()
    agency_id = session.scalars(select(Agency.id).where(Agency.code == agency)).one()
    d = Dossier(code=f"R-{n:04d}", lookup_secret="x", procedure_version_id=version, agency_id=agency_id,
                channel=channel, status=status, applicant_name="Công dân", applicant={}, received_at=received,
                clock_started_at=received, appointment_at=appointment, due_at=appointment, legal_due_at=appointment,
                processed_at=finished if status in ("returned", "processed") else None,
                closed_at=finished if status != "processed" else None, workflow_state=b"")
    session.add(d)
    session.flush()
    return d


@pytest.fixture
def march(session, users, clock):
    """A small constructed set of dossiers around March 2026 (see tests/engine/test_reports.py)."""
    add(session, 1, "counter", "processing", t(2, 20), t(2, 25))  # carried over, still open, overdue
    add(session, 2, "counter", "returned", t(2, 26), t(3, 3, 17), finished=t(3, 2))  # carried over, early
    add(session, 3, "counter", "returned", t(2, 10), t(2, 13), finished=t(2, 15))  # finished before: not counted
    on_time = add(session, 4, "online", "returned", t(3, 5), t(3, 10, 17), finished=t(3, 10, 16))
    add(session, 5, "counter", "returned", t(3, 5), t(3, 10, 17), finished=t(3, 12))  # late
    add(session, 6, "postal", "processing", t(3, 20), t(4, 3, 17))  # in progress, within
    add(session, 7, "counter", "withdrawn", t(3, 21), t(3, 26, 17), finished=t(3, 22))
    add(session, 8, "online", "refused", t(3, 25), t(3, 30, 17), finished=t(3, 26))
    add(session, 9, "counter", "processing", t(4, 2), t(4, 7, 17))  # after the period
    add(session, 10, "counter", "returned", t(3, 30), t(4, 1, 17), finished=t(4, 2))  # finished after the end
    add(session, 11, "online", "returned", t(3, 9), t(3, 12, 17), finished=t(3, 11), agency="000.02.31.H26")
    session.add(Task(dossier_id=on_time.id, spiff_task_id="x", bpmn_id="examine", name="Thẩm định", role="specialist",
                     agency_id=on_time.agency_id, state="completed", created_at=t(3, 5), completed_at=t(3, 9),
                     completed_by_id=users["tanlap.specialist"].id, version=1))
    session.commit()
    clock.set(t(5, 1))


TANLAP_MARCH = {
    "received": {"total": 8, "carried_over": 2, "new_online": 2, "new_direct_or_postal": 4},
    "resolved": {"total": 3, "early": 1, "on_time": 1, "late": 1},
    "in_progress": {"total": 3, "within_deadline": 2, "overdue": 1},
    "withdrawn": 1, "refused": 1, "stopped": 0, "payments": {"count": 0, "online": 0, "amount": 0},
}


def test_the_report_counts_the_agencys_dossiers_of_the_period(march, client_for):
    report = get(client_for("tanlap.supervisor"), REPORT, **MARCH)
    assert (report["from"], report["to"], report["by"]) == ("2026-03-01", "2026-03-31", "procedure")
    [row] = report["rows"]
    assert row["agency"] == {"code": "000.01.31.H26", "name": "UBND xã Tân Lập"}
    assert row["procedure"]["code"] == "1.001612" and row["official"] is None
    assert row["figures"] == report["total"] == TANLAP_MARCH

    [row] = get(client_for("tanlap.leader"), REPORT, by="agency", **MARCH)["rows"]
    assert row["procedure"] is None and row["figures"] == TANLAP_MARCH
    by_official = get(client_for("tanlap.leader"), REPORT, by="official", **MARCH)
    [mine] = [r for r in by_official["rows"] if r["official"]]
    assert mine["official"] == "tanlap.specialist"
    assert mine["figures"]["resolved"] == {"total": 1, "early": 0, "on_time": 1, "late": 0}
    assert by_official["total"] == TANLAP_MARCH  # officials overlap; the total counts each dossier once

    admin = client_for("admin")
    every = get(admin, REPORT, by="agency", **MARCH)
    assert [r["agency"]["code"] for r in every["rows"]] == ["000.01.31.H26", "000.02.31.H26"]
    assert every["total"]["received"]["total"] == 9  # Hòa Bình's one, returned a day early, too
    assert every["total"]["resolved"] == {"total": 4, "early": 2, "on_time": 1, "late": 1}
    hoabinh = get(client_for("hoabinh.supervisor"), REPORT, **MARCH)
    assert hoabinh["total"]["received"] == {"total": 1, "carried_over": 0, "new_online": 1, "new_direct_or_postal": 0}


def test_the_report_as_csv_for_excel(march, client_for):
    response = client_for("tanlap.supervisor").get(REPORT, query_string={**MARCH, "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert "bao-cao-II.06a-20260301-20260331.csv" in response.headers["Content-Disposition"]
    header, row, total = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header[:6] == ["Từ ngày", "Đến ngày", "Mã cơ quan", "Cơ quan", "Mã thủ tục", "Thủ tục hành chính"]
    assert header[6:10] == ["Tổng số hồ sơ tiếp nhận", "Kỳ trước chuyển qua", "Mới tiếp nhận trực tuyến",
                            "Mới tiếp nhận trực tiếp, bưu chính"]
    assert header[-7:-4] == ["Rút hồ sơ", "Từ chối giải quyết", "Dừng giải quyết"]
    assert header[-4:] == ["Số lượt nộp phí, lệ phí", "Trong đó thanh toán trực tuyến", "Số tiền đã thu (đồng)",
                           "Phần liên thông"]  # the inter-agency share marker, added last
    assert row[:4] == ["01/03/2026", "31/03/2026", "000.01.31.H26", "UBND xã Tân Lập"]
    assert row[-1] == "Không" and total[-1] == ""
    figures = dict(zip(header[6:-1], (int(v) for v in row[6:-1]), strict=True))
    assert figures["Tổng số hồ sơ tiếp nhận"] == 8 and figures["Trả quá hạn"] == 1
    assert figures["Đang giải quyết quá hạn"] == 1 and figures["Rút hồ sơ"] == figures["Từ chối giải quyết"] == 1
    assert total[3] == "Tổng cộng" and total[6:-1] == row[6:-1]

    official = client_for("tanlap.leader").get(REPORT, query_string={**MARCH, "format": "csv", "by": "official"})
    lines = list(csv.reader(io.StringIO(official.data.decode("utf-8-sig"))))
    assert lines[0][6] == "Cán bộ" and "tanlap.specialist" in [line[6] for line in lines]
    by_agency = client_for("tanlap.leader").get(REPORT, query_string={**MARCH, "format": "csv", "by": "agency"})
    header, row, _ = list(csv.reader(io.StringIO(by_agency.data.decode("utf-8-sig"))))
    assert header[4] == "Tổng số hồ sơ tiếp nhận" and row[4] == "8"


def test_who_may_read_the_report_and_what_it_refuses(march, client_for, client, session):
    tanlap = session.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
    assert client.get(REPORT, query_string=MARCH).status_code == 401
    for who in ("tanlap.head", "tanlap.specialist", "tanlap.reception"):
        get(client_for(who), REPORT, status=403, **MARCH)
    get(client_for("hoabinh.leader"), REPORT, status=403, agency_id=tanlap, **MARCH)
    get(client_for("admin"), REPORT, status=404, agency_id=2_000_000_000, **MARCH)
    supervisor = client_for("tanlap.supervisor")
    assert set(get(supervisor, REPORT, status=422, **{"from": "2026-03-31", "to": "2026-03-01"})["errors"]) == {"to"}
    assert set(get(supervisor, REPORT, status=422, **{"from": "2025-01-01", "to": "2026-03-01"})["errors"]) == {"to"}
    assert set(get(supervisor, REPORT, status=422, to="2026-03-01")["errors"]) == {"query.from"}
    for far in ({"from": "0001-01-01", "to": "0001-01-02"}, {"from": "9999-12-30", "to": "9999-12-31"}):
        assert set(get(supervisor, REPORT, status=422, **far)["errors"]) == {"query.from", "query.to"}  # out of range
    assert set(get(supervisor, REPORT, status=422, by="field", format="pdf", **MARCH)["errors"]) == {
        "query.by", "query.format"}


# -- apology letters (form 04) and extensions ---------------------------------------------------------------


def letter_url(dossier_id: int, action: str = "") -> str:
    return f"/api/v1/dossiers/{dossier_id}/apology-letter{action}"


def test_the_leader_issues_the_drafted_letter_once(rt, session, receive, client_for, clock, client):
    d = receive().dossier
    clock.set(at(4, 17))  # the last working day: the scan drafts form 04
    scan(rt, session, clock.now())
    leader = client_for("tanlap.leader")
    draft = get(leader, letter_url(d.id))
    assert (draft["state"], draft["dossier_code"], draft["issued_at"], draft["personal_data_visible"]) == (
        "drafted", d.code, None, True)
    assert dt.datetime.fromisoformat(draft["proposed_at"]) == at(9, 17)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in draft["text"] and "Trần Thị Bình" in draft["text"]
    assert get(client_for("tanlap.specialist"), letter_url(d.id))["text"]  # whoever handles the dossier reads it
    hidden = get(client_for("admin"), letter_url(d.id))
    assert (hidden["text"], hidden["personal_data_visible"]) == (None, False)
    get(client_for("hoabinh.leader"), letter_url(d.id), status=404)  # another agency's dossier: as if unknown
    get(leader, letter_url(2_000_000_000), status=404)
    assert client.get(letter_url(d.id)).status_code == 401

    clock.set(at(5, 8))
    new_date = {"new_appointment_at": "2026-03-09T17:00:00+07:00", "reason": "Chờ kết quả xác minh"}
    assert leader.post(letter_url(d.id, "/issue"), json=new_date | {"new_appointment_at": "2026-03-09T17:00:00"}
                       ).status_code == 422  # no offset
    assert client_for("tanlap.specialist").post(letter_url(d.id, "/issue"), json=new_date).status_code == 403
    assert client_for("hoabinh.leader").post(letter_url(d.id, "/issue"), json=new_date).status_code == 404
    assert leader.post(letter_url(2_000_000_000, "/issue"), json=new_date).status_code == 404
    early = leader.post(letter_url(d.id, "/issue"), json=new_date | {"new_appointment_at": "2026-03-05T12:00:00+07:00"})
    assert early.status_code == 422 and set(early.get_json()["errors"]) == {"new_appointment_at"}

    issued = leader.post(letter_url(d.id, "/issue"), json=new_date)
    assert issued.status_code == 200, issued.get_json()
    body = issued.get_json()
    assert (body["state"], body["reason"]) == ("issued", "Chờ kết quả xác minh")
    assert dt.datetime.fromisoformat(body["due_at"]) == at(9, 17)
    assert dt.datetime.fromisoformat(body["appointment_at"]) == at(5, 17)  # statistics keep the receipt's date
    assert "Chờ kết quả xác minh" in body["text"] and "17:00 ngày 09/03/2026" in body["text"]
    session.expire_all()
    assert session.get(Dossier, d.id).due_at == at(9, 17)

    again = leader.post(letter_url(d.id, "/issue"), json=new_date | {"new_appointment_at": "2026-03-10T17:00:00+07:00"})
    assert again.status_code == 409 and "only once" in again.get_json()["detail"]
    assert again.mimetype == "application/problem+json"
    assert get(leader, letter_url(d.id))["state"] == "issued"


def test_a_dossier_without_letter_and_the_list_of_letters(rt, session, receive, client_for, clock, users):
    late = receive().dossier
    other = receive(agency="hoabinh").dossier
    clock.set(at(3, 9))
    calm = receive(applicant_name="Chưa Trễ").dossier
    clock.set(at(4, 17))
    scan(rt, session, clock.now())  # drafts the letters of the two dossiers due on Thursday
    get(client_for("tanlap.leader"), letter_url(calm.id), status=404)
    clock.set(at(5, 8))
    assert client_for("tanlap.leader").post(letter_url(late.id, "/issue"), json={
        "new_appointment_at": "2026-03-09T17:00:00+07:00", "reason": "Chờ xác minh"}).status_code == 200

    supervisor = client_for("tanlap.supervisor")
    [row] = get(supervisor, LETTERS, **MARCH)
    assert (row["dossier_id"], row["dossier_code"], row["state"], row["issued_by"], row["reason"]) == (
        late.id, late.code, "issued", users["tanlap.leader"].full_name, "Chờ xác minh")
    assert row["agency"]["code"] == "000.01.31.H26" and row["dossier_status"] == "processing"
    assert dt.datetime.fromisoformat(row["new_appointment_at"]) == at(9, 17)
    assert dt.datetime.fromisoformat(row["appointment_at"]) == at(5, 17)
    assert get(supervisor, LETTERS, state="drafted", **MARCH) == []
    assert get(supervisor, LETTERS, **{"from": "2026-04-01", "to": "2026-04-30"}) == []
    assert get(client_for("tanlap.head"), LETTERS, **MARCH) == [row]
    [drafted] = get(client_for("hoabinh.supervisor"), LETTERS, **MARCH)
    assert (drafted["dossier_id"], drafted["state"], drafted["issued_at"]) == (other.id, "drafted", None)
    admin = client_for("admin")
    assert {r["dossier_id"] for r in get(admin, LETTERS, **MARCH)} == {late.id, other.id}
    assert [r["dossier_id"] for r in get(admin, LETTERS, state="drafted", **MARCH)] == [other.id]
    assert [r["dossier_id"] for r in get(admin, LETTERS, agency_id=late.agency_id, **MARCH)] == [late.id]
    get(client_for("tanlap.specialist"), LETTERS, status=403, **MARCH)
    get(client_for("hoabinh.supervisor"), LETTERS, status=403, agency_id=late.agency_id, **MARCH)
    assert set(get(supervisor, LETTERS, status=422, state="sent", **MARCH)["errors"]) == {"query.state"}
    assert set(get(supervisor, LETTERS, status=422, **{"from": "2026-03-31", "to": "2026-03-01"})["errors"]) == {"to"}


@pytest.fixture
def extending_client(rt, login):
    """A client of an app whose settings let household business registrations be extended by 2 working days."""
    def make(username: str):
        allowed = dataclasses.replace(rt, settings=dataclasses.replace(
            rt.settings, extensions={"household-business": "P2D"}))
        app = create_app(runtime=allowed)
        app.config["TESTING"] = True
        c = app.test_client()
        login(c, username)
        return c

    return make


def test_an_extension_is_recorded_within_the_procedures_limit(rt, session, receive, client_for, extending_client,
                                                              clock, client):
    d = receive().dossier  # due Thursday 17:00
    url = f"/api/v1/dossiers/{d.id}/extensions"
    clock.set(at(3, 9))
    body = {"duration": "P1D", "reason": "Hồ sơ phức tạp, cần xác minh thêm"}
    refused = client_for("tanlap.leader").post(url, json=body)  # the default settings allow no extension
    assert refused.status_code == 409 and "allows no extension" in refused.get_json()["detail"]

    leader = extending_client("tanlap.leader")
    assert extending_client("tanlap.specialist").post(url, json=body).status_code == 403
    assert extending_client("hoabinh.leader").post(url, json=body).status_code == 404
    assert leader.post("/api/v1/dossiers/2000000000/extensions", json=body).status_code == 404
    assert client.post(url, json=body).status_code == 401
    assert set(leader.post(url, json={"duration": "two days", "reason": "x"}).get_json()["errors"]) == {"duration"}
    assert set(leader.post(url, json={"duration": "P1D"}).get_json()["errors"]) == {"reason"}

    recorded = leader.post(url, json=body)
    assert recorded.status_code == 201, recorded.get_json()
    extension = recorded.get_json()
    assert (extension["dossier_id"], extension["duration"], extension["reason"]) == (d.id, "P1D", body["reason"])
    assert dt.datetime.fromisoformat(extension["due_at"]) == at(6, 17)
    assert dt.datetime.fromisoformat(extension["appointment_at"]) == at(5, 17)
    too_much = leader.post(url, json={"duration": "P1DT1H", "reason": "Thêm nữa"})
    assert too_much.status_code == 422 and set(too_much.get_json()["errors"]) == {"duration"}
    session.expire_all()
    assert session.get(Dossier, d.id).due_at == at(6, 17)
