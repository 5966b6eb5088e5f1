"""CSRF protection for the workspace: a per-session token every unsafe request must carry.

Forms send it as the hidden field `csrf_token`, htmx as the header `X-CSRF-Token` (set once on <body> with
hx-headers). A request without the matching token is refused with a 400 page before its view runs. The
token lives in the signed session cookie; signing in makes a new one (a token seen before login is not
reused after it).
"""
from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, abort, request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_KEY = "csrf"


def token() -> str:
    """This session's token (made on first use)."""
    if _KEY not in session:
        session[_KEY] = secrets.token_urlsafe(32)
    return session[_KEY]


def renew() -> None:
    """A new token, e.g. after signing in or out."""
    session[_KEY] = secrets.token_urlsafe(32)


def _check() -> None:
    if request.method in SAFE_METHODS:
        return
    expected = session.get(_KEY)
    sent = request.headers.get(HEADER) or request.form.get(FIELD)
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, description="csrf")


def init_blueprint(bp: Blueprint) -> None:
    bp.before_request(_check)

    @bp.app_context_processor
    def _token():
        return {"csrf_token": token}
