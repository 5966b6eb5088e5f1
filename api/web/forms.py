"""A task's form drawn from its JSON Schema, and the submitted HTML form read back into JSON data.

The schema's `title`s label the fields, `description`s help, `x-ui` hints choose widgets (`widget`: radio,
select, textarea; `labels` for enum values; `order`), `default`s fill an empty form. Validation is the
engine's (it names each bad field by its path, e.g. `business_lines.0.name`); this module only draws the
fields, keeps what was typed (a number typed as text stays text, so the engine names it), and puts each
message beside its field.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

#: the form property the outcome buttons set (when the task declares outcomes)
OUTCOME = "outcome"
#: the button that re-draws the form with one more row in a table field
ADD_ROW = "_add_row"


@dataclass
class Field:
    name: str  #: the HTML name (path with dots)
    key: str
    label: str
    widget: str  #: text, textarea, number, checkbox, radio, select, date, datetime, table, lines
    value: object = None
    description: str | None = None
    required: bool = False
    personal: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: a table's rows (each a list of Fields) and the row's columns
    rows: list[list[Field]] = field(default_factory=list)
    columns: list[Field] = field(default_factory=list)
    #: a group's fields (an object property: `child.full_name`)
    children: list[Field] = field(default_factory=list)


def _widget(schema: dict) -> str:
    hint = (schema.get("x-ui") or {}).get("widget")
    kind = schema.get("type")
    if kind == "object":
        return "group"
    if kind == "array":
        items = schema.get("items") or {}
        return "table" if items.get("type") == "object" else "lines"
    if "enum" in schema:
        return hint if hint in ("radio", "select") else ("radio" if len(schema["enum"]) <= 4 else "select")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if schema.get("format") == "date":
        return "date"
    if schema.get("format") == "date-time":
        return "datetime"
    return "textarea" if hint == "textarea" else "text"


def _options(schema: dict) -> list[tuple[str, str]]:
    labels = (schema.get("x-ui") or {}).get("labels") or {}
    return [(str(v), str(labels.get(v, v))) for v in schema.get("enum", [])]


def _order(schema: dict) -> list[str]:
    props = list((schema.get("properties") or {}).keys())
    order = [k for k in (schema.get("x-ui") or {}).get("order", []) if k in props]
    return order + [k for k in props if k not in order]


def build(schema: dict, values: dict, errors: dict[str, list[str]], extra_rows: dict[str, int] | None = None,
          skip: tuple[str, ...] = ()) -> list[Field]:
    """The fields of an object schema with their values and errors (paths `a`, `a.0.b`)."""
    return _fields(schema, values or {}, errors or {}, "", extra_rows or {}, skip)


def _fields(schema, values, errors, prefix, extra_rows, skip=()) -> list[Field]:
    required = set(schema.get("required") or [])
    out = []
    for key in _order(schema):
        if key in skip:
            continue
        sub = schema["properties"][key]
        name = f"{prefix}{key}"
        f = Field(name=name, key=key, label=sub.get("title") or key, widget=_widget(sub), value=values.get(key),
                  description=sub.get("description"), required=key in required, personal=bool(sub.get("x-personal")),
                  options=_options(sub), errors=[message(m) for m in errors.get(name, [])])
        if f.widget == "group":
            f.children = _fields(sub, f.value if isinstance(f.value, dict) else {}, errors, f"{name}.", extra_rows)
        elif f.widget == "table":
            items = sub.get("items") or {}
            rows = values.get(key) if isinstance(values.get(key), list) else []
            count = max(len(rows), 1) + extra_rows.get(name, 0)
            f.columns = _fields(items, {}, {}, f"{name}.#.", {})
            f.rows = [_fields(items, rows[i] if i < len(rows) and isinstance(rows[i], dict) else defaults(items),
                              errors, f"{name}.{i}.", {}) for i in range(count)]
            # errors on the table itself (minItems) or on a whole row
            f.errors += [message(m) for path, msgs in errors.items() if re.fullmatch(rf"{re.escape(name)}\.\d+", path)
                         for m in msgs]
        elif f.widget == "lines" and isinstance(f.value, list):
            f.value = "\n".join(str(v) for v in f.value)
        elif f.widget == "datetime" and isinstance(f.value, str):
            f.value = f.value[:16]  # datetime-local shows YYYY-MM-DDTHH:MM
        out.append(f)
    return out


def defaults(schema: dict) -> dict:
    """The `default`s of an object schema's properties, in groups too (table rows get theirs when drawn)."""
    out = {}
    for key, sub in (schema.get("properties") or {}).items():
        if "default" in sub:
            out[key] = sub["default"]
        elif sub.get("type") == "object" and (inner := defaults(sub)):
            out[key] = inner
    return out


