"""Form data against a procedure's JSON Schema: defaults applied, then validated with formats checked.

One place for it: the API's `complete` and the officials' pages both call `prepare`, so a field left
out gets the same default (ethnicity "Kinh") and "04/12/2026 10:00" is refused as a date-time by both.
jsonschema checks `format` only with a format checker, and its `date-time` check only when
rfc3339-validator is installed (a project dependency); `checked_validator` refuses to run without it
rather than silently accept any text.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping

from jsonschema import Draft202012Validator

from engine.errors import InvalidInput

#: the formats the procedure library uses; each must really be checked, not skipped
REQUIRED_FORMATS = ("date", "date-time", "email")

#: messages the official reads next to the field (Vietnamese, as the forms' titles are)
FORMAT_MESSAGES = {
    "date": "không đúng định dạng ngày (năm-tháng-ngày, ví dụ 2026-12-04)",
    "date-time": "không đúng định dạng ngày giờ (ví dụ 2026-12-04T10:00:00+07:00)",
    "email": "không đúng định dạng địa chỉ thư điện tử",
}


def checked_validator(schema: Mapping) -> Draft202012Validator:
    """A validator of `schema` whose format checker really checks dates, date-times and e-mail addresses."""
    checker = Draft202012Validator.FORMAT_CHECKER
    missing = [f for f in REQUIRED_FORMATS if f not in checker.checkers]
    if missing:  # jsonschema drops a format's check when its optional package is absent
        raise RuntimeError(f"jsonschema cannot check the formats {missing}: install rfc3339-validator")
    return Draft202012Validator(schema, format_checker=checker)


def apply_defaults(schema: Mapping, data):
    """A copy of `data` with every missing property that declares a `default` filled in, at any depth.

    Objects present are descended into (their own properties' defaults apply), and so are the object
    items of arrays; an absent object is not created unless it declares a default itself.
    """
    if not isinstance(schema, Mapping):
        return data
    if isinstance(data, dict):
        props = schema.get("properties")
        if not isinstance(props, Mapping):
            return dict(data)
        out = dict(data)
        for name, sub in props.items():
            if name in out:
                out[name] = apply_defaults(sub, out[name])
            elif isinstance(sub, Mapping) and "default" in sub:
                out[name] = apply_defaults(sub, copy.deepcopy(sub["default"]))
        return out
    if isinstance(data, list) and isinstance(schema.get("items"), Mapping):
        return [apply_defaults(schema["items"], item) for item in data]
    return data


def schema_errors(validator: Draft202012Validator, data) -> dict[str, list[str]]:
    """Every error of `data`, keyed by the field's dotted path (a missing field by its own path)."""
    errors: dict[str, list[str]] = {}
    for err in validator.iter_errors(data):
        path = ".".join(str(p) for p in err.absolute_path)
        message = err.message
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else path
            path = f"{path}.{missing}" if path else missing
        elif err.validator == "format" and err.validator_value in FORMAT_MESSAGES:
            message = f"{err.instance!r} {FORMAT_MESSAGES[err.validator_value]}"
        errors.setdefault(path or "data", []).append(message)
    return errors


def prepare(schema: Mapping, data, *, validator: Draft202012Validator | None = None, title: str = "form") -> dict:
    """`data` with the schema's defaults applied, validated; InvalidInput names every bad field.

    `validator` is the schema's compiled validator when the caller keeps one (engine.specs does).
    """
    if not isinstance(data, dict):
        raise InvalidInput("form data must be an object", {"data": ["expected an object"]})
    prepared = apply_defaults(schema, data)
    errors = schema_errors(validator or checked_validator(schema), prepared)
    if errors:
        raise InvalidInput(f"the form '{title}' has errors", errors)
    return prepared
