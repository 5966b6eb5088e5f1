"""The escalation inbox over HTTP: a dossier walked over its rungs, who sees what, read, acknowledge, reassign."""
from __future__ import annotations

import datetime as dt

import pytest
from support import at, scan

from engine.models import Task

URL = "/api/v1/escalations"


def inbox(client, **params) -> dict:
    response = client.get(URL, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def rungs(client, **params) -> list[int]:
    return [item["rung"] for item in inbox(client, **params)["items"]]


def act(client, escalation_id, action: str, json=None):
    return client.post(f"{URL}/{escalation_id}/{action}", json=json if json is not None else {})


@pytest.fixture
def overdue(rt, session, receive, clock):
    """A dossier left alone until it is overdue: rungs 1 (specialist), 2 (supervisor), 3 and 4 (leader)."""
    received = receive()
    clock.set(at(5, 17, 1))
    scan(rt, session, clock.now())
    return received


def test_each_recipient_sees_the_rungs_addressed_to_them_and_nobody_else_does(overdue, client_for, token_client,
                                                                              client):
    seen = {who: rungs(client_for(who)) for who in ("tanlap.specialist", "tanlap.supervisor", "tanlap.leader",
                                                     "tanlap.head", "hoabinh.supervisor", "hoabinh.leader", "admin")}
    assert seen == {"tanlap.specialist": [1], "tanlap.supervisor": [2], "tanlap.leader": [4, 3], "tanlap.head": [],
                    "hoabinh.supervisor": [], "hoabinh.leader": [], "admin": []}
    [item] = inbox(token_client("tanlap.supervisor"))["items"]  # a Bearer token sees the same inbox
    dossier = overdue.dossier
    assert {k: item[k] for k in ("rung", "rung_name", "rung_label", "dossier", "task", "recipient_role", "is_read",
                                 "read_at", "is_acknowledged", "acknowledged_at", "comment")} == {
        "rung": 2, "rung_name": "step_overdue", "rung_label": "Bước quá hạn",
        "dossier": {"id": dossier.id, "code": dossier.code},
        "task": {"id": overdue.created[0].id, "name": "Thẩm định hồ sơ"}, "recipient_role": "supervisor",
        "is_read": False, "read_at": None, "is_acknowledged": False, "acknowledged_at": None, "comment": None}
    assert item["agency"]["name"] == "UBND xã Tân Lập" and item["agency"]["id"] == dossier.agency_id
    assert dossier.code in item["message"] and "quá hạn" in item["message"]
    assert dt.datetime.fromisoformat(item["created_at"]) == at(5, 17, 1)
    leader = inbox(client_for("tanlap.leader"))["items"]
    assert [(i["rung_label"], i["task"]) for i in leader] == [
        ("Hồ sơ quá hạn", None), ("Hồ sơ sắp trễ hạn — cần thư xin lỗi", None)]
    assert inbox(client_for("tanlap.specialist"))["items"][0]["rung_label"] == "Cảnh báo sắp trễ hạn"
    assert client.get(URL).status_code == 401


def test_filters_and_pages(rt, session, receive, client_for, clock):
    for name in ("An", "Bình", "Cường"):
        receive(applicant_name=name)
    clock.set(at(5, 17, 1))
    scan(rt, session, clock.now())
    leader = client_for("tanlap.leader")
    first = inbox(leader, limit=4)
    assert len(first["items"]) == 4 and first["next_before_id"] == first["items"][-1]["id"]
    second = inbox(leader, limit=4, before_id=first["next_before_id"])
    assert len(second["items"]) == 2 and second["next_before_id"] is None
    items = first["items"] + second["items"]
    every = [i["id"] for i in items]
    assert every == sorted(every, reverse=True) and len(set(every)) == 6
    assert rungs(leader, rung=3) == [3, 3, 3]

    newest, other = every[0], every[1]
    assert act(leader, newest, "read").status_code == 200
    assert other in [i["id"] for i in inbox(leader, unread="true")["items"]]
    assert newest not in [i["id"] for i in inbox(leader, unread="true")["items"]]
    assert leader.post(f"{URL}/{other}/acknowledge").status_code == 200  # no body: no comment
    assert len(inbox(leader, open="true")["items"]) == 5 and len(inbox(leader, unread="true")["items"]) == 4
    assert [i["id"] for i in inbox(leader, open="true", unread="true", rung=3)["items"]] == [
        i["id"] for i in items if i["rung"] == 3 and i["id"] not in (newest, other)]

    for bad in ({"rung": 5}, {"before_id": "x"}, {"limit": 0}, {"unread": "perhaps"}):
        response = leader.get(URL, query_string=bad)
        assert response.status_code == 422, bad
        assert set(response.get_json()["errors"]) == {f"query.{next(iter(bad))}"}


def test_reading_acknowledging_and_reassigning(rt, session, receive, client_for, users, clock, client):
    received = receive()
    clock.set(at(3, 14, 31))  # the examination step is overdue: rung 1 to the specialists, 2 to the supervisors
    scan(rt, session, clock.now())
    supervisor, specialist = client_for("tanlap.supervisor"), client_for("tanlap.specialist")
    [step_overdue] = inbox(supervisor)["items"]
    [at_risk] = inbox(specialist)["items"]

    read = act(supervisor, step_overdue["id"], "read")
    assert read.status_code == 200 and read.get_json()["is_read"] is True
    clock.set(at(3, 15))
    again = act(supervisor, step_overdue["id"], "read").get_json()
    assert dt.datetime.fromisoformat(again["read_at"]) == at(3, 14, 31)  # the first reader's time stays

    # only the recipients act: to another agency, another role, an admin it is as if unknown (404); anonymous 401
    for who in ("hoabinh.supervisor", "tanlap.specialist", "tanlap.leader", "admin"):
        for action in ("read", "acknowledge"):
            response = act(client_for(who), step_overdue["id"], action)
            assert response.status_code == 404, (who, action)
            assert response.mimetype == "application/problem+json"
    assert act(supervisor, 2_000_000_000, "read").status_code == 404
    assert act(client, step_overdue["id"], "read").status_code == 401
    assert act(supervisor, at_risk["id"], "acknowledge").status_code == 404

    # the specialist may not hand a step over; the supervisor hands it to someone holding its role
    assert act(specialist, at_risk["id"], "reassign", {"assignee_id": users["tanlap.specialist"].id}).status_code == 403
    wrong_role = act(supervisor, step_overdue["id"], "reassign", {"assignee_id": users["tanlap.head"].id})
    assert wrong_role.status_code == 422 and set(wrong_role.get_json()["errors"]) == {"assignee_id"}
    assert act(supervisor, step_overdue["id"], "reassign", {}).status_code == 422
    moved = act(supervisor, step_overdue["id"], "reassign", {"assignee_id": users["tanlap.specialist"].id,
                                                             "comment": "Anh Bình xử lý ngay chiều nay"})
    assert moved.status_code == 200, moved.get_json()
    body = moved.get_json()
    assert body["task"]["id"] == received.created[0].id
    assert (body["task"]["assignee_id"], body["task"]["state"]) == (users["tanlap.specialist"].id, "claimed")
    assert body["escalation"]["is_acknowledged"] is True
    assert body["escalation"]["comment"] == "Anh Bình xử lý ngay chiều nay"
    session.expire_all()
    assert session.get(Task, received.created[0].id).assignee_id == users["tanlap.specialist"].id
    assert inbox(supervisor, open="true")["items"] == []

    # the specialist acknowledges their warning; an empty comment is refused
    assert act(specialist, at_risk["id"], "acknowledge", {"comment": "   "}).status_code == 422
    done = act(specialist, at_risk["id"], "acknowledge", {"comment": "Đang xử lý"})
    assert done.status_code == 200 and done.get_json()["comment"] == "Đang xử lý"
    assert dt.datetime.fromisoformat(done.get_json()["acknowledged_at"]) == at(3, 15)


def test_a_dossier_rung_has_no_step_to_reassign(rt, session, receive, client_for, users, clock):
    receive()
    clock.set(at(4, 17))  # the dossier's last working day: rung 3 to the leaders
    scan(rt, session, clock.now())
    leader = client_for("tanlap.leader")
    [item] = inbox(leader)["items"]
    response = act(leader, item["id"], "reassign", {"assignee_id": users["tanlap.specialist"].id})
    assert response.status_code == 422 and "not about a step" in str(response.get_json()["errors"])
    assert inbox(leader, open="true")["items"] == [item]  # nothing was acknowledged
