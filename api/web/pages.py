"""What every page shares: the signed-in official, the layout's context, and refusals shown as pages.

Engine refusals become pages with the same status as in the API, with one exception: on a page that only
shows something (GET), an object the official may not see is "not found" (404), so a page never tells
whether a dossier of another agency exists.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from api import context
from api.auth import current_actor
from api.web.error_messages import translate
from engine import accounts
from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound

#: endpoints open without signing in
PUBLIC_ENDPOINTS = frozenset({"web.home", "web.login", "web.language", "web.static", "web.public_lookup",
                              "web.public_rating", "web.public_lookup_old",
                              "web.public_result", "web.public_result_old"})
#: what an official whose password an administrator reset may open before choosing a new one
WHILE_PASSWORD_RESET = frozenset({"web.password", "web.logout", "web.keep_alive"})
#: how long before the idle end of a login session the page warns
IDLE_WARNING = dt.timedelta(minutes=10)


def actor() -> accounts.Principal:
    """The signed-in official (the views run only when there is one)."""
    return g.actor


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(target: str | None, default: str) -> str:
    """A place inside this site to go back to (never another host: no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    user = current_actor()
    if user is not None:
        if user.must_change_password and request.endpoint not in WHILE_PASSWORD_RESET:
            if is_htmx():
                return "", 401, {"HX-Redirect": url_for("web.password")}
            return redirect(url_for("web.password"))
        return None
    target = url_for("web.home", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if is_htmx():  # htmx follows this header with a full page load
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def _layout_context():
    if request.blueprint != "web":
        return {}
    user = current_actor()
    settings = context.runtime().settings
    idle = dt.timedelta(hours=settings.session_idle_hours)
    # Counted from this page's load; the server records use at most every TOKEN_USE_RESOLUTION, so the
    # session may end that much sooner than a full idle period after this request.
    idle_left = idle - accounts.TOKEN_USE_RESOLUTION
    return {
        "me": user,
        "my_agencies": accounts.agencies_of(context.session(), user) if user else [],
        "idle_seconds": int(idle_left.total_seconds()),
        "idle_warning_seconds": int(IDLE_WARNING.total_seconds()),
    }


def _status_of(exc: EngineError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 404 if request.method == "GET" else 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, InvalidInput):
        return 422
    return 400


TITLES = {
    400: lambda: _("The request could not be understood"),
    403: lambda: _("You may not do this"),
    404: lambda: _("Not found"),
    409: lambda: _("Someone else changed this first"),
    422: lambda: _("Some information is not valid"),
}


def error_page(status: int, detail: str | None = None):
    title = TITLES.get(status, lambda: _("Something went wrong"))()
    if status == 400 and detail == "csrf":
        detail = _("The form had expired or did not come from this site. Open the page again and retry.")
    if status == 404:
        detail = None  # the engine's wording may name what exists
    template = "error_fragment.html" if is_htmx() else "error.html"
    return render_template(template, status=status, title=title, detail=detail), status


def init_blueprint(bp: Blueprint) -> None:
    bp.before_request(_require_login)
    bp.app_context_processor(_layout_context)

    @bp.errorhandler(EngineError)
    def _engine_error(exc: EngineError):
        return error_page(_status_of(exc), translate(exc.detail))

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_page(exc.code or 500, exc.description if exc.code == 400 else None)
