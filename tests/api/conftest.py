"""API fixtures: the app on the test runtime (both databases), logged-in clients, Bearer tokens, dossiers.

    def test_x(client, login, client_for, token_client, bearer, receive, statements): ...

- `client`: an anonymous test client; `login(client, "tanlap.head")` logs it in (session cookie).
- `client_for("tanlap.head")`: a fresh client already logged in, one per official in a test.
- `bearer("tanlap.head")`: {"Authorization": "Bearer mc_..."}, a personal token made by the engine;
  `token_client("tanlap.head")`: a client without cookies that sends that header on every request.
- `receive(procedure=..., agency="tanlap", applicant_name=...)`: a dossier received at the counter through
  the engine (not the API), committed; returns the engine's StepResult (`.dossier`, `.created[0]`).
- `statements()`: a context manager recording the SQL statements sent to the database.
"""
from __future__ import annotations

import contextlib

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select
from support import DYNAMIC_TABLES, PASSWORD, POSTGRES_URL, ROOT, T0, WORKFLOWS  # noqa: F401 (re-exported)

from api import create_app
from engine import accounts, dossiers
from engine.models import Agency, User

#: demo agencies by the username prefix of their officials (config/demo.toml)
AGENCY_CODES = {"tinh": "000.00.00.H26", "tanlap": "000.01.31.H26", "hoabinh": "000.02.31.H26"}


class EnglishClient(FlaskClient):
    """Asks for English: the API's problem documents speak Vietnamese unless Accept-Language asks for English,
    and these tests read the English wording (tests/api/test_error_language.py checks both languages)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


@pytest.fixture
def app(rt):
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    app.test_client_class = EnglishClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def _login(client, username: str, password: str = PASSWORD) -> dict:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def login():
    """login(client, username, password=PASSWORD) -> the caller as /auth/me shows it."""
    return _login


@pytest.fixture
def client_for(app):
    def make(username: str):
        c = app.test_client()
        _login(c, username)
        return c

    return make


@pytest.fixture
def bearer(rt):
    # Through the engine, not POST /auth/tokens: a fixture should not depend on the endpoint under test.
    def make(username: str, name: str = "tests") -> dict[str, str]:
        with rt.sessions() as s:
            user = s.scalars(select(User).where(User.username == username)).one()
            _, token = accounts.create_token(s, user, name, rt.clock.now())
            s.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def token_client(app, bearer):
    def make(username: str):
        c = app.test_client(use_cookies=False)
        c.environ_base["HTTP_AUTHORIZATION"] = bearer(username)["Authorization"]
        return c

    return make


@pytest.fixture
def receive(rt, users):
    def make(procedure: str = "household-business", agency: str = "tanlap", applicant_name: str = "Trần Thị Bình",
             **kw):
        kw.setdefault("channel", "counter")
        with rt.sessions() as s:
            agency_id = s.scalars(select(Agency.id).where(Agency.code == AGENCY_CODES[agency])).one()
            actor = s.get(User, users[f"{agency}.reception"].id)
            result = dossiers.receive_dossier(rt, s, procedure=procedure, agency_id=agency_id,
                                              applicant={"name": applicant_name, "phone": "0912345678"},
                                              actor=actor, now=rt.clock.now(), **kw)
            s.commit()
            return result

    return make


@pytest.fixture
def statements(rt):
    @contextlib.contextmanager
    def record():
        log: list[str] = []

        def before(_conn, _cursor, statement, *_args):
            log.append(statement)

        event.listen(rt.db_engine, "before_cursor_execute", before)
        try:
            yield log
        finally:
            event.remove(rt.db_engine, "before_cursor_execute", before)

    return record
