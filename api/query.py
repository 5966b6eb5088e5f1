"""Unknown query parameters are refused (422 naming each), never silently ignored.

webargs drops the query parameters a schema does not declare, so `GET /tasks?mine=true` answered every
task as if the filter applied. One hook on every blueprint compares the request's parameters with those
the view declares through `@blp.arguments(..., location="query")` (none declared: none allowed). It runs
after the blueprint's login check, so an anonymous caller still gets 401 first.
"""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema

from api.errors import problem

_ALLOWED: dict[tuple[str, str], frozenset[str]] = {}


def _declared(endpoint: str, method: str) -> frozenset[str]:
    """The query parameter names the view of `endpoint` declares for `method` (cached per view)."""
    key = (endpoint, method)
    if key not in _ALLOWED:
        view = current_app.view_functions[endpoint]
        handler = getattr(getattr(view, "view_class", None), method.lower(), view)
        params = getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", [])
        names: set[str] = set()
        for param in params:
            if param.get("in") != "query":
                continue
            schema = param["schema"]
            schema = schema() if isinstance(schema, type) and issubclass(schema, Schema) else schema
            names.update(f.data_key or name for name, f in schema.fields.items() if not f.dump_only)
        _ALLOWED[key] = frozenset(names)
    return _ALLOWED[key]


def refuse_unknown_query():
    if not request.args or request.endpoint is None or request.method == "OPTIONS":
        return None
    method = "GET" if request.method == "HEAD" else request.method  # Flask answers HEAD with the GET view
    unknown = sorted(set(request.args) - _declared(request.endpoint, method))
    if not unknown:
        return None
    return problem(422, "Unprocessable Entity", f"unknown query parameters: {', '.join(unknown)}",
                   errors={f"query.{name}": ["not a parameter of this request"] for name in unknown})
