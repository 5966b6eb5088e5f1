"""Helpers of the workspace's tests (a plain module: conftest files share one name)."""
from __future__ import annotations

import re

from support import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = TOKEN.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    """Sign the test client in through the sign-in page; `client.csrf` then holds the pages' token."""
    token = csrf_of(client.get("/").get_data(as_text=True))
    response = client.post("/dang-nhap", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.csrf = csrf_of(client.get(response.headers["Location"]).get_data(as_text=True))
    return client
