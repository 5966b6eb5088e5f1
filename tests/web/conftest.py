"""Workspace fixtures: the app on the test runtime (both databases) and browsers-like clients.

    def test_x(client, page_client, csrf_of, receive): ...

- `client`: an anonymous test client.
- `page_client("tanlap.specialist")`: a client signed in through the sign-in page (CSRF token and all);
  its `.csrf` holds the token the pages carry, for the unsafe requests a test sends.
- `csrf_of(html)`: the token a page's forms carry.
- `receive(...)`: a dossier received at Tân Lập's counter through the engine, committed.
"""
from __future__ import annotations

import re

import pytest
from support import PASSWORD
from support import receive as receive_dossier

from api import create_app

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


@pytest.fixture
def app(rt):
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, username: str, password: str = PASSWORD):
    token = csrf_of(client.get("/").get_data(as_text=True))
    response = client.post("/dang-nhap", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.csrf = csrf_of(client.get(response.headers["Location"]).get_data(as_text=True))
    return client


@pytest.fixture
def page_client(app):
    def make(username: str):
        return sign_in(app.test_client(), username)

    return make


@pytest.fixture
def receive(rt, session, users):
    def make(**kw):
        return receive_dossier(rt, session, users, **kw)

    return make
