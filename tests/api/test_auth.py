"""Logging in and out, /me, and personal API tokens: created, listed, used, revoked."""
from __future__ import annotations

import datetime as dt

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


def test_logout_ends_the_session(app, client, login):
    login(client, "tanlap.specialist")
    copied = client.get_cookie("session").value
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401
    thief = app.test_client()
    thief.set_cookie("session", copied)  # a copy taken before the logout is dead too
    assert thief.get("/api/v1/auth/me").status_code == 401


def test_an_idle_session_ends(rt, client, login, clock):
    import dataclasses
    import datetime as dt

    rt.settings = dataclasses.replace(rt.settings, session_idle_hours=12)  # the default
    login(client, "tanlap.specialist")
    clock.set(clock.now() + dt.timedelta(hours=11))
    assert client.get("/api/v1/auth/me").status_code == 200  # still at the desk
    clock.set(clock.now() + dt.timedelta(hours=11))
    assert client.get("/api/v1/auth/me").status_code == 200  # each use keeps it open
    clock.set(clock.now() + dt.timedelta(hours=13))
    assert client.get("/api/v1/auth/me").status_code == 401


def _try(client, username, password):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_failed_logins_are_throttled_per_account(client, app, clock):
    answers = [_try(client, "tanlap.head", f"guess-{i}") for i in range(11)]
    assert [a.status_code for a in answers] == [401] * 10 + [429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    right = _try(client, "tanlap.head", PASSWORD)
    assert right.status_code == 429  # while throttled even the right password is not tried: no oracle
    assert client.get("/api/v1/auth/me").status_code == 401
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.9.9"  # another address: the same account
    assert _try(other, "TanLap.Head ", PASSWORD).status_code == 429
    clock.set(clock.now() + dt.timedelta(seconds=61))  # one more try a minute
    assert _try(client, "tanlap.head", PASSWORD).status_code == 200


def test_a_strangers_failures_do_not_lock_out_an_office_behind_one_address(client):
    for i in range(10):
        assert _try(client, "no.such.user", f"guess-{i}").status_code == 401
    assert _try(client, "no.such.user", "guess").status_code == 429
    assert _try(client, "tanlap.leader", PASSWORD).status_code == 200  # same address, another account


def test_one_address_spraying_many_accounts_is_throttled_at_a_higher_limit(client):
    answers = [_try(client, f"user{i}", "guess").status_code for i in range(101)]
    assert answers == [401] * 100 + [429]
    assert _try(client, "tanlap.leader", PASSWORD).status_code == 429


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


def test_revoking_someone_elses_token_is_404_like_an_unknown_one(client_for, bearer):
    bearer("tanlap.specialist", name="mine")
    owner = client_for("tanlap.specialist")
    token_id = owner.get("/api/v1/auth/tokens").get_json()[0]["id"]
    other = client_for("hoabinh.specialist")
    assert other.delete(f"/api/v1/auth/tokens/{token_id}").status_code == 404  # not 403: that would tell the id exists
    assert other.delete("/api/v1/auth/tokens/999999").status_code == 404
    assert owner.get("/api/v1/auth/tokens").get_json()[0]["revoked_at"] is None


def _cookie_signed_with(key: str, payload: dict) -> str:
    from flask import Flask

    forger = Flask("forger")
    forger.secret_key = key
    return forger.session_interface.get_signing_serializer(forger).dumps(payload)


def test_a_cookie_signed_with_the_once_published_key_is_refused(app, client, login):
    login(client, "admin")
    genuine = client.get_cookie("session").value
    token = client.application.session_interface.get_signing_serializer(client.application).loads(genuine)
    assert client.get("/api/v1/auth/me").status_code == 200
    client.set_cookie("session", _cookie_signed_with("change-me-in-production", token))
    assert client.get("/api/v1/auth/me").status_code == 401  # the right content, signed with the old key


def test_a_published_or_short_key_is_refused_at_start():
    import pytest

    from api import session_key
    from config import SettingsError, load_settings

    for key in ("change-me-in-production", "short"):
        with pytest.raises(SettingsError, match="server.secret_key"):
            session_key(load_settings({"server": {"secret_key": key}}))


def test_without_a_key_one_is_made_once_private_and_shared(tmp_path):
    import stat

    from api import session_key
    from config import load_settings

    key_file = tmp_path / "var" / "secret_key"
    settings = load_settings({"server": {"secret_key": "", "secret_key_file": str(key_file)}}, environ={})
    first, second = session_key(settings), session_key(settings)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 48 and first == second == key_file.read_text()
    assert list(key_file.parent.iterdir()) == [key_file]  # no draft left behind


def test_ended_sessions_are_purged_and_open_ones_kept(rt, app, client, login, clock, session):
    import dataclasses
    import datetime as dt

    from sqlalchemy import func, select

    from engine import jobs
    from engine.models import ApiToken

    rt.settings = dataclasses.replace(rt.settings, session_idle_hours=12)
    logged_out, idle, working = app.test_client(), app.test_client(), app.test_client()
    for c in (logged_out, idle, working):
        login(c, "tanlap.specialist")
    logged_out.post("/api/v1/auth/logout")
    clock.set(clock.now() + dt.timedelta(hours=11))
    assert working.get("/api/v1/auth/me").status_code == 200
    clock.set(clock.now() + dt.timedelta(hours=2))  # 13 h after the idle one's login, 2 h after working's use
    assert jobs.purge_sessions(rt, clock.now()) == 2
    assert session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.kind == "session")) == 1
    assert working.get("/api/v1/auth/me").status_code == 200


def test_a_token_expires_by_default_after_the_configured_lifetime(app, client, login, clock):
    login(client, "tanlap.specialist")
    created = client.post("/api/v1/auth/tokens", json={"name": "script"}).get_json()
    expires = dt.datetime.fromisoformat(created["expires_at"])
    assert expires - clock.now() == dt.timedelta(days=90)
    script = app.test_client(use_cookies=False)
    auth = {"Authorization": f"Bearer {created['token']}"}
    clock.set(expires - dt.timedelta(seconds=1))
    assert script.get("/api/v1/auth/me", headers=auth).status_code == 200
    clock.set(expires)
    assert script.get("/api/v1/auth/me", headers=auth).status_code == 401


def test_a_token_lifetime_is_bounded_by_the_maximum(client, login):
    login(client, "tanlap.specialist")
    ok = client.post("/api/v1/auth/tokens", json={"name": "year", "expires_in_days": 365})
    assert ok.status_code == 201
    too_long = client.post("/api/v1/auth/tokens", json={"name": "forever", "expires_in_days": 366})
    assert too_long.status_code == 422 and "expires_in_days" in too_long.get_json()["errors"]


def test_a_token_cannot_mint_tokens(client, bearer, rt):
    from sqlalchemy import func, select

    from engine.models import ApiToken

    auth = bearer("tanlap.specialist")
    with rt.sessions() as s:
        before = s.scalar(select(func.count()).select_from(ApiToken))
    response = client.post("/api/v1/auth/tokens", json={"name": "child"}, headers=auth)
    assert response.status_code == 403
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == before
