"""The administration API (/api/v1/admin): the contract, agency administrators' reach, the last
administrator, bad input, and a deactivated official stopped at once over real HTTP (a served app)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from support import PASSWORD, keep_organisation, serving
from test_server import Client

from engine.admin import officials
from engine.models import Agency, User

V1 = "/api/v1"


@pytest.fixture(autouse=True)
def _organisation(rt):
    with keep_organisation(rt):
        yield


def _agency(rt, code: str) -> int:
    with rt.sessions() as s:
        return s.scalars(select(Agency.id).where(Agency.code == code)).one()


def _grant(rt, username: str, code: str, role: str) -> None:
    with rt.sessions() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        admin = s.scalars(select(User).where(User.username == "admin")).one()
        officials.grant_role(s, user.id, _agency(rt, code), role, actor=admin, now=rt.clock.now())
        s.commit()


def test_the_contract_endpoints(client_for, client):
    admin = client_for("admin")
    tree = admin.get(f"{V1}/admin/agencies").get_json()
    assert [a["code"] for a in tree][0] == "000.00.00.H26" and {a["depth"] for a in tree} == {0, 1}
    tanlap = next(a["id"] for a in tree if a["code"] == "000.01.31.H26")
    made = admin.post(f"{V1}/admin/officials", json={"username": "tanlap.reception2", "full_name": "Nguyễn Văn Hai",
                                                      "roles": [{"agency_id": tanlap, "role": "reception"}]})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["official"]["roles"] == [{"agency_id": tanlap, "role": "reception"}]
    assert body["official"]["must_change_password"] and len(body["temporary_password"]) >= 10
    assert client.get(f"{V1}/admin/agencies").status_code == 401
    assert client_for("tanlap.leader").post(f"{V1}/admin/officials", json={
        "username": "x.y", "full_name": "X", "roles": []}).status_code == 403


def test_the_tree_as_of_a_day(client_for):
    admin = client_for("admin")
    province = admin.get(f"{V1}/admin/agencies").get_json()[0]["id"]
    ended = admin.post(f"{V1}/admin/agencies", json={"code": "000.40.31.H26", "name": "UBND huyện Cũ",
                                                     "level": "district", "kind": "district", "parent_id": province,
                                                     "valid_until": "2025-06-30"})
    assert ended.status_code == 201, ended.get_json()
    codes = lambda day: {a["code"] for a in admin.get(f"{V1}/admin/agencies?as_of={day}").get_json()}  # noqa: E731
    assert "000.40.31.H26" in codes("2025-06-30") and "000.40.31.H26" not in codes("2025-07-01")
    assert admin.get(f"{V1}/admin/agencies?as_of=30/06/2025").status_code == 422


def test_bad_input_names_the_field_and_changes_nothing(client_for):
    admin = client_for("admin")
    before = admin.get(f"{V1}/admin/officials").get_json()
    bad = admin.post(f"{V1}/admin/officials", json={"username": "A B", "full_name": "", "email": "x",
                                                     "roles": [{"agency_id": 999999, "role": "reception"}]})
    assert bad.status_code == 422 and {"username", "full_name", "email"} <= set(bad.get_json()["errors"])
    unknown = admin.post(f"{V1}/admin/agencies", json={"code": "X", "name": "X", "level": "commune",
                                                       "kind": "commune", "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.get_json()["errors"]
    day = admin.put(f"{V1}/admin/calendar/days/2027-13-01", json={"is_working": True, "name": "x"})
    assert day.status_code == 422 and "day" in day.get_json()["errors"]
    assert admin.get(f"{V1}/admin/officials").get_json() == before


def test_an_agency_administrator_grants_only_in_their_agencies(rt, client_for, users):
    _grant(rt, "tanlap.head", "000.01.31.H26", "admin")
    head = client_for("tanlap.head")
    assert [a["code"] for a in head.get(f"{V1}/admin/agencies").get_json()] == ["000.01.31.H26"]
    clerk = users["tanlap.clerk"].id
    hoabinh = _agency(rt, "000.02.31.H26")
    refused = head.post(f"{V1}/admin/officials/{clerk}/roles", json={"agency_id": hoabinh, "role": "leader"})
    assert refused.status_code == 403
    assert head.get(f"{V1}/admin/officials/{clerk}").get_json()["roles"] == [
        {"agency_id": _agency(rt, "000.01.31.H26"), "role": "clerk"}]
    assert head.post(f"{V1}/admin/officials/{users['hoabinh.clerk'].id}/deactivate").status_code == 404
    assert head.put(f"{V1}/admin/calendar/days/2027-05-03", json={"is_working": False, "name": "x"}).status_code == 403
    assert head.post(f"{V1}/admin/officials/{users['tanlap.head'].id}/deactivate").status_code == 403


def test_the_last_administrator_cannot_be_locked_out(client_for, users):
    admin = client_for("admin")
    me = users["admin"].id
    assert admin.post(f"{V1}/admin/officials/{me}/deactivate").status_code == 403
    answer = admin.patch(f"{V1}/admin/officials/{me}", json={"is_admin": False})
    assert answer.status_code == 409 and "last active system administrator" in answer.get_json()["detail"]
    assert admin.get(f"{V1}/admin/officials/{me}").get_json()["is_admin"]


def test_a_deactivated_officials_session_and_token_stop_at_once_over_http(app, receive, users):
    task_id = receive().created[0].id
    with serving(app) as base:
        specialist = Client(base)
        specialist.ok("POST", f"{V1}/auth/login", {"username": "tanlap.specialist", "password": PASSWORD})
        token = specialist.ok("POST", f"{V1}/auth/tokens", {"name": "script"}, expect=201)["token"]
        specialist.ok("POST", f"{V1}/tasks/{task_id}/claim")
        script = Client(base)
        script.opener.addheaders = [("Authorization", f"Bearer {token}")]
        assert script.ok("GET", f"{V1}/auth/me")["username"] == "tanlap.specialist"

        admin = Client(base)
        admin.ok("POST", f"{V1}/auth/login", {"username": "admin", "password": PASSWORD})
        done = admin.ok("POST", f"{V1}/admin/officials/{users['tanlap.specialist'].id}/deactivate")
        assert done["tasks_returned"] == 1 and done["credentials_revoked"] == 2

        assert specialist.call("GET", f"{V1}/auth/me")[0] == 401
        assert specialist.call("GET", f"{V1}/tasks")[0] == 401
        assert script.call("GET", f"{V1}/auth/me")[0] == 401
        assert Client(base).call("POST", f"{V1}/auth/login", {"username": "tanlap.specialist",
                                                              "password": PASSWORD})[0] == 401
        task = admin.ok("GET", f"{V1}/tasks/{task_id}")
        assert task["assignee"] is None and task["state"] == "ready"
        # back with a temporary password: the old session and token stay dead
        temporary = admin.ok("POST", f"{V1}/admin/officials/{users['tanlap.specialist'].id}/reactivate")[
            "temporary_password"]
        assert specialist.call("GET", f"{V1}/auth/me")[0] == 401 and script.call("GET", f"{V1}/auth/me")[0] == 401
        again = Client(base)
        again.ok("POST", f"{V1}/auth/login", {"username": "tanlap.specialist", "password": temporary})
        status, problem, _ = again.call("GET", f"{V1}/tasks")
        assert status == 403 and "temporary password" in problem["detail"]
        again.ok("POST", f"{V1}/auth/password", {"current_password": temporary, "new_password": "a-better-one-1"},
                 expect=204)
        again.ok("GET", f"{V1}/tasks")


def test_every_action_is_in_the_administration_log(client_for, users):
    admin = client_for("admin")
    made = admin.post(f"{V1}/admin/officials", json={"username": "log.one", "full_name": "Nhật Ký"}).get_json()
    user_id = made["official"]["id"]
    admin.post(f"{V1}/admin/officials/{user_id}/reset-password")
    admin.post(f"{V1}/admin/officials/{user_id}/deactivate")
    admin.put(f"{V1}/admin/calendar/days/2027-05-03", json={"is_working": False, "name": "Nghỉ bù"})
    log = admin.get(f"{V1}/admin/audit").get_json()
    assert [e["action"] for e in log[:4]] == ["admin.day_set", "admin.official_deactivated", "admin.password_reset",
                                              "admin.official_created"]
    assert {e["actor"] for e in log[:4]} == {"admin"}
    assert made["temporary_password"] not in str(log)
