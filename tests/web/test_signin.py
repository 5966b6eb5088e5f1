"""Signing in and out, CSRF, the language switch, the password and the layout every page shares."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from support import PASSWORD
from web_support import csrf_of, sign_in
from werkzeug.security import generate_password_hash

from engine.models import User


def test_the_sign_in_page_is_vietnamese_at_the_root(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html and 'name="csrf_token"' in html
    assert "<script>" not in html and " onclick=" not in html  # the CSP allows no inline script


def test_a_page_asks_to_sign_in_first_and_comes_back(client):
    response = client.get("/hop-viec?scope=mine")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?next=/hop-viec?scope%3Dmine"
    token = csrf_of(client.get(response.headers["Location"]).get_data(as_text=True))
    signed = client.post("/dang-nhap", data={"username": "tanlap.specialist", "password": PASSWORD,
                                              "csrf_token": token, "next": "/hop-viec?scope=mine"})
    assert signed.headers["Location"] == "/hop-viec?scope=mine"


def test_sign_in_refuses_a_next_page_on_another_site(app):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = app.test_client()
        token = csrf_of(client.get("/").get_data(as_text=True))
        signed = client.post("/dang-nhap", data={"username": "tanlap.specialist", "password": PASSWORD,
                                                  "csrf_token": token, "next": target})
        assert signed.headers["Location"] == "/hop-viec", target


def test_a_form_without_the_csrf_token_is_refused(client, page_client):
    response = client.post("/dang-nhap", data={"username": "tanlap.specialist", "password": PASSWORD})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    official = page_client("tanlap.specialist")
    assert official.post("/dang-xuat").status_code == 400
    assert official.post("/dang-xuat", data={"csrf_token": "wrong"}).status_code == 400
    assert official.get("/hop-viec").status_code == 200  # still signed in
    # htmx sends the token as a header
    assert official.post("/dang-xuat", headers={"X-CSRF-Token": official.csrf}).status_code == 302
    assert official.get("/hop-viec").status_code == 302


def test_wrong_password_is_a_page_in_vietnamese(client):
    token = csrf_of(client.get("/").get_data(as_text=True))
    response = client.post("/dang-nhap", data={"username": "tanlap.specialist", "password": "nope",
                                                "csrf_token": token})
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Sai tên đăng nhập hoặc mật khẩu." in html
    assert 'value="tanlap.specialist"' in html  # the username is kept


def test_the_layout_names_the_official_and_agency(page_client):
    html = page_client("tanlap.specialist").get("/hop-viec").get_data(as_text=True)
    assert "UBND xã Tân Lập" in html
    assert "Hộp việc" in html and "Tiếp nhận" in html and "Sổ theo dõi" in html
    assert "Đăng xuất" in html and "Chuyên viên" in html
    assert 'data-idle-seconds="' in html


def test_the_language_switch_keeps_english_in_a_cookie(page_client):
    official = page_client("tanlap.specialist")
    switched = official.post("/ngon-ngu", data={"lang": "en", "next": "/hop-viec", "csrf_token": official.csrf})
    assert switched.status_code == 302 and switched.headers["Location"] == "/hop-viec"
    html = official.get("/hop-viec").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Inbox" in html and "Sign out" in html and "Hộp việc" not in html
    official.post("/ngon-ngu", data={"lang": "vi", "next": "/hop-viec", "csrf_token": official.csrf})
    assert "Hộp việc" in official.get("/hop-viec").get_data(as_text=True)


def test_logout_ends_the_session_on_the_server(app, page_client):
    official = page_client("tanlap.specialist")
    copied = app.test_client()
    copied.set_cookie("session", official.get_cookie("session").value)
    assert copied.get("/hop-viec").status_code == 200
    official.post("/dang-xuat", data={"csrf_token": official.csrf})
    assert copied.get("/hop-viec").status_code == 302


@pytest.fixture
def clerk_password_restored(rt):
    """The seeded officials are shared by every test: the clerk's password goes back afterwards."""
    yield
    with rt.sessions() as s:
        clerk = s.scalars(select(User).where(User.username == "tanlap.clerk")).one()
        clerk.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        s.commit()


def test_change_password(app, page_client, clerk_password_restored):
    official = page_client("tanlap.clerk")
    other = page_client("tanlap.clerk")
    page = official.get("/doi-mat-khau").get_data(as_text=True)
    assert 'for="current_password"' in page and 'for="new_password"' in page
    wrong = official.post("/doi-mat-khau", data={"csrf_token": official.csrf, "current_password": "nope",
                                                  "new_password": "a-new-pass-456", "confirm_password": "a-new-pass-456"})
    assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng." in wrong.get_data(as_text=True)
    short = official.post("/doi-mat-khau", data={"csrf_token": official.csrf, "current_password": PASSWORD,
                                                  "new_password": "short", "confirm_password": "short"})
    assert short.status_code == 422 and "ít nhất 10 ký tự" in short.get_data(as_text=True)
    done = official.post("/doi-mat-khau", data={"csrf_token": official.csrf, "current_password": PASSWORD,
                                                 "new_password": "a-new-pass-456", "confirm_password": "a-new-pass-456"})
    assert done.status_code == 200 and "Đã đổi mật khẩu" in done.get_data(as_text=True)
    assert official.get("/hop-viec").status_code == 200  # this session stays
    assert other.get("/hop-viec").status_code == 302  # the others end
    sign_in(app.test_client(), "tanlap.clerk", "a-new-pass-456")


def test_failed_sign_ins_are_throttled_as_the_apis(client):
    token = csrf_of(client.get("/").get_data(as_text=True))
    codes = [client.post("/dang-nhap", data={"username": "tanlap.specialist", "password": "nope",
                                              "csrf_token": token}).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    # while throttled even the right password is not tried
    response = client.post("/dang-nhap", data={"username": "tanlap.specialist", "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 429 and "thử lại sau" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) >= 1
