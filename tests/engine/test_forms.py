"""engine.forms: defaults applied at any depth, formats really checked, errors keyed by field path."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from samples import BR_APPROVE

from engine import forms
from engine.errors import InvalidInput

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def _form(slug: str, name: str) -> dict:
    return json.loads((WORKFLOWS / slug / "forms" / f"{name}.json").read_text(encoding="utf-8"))


def test_a_date_time_in_local_writing_is_refused_naming_the_field():
    schema = _form("birth-registration", "wait_supplement")
    data = {"supplemented_at": "04/12/2026 10:00", "channel": "postal", "documents_received": ["Tờ khai"]}
    with pytest.raises(InvalidInput) as exc:
        forms.prepare(schema, data)
    assert list(exc.value.errors) == ["supplemented_at"]
    assert "định dạng ngày giờ" in exc.value.errors["supplemented_at"][0]
    ok = {**data, "supplemented_at": "2026-12-04T10:00:00+07:00"}
    assert forms.prepare(schema, ok) == ok


@pytest.mark.parametrize(("fmt", "bad", "good"), [
    ("date", "2026-13-01", "2026-12-04"),
    ("date", "04/12/2026", "2026-12-04"),
    ("email", "không-phải-thư", "an@example.vn"),
])
def test_dates_and_email_addresses_are_checked(fmt, bad, good):
    schema = {"type": "object", "properties": {"x": {"type": "string", "format": fmt}}}
    with pytest.raises(InvalidInput) as exc:
        forms.prepare(schema, {"x": bad})
    assert list(exc.value.errors) == ["x"]
    assert forms.prepare(schema, {"x": good}) == {"x": good}


def test_defaults_are_applied_nested_before_validating_and_the_input_is_not_changed():
    schema = _form("birth-registration", "examine")
    data = copy.deepcopy(BR_APPROVE)
    del data["child"]["ethnicity"], data["mother"]["ethnicity"], data["mother"]["nationality"]
    before = copy.deepcopy(data)
    prepared = forms.prepare(schema, data)
    assert prepared["child"]["ethnicity"] == "Kinh"
    assert (prepared["mother"]["ethnicity"], prepared["mother"]["nationality"]) == ("Kinh", "Việt Nam")
    assert data == before


def test_defaults_reach_array_items_and_never_create_an_absent_object():
    schema = {"type": "object", "properties": {
        "people": {"type": "array", "items": {"type": "object", "properties": {"n": {"default": 1}}}},
        "opt": {"type": "object", "properties": {"k": {"default": "v"}}},
        "top": {"type": "string", "default": "d"},
    }}
    assert forms.apply_defaults(schema, {"people": [{}, {"n": 2}]}) == {"people": [{"n": 1}, {"n": 2}], "top": "d"}


def test_a_required_field_missing_is_named_by_its_path():
    schema = _form("birth-registration", "examine")
    data = copy.deepcopy(BR_APPROVE)
    del data["mother"]["full_name"]
    with pytest.raises(InvalidInput) as exc:
        forms.prepare(schema, data)
    assert "mother.full_name" in exc.value.errors
