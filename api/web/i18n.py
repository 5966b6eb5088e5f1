"""Languages: Vietnamese by default, English when the official chose it (a cookie set by the switch).

Messages are gettext catalogs under api/web/translations (msgids in English; `make messages` extracts,
updates and compiles them). Times are shown in the calendar's time zone, to the minute, as officials read
them: 14:05 04/12/2026.
"""
from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import Babel, get_translations

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
#: the cookie the language switch sets (a preference, not a secret)
COOKIE = "lang"
TRANSLATIONS = Path(__file__).with_name("translations")
#: requests under this path are the API's (api.API_PREFIX), whose language is the Accept-Language header
API_PATH = "/api/"


def current_language() -> str:
    """Pages: the official's choice (the switch's cookie). The API: the request's Accept-Language, so that
    its problem documents speak the client's language; Vietnamese when neither asks for English."""
    if not request:
        return DEFAULT_LANGUAGE
    if request.path.startswith(API_PATH):
        return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


#: this request's catalog (reset when each request starts)
_CATALOG: ContextVar = ContextVar("motcua_web_catalog", default=None)


def translations():
    """This request's catalog, looked up once: Flask-Babel finds it anew on every call (through several
    context-local lookups), which costs more than drawing a row of the inbox."""
    found = _CATALOG.get()
    if found is None:
        found = get_translations()
        _CATALOG.set(found)
    return found


def gettext(msgid: str, **variables) -> str:
    text = translations().ugettext(msgid)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    return translations().ungettext(singular, plural, num) % {"num": num, **variables}


def _zone() -> ZoneInfo:
    return current_app.extensions["motcua.web.zone"]


def local(at: dt.datetime | None) -> dt.datetime | None:
    return at.astimezone(_zone()) if at is not None else None


def format_time(at: dt.datetime | None, with_date: bool = True) -> str:
    """`14:05 04/12/2026` in the calendar's zone (the form officials write on paper); empty for None."""
    if at is None:
        return ""
    at = local(at)
    return at.strftime("%H:%M %d/%m/%Y") if with_date else at.strftime("%H:%M")


def format_date(at: dt.datetime | dt.date | None) -> str:
    if at is None:
        return ""
    if isinstance(at, dt.datetime):
        at = local(at)
    return at.strftime("%d/%m/%Y")


def format_number(value):
    """Whole numbers as Vietnamese write them, grouped by dots (`1.500.000`); anything else unchanged.

    Numbers under 10 000 stay as typed (years, counts, quantities)."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) < 10_000:
        return value
    return f"{value:,}".replace(",", ".")


def init_app(app: Flask) -> None:
    settings = app.extensions["motcua"].settings
    app.extensions["motcua.web.zone"] = ZoneInfo(settings.timezone)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=current_language, timezone_selector=lambda: settings.timezone)
    app.before_request(lambda: _CATALOG.set(None) and None)
    # Templates translate through the request's catalog too (Jinja formats the %(name)s variables).
    app.jinja_env.install_gettext_callables(lambda s: translations().ugettext(s),
                                            lambda s, p, n: translations().ungettext(s, p, n), newstyle=True)
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.globals["current_language"] = current_language
    from api.web import labels

    labels.register(app.jinja_env)
