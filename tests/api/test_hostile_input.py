"""Hostile input answers 4xx naming the field, and nothing is stored (issue 10, part 4).

A lone surrogate is text no encoder writes (UTF-8, the drivers, the serializer); nesting 600 levels deep
exhausted the recursion of the code walking the body; ids and dates at the ends of their types overflowed
the database or the datetime arithmetic. Each was a 500.
"""
from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select

from engine.models import ApiToken, AuditEvent, Dossier

SURROGATE = "\ud800"


def _json(client, method: str, url: str, payload) -> object:
    # json.dumps writes a lone surrogate as the escape \ud800, as a hostile client would send it
    return client.open(url, method=method, data=json.dumps(payload), content_type="application/json")


def _counts(rt) -> tuple[int, int, int]:
    with rt.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Dossier, AuditEvent, ApiToken))


def _assert_refused(response, field: str | None = None):
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["status"] == response.status_code
    if field is not None:
        assert any(field in name for name in body.get("errors", {})), body


def test_a_surrogate_in_the_login_password_is_422_naming_it(client):
    _assert_refused(_json(client, "POST", "/api/v1/auth/login", {"username": "admin", "password": SURROGATE}),
                    "password")


def test_surrogates_anywhere_are_refused_before_any_view(rt, client_for, receive):
    received = receive()
    task_id, code = received.created[0].id, received.dossier.code
    head, reception = client_for("tanlap.head"), client_for("tanlap.reception")
    before = _counts(rt)
    applicant = {"name": "Nguyễn " + SURROGATE, "phone": "0912345678"}
    desk = {"procedure": "household-business", "agency_id": received.dossier.agency_id, "channel": "counter"}
    cases = [
        (reception, "POST", "/api/v1/dossiers", {**desk, "applicant": applicant}, "applicant.name"),
        (reception, "POST", "/api/v1/dossiers", {**desk, "applicant": {"name": "A", "phone": "0912345678"},
                                                 "data": {"note": SURROGATE}}, "data.note"),
        (reception, "POST", "/api/v1/dossiers", {**desk, "applicant": {"name": "A", "phone": "0912345678"},
                                                 "data": {SURROGATE: 1}}, "data"),
        (reception, "POST", f"/api/v1/dossiers/{received.dossier.id}/withdraw", {"reason": SURROGATE}, "reason"),
        (head, "POST", f"/api/v1/tasks/{task_id}/complete", {"data": {"x": SURROGATE}}, "data.x"),
        (head, "POST", "/api/v1/auth/tokens", {"name": SURROGATE}, "name"),
        (head, "POST", f"/api/v1/public/dossiers/{code}/rating",
         {"secret": SURROGATE, "score": 5, "comment": SURROGATE}, "secret"),
    ]
    for client, method, url, payload, field in cases:
        _assert_refused(_json(client, method, url, payload), field)
    assert _counts(rt) == before


def test_undecodable_bytes_in_the_query_or_path_are_no_server_error(client_for):
    head = client_for("tanlap.head")
    # werkzeug decodes them to U+FFFD: an ordinary (unmatched) text, never a surrogate
    assert head.get("/api/v1/tasks?q=%ED%A0%80").status_code == 200
    assert head.get("/api/v1/procedures/%ED%A0%80").status_code == 404
    assert head.get("/api/v1/tasks?q=%00").status_code == 422


@pytest.mark.parametrize("depth", [40, 600, 100_000])
def test_deep_json_is_400_without_logging_in(client, depth):
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    _assert_refused(response)
    assert "nest" in response.get_json()["detail"]


def test_a_body_nested_within_the_limit_still_reaches_the_view(client):
    payload = {"username": "admin", "password": "wrong-password", "x": [[[[1]]]]}
    assert _json(client, "POST", "/api/v1/auth/login", payload).status_code in (401, 422)


def _cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("query", [
    {"cursor": _cursor("due_at", "2026-03-02T00:00:00+00:00", 2**63, 0)},
    {"cursor": _cursor("due_at", "2026-03-02T00:00:00+00:00", 2**31, 0)},
    {"cursor": _cursor("due_at", "2026-03-02T00:00:00+00:00", -(2**63) - 1, 0)},
    {"cursor": _cursor("due_at", "0001-01-01T00:00:00+23:59", 1, 0)},
    {"cursor": _cursor("due_at", "9999-12-31T23:59:59-23:59", 1, 0)},
    {"due_after": "9999-12-31T23:59:59-12:00"},
    {"due_before": "0001-01-01T00:00:00+14:00"},
])
def test_extreme_cursors_and_instants_in_the_inbox_are_422(client_for, query):
    _assert_refused(client_for("tanlap.head").get("/api/v1/tasks", query_string=query))


@pytest.mark.parametrize("query", [
    {"cursor": _cursor("2026-03-02T00:00:00+00:00", 2**63)},
    {"cursor": _cursor("0001-01-01T00:00:00+23:59", 1)},
])
def test_extreme_cursors_in_the_supervision_view_are_422(client_for, query):
    _assert_refused(client_for("tanlap.head").get("/api/v1/supervision/dossiers", query_string=query))


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("url", ["/api/v1/tracking-book", "/api/v1/supervision/report",
                                 "/api/v1/supervision/letters"])
def test_extreme_days_are_422(client_for, url, day):
    _assert_refused(client_for("tanlap.head").get(url, query_string={"from": day, "to": day}))


def test_a_30_mb_body_is_413_before_it_is_read(client):
    response = client.post("/api/v1/auth/login", data=b"x" * (30 * 2**20), content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_reception_data_is_bounded_like_a_scripts_data(rt, client_for, receive):
    agency_id = receive().dossier.agency_id
    reception = client_for("tanlap.reception")
    before = _counts(rt)
    payload = {"procedure": "household-business", "agency_id": agency_id, "channel": "counter",
               "applicant": {"name": "Trần Văn An", "phone": "0912345678"},
               "data": {f"f{i}": "x" * 1000 for i in range(150)}}
    response = reception.post("/api/v1/dossiers", json=payload)
    assert response.status_code == 422, response.get_json()
    assert "too large" in response.get_json()["errors"]["data"][0]
    assert _counts(rt) == before


def test_a_body_without_a_length_is_cut_at_the_limit_too(client):
    import io

    body = io.BytesIO(b'{"username": "admin", "password": "' + b"x" * (2 * 2**20) + b'"}')
    response = client.post("/api/v1/auth/login", input_stream=body, content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413, response.get_json()
    small = io.BytesIO(b'{"username": "admin", "password": "wrong-password"}')
    response = client.post("/api/v1/auth/login", input_stream=small, content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 401
