"""The inbox (who sees what, filters, sort, keyset pages, one statement a page) and the task actions."""
from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from samples import BR_APPROVE, HH_APPROVE, examine_supplement
from sqlalchemy import select, update
from support import T0

from engine import runtime
from engine.models import AuditEvent, Dossier, Task

VN = dt.timezone(dt.timedelta(hours=7))


def inbox(client, **params) -> dict:
    response = client.get("/api/v1/tasks", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(client, **params) -> list[int]:
    return [row["id"] for row in inbox(client, **params)["items"]]


def post(client, task_id: int, action: str, json=None):
    return client.post(f"/api/v1/tasks/{task_id}/{action}", json=json)


def errors(response) -> set[str]:
    assert response.status_code == 422, response.get_json()
    return set(response.get_json()["errors"])


# -- who sees what ---------------------------------------------------------------------------------------

def test_each_official_sees_the_tasks_of_their_roles_and_agencies(receive, client_for):
    tanlap = receive().created[0].id
    hoabinh = receive(agency="hoabinh", applicant_name="Lê Văn Cường").created[0].id
    seen = {who: ids(client_for(who)) for who in ("tanlap.specialist", "tanlap.leader", "tanlap.supervisor",
                                                  "hoabinh.specialist", "tinh.supervisor", "admin")}
    assert seen == {"tanlap.specialist": [tanlap], "tanlap.leader": [], "tanlap.supervisor": [tanlap],
                    "hoabinh.specialist": [hoabinh], "tinh.supervisor": [], "admin": [tanlap, hoabinh]}


def test_a_row_carries_dossier_step_assignee_and_working_time_left(receive, client_for, clock):
    received = receive()
    specialist = client_for("tanlap.specialist")
    [row] = inbox(specialist)["items"]
    assert row["id"] == received.created[0].id
    assert {k: row[k] for k in ("bpmn_id", "name", "role", "state", "budget", "assignee", "risk")} == {
        "bpmn_id": "examine", "name": "Thẩm định hồ sơ", "role": "specialist", "state": "ready",
        "budget": "P1DT4H", "assignee": None, "risk": "on_track"}
    assert row["dossier"] == {"id": received.dossier.id, "code": received.dossier.code,
                              "applicant_name": "Trần Thị Bình"}
    assert row["procedure"]["slug"] == "household-business" and row["procedure"]["name_vi"]
    assert row["agency_id"] == received.dossier.agency_id
    # 12 working hours from Monday 09:00: due Tuesday 14:30, warned at 10:00 (75 %)
    assert dt.datetime.fromisoformat(row["due_at"]) == dt.datetime(2026, 3, 3, 14, 30, tzinfo=VN)
    assert row["working_hours_left"] == 12.0

    clock.set(dt.datetime(2026, 3, 3, 10, 0, tzinfo=VN))
    [row] = inbox(specialist)["items"]
    assert (row["working_hours_left"], row["risk"]) == (3.0, "at_risk")
    clock.set(dt.datetime(2026, 3, 3, 15, 30, tzinfo=VN))
    [row] = inbox(specialist)["items"]
    assert (row["working_hours_left"], row["risk"]) == (-1.0, "overdue")
    assert ids(specialist, risk="overdue") == [row["id"]]
    assert ids(specialist, risk="on_track") == ids(specialist, risk="at_risk") == []


def test_the_scans_path_verdict_is_kept_and_a_stale_overdue_dropped(receive, client_for, rt):
    at_risk, stale = (receive().created[0].id for _ in range(2))
    with rt.sessions() as s:  # as engine.deadlines would have left them
        s.get(Task, at_risk).risk, s.get(Task, stale).risk = "at_risk", "overdue"
        s.commit()
    specialist = client_for("tanlap.specialist")
    assert {row["id"]: row["risk"] for row in inbox(specialist)["items"]} == {at_risk: "at_risk", stale: "on_track"}
    assert ids(specialist, risk="at_risk") == [at_risk]


def test_scopes_mine_groups_and_all(receive, client_for, users):
    a, b, c = (receive(applicant_name=f"Người nộp {i}").created[0].id for i in range(3))
    specialist, admin, supervisor = (client_for(u) for u in ("tanlap.specialist", "admin", "tanlap.supervisor"))
    assert post(specialist, a, "claim").status_code == 200
    assert post(admin, c, "claim").status_code == 200
    assert (ids(specialist, scope="mine"), ids(specialist, scope="groups"), ids(specialist)) == ([a], [b], [a, b, c])
    assert (ids(admin, scope="mine"), ids(admin, scope="groups"), ids(admin, scope="all")) == ([c], [b], [a, b, c])
    assert (ids(supervisor, scope="mine"), ids(supervisor, scope="groups"), ids(supervisor)) == ([], [b], [a, b, c])
    mine = inbox(specialist, scope="mine")["items"][0]
    assert mine["assignee"] == {"id": users["tanlap.specialist"].id, "full_name": users["tanlap.specialist"].full_name}
    assert mine["state"] == "claimed"
    assert errors(specialist.get("/api/v1/tasks?scope=everyone")) == {"query.scope"}


# -- filters, sort, pages --------------------------------------------------------------------------------

def test_filters_procedure_status_and_due_window(receive, client_for):
    household = receive().created[0].id  # due Tuesday 14:30
    birth = receive(procedure="birth-registration").created[0].id  # PT2H: due Monday 11:00
    specialist = client_for("tanlap.specialist")
    assert ids(specialist) == [birth, household]
    assert ids(specialist, procedure="birth-registration") == [birth]
    assert ids(specialist, procedure="no-such-procedure") == []
    noon = "2026-03-02T12:00:00+07:00"
    assert (ids(specialist, due_before=noon), ids(specialist, due_after=noon)) == ([birth], [household])
    assert errors(specialist.get("/api/v1/tasks", query_string={"due_before": "2026-03-02T12:00:00"})) == {
        "query.due_before"}
    assert errors(specialist.get("/api/v1/tasks", query_string={"status": "done", "risk": "late"})) == {
        "query.status", "query.risk"}

    assert post(specialist, birth, "complete", {"data": BR_APPROVE}).status_code == 200
    assert ids(specialist) == [household]  # the next step is the leader's
    assert ids(specialist, status="completed") == [birth]
    [done] = inbox(specialist, status="completed")["items"]
    assert done["working_hours_left"] is None and done["state"] == "completed"


def test_search_by_code_or_name_any_case_wildcards_taken_literally(receive, client_for):
    an = receive(applicant_name="Nguyễn Văn An").dossier
    binh = receive(applicant_name="Trần Thị Bình").dossier
    company = receive(applicant_name="Công ty 100%_Vốn").dossier
    specialist = client_for("tanlap.specialist")

    def found(q):
        return sorted(row["dossier"]["id"] for row in inbox(specialist, q=q)["items"])

    assert found("NGUY") == [an.id]
    assert found("bình") == [binh.id]
    assert found("%") == found("_") == found("0%_v") == [company.id]
    assert found(binh.code[-5:]) == [binh.id]
    assert found(an.code[:18].lower()) == sorted([an.id, binh.id, company.id])
    assert found("không ai") == []


def test_admins_see_no_applicant_names_and_cannot_search_by_them(receive, client_for):
    binh = receive(applicant_name="Trần Thị Bình").dossier
    admin = client_for("admin")
    rows = inbox(admin, scope="all")["items"]
    assert [r["dossier"]["applicant_name"] for r in rows] == [None]
    assert inbox(admin, scope="all", q="Bình")["items"] == []
    assert [r["dossier"]["id"] for r in inbox(admin, scope="all", q=binh.code)["items"]] == [binh.id]
    task_id = rows[0]["id"]
    assert client_for("admin").get(f"/api/v1/tasks/{task_id}").get_json()["dossier"]["applicant_name"] is None
    specialist = client_for("tanlap.specialist")
    assert specialist.get(f"/api/v1/tasks/{task_id}").get_json()["dossier"]["applicant_name"] == "Trần Thị Bình"


@pytest.fixture
def eight_open_tasks(receive, rt, users, clock):
    """Pairs of dossiers with equal due times, a birth registration, and one waiting with no due time."""
    from engine import dossiers
    from engine.models import User

    for i in range(7):
        clock.set(T0 + dt.timedelta(minutes=30 * (i // 2)))
        receive(applicant_name=f"Người nộp {i}")
    waiting = receive(procedure="birth-registration")
    with rt.sessions() as s:
        dossiers.complete_task(rt, s, waiting.created[0].id, examine_supplement(),
                               actor=s.get(User, users["tanlap.specialist"].id), now=clock.now())
        s.commit()
        rows = s.scalars(select(Task).where(Task.state.in_(("ready", "claimed")))).all()
    assert len(rows) == 8 and sum(r.due_at is None for r in rows) == 1
    return rows


@pytest.mark.parametrize("sort", ["due_at", "-due_at", "created_at", "-created_at"])
def test_keyset_pages_neither_overlap_nor_skip(eight_open_tasks, client_for, sort):
    admin = client_for("admin")
    column, descending = sort.lstrip("-"), sort.startswith("-")

    def key(t):
        value = getattr(t, column)
        # NULL due times last in both directions; ties broken by id, in the direction of the sort
        return (value is None, -value.timestamp() if descending else value.timestamp(),
                -t.id if descending else t.id) if value is not None else (True, 0, -t.id if descending else t.id)

    expected = [t.id for t in sorted(eight_open_tasks, key=key)]
    assert ids(admin, sort=sort, limit=200) == expected
    pages, cursor = [], None
    while True:
        page = inbox(admin, sort=sort, limit=3, **({"cursor": cursor} if cursor else {}))
        pages.append([row["id"] for row in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [expected[0:3], expected[3:6], expected[6:8]]


def test_the_risk_sort_puts_the_most_urgent_first_and_pages_cleanly(eight_open_tasks, client_for, clock, rt):
    # Tuesday 10:10: the two examinations received Monday 09:00 are past 75 % of their 12 working hours (at
    # 10:00); the last one received (10:30, due latest) the scan found at risk on its path; the rest are on track.
    clock.set(T0 + dt.timedelta(days=1, hours=1, minutes=10))
    latest = max((t for t in eight_open_tasks if t.due_at is not None), key=lambda t: (t.due_at, t.id))
    with rt.sessions() as s:
        s.execute(update(Task).where(Task.id == latest.id).values(risk="at_risk"))
        s.commit()
    admin = client_for("admin")
    rows = inbox(admin, limit=200)["items"]
    assert sorted(r["risk"] for r in rows) == ["at_risk"] * 3 + ["on_track"] * 5

    def key(r):
        due = dt.datetime.fromisoformat(r["due_at"]).timestamp() if r["due_at"] else 0
        return (("overdue", "at_risk", "on_track").index(r["risk"]), r["due_at"] is None, due, r["id"])

    expected = [r["id"] for r in sorted(rows, key=key)]
    assert ids(admin, sort="risk", limit=200) == expected
    assert expected[2] == latest.id != [r["id"] for r in rows][2]  # not the due order
    pages, cursor = [], None
    while True:
        page = inbox(admin, sort="risk", limit=3, **({"cursor": cursor} if cursor else {}))
        pages.append([row["id"] for row in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i for p in pages for i in p] == expected and all(len(p) == 3 for p in pages[:-1])
    specialist = client_for("tanlap.specialist")
    mine = inbox(specialist, sort="risk", limit=200)["items"]
    assert [r["id"] for r in mine] == [i for i in expected if i in {r["id"] for r in mine}]


def test_rows_added_meanwhile_do_not_shift_the_next_page(receive, client_for, clock):
    first = [receive(applicant_name=f"Người nộp {i}").created[0].id for i in range(4)]
    specialist = client_for("tanlap.specialist")
    page = inbox(specialist, limit=2)
    assert [row["id"] for row in page["items"]] == first[:2]
    receive(procedure="birth-registration")  # due in two hours: sorts before the whole first page
    assert ids(specialist, limit=2, cursor=page["next_cursor"]) == first[2:]


def test_bad_cursor_and_limit_are_422(receive, client_for):
    for _ in range(2):
        receive()
    specialist = client_for("tanlap.specialist")
    cursor = inbox(specialist, limit=1)["next_cursor"]
    assert errors(specialist.get("/api/v1/tasks", query_string={"cursor": cursor, "sort": "created_at"})) == {
        "query.cursor"}
    assert errors(specialist.get("/api/v1/tasks?cursor=bm90LWEtY3Vyc29y")) == {"query.cursor"}
    for limit in (0, 201, "x"):
        assert errors(specialist.get(f"/api/v1/tasks?limit={limit}")) == {"query.limit"}


def test_one_inbox_page_is_one_sql_statement(receive, client_for, token_client, statements):
    for _ in range(5):
        receive()
    for c in (client_for("tanlap.specialist"), token_client("tanlap.specialist")):
        first = inbox(c, limit=2)  # the calendar's override rows are read at most once a minute
        with statements() as log:
            page = inbox(c, limit=4, cursor=first["next_cursor"])
        assert len(page["items"]) == 3
        assert len([s for s in log if "FROM task" in s]) == 1, log
        # everything else is the caller's identity (cookie: 1 statement; Bearer token: 4), never a row's
        others = [s for s in log if "FROM task" not in s]
        assert all(("user_account" in s or "membership" in s or "api_token" in s) for s in others), others


# -- one task, and the actions ------------------------------------------------------------------------------

def test_a_task_shows_its_form_and_outcomes_to_those_who_may_see_it(receive, client_for, client):
    task_id = receive().created[0].id
    response = client_for("tanlap.specialist").get(f"/api/v1/tasks/{task_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["bpmn_id"], body["form_name"]) == (task_id, "examine", "examine.json")
    assert body["outcomes"] == ["approve", "supplement", "refuse"]
    assert body["form"]["type"] == "object" and "outcome" in body["form"]["properties"]
    # the supervisor, and the head and leader who may assign it
    for who in ("tanlap.supervisor", "tanlap.head", "tanlap.leader"):
        assert client_for(who).get(f"/api/v1/tasks/{task_id}").status_code == 200, who
    for who in ("tanlap.clerk", "tanlap.reception"):
        assert client_for(who).get(f"/api/v1/tasks/{task_id}").status_code == 403
    assert client_for("hoabinh.specialist").get(f"/api/v1/tasks/{task_id}").status_code == 404  # as if unknown
    assert client_for("admin").get("/api/v1/tasks/999999").status_code == 404
    assert client.get(f"/api/v1/tasks/{task_id}").status_code == 401


def test_claim_and_unclaim_rules(receive, client_for, client, users):
    task_id = receive().created[0].id
    specialist = client_for("tanlap.specialist")
    claimed = post(specialist, task_id, "claim")
    assert claimed.status_code == 200
    assert (claimed.get_json()["state"], claimed.get_json()["assignee_id"]) == ("claimed", users["tanlap.specialist"].id)
    assert post(specialist, task_id, "claim").status_code == 200  # claiming one's own task again is harmless
    assert post(client_for("admin"), task_id, "claim").status_code == 409
    assert post(client_for("tanlap.leader"), task_id, "claim").status_code == 403
    assert post(client_for("hoabinh.specialist"), task_id, "claim").status_code == 404
    assert post(specialist, 999999, "claim").status_code == 404
    assert post(client, task_id, "claim").status_code == 401
    unclaimed = post(specialist, task_id, "unclaim")
    assert unclaimed.status_code == 200
    assert (unclaimed.get_json()["state"], unclaimed.get_json()["assignee_id"]) == ("ready", None)
    assert post(specialist, task_id, "unclaim").status_code == 409  # nobody's: nothing to give back


def test_a_stranger_cannot_unclaim(receive, client_for):
    task_id = receive().created[0].id
    assert post(client_for("tanlap.specialist"), task_id, "claim").status_code == 200
    assert post(client_for("hoabinh.specialist"), task_id, "unclaim").status_code == 404


def test_assign_is_for_head_and_above_to_a_holder_of_the_role(receive, client_for, users):
    task_id = receive().created[0].id
    head = client_for("tanlap.head")
    specialist_id = users["tanlap.specialist"].id
    assert post(client_for("tanlap.specialist"), task_id, "assign", {"assignee_id": specialist_id}).status_code == 403
    assert post(client_for("hoabinh.head"), task_id, "assign", {"assignee_id": specialist_id}).status_code == 404
    assert errors(post(head, task_id, "assign", {"assignee_id": users["tanlap.leader"].id})) == {"assignee_id"}
    assert errors(post(head, task_id, "assign", {})) == {"assignee_id"}
    assert post(head, 999999, "assign", {"assignee_id": specialist_id}).status_code == 404
    assigned = post(head, task_id, "assign", {"assignee_id": specialist_id})
    assert assigned.status_code == 200
    assert (assigned.get_json()["state"], assigned.get_json()["assignee_id"]) == ("claimed", specialist_id)
    assert ids(client_for("tanlap.specialist"), scope="mine") == [task_id]


def test_complete_with_bad_data_names_each_field_and_changes_nothing(receive, client_for, rt):
    received = receive()
    task_id = received.created[0].id
    specialist = client_for("tanlap.specialist")
    response = post(specialist, task_id, "complete", {"data": {"outcome": "approve"}})
    assert {"business_name", "owner_name", "business_address"} <= errors(response)
    assert response.mimetype == "application/problem+json"
    assert "outcome" in errors(post(specialist, task_id, "complete", {"data": {**HH_APPROVE, "outcome": "maybe"}}))
    assert errors(post(specialist, task_id, "complete", {"data": "approve"})) == {"data"}
    assert errors(post(specialist, task_id, "complete", {})) == {"data"}
    with rt.sessions() as s:
        assert s.get(Dossier, received.dossier.id).version == received.dossier.version
        assert s.get(Task, task_id).state == "ready"
        assert s.scalars(select(AuditEvent.action).where(AuditEvent.dossier_id == received.dossier.id)).all() == [
            "received"]

    done = post(specialist, task_id, "complete", {"data": HH_APPROVE})
    assert done.status_code == 200
    body = done.get_json()
    assert (body["completed"]["id"], body["completed"]["state"]) == (task_id, "completed")
    assert [t["bpmn_id"] for t in body["created"]] == ["sign"]
    assert body["dossier"]["status"] == "processing"
    assert post(specialist, task_id, "complete", {"data": HH_APPROVE}).status_code == 409
    assert post(client_for("hoabinh.leader"), body["created"][0]["id"], "complete",
                {"data": {"outcome": "approve", "signature_kind": "digital"}}).status_code == 404


def test_two_officials_completing_at_once_one_wins_the_other_gets_409(receive, client_for, rt, monkeypatch):
    """The first request loads the dossier and waits; the second completes and commits; the first then loses."""
    received = receive()
    task_id = received.created[0].id
    specialist, admin = client_for("tanlap.specialist"), client_for("admin")
    loaded, other_done = threading.Event(), threading.Event()
    calls = itertools.count()
    run_human_task = runtime.run_human_task

    def paced(workflow, spiff_task_id, data, now):
        if next(calls) == 0:
            loaded.set()
            other_done.wait(10)
        return run_human_task(workflow, spiff_task_id, data, now)

    monkeypatch.setattr(runtime, "run_human_task", paced)
    first = {}
    thread = threading.Thread(target=lambda: first.setdefault("response", post(
        specialist, task_id, "complete", {"data": {**HH_APPROVE, "business_name": "Hộ kinh doanh A"}})))
    thread.start()
    assert loaded.wait(10)
    second = post(admin, task_id, "complete", {"data": {**HH_APPROVE, "business_name": "Hộ kinh doanh B"}})
    other_done.set()
    thread.join(10)
    assert (second.status_code, first["response"].status_code) == (200, 409)
    assert first["response"].get_json()["code"] == "conflict"
    with rt.sessions() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.dossier_id == received.dossier.id,
                                                     AuditEvent.action == "completed")).all()
        assert event.detail["data"]["business_name"] == "Hộ kinh doanh B"
        assert [t.bpmn_id for t in s.scalars(select(Task).where(Task.dossier_id == received.dossier.id,
                                                                Task.state == "ready"))] == ["sign"]


def test_send_back_returns_the_dossier_to_the_previous_step(receive, client_for):
    task_id = receive().created[0].id
    specialist, leader = client_for("tanlap.specialist"), client_for("tanlap.leader")
    assert post(specialist, task_id, "send-back", {"reason": "Không có bước trước"}).status_code == 409
    sign_id = post(specialist, task_id, "complete", {"data": HH_APPROVE}).get_json()["created"][0]["id"]
    assert errors(post(leader, sign_id, "send-back", {"reason": ""})) == {"reason"}
    assert post(client_for("hoabinh.leader"), sign_id, "send-back", {"reason": "Sửa lại"}).status_code == 404
    response = post(leader, sign_id, "send-back", {"reason": "Sửa lại tên hộ kinh doanh"})
    assert response.status_code == 200
    body = response.get_json()
    assert [t["id"] for t in body["cancelled"]] == [sign_id]
    assert [t["bpmn_id"] for t in body["created"]] == ["examine"]
    assert ids(specialist) == [body["created"][0]["id"]]
