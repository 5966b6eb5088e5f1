"""The Flask app factory: settings, the engine runtime, the REST API and its OpenAPI document.

Nothing happens at import time. One request is one unit of work: a view calls the engine, then commits
(api.context.commit); any error rolls the session back at teardown.
"""
from __future__ import annotations

import functools

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from config import Settings, load_settings
from engine.app_key import session_key
from engine.runtime import Runtime

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the WSGI app around one Settings object (or an existing runtime, in tests)."""
    if runtime is None:
        runtime = Runtime.from_settings(settings or load_settings())
    settings = runtime.settings
    app = Flask(__name__)
    # Ids are 32-bit integers in the database: a larger one in a path is a 404, not a driver overflow (500).
    app.url_map.converters["int"] = functools.partial(IntegerConverter, max=2**31 - 1)
    app.config.update(
        SECRET_KEY=session_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
        API_TITLE="motcua",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from our own static files: a province's intranet may have no internet.
        OPENAPI_SWAGGER_UI_URL="/static/swagger-ui/",
        API_SPEC_OPTIONS={
            "info": {"description": "REST API of motcua: one-stop administrative procedures on BPMN."},
            "components": {"securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            }},
            "security": [{"bearer": []}, {"session": []}],
        },
    )
    app.extensions["motcua"] = runtime
    app.json.ensure_ascii = False  # Vietnamese stays readable in the answers (UTF-8 JSON)

    from api import context, errors, inbound, security

    context.init_app(app)
    security.init_app(app, secure_cookies=settings.secure_cookies, trusted_proxies=settings.trusted_proxies)
    from api import documents

    documents.init_app(app)  # before inbound: the upload endpoints take larger bodies
    inbound.init_app(app, settings.max_request_bytes)
    api = Api(app)
    errors.init_app(app, api)
    from api.blueprints import register_blueprints

    register_blueprints(api)
    from api import web

    web.init_app(app)  # the officials' pages at /, beside the API
    return app
