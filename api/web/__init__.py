"""The officials' workspace: server-rendered pages in Vietnamese (English on request) beside the API.

The pages call the same engine functions as the API and check nothing the engine does not: who may see or
do what is the engine's answer, shown as a page. One request is one unit of work, as in the API.
Everything the browser loads is served from api/web/static (commune intranets have no internet); no page
holds inline script (the Content-Security-Policy forbids it), so behaviour lives in static/js/.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("web", __name__, url_prefix="/", template_folder="templates", static_folder="static",
               static_url_path="/web-static")


def _set_up_blueprint() -> None:
    """Once per process (a blueprint is set up before its first registration): checks, errors, routes."""
    from api.web import csrf, pages, views  # noqa: F401  (views register their routes on bp)

    csrf.init_blueprint(bp)  # first: no view, not even the sign-in redirect, runs on a forged request
    pages.init_blueprint(bp)


_set_up_blueprint()


def init_app(app: Flask) -> None:
    """Register the workspace on an app: its translations, then the pages."""
    from api.web import i18n

    i18n.init_app(app)
    app.register_blueprint(bp)
    app.register_error_handler(404, _unknown_address)


def _unknown_address(exc):
    """An address no route serves: a page for people, a problem document under the API's prefix."""
    from flask import request

    from api import API_PREFIX
    from api.errors import http_problem
    from api.web.pages import error_page

    if request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX:
        return http_problem(exc)
    return error_page(404)
