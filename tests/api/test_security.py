"""Cross-site requests, security headers, the session cookie's flags, the Bearer scheme (issue 10, part 6)."""
from __future__ import annotations

import dataclasses

from flask import request
from support import PASSWORD

from api import create_app
from engine.models import Task
from engine.runtime import Runtime

EVIL = "http://evil.example"


def test_a_cross_site_form_cannot_claim_unclaim_or_log_out_with_the_cookie(rt, client_for, receive):
    task_id = receive().created[0].id
    head = client_for("tanlap.specialist")
    for path in (f"/api/v1/tasks/{task_id}/claim", f"/api/v1/tasks/{task_id}/unclaim", "/api/v1/auth/logout"):
        response = head.post(path, data={"x": "1"}, headers={"Origin": EVIL})
        assert response.status_code == 403, (path, response.status_code)
        assert response.get_json()["code"] == "cross_origin"
    with rt.sessions() as s:
        assert s.get(Task, task_id).assignee_id is None
    assert head.get("/api/v1/auth/me").status_code == 200  # still logged in
    refer = head.post(f"/api/v1/tasks/{task_id}/claim", headers={"Referer": f"{EVIL}/page"})
    assert refer.status_code == 403
    assert head.post(f"/api/v1/tasks/{task_id}/claim", headers={"Origin": "null"}).status_code == 403


def test_the_same_origin_or_no_origin_passes(rt, client_for, receive):
    task_id = receive().created[0].id
    head = client_for("tanlap.specialist")
    assert head.post(f"/api/v1/tasks/{task_id}/claim", headers={"Origin": "http://localhost"}).status_code == 200
    assert head.post(f"/api/v1/tasks/{task_id}/unclaim",
                     headers={"Referer": "http://localhost/api/v1/docs"}).status_code == 200
    assert head.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200  # a script sends no Origin


def test_a_bearer_token_is_not_subject_to_the_origin_check(client, bearer, receive):
    task_id = receive().created[0].id
    headers = {**bearer("tanlap.specialist"), "Origin": EVIL}
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=headers).status_code == 200


def test_the_bearer_scheme_is_case_insensitive(client, bearer):
    token = bearer("tanlap.specialist")["Authorization"].split()[1]
    for scheme in ("bearer", "BEARER", "Bearer"):
        response = client.get("/api/v1/auth/me", headers={"Authorization": f"{scheme} {token}"})
        assert response.status_code == 200, scheme


def test_every_answer_carries_the_security_headers(client, client_for):
    head = client_for("tanlap.specialist")
    answers = [client.get("/api/v1/procedures"), client.get("/api/v1/tasks"), client.get("/api/v1/nowhere"),
               client.get("/api/v1/docs"), client.get("/api/v1/openapi.json"),
               client.get("/static/docs-init.js"), head.get("/api/v1/tracking-book?from=2026-01-01&to=2026-01-31"),
               client.post("/api/v1/auth/login", data="[" * 100, content_type="application/json")]
    for response in answers:
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self';")
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_the_docs_page_has_no_inline_script(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "<script>" not in page and "docs-init.js" in page


def test_the_session_cookie_is_secure_by_default(rt, client):
    secure = Runtime(settings=dataclasses.replace(rt.settings, secure_cookies=True), sessions=rt.sessions,
                     clock=rt.clock)
    for app, flagged in ((create_app(runtime=secure), True), (client.application, False)):
        response = app.test_client().post("/api/v1/auth/login",
                                          json={"username": "tanlap.specialist", "password": "x" * 12})
        assert response.status_code == 401
        ok = app.test_client().post("/api/v1/auth/login", json={"username": "tanlap.specialist",
                                                                "password": PASSWORD})
        cookie = ok.headers["Set-Cookie"]
        assert ("; Secure" in cookie) is flagged
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_demo_turns_secure_cookies_off_only_for_itself():
    from config import load_settings

    assert load_settings(environ={}).secure_cookies is True
    assert load_settings(environ={"MOTCUA_SERVER_SECURE_COOKIES": "false"}).secure_cookies is False


def test_trusted_proxies_give_the_clients_address(rt):
    proxied = Runtime(settings=dataclasses.replace(rt.settings, trusted_proxies=1), sessions=rt.sessions,
                      clock=rt.clock)
    app = create_app(runtime=proxied)
    seen = []
    app.before_request(lambda: seen.append(request.remote_addr) and None)
    app.test_client().get("/api/v1/procedures", headers={"X-Forwarded-For": "203.0.113.7"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    plain = create_app(runtime=rt)
    plain.before_request(lambda: seen.append(request.remote_addr) and None)
    plain.test_client().get("/api/v1/procedures", headers={"X-Forwarded-For": "203.0.113.7"},
                            environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen == ["203.0.113.7", "10.0.0.1"]
