"""Logging in and out, /me, and personal API tokens: created, listed, used, revoked."""
from __future__ import annotations

from support import PASSWORD


def test_login_opens_a_session_and_me_shows_the_roles(client, login):
    me = login(client, "tanlap.head")
    assert me["username"] == "tanlap.head" and not me["is_admin"]
    assert [m["role"] for m in me["memberships"]] == ["head"]
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 200
    assert response.get_json() == me


def test_wrong_password_or_unknown_user_is_401_problem(client):
    for username, password in (("tanlap.head", "wrong-password"), ("nobody", PASSWORD)):
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"] == "wrong username or password"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_login_payload_errors_name_the_fields(client):
    response = client.post("/api/v1/auth/login", json={"username": ""})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"username", "password"}


def test_logout_ends_the_session(client, login):
    login(client, "tanlap.specialist")
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_anonymous_is_401_on_protected_endpoints(client):
    for url in ("/api/v1/auth/me", "/api/v1/auth/tokens", "/api/v1/tasks", "/api/v1/tasks/1",
                "/api/v1/calendar/due?start=2026-03-02T09:00:00%2B07:00&duration=P1D"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.mimetype == "application/problem+json"


def test_creating_a_token_shows_it_once(client, login):
    login(client, "tanlap.specialist")
    created = client.post("/api/v1/auth/tokens", json={"name": "script"})
    assert created.status_code == 201
    assert created.get_json()["token"].startswith("mc_")
    assert "token" not in client.get("/api/v1/auth/tokens").get_json()[0]


def test_token_listed_used_and_revoked(app, client, login, bearer):
    auth = bearer("tanlap.specialist", name="script")
    login(client, "tanlap.specialist")
    listed = client.get("/api/v1/auth/tokens").get_json()
    assert [(t["name"], t["revoked_at"]) for t in listed] == [("script", None)]
    assert "token" not in listed[0]  # shown once, at creation

    script = app.test_client(use_cookies=False)
    me = script.get("/api/v1/auth/me", headers=auth)
    assert (me.status_code, me.get_json()["username"]) == (200, "tanlap.specialist")

    revoked = client.delete(f"/api/v1/auth/tokens/{listed[0]['id']}")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    response = script.get("/api/v1/auth/me", headers=auth)
    assert response.status_code == 401
    assert response.get_json()["detail"] == "the Bearer token is invalid or revoked"


def test_a_made_up_bearer_token_is_401_even_with_a_session(client, login):
    login(client, "tanlap.specialist")
    for header in ("Bearer mc_made-up", "Bearer not-even-prefixed"):
        assert client.get("/api/v1/auth/me", headers={"Authorization": header}).status_code == 401


def test_token_client_and_bearer_helpers(token_client, bearer, client):
    assert token_client("tanlap.leader").get("/api/v1/auth/me").get_json()["username"] == "tanlap.leader"
    assert client.get("/api/v1/auth/me", headers=bearer("admin")).get_json()["is_admin"] is True


def test_revoking_someone_elses_token_is_403_and_an_unknown_one_404(client_for, bearer):
    bearer("tanlap.specialist", name="mine")
    owner = client_for("tanlap.specialist")
    token_id = owner.get("/api/v1/auth/tokens").get_json()[0]["id"]
    other = client_for("hoabinh.specialist")
    assert other.delete(f"/api/v1/auth/tokens/{token_id}").status_code == 403
    assert other.delete("/api/v1/auth/tokens/999999").status_code == 404
    assert owner.get("/api/v1/auth/tokens").get_json()[0]["revoked_at"] is None
