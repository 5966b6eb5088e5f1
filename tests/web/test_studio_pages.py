"""The studio over HTTP: designers and approvers only, live lint answers with element ids, a save from an old
revision is 409 and loses nothing, an XML bomb and an oversized upload are refused with a clear answer, the
designer cannot approve their own change, an approver's approval makes a version that can be downloaded."""
from __future__ import annotations

import pytest
from support import restore_library

SLUG = "birth-registration"


@pytest.fixture
def designer(page_client, rt):
    client = page_client("tinh.designer")
    yield client
    restore_library(rt)


def _start(client):
    response = client.post(f"/studio/{SLUG}/draft", data={"csrf_token": client.csrf})
    assert response.status_code == 302
    return client.get(f"/studio/{SLUG}/draft.json").get_json()


def _post(client, path, **kw):
    return client.post(path, headers={"X-CSRF-Token": client.csrf}, **kw)


def test_the_studio_is_for_designers(designer, page_client):
    assert "birth-registration" in designer.get("/studio/").get_data(as_text=True)
    for who in ("tanlap.specialist", "admin"):
        assert page_client(who).get("/studio/").status_code == 404
    assert page_client("tanlap.head").post(f"/studio/{SLUG}/draft", data={}).status_code == 400  # no CSRF token


def test_live_lint_names_the_element_and_a_fix_clears_it(designer):
    draft = _start(designer)
    bad = draft["bpmn"].replace('value="PT2H"', 'value="3 days"')
    messages = _post(designer, f"/studio/{SLUG}/lint", data=bad, content_type="application/xml").get_json()["messages"]
    assert [m["element"] for m in messages if m["severity"] == "error"] == ["examine"], messages
    good = _post(designer, f"/studio/{SLUG}/lint", data=draft["bpmn"], content_type="application/xml").get_json()
    assert not [m for m in good["messages"] if m["severity"] == "error"]


def test_a_stale_save_is_a_conflict(designer):
    draft = _start(designer)
    first = _post(designer, f"/studio/{SLUG}/save", json={"revision": draft["revision"], "bpmn": draft["bpmn"].replace(
        'value="PT2H"', 'value="PT3H"')})
    assert first.status_code == 200 and first.get_json()["revision"] == draft["revision"] + 1
    stale = _post(designer, f"/studio/{SLUG}/save", json={"revision": draft["revision"], "bpmn": draft["bpmn"]})
    assert stale.status_code == 409 and "not saved" in stale.get_json()["detail"]
    assert 'value="PT3H"' in designer.get(f"/studio/{SLUG}/draft.json").get_json()["bpmn"]


def test_an_xml_bomb_and_a_50_mb_upload_are_refused(designer):
    draft = _start(designer)
    bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    response = _post(designer, f"/studio/{SLUG}/save", json={"revision": draft["revision"], "bpmn": bomb})
    assert response.status_code == 422 and "DOCTYPE" in response.get_json()["detail"]
    response = _post(designer, f"/studio/{SLUG}/lint", data=bomb, content_type="application/xml")
    assert response.status_code == 422
    big = b"<x>" + b"a" * (50 << 20) + b"</x>"
    response = _post(designer, f"/studio/{SLUG}/lint", data=big, content_type="application/xml")
    assert response.status_code == 413
    assert designer.get(f"/studio/{SLUG}/draft.json").get_json()["revision"] == draft["revision"]


