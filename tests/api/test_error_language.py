"""Problem documents follow Accept-Language: Vietnamese by default, English when asked; the code never changes."""
from __future__ import annotations

import pytest


def _vi(client):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)  # as a client that says nothing
    return client


def test_without_accept_language_the_problem_is_in_vietnamese(client, login):
    login(_vi(client), "tanlap.specialist")
    body = client.get("/api/v1/dossiers/999999").get_json()
    assert body["title"] == "Không tìm thấy" and body["detail"] == "không có hồ sơ 999999"
    assert body["code"] == "not_found" and body["status"] == 404


def test_english_when_asked_with_the_values_kept(client, login):
    login(client, "tanlap.specialist")
    body = client.get("/api/v1/dossiers/999999", headers={"Accept-Language": "en-US,en;q=0.9"}).get_json()
    assert body["title"] == "Not Found" and body["detail"] == "no dossier 999999"
    body = client.get("/api/v1/dossiers/999999", headers={"Accept-Language": "fr, vi;q=0.5"}).get_json()
    assert body["detail"] == "không có hồ sơ 999999"


@pytest.mark.parametrize("language, title, detail, postmark, name", [
    ("vi", "Dữ liệu không hợp lệ", "chưa tiếp nhận được hồ sơ",
     "hồ sơ qua bưu chính phải có thời điểm theo dấu bưu điện", "bắt buộc"),
    ("en", "Unprocessable Entity", "the dossier cannot be received",
     "the postmark time is required for a postal dossier", "required"),
])
def test_the_engines_field_messages_follow_the_language(client, login, language, title, detail, postmark, name):
    login(client, "tanlap.reception")
    response = client.post("/api/v1/dossiers", headers={"Accept-Language": language}, json={
        "procedure": "household-business", "agency_id": 1, "channel": "postal", "applicant": {"name": " "}})
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["title"] == title and body["detail"] == detail and body["code"] == "invalid_input"
    assert body["errors"] == {"clock_started_at": [postmark], "applicant.name": [name]}


@pytest.mark.parametrize("language, channel, length", [
    ("vi", "Phải là một trong các giá trị: counter, online, postal.", "Độ dài phải từ 1 đến 255."),
    ("en", "Must be one of: counter, online, postal.", "Length must be between 1 and 255."),
])
def test_the_schemas_field_messages_follow_the_language(client, login, language, channel, length):
    login(client, "tanlap.reception")
    body = client.post("/api/v1/dossiers", headers={"Accept-Language": language}, json={
        "procedure": "household-business", "agency_id": 1, "channel": "fax", "applicant": {"name": ""}}).get_json()
    assert body["errors"] == {"channel": [channel], "applicant": {"name": [length]}}


def test_webargs_and_unknown_parameters_are_translated_too(client, login):
    login(_vi(client), "tanlap.specialist")
    body = client.get("/api/v1/tasks?mine=true").get_json()
    assert body["status"] == 422 and body["detail"].startswith("tham số truy vấn không xác định: ")
    assert "mine" in body["detail"]


def test_the_public_look_up_answers_in_the_citizens_language(client, receive):
    d = receive().dossier
    vi = _vi(client).get(f"/api/v1/public/dossiers/{d.code}?secret=WRONG").get_json()
    en = client.get(f"/api/v1/public/dossiers/{d.code}?secret=WRONG", headers={"Accept-Language": "en"}).get_json()
    assert vi["detail"] == "không có hồ sơ nào có mã hồ sơ và mã tra cứu này"
    assert en["detail"] == "no dossier with this code and secret"


def test_pages_keep_their_own_switch(client):
    # the workspace's pages speak the official's chosen language, not the browser's header
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="vi"' in html
