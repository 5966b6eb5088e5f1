"""Every route of the URL map under hostile input: no answer is a server error (issue 10, part 4).

Hypothesis draws, for each route and method, path parameters, a query string and a JSON body from
strategies made of what used to crash the server: lone surrogates and NUL in text (keys too), JSON nested
far deeper than allowed, integers at the ends of 32 and 64 bits, instants and days at years 1 and 9999,
cursors holding such ids and instants, mixed with real ids and valid values so that calls also reach the
engine. Callers: anonymous, an official logged in by the session cookie, an admin with a Bearer token.
With TESTING on, an exception in a view is raised here instead of becoming a 500, and counts as one.
Bounded: EXAMPLES derandomized examples per route and method (about 9 s per database on this machine).
"""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from support import PASSWORD

from engine.models import ApiToken

EXAMPLES = 12
QUERY_NAMES = ("from", "to", "cursor", "due_after", "due_before", "agency_id", "limit", "page", "page_size",
               "q", "secret", "start", "duration", "calendar_days", "same_day", "status", "sort", "scope",
               "risk", "format", "rung", "before_id", "by", "procedure")
BODY_NAMES = ("username", "password", "name", "secret", "score", "comment", "reason", "data", "applicant",
              "procedure", "agency_id", "channel", "assignee_id", "outcome", "criteria", "documents",
              "missing_documents", "new_appointment_at", "duration", "clock_started_at", "expires_in_days")
HOSTILE_TEXT = ["\ud800", "a\udfffb", "\x00", "Nguyễn\ud83d", "", " ", "x" * 5000, "=cmd|' /C calc'!A0"]
EXTREME_INTS = [0, -1, 1, 2, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**100]
EXTREME_WHEN = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+23:59", "9999-12-31", "0001-01-01",
                "2026-03-02T09:00:00+07:00", "2026-03-02", "P99999999D", "PT1H"]


def _cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


CURSORS = [_cursor("due_at", "2026-03-02T00:00:00+00:00", 2**63, 0), _cursor("due_at", "0001-01-01T00:00:00+23:59", 1, 0),
           _cursor("9999-12-31T23:59:59-23:59", 2**31), _cursor("2026-03-02T00:00:00+00:00", -1)]

text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=20),
                 st.sampled_from(EXTREME_WHEN + CURSORS))
integers = st.one_of(st.sampled_from(EXTREME_INTS), st.integers())
scalars = st.one_of(text, integers, st.booleans(), st.none(), st.floats(allow_nan=True))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(st.sampled_from(BODY_NAMES), text), inner, max_size=3)),
    max_leaves=12)


@st.composite
def deep(draw):
    depth = draw(st.sampled_from([33, 600, 5000]))
    return draw(st.sampled_from(["[", '{"a":'])) * depth  # unterminated too: the depth alone is refused


bodies = st.one_of(st.none(), st.dictionaries(st.sampled_from(BODY_NAMES), values, max_size=6), values,
                   deep().map(lambda raw: ("raw", raw)))


def _encode(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _path(rule, args: dict) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: _encode(args[m.group(1)]), rule.rule)


def test_no_route_answers_a_server_error(app, client, login, bearer, receive, rt):
    app.config["PUBLIC_RATE_LIMIT"] = (1_000_000, 1.0)
    received = receive()
    real = {"dossier_id": received.dossier.id, "task_id": received.created[0].id, "code": received.dossier.code,
            "slug": "household-business", "escalation_id": 1, "token_id": 1}
    admin = bearer("admin")
    official = app.test_client()
    login(official, "tanlap.head", PASSWORD)
    with rt.sessions() as s:
        keep = set(s.scalars(select(ApiToken.id)))
    failures: list[str] = []
    rules = [(rule, method) for rule in app.url_map.iter_rules() for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(rules) >= 40
    for rule, method in rules:
        _fuzz(app, rule, method, real, keep, admin, official, failures)
    assert not failures, "\n".join(sorted(set(failures))[:40])


def _fuzz(app, rule, method, real, keep, admin, official, failures) -> None:
    names = list(rule.arguments)
    path_values = {name: st.one_of(st.just(real.get(name, 1)), integers if "Integer" in type(rule._converters[name]).__name__
                                   else text) for name in names}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(args=st.fixed_dictionaries(path_values),
           query=st.dictionaries(st.sampled_from(QUERY_NAMES), st.one_of(text, integers), max_size=4),
           body=bodies, caller=st.sampled_from(["anonymous", "session", "bearer"]))
    def run(args, query, body, caller):
        if method == "DELETE" and args.get("token_id") in keep:
            return  # revoking the callers' own tokens would turn the rest of the run into 401s
        if caller == "session" and rule.rule.endswith("/logout"):
            caller = "anonymous"  # the official's session is kept for the other routes
        c, headers = {"anonymous": (app.test_client(), {}), "session": (official, {}),
                      "bearer": (app.test_client(), admin)}[caller]
        url = _path(rule, args) + "?" + "&".join(f"{_encode(k)}={_encode(v)}" for k, v in query.items())
        if isinstance(body, tuple):
            data = body[1]
        else:
            data = None if body is None else json.dumps(body)
        try:
            response = c.open(url, method=method, data=data, headers=headers,
                              content_type="application/json" if data is not None else None)
            status = response.status_code
        except Exception as exc:  # noqa: BLE001 - a view's exception is the 500 this test looks for
            failures.append(f"{method} {rule.rule} [{caller}] {url[:120]!r}: {type(exc).__name__}: {exc}"[:400])
            return
        if status >= 500:
            failures.append(f"{method} {rule.rule} [{caller}] {url[:120]!r}: {status}")

    run()
