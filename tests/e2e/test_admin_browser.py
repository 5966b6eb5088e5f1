"""Administration in Debian's chromium at 1366×768 under the production CSP: an administrator creates an
agency and an official of it; the official signs in with the temporary password, must choose their own,
and then sees their agency's inbox (its dossier, not another commune's). Screenshots go to var/screenshots/."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from browsing import SCREENSHOTS, demo_app
from sqlalchemy import select
from support import PASSWORD, serving

from engine import dossiers
from engine.models import Agency, User

pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("MOTCUA_SCREENSHOTS", SCREENSHOTS))


@pytest.fixture
def admin_app(tmp_path):
    app, rt, engine = demo_app(tmp_path)
    yield app, rt
    engine.dispose()


def _receive(rt, agency_code: str, applicant: str) -> str:
    """A household-business dossier received at the agency's counter (by the administrator: no desk there yet)."""
    with rt.sessions() as s:
        agency = s.scalars(select(Agency).where(Agency.code == agency_code)).one()
        admin = s.scalars(select(User).where(User.username == "admin")).one()
        code = dossiers.receive_dossier(rt, s, procedure="household-business", agency_id=agency.id, channel="counter",
                                        applicant={"name": applicant}, actor=admin, now=rt.clock.now()).dossier.code
        s.commit()
        return code


def test_admin_creates_agency_and_official_who_sees_the_right_inbox(browser, admin_app):
    app, rt = admin_app
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    other = _receive(rt, "000.01.31.H26", "Lê Văn Khác")
    with serving(app) as base:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda msg: problems.append(f"console: {msg.text}")
                if msg.type == "error" and "status of 4" not in msg.text else None)

        def shot(name: str, full: bool = False):
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)

        page.goto(f"{base}/")
        page.get_by_label("Tên đăng nhập").fill("admin")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_role("link", name="Quản trị").click()
        page.wait_for_url(f"{base}/quan-tri/co-quan")
        shot("40-quan-tri-co-quan")

        # a wrong code first: the error beside the field, nothing created
        page.get_by_label("Mã cơ quan").fill("000 05")
        page.get_by_label("Tên tiếng Việt").fill("UBND xã Tân Mới")
        page.get_by_role("button", name="Tạo cơ quan").click()
        assert page.locator("#f-code-error").is_visible()
        shot("41-quan-tri-co-quan-loi")
        page.get_by_label("Mã cơ quan").fill("000.05.31.H26")
        page.get_by_label("Cấp", exact=True).fill("commune")
        page.get_by_label("Loại").fill("commune")
        page.get_by_label("Trực thuộc").select_option(label="Trung tâm Phục vụ hành chính công tỉnh (000.00.00.H26)")
        page.get_by_label("Hiệu lực từ ngày").fill("2025-07-01")
        page.get_by_role("button", name="Tạo cơ quan").click()
        page.wait_for_url("**/quan-tri/co-quan/*")
        assert "Đã tạo cơ quan 000.05.31.H26." in page.inner_text("main")
        shot("42-quan-tri-co-quan-moi", full=True)

        page.get_by_role("link", name="Cán bộ", exact=True).click()
        page.get_by_label("Tên đăng nhập").fill("tanmoi.specialist")
        page.get_by_label("Họ và tên").fill("Nguyễn Thị Mới")
        page.get_by_label("Cơ quan", exact=True).select_option(label="— UBND xã Tân Mới (000.05.31.H26)")
        page.get_by_label("Vai trò", exact=True).select_option(label="Chuyên viên")
        page.get_by_role("button", name="Tạo cán bộ").click()
        secret = page.locator("#temporary-password").inner_text().strip()
        assert len(secret) >= 10
        shot("43-quan-tri-can-bo-moi")
        page.get_by_role("link", name="Lịch làm việc").click()
        page.get_by_label("Ngày", exact=True).fill("2026-12-31")
        page.get_by_label("ngày nghỉ (ngày thường được hoán đổi)").check()
        page.get_by_label("Nội dung quyết định").fill("Nghỉ hoán đổi cho thứ Bảy 09/01/2027")
        page.get_by_role("button", name="Ghi", exact=True).click()
        assert "Đã sửa lịch làm việc." in page.inner_text("main")
        shot("46-quan-tri-lich", full=True)
        page.get_by_role("link", name="Nhật ký quản trị").click()
        assert "Tạo cán bộ" in page.inner_text("main")
        shot("47-quan-tri-nhat-ky")
        page.get_by_role("button", name="Đăng xuất").click()

        mine = _receive(rt, "000.05.31.H26", "Trần Văn Mới")

        page.get_by_label("Tên đăng nhập").fill("tanmoi.specialist")
        page.get_by_label("Mật khẩu").fill(secret)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{base}/doi-mat-khau")  # a temporary password: their own first
        page.goto(f"{base}/hop-viec")
        page.wait_for_url(f"{base}/doi-mat-khau")
        shot("44-doi-mat-khau-bat-buoc")
        page.get_by_label("Mật khẩu hiện tại").fill(secret)
        page.get_by_label("Mật khẩu mới (ít nhất 10 ký tự)").fill("mat-khau-cua-toi")
        page.get_by_label("Nhập lại mật khẩu mới").fill("mat-khau-cua-toi")
        page.get_by_role("button", name="Đổi mật khẩu").click()
        page.get_by_role("link", name="Đến hộp việc").click()
        page.wait_for_url(f"{base}/hop-viec")
        text = page.inner_text("main")
        shot("45-hop-viec-can-bo-moi")
        assert mine in text and other not in text
        assert "UBND xã Tân Mới" in page.inner_text("header")
        # the administration is not theirs
        assert page.get_by_role("link", name="Quản trị").count() == 0
        assert page.goto(f"{base}/quan-tri/can-bo").status == 404
    assert not problems, problems
