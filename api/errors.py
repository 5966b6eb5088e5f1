"""One error shape everywhere: RFC 7807 problem details, with `errors` naming each bad field.

`title`, `detail` and the field messages follow the request's Accept-Language (Vietnamese unless English is
asked for), from the workspace's message catalogs (api/web/error_messages.py); `code` never changes.
"""
from __future__ import annotations

from flask import Flask, jsonify
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from engine.documents.components import FileTooLarge, UnsupportedType
from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound, Throttled, WorkflowError

PROBLEM_JSON = "application/problem+json"

STATUS_OF = {NotFound: 404, Forbidden: 403, Conflict: 409, InvalidInput: 422, WorkflowError: 422, Throttled: 429,
             FileTooLarge: 413, UnsupportedType: 415}


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


def problem(status: int, title: str, detail: str | None = None, code: str | None = None,
            errors: dict | None = None, **extra):
    # imported here: api.web's pages import this module (its catalog is the workspace's, api/web/translations)
    from api.web.error_messages import translate, translate_errors

    body = {"type": "about:blank", "title": translate(title), "status": status}
    if detail:
        body["detail"] = translate(detail)
    if code:
        body["code"] = code
    if errors:
        body["errors"] = translate_errors(errors)
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def _flatten_webargs(messages) -> dict:
    """webargs nests messages by location ({"json": {"field": [...]}}); clients want field -> messages."""
    out: dict = {}
    for location, by_field in (messages or {}).items():
        if isinstance(by_field, dict):
            for name, msgs in by_field.items():
                out[name if location in ("json", "form") else f"{location}.{name}"] = msgs
        else:
            out[location] = by_field
    return out


def init_app(app: Flask, api: Api) -> None:
    @app.errorhandler(EngineError)
    def _engine_error(exc: EngineError):
        status = STATUS_OF.get(type(exc), next((s for c, s in STATUS_OF.items() if isinstance(exc, c)), 400))
        title = {404: "Not Found", 403: "Forbidden", 409: "Conflict", 422: "Unprocessable Entity",
                 429: "Too Many Requests", 413: "Content Too Large",
                 415: "Unsupported Media Type"}.get(status, "Bad Request")
        response = problem(status, title, exc.detail, exc.code, getattr(exc, "errors", None) or None,
                           **{k: v for k, v in exc.extra.items() if v is not None})
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    # Registered after flask-smorest's own handler so that this one answers.
    app.register_error_handler(HTTPException, http_problem)


def http_problem(exc: HTTPException):
    """An HTTP error (webargs' 422 included) as a problem document."""
    data = getattr(exc, "data", None) or {}
    errors = _flatten_webargs(data.get("messages")) if "messages" in data else data.get("errors")
    detail = data.get("message") or exc.description
    if exc.code == 422 and errors:
        detail = "the request has invalid fields"
    return problem(exc.code or 500, exc.name, detail, data.get("code"), errors or None)


def problems(blp, *statuses: int):
    """Document the problem answers (RFC 7807) a view can give, for the OpenAPI document."""
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, schema=ProblemSchema, content_type=PROBLEM_JSON)(view)
        return view
    return decorate