def test_approval_by_another_user_makes_a_version(designer, page_client):
    draft = _start(designer)
    saved = _post(designer, f"/studio/{SLUG}/save", json={"revision": draft["revision"], "bpmn": draft["bpmn"].replace(
        'value="PT2H"', 'value="PT3H"')}).get_json()
    assert designer.post(f"/studio/{SLUG}/approve", data={"csrf_token": designer.csrf,
                                                         "revision": saved["revision"]}).status_code == 403
    approver = page_client("tinh.approver")
    response = approver.post(f"/studio/{SLUG}/approve", data={"csrf_token": approver.csrf,
                                                              "revision": saved["revision"]})
    assert response.status_code == 302 and response.headers["Location"].endswith("deployed=2")
    page = designer.get(f"/studio/{SLUG}/versions").get_data(as_text=True)
    assert "Cán bộ kiểm soát TTHC" in page and "Người phê duyệt quy trình" in page
    assert 'value="PT3H"' in designer.get(f"/studio/{SLUG}/versions/2.bpmn").get_data(as_text=True)
    diff = designer.get(f"/studio/{SLUG}/diff?a=1&b=2").get_data(as_text=True)
    assert "budget: PT2H → PT3H" in diff


def test_the_simulation_panel_and_procedure_toml(designer):
    """The panel's answer is the real simulation (never "not available"): every path's budget beside the legal
    deadline. procedure.toml is linted as edited (file and line named) and saved with the draft."""
    draft = _start(designer)
    answer = _post(designer, f"/studio/{SLUG}/simulate", json={}).get_json()
    assert answer["available"] and "not available" not in answer["message"] and answer["ok"], answer
    assert all(p["hours"] <= answer["deadline_hours"] and p["fits"] for p in answer["paths"]) and answer["paths"]
    toml = draft["toml"].replace('unit = "same_day"', 'unit = "fortnights"')
    messages = _post(designer, f"/studio/{SLUG}/lint", json={"bpmn": draft["bpmn"], "toml": toml}).get_json()["messages"]
    assert any(m["file"] == "procedure.toml" and m["severity"] == "error" and m["line"] for m in messages), messages
    saved = _post(designer, f"/studio/{SLUG}/save", json={"revision": draft["revision"], "toml": toml})
    assert saved.status_code == 200
    assert 'unit = "fortnights"' in designer.get(f"/studio/{SLUG}/draft.json").get_json()["toml"]
    page = designer.get(f"/studio/{SLUG}").get_data(as_text=True)
    assert 'id="toml"' in page and "fortnights" in page


def test_a_new_procedure_is_created_from_the_studio(designer, page_client):
    form = {"csrf_token": designer.csrf, "name": "Cấp phép thử", "slug": "cap-phep-thu"}
    assert page_client("tanlap.specialist").post("/studio/new-procedure", data=form).status_code in (400, 404)
    response = designer.post("/studio/new-procedure", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/studio/cap-phep-thu")
    draft = designer.get("/studio/cap-phep-thu/draft.json").get_json()
    assert 'name_vi = "Cấp phép thử"' in draft["toml"] and 'id="lane_specialist"' in draft["bpmn"]
    assert "cap-phep-thu" in designer.get("/studio/").get_data(as_text=True)
    again = designer.post("/studio/new-procedure", data=form)
    assert again.status_code == 409
    bad = designer.post("/studio/new-procedure", data={**form, "slug": "Có dấu"})
    assert bad.status_code == 422 and "slug" in bad.get_data(as_text=True)


def test_a_file_without_a_drawing_is_laid_out_for_the_modeler(designer, page_client):
    draft = _start(designer)
    undrawn = draft["bpmn"][:draft["bpmn"].index("<bpmndi:BPMNDiagram")] + "</bpmn:definitions>\n"
    answer = _post(designer, f"/studio/{SLUG}/layout", data=undrawn, content_type="application/xml")
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    assert 'bpmnElement="examine"' in answer.get_data(as_text=True)
    bad = _post(designer, f"/studio/{SLUG}/layout", data="<bpmn:definitions", content_type="application/xml")
    assert bad.status_code == 422 and "bpmn" in bad.get_json()["errors"]
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaa">]>' + undrawn
    assert _post(designer, f"/studio/{SLUG}/layout", data=bomb, content_type="application/xml").status_code == 422
    specialist = page_client("tanlap.specialist")
    refused = specialist.post(f"/studio/{SLUG}/layout", data=undrawn, content_type="application/xml",
                              headers={"X-CSRF-Token": specialist.csrf})
    assert refused.status_code in (403, 404)
