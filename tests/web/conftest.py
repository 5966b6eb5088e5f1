"""Workspace fixtures: the app on the test runtime (both databases) and browsers-like clients.

    def test_x(client, page_client, csrf_of, receive): ...

- `client`: an anonymous test client.
- `page_client("tanlap.specialist")`: a client signed in through the sign-in page (CSRF token and all);
  its `.csrf` holds the token the pages carry, for the unsafe requests a test sends.
- `receive(...)`: a dossier received at Tân Lập's counter through the engine, committed.
"""
from __future__ import annotations

import pytest
from support import APPLICANT, agency_id
from web_support import sign_in

from api import create_app
from engine import dossiers


@pytest.fixture
def app(rt):
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def page_client(app):
    def make(username: str):
        return sign_in(app.test_client(), username)

    return make


@pytest.fixture
def receive(rt, session, users):
    def make(applicant_name: str = APPLICANT["name"], **kw):
        kw.setdefault("channel", "counter")
        result = dossiers.receive_dossier(rt, session, agency_id=agency_id(session),
                                          applicant={**APPLICANT, "name": applicant_name},
                                          actor=users["tanlap.reception"], now=rt.clock.now(),
                                          **{"procedure": "household-business", **kw})
        session.commit()
        return result

    return make
