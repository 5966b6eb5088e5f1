"""The desk's pages in Debian's chromium at 1366×768 (the public look-up at 390×844, a phone), under the
production CSP: receive a dossier at the desk, look it up as the citizen, return a result by post, read the
tracking book. Screenshots go to var/screenshots/ (git-ignored) for a person to look at."""
from __future__ import annotations

import pytest
from browsing import SCREENSHOTS, app_under_csp, demo_runtime, walked_dossier
from samples import HH_APPROVE, HH_ISSUE, SIGN_APPROVE
from sqlalchemy import select
from support import PASSWORD, serving

from engine.models import Dossier

pytestmark = pytest.mark.slow


@pytest.fixture
def desk_app(tmp_path):
    rt, engine = demo_runtime(tmp_path, "desk")
    # one dossier whose result waits at the desk
    walked_dossier(rt, (("examine", HH_APPROVE), ("sign", SIGN_APPROVE), ("issue", HH_ISSUE)))
    yield app_under_csp(rt), rt
    engine.dispose()


def test_desk_receive_lookup_return_and_book(browser, desk_app):
    app, rt = desk_app
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with serving(app) as base:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda msg: problems.append(f"console: {msg.text}")
                if msg.type == "error" and "status of 4" not in msg.text else None)

        def shot(p, name: str, full: bool = False):
            p.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full)

        page.goto(f"{base}/")
        page.get_by_label("Tên đăng nhập").fill("tanlap.reception")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{base}/hop-viec")

        page.get_by_role("link", name="Tiếp nhận", exact=True).click()
        page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("ho kinh doanh")
        page.get_by_role("button", name="Tìm kiếm").click()
        page.wait_for_url("**/tiep-nhan?q=**")
        shot(page, "10-tiep-nhan-tim-thu-tuc")
        page.get_by_role("link", name="Đăng ký thành lập hộ kinh doanh").first.click()
        page.wait_for_url("**/tiep-nhan/thu-tuc/household-business")
        shot(page, "11-tiep-nhan-thu-tuc")
        # first without a name: the error beside the field, nothing stored
        page.get_by_label("Số điện thoại").fill("0912345678")
        page.get_by_role("button", name="Tiếp nhận và cấp giấy hẹn").click()
        page.locator("#applicant-name-error").wait_for()
        assert page.get_by_label("Số điện thoại").input_value() == "0912345678"
        shot(page, "12-tiep-nhan-loi")
        page.get_by_label("Họ tên người nộp hồ sơ").fill("Nguyễn Văn An")
        page.get_by_label("Địa chỉ").fill("Thôn Đông, xã Tân Lập")
        page.get_by_role("button", name="Tiếp nhận và cấp giấy hẹn").click()
        page.wait_for_url("**/tiep-nhan/ho-so/*")
        code = page.locator("dd.code").inner_text().strip()
        assert "Đã tiếp nhận hồ sơ" in page.content()
        shot(page, "13-tiep-nhan-xong")

        with rt.sessions() as s:
            secret = s.scalars(select(Dossier.lookup_secret).where(Dossier.code == code)).one()
        phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="vi-VN")
        phone.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        phone.goto(f"{base}/lookup?code={code}&secret={secret}")
        assert "Nguyễn Văn An" not in phone.content() and code in phone.content()
        shot(phone, "14-tra-cuu-dien-thoai", full=True)
        phone.goto(f"{base}/lookup")
        shot(phone, "15-tra-cuu-trong")

        page.get_by_role("link", name="Trả kết quả", exact=True).click()
        page.wait_for_url("**/tra-ket-qua")
        shot(page, "16-tra-ket-qua")
        page.locator("a.button", has_text="Trả kết quả").first.click()
        page.wait_for_url("**/tra-ket-qua/*")
        page.get_by_label("Qua bưu chính công ích").check()
        page.get_by_label("Mã bưu gửi").fill("EB123456789VN")
        shot(page, "17-tra-ket-qua-buu-chinh")
        page.get_by_role("button", name="Ghi nhận trả kết quả và kết thúc hồ sơ").click()
        page.wait_for_url("**/tra-ket-qua")
        assert "đã trả kết quả" in page.content()

        page.get_by_role("link", name="Sổ theo dõi", exact=True).click()
        page.wait_for_url("**/so-theo-doi")
        assert code in page.content()
        shot(page, "18-so-theo-doi")
    assert not problems, problems
