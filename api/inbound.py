"""What any request may carry, checked once before a view runs: no lone surrogate or NUL in any text, JSON
nested at most MAX_JSON_DEPTH levels, a body of at most limits.max_request_bytes (413).

A lone surrogate ("\\ud800" in JSON) is text no encoder writes (UTF-8, the database drivers, the workflow
serializer) and NUL cannot be stored by PostgreSQL; a body nested hundreds of levels deep exhausts the
recursion of whatever walks it (the JSON parser, marshmallow, the serializer). Refusing them here, for every
route, spares each view and field its own check.
"""
from __future__ import annotations

import json
import re

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from api.errors import problem

#: deepest nesting of arrays and objects a JSON body may have (a form's data needs a handful of levels)
MAX_JSON_DEPTH = 32
#: at most this many offending fields are named in one answer
MAX_NAMED = 20

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _why(text: str) -> str | None:
    found = _BAD_TEXT.search(text)
    if found is None:
        return None
    return "must not contain a NUL character" if found.group() == "\x00" else \
        "must not contain a lone surrogate (text that is not valid Unicode)"


def json_depth(value) -> int:
    """The deepest nesting of arrays and objects in a parsed JSON value (iterative: any depth is measured)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_JSON_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def bad_text_fields(value, path: str = "") -> dict[str, str]:
    """field path -> why, for the strings (keys included) of a parsed JSON value holding NUL or a surrogate.

    Iterative, so that no depth of nesting can exhaust the recursion; stops after MAX_NAMED findings.
    """
    found: dict[str, str] = {}
    stack = [(path, value)]
    while stack and len(found) < MAX_NAMED:
        where, item = stack.pop()
        if isinstance(item, str):
            why = _why(item)
            if why:
                found[where or "body"] = why
        elif isinstance(item, dict):
            for key, child in item.items():
                if _why(key):
                    found[where or "body"] = f"a key {_why(key)}"
                else:
                    stack.append((f"{where}.{key}".lstrip("."), child))
        elif isinstance(item, list):
            stack.extend((f"{where}.{i}".lstrip("."), child) for i, child in enumerate(item))
    return found


def _refuse_hostile_input():
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # Without a length werkzeug stops reading at the limit and hands over what it read: the first MiB of a
        # larger body would be taken for the whole. A body that fills the limit is refused as too large.
        if len(request.get_data(cache=True)) >= limit:
            raise RequestEntityTooLarge()
    errors: dict[str, str] = {}
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and _why(value):
            errors[f"path.{name}"] = _why(value)
    for name, value in request.args.items(multi=True):
        if _why(name) or _why(value):
            errors[f"query.{name if not _why(name) else '<name>'}"] = _why(name) or _why(value)
    if request.mimetype == "application/x-www-form-urlencoded" or request.mimetype == "multipart/form-data":
        for name, value in request.form.items(multi=True):
            if _why(name) or _why(value):
                errors[name if not _why(name) else "<name>"] = _why(name) or _why(value)
    if request.is_json:
        raw = request.get_data(cache=True)  # over max_request_bytes: 413, answered by the error handler
        try:
            # The parser itself stops at the interpreter's recursion limit (about 1,000 levels) with RecursionError.
            body = json.loads(raw) if raw.strip() else None
            deep = json_depth(body) > MAX_JSON_DEPTH
        except RecursionError:
            body, deep = None, True
        except ValueError:
            body, deep = None, False  # not JSON: the view's own parsing answers 400
        if deep:
            return problem(400, "Bad Request", f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels",
                           "too_deep")
        errors.update(bad_text_fields(body))
    if errors:
        return problem(422, "Unprocessable Entity", "the request has invalid fields",
                       errors={name: [why] for name, why in list(errors.items())[:MAX_NAMED]})
    return None


def init_app(app: Flask, max_request_bytes: int) -> None:
    # Werkzeug stops reading at the limit, Content-Length or not (chunked): 413, answered as a problem.
    app.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = max_request_bytes
    app.before_request(_refuse_hostile_input)
