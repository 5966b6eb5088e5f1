"""The procedure catalog over HTTP: every official reads it; designers and admins see the versions."""
from __future__ import annotations

from support import LIBRARY


def test_the_catalog_needs_a_login(client):
    answer = client.get("/api/v1/procedures")
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"


def test_catalog_lists_each_procedure_with_its_legal_terms(client_for):
    answer = client_for("hoabinh.specialist").get("/api/v1/procedures")
    assert answer.status_code == 200
    by_slug = {p["slug"]: p for p in answer.get_json()}
    assert set(by_slug) == set(LIBRARY)  # every package of workflows/, however many
    household = by_slug["household-business"]
    assert (household["code"], household["local_code"], household["version"]) == ("1.001612", None, 1)
    assert household["name_vi"] == "Đăng ký thành lập hộ kinh doanh" and household["name_en"]
    assert (household["level"], household["agency_kind"]) == ("commune", "commune")
    assert household["field"] == "Thành lập và hoạt động của hộ kinh doanh"
    assert household["deadline"] == {"unit": "working_days", "value": 3, "cutoff": None,
                                      "text_vi": "3 ngày làm việc"}
    assert household["fees"][0]["amount"] == 100000
    assert household["documents"][0] == {
        "name_vi": "Giấy đề nghị đăng ký hộ kinh doanh (mẫu ban hành kèm Thông tư 68/2025/TT-BTC)",
        "name_en": "Application for household business registration", "copies": 1, "required": True}
    assert household["channels"] == ["counter", "online", "postal"]
    assert household["result_delivery"] == ["counter", "postal", "online"]
    assert "forms" not in household
    birth = by_slug["birth-registration"]
    assert birth["deadline"]["unit"] == "same_day" and birth["deadline"]["text_vi"] == "trong ngày"
    assert birth["deadline"]["cutoff"] == "15:00:00"


def test_one_procedure_with_its_forms(client_for):
    client = client_for("tanlap.reception")
    answer = client.get("/api/v1/procedures/birth-registration")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["version"] == 1 and body["code"] == "1.001193"
    assert {"examine.json", "sign.json", "return_result.json"} <= set(body["forms"])
    assert body["forms"]["return_result.json"]["required"] == ["delivery"]
    missing = client.get("/api/v1/procedures/no-such-procedure")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"


def test_version_history_is_for_designers_and_admins(client_for):
    url = "/api/v1/procedures/household-business/versions"
    assert client_for("tanlap.leader").get(url).status_code == 403
    for who in ("tinh.designer", "admin"):
        answer = client_for(who).get(url)
        assert answer.status_code == 200
        [only] = answer.get_json()
        assert only["version"] == 1 and only["is_current"] is True and len(only["checksum"]) == 64
    assert client_for("admin").get("/api/v1/procedures/nope/versions").status_code == 404