def _coerce(sub: dict, raw: str, zone: dt.tzinfo):
    kind = sub.get("type")
    if kind == "integer":
        return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    if kind == "number":
        try:
            return float(raw) if ("." in raw or "e" in raw.lower()) else int(raw)
        except ValueError:
            return raw
    if sub.get("format") == "date-time" and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", raw):
        # datetime-local has no zone: the official means local time (whole seconds, with the offset)
        return dt.datetime.fromisoformat(raw).replace(tzinfo=zone).isoformat(timespec="seconds")
    return raw


def parse(schema: dict, form, zone: dt.tzinfo) -> dict:
    """The JSON data of a submitted HTML form: empty fields left out, typed values kept as typed."""
    return _parse(schema, form, "", zone)


def _parse(schema, form, prefix, zone) -> dict:
    data = {}
    for key, sub in (schema.get("properties") or {}).items():
        name = f"{prefix}{key}"
        kind = sub.get("type")
        if kind == "object":
            inner = _parse(sub, form, f"{name}.", zone)
            if inner:
                data[key] = inner
        elif kind == "array":
            items = sub.get("items") or {}
            if items.get("type") == "object":
                indices = sorted({int(m.group(1)) for k in form.keys()
                                  if (m := re.fullmatch(rf"{re.escape(name)}\.(\d+)\..+", k))})
                texts = [k for k, v in (items.get("properties") or {}).items() if v.get("type") == "string"]
                # a row is what the official wrote: one holding only its defaults (a quantity) is no row
                rows = [r for i in indices if (r := _parse(items, form, f"{name}.{i}.", zone))
                        and (not texts or any(k in r for k in texts))]
                if rows:
                    data[key] = rows
            else:
                lines = [line.strip() for line in form.get(name, "").splitlines() if line.strip()]
                if lines:
                    data[key] = [_coerce(items, line, zone) for line in lines]
        elif kind == "boolean":
            if form.get(name):
                data[key] = True
        else:
            raw = form.get(name, "")
            if raw.strip():
                data[key] = _coerce(sub, raw.strip() if kind != "string" else raw, zone)
    return data


_MESSAGES = [
    (re.compile(r"is a required property$"), lambda m: _("Required.")),
    (re.compile(r"does not match"), lambda m: _("Not in the expected format.")),
    (re.compile(r"is not of type 'integer'"), lambda m: _("Enter a whole number.")),
    (re.compile(r"is not of type 'number'"), lambda m: _("Enter a number.")),
    (re.compile(r"is less than the minimum of (\S+)"), lambda m: _("At least %(min)s.", min=m.group(1))),
    (re.compile(r"is greater than the maximum of (\S+)"), lambda m: _("At most %(max)s.", max=m.group(1))),
    (re.compile(r"should be non-empty|is too short|\[\] should be non-empty"), lambda m: _("Must not be empty.")),
    (re.compile(r"is too long"), lambda m: _("Too long.")),
    (re.compile(r"is not one of|must be one of"), lambda m: _("Choose one of the listed values.")),
    (re.compile(r"was expected"), lambda m: _("Must be checked or chosen as required.")),
    (re.compile(r"is not a '([\w-]+)'"), lambda m: _("Not a valid %(format)s.", format=m.group(1))),
    (re.compile(r"^missing: (.+)$"), lambda m: _("Not handed in: %(name)s.", name=m.group(1))),
]


def message(text: str) -> str:
    """An engine validation message in the page's language (the engine's own words when unknown)."""
    for pattern, words in _MESSAGES:
        match = pattern.search(text)
        if match:
            return words(match)
    return text


def unplaced(errors: dict[str, list[str]], fields: list[Field]) -> list[str]:
    """Messages whose path names no drawn field (shown above the form, never lost)."""
    names = set()

    def walk(fs):
        for f in fs:
            names.add(f.name)
            for row in f.rows:
                walk(row)
            walk(f.children)

    walk(fields)
    return [f"{path}: {message(m)}" for path, msgs in errors.items() if path not in names
            and not any(path.startswith(n + ".") for n in names) for m in msgs]
