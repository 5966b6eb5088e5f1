"""The studio's JSON API (/api/v1/studio): the draft's lint takes a procedure.toml and forms to check, as the
studio's page does, each the draft's own when absent."""
from __future__ import annotations

import pytest
from support import restore_library

V1 = "/api/v1/studio/procedures/birth-registration"


@pytest.fixture
def designer(client_for, rt):
    client = client_for("tinh.designer")
    yield client
    restore_library(rt)


def test_lint_checks_the_toml_and_forms_sent_and_the_drafts_own_otherwise(designer):
    draft = designer.post(f"{V1}/draft")
    assert draft.status_code == 201, draft.get_json()
    toml = draft.get_json()["toml"]
    assert designer.post(f"{V1}/draft/lint", json={}).get_json()["messages"] == []  # the draft as saved is clean
    bad = toml.replace('unit = "same_day"', 'unit = "fortnights"')
    assert bad != toml
    messages = designer.post(f"{V1}/draft/lint", json={"toml": bad}).get_json()["messages"]
    errors = [m for m in messages if m["severity"] == "error"]
    assert errors and all(m["file"] == "procedure.toml" and m["line"] for m in errors), messages
    assert designer.post(f"{V1}/draft/lint", json={"toml": 7}).status_code == 422
