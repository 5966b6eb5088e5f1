"""Signing in and out, one's own password, the language switch and the idle-session notice's keep-alive.

The login session is the API's (api.auth): one cookie serves the pages and the API's calls from them.
"""
from __future__ import annotations

import math

from flask import redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _

from api import context
from api.auth import current_actor
from api.web import bp, csrf, i18n
from api.web.pages import actor, safe_next
from engine import accounts
from engine.errors import InvalidInput, Throttled

ONE_YEAR = 365 * 24 * 3600


@bp.get("/")
def home():
    """The sign-in page, or the inbox for an official already signed in."""
    target = safe_next(request.args.get("next"), url_for("web.inbox"))
    if current_actor() is not None:
        return redirect(target)
    return render_template("login.html", next=target)


@bp.post("/dang-nhap")
def login():
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"), url_for("web.inbox"))
    errors = {}
    if not username or len(username) > 80:
        errors["username"] = _("Enter your username.")
    if not password or len(password) > 200:
        errors["password"] = _("Enter your password.")
    if errors:
        return render_template("login.html", next=target, username=username, errors=errors), 422
    # The API's login function: the same per-account and per-address throttle, asked before the password.
    try:
        user = accounts.log_in(context.session(), context.runtime().login_throttle, username, password,
                               request.remote_addr or "unknown", context.now())
    except Throttled as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        message = _("Too many failed sign-ins. Try again in %(minutes)d minute(s).", minutes=minutes)
        response = render_template("login.html", next=target, username=username, message=message)
        return response, 429, {"Retry-After": str(max(1, exc.retry_after))}
    if user is None:
        return render_template("login.html", next=target, username=username,
                               message=_("Wrong username or password.")), 401
    cookie.clear()
    cookie["token"] = accounts.open_session(context.session(), user, context.now())
    csrf.renew()
    context.commit()
    return redirect(target)


@bp.post("/dang-xuat")
def logout():
    if "token" in cookie:
        accounts.close_session(context.session(), cookie["token"], context.now())
        context.commit()
    cookie.clear()
    return redirect(url_for("web.home"))


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
def password():
    """Change one's own password (the current one first); the official's other sessions end."""
    if request.method == "GET":
        return render_template("password.html", errors={})
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    errors = {}
    if new != request.form.get("confirm_password", ""):
        errors["confirm_password"] = _("The two new passwords differ.")
    else:
        try:
            accounts.change_password(context.session(), actor(), current, new, context.now(),
                                     keep_session=cookie.get("token"))
            context.commit()
            return render_template("password.html", errors={}, done=True)
        except InvalidInput as exc:
            words = {"current_password": _("The current password is wrong."),
                     "new_password": _("Choose a new password of at least 10 characters, other than the current one.")}
            errors = {field: words.get(field, "; ".join(msgs)) for field, msgs in exc.errors.items()}
    return render_template("password.html", errors=errors), 422


@bp.post("/ngon-ngu")
def language():
    """Switch the language of the pages (kept in a cookie); back to the page the switch was on."""
    chosen = request.form.get("lang")
    target = safe_next(request.form.get("next"), url_for("web.home"))
    response = redirect(target)
    if chosen in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, chosen, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


@bp.get("/phien")
def keep_alive():
    """Asked by the idle notice's "keep working" button: this request itself records the session's use."""
    return "", 204
