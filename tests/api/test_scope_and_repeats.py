"""Objects outside the caller's scope answer 404, admins see no applicants in the tracking book, and a
repeated claim or acknowledgement changes nothing (issue 10, parts 7 and 8b)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from support import at, scan

from engine.models import AuditEvent, Escalation, Task

MARCH = {"from": "2026-01-01", "to": "2026-12-31"}


def test_objects_of_another_agency_answer_404_like_unknown_ones(client_for, receive):
    received = receive()
    dossier_id, task_id = received.dossier.id, received.created[0].id
    stranger = client_for("hoabinh.leader")
    for method, url in (("GET", f"/api/v1/dossiers/{dossier_id}"),
                        ("GET", f"/api/v1/dossiers/{dossier_id}/control-sheet"),
                        ("POST", f"/api/v1/dossiers/{dossier_id}/withdraw"),
                        ("GET", f"/api/v1/tasks/{task_id}"),
                        ("POST", f"/api/v1/tasks/{task_id}/claim"),
                        ("POST", f"/api/v1/tasks/{task_id}/unclaim")):
        json = {"reason": "Công dân rút hồ sơ"} if url.endswith("withdraw") else {}
        known = stranger.open(url, method=method, json=json)
        unknown = stranger.open(url.replace(f"/{dossier_id}", "/1999999999").replace(f"/{task_id}", "/1999999999"),
                                method=method, json=json)
        assert (known.status_code, unknown.status_code) == (404, 404), (url, known.get_json())
        assert received.dossier.code not in known.get_data(as_text=True)


def test_another_users_token_answers_404(client_for, bearer, rt):
    from engine.models import ApiToken

    bearer("tanlap.specialist", name="theirs")
    with rt.sessions() as s:
        token_id = s.scalars(select(ApiToken.id).where(ApiToken.name == "theirs")).one()
    assert client_for("tanlap.head").delete(f"/api/v1/auth/tokens/{token_id}").status_code == 404


def test_an_admin_reads_the_tracking_book_without_applicants(client_for, receive):
    receive(applicant_name="Trần Thị Bình")
    agency = receive().dossier.agency_id
    query = {**MARCH, "agency_id": agency}
    official = client_for("tanlap.reception").get("/api/v1/tracking-book", query_string=query)
    assert official.status_code == 200
    assert {line["applicant_name"] for line in official.get_json()["lines"]} == {"Trần Thị Bình"}
    admin = client_for("admin")
    book = admin.get("/api/v1/tracking-book", query_string=query)
    assert book.status_code == 200 and len(book.get_json()["lines"]) == 2
    assert {(line["applicant_name"], line["applicant_address"]) for line in book.get_json()["lines"]} == {(None, None)}
    csv = admin.get("/api/v1/tracking-book", query_string={**query, "format": "csv"}).get_data(as_text=True)
    assert "Bình" not in csv and received_code_in(csv)


def received_code_in(csv: str) -> bool:
    return "-26" in csv  # the dossier codes are still listed (<agency>-<YYMMDD>-<NNNN>)


def test_claiming_ones_own_task_again_writes_nothing(rt, client_for, receive, clock):
    task_id = receive().created[0].id
    specialist = client_for("tanlap.specialist")
    first = specialist.post(f"/api/v1/tasks/{task_id}/claim").get_json()
    clock.set(clock.now() + dt.timedelta(minutes=5))
    again = specialist.post(f"/api/v1/tasks/{task_id}/claim")
    assert again.status_code == 200 and again.get_json()["claimed_at"] == first["claimed_at"]
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.task_id == task_id, AuditEvent.action == "claimed")) == 1
        assert s.get(Task, task_id).claimed_at == dt.datetime.fromisoformat(first["claimed_at"])


def test_a_second_acknowledgement_keeps_the_first(rt, session, receive, client_for, clock):
    receive()
    clock.set(at(3, 14, 31))
    scan(rt, session, clock.now())
    supervisor = client_for("tanlap.supervisor")
    [item] = supervisor.get("/api/v1/escalations").get_json()["items"]
    url = f"/api/v1/escalations/{item['id']}/acknowledge"
    assert supervisor.post(url, json={"comment": "Tôi xử lý"}).status_code == 200
    clock.set(at(3, 16))
    again = supervisor.post(url, json={"comment": "Ghi đè"})
    assert again.status_code == 200 and again.get_json()["comment"] == "Tôi xử lý"
    with rt.sessions() as s:
        esc = s.get(Escalation, item["id"])
        assert (esc.comment, esc.acknowledged_at) == ("Tôi xử lý", at(3, 14, 31))
