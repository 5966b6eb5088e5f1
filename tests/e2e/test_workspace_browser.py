"""The workspace as an official uses it, in Debian's chromium at 1366×768, under the production CSP.

Signs in, opens the inbox, takes a task, submits its form with one field wrong then right, and opens the
dossier page with its diagram. Each page is saved as a screenshot under var/screenshots/ (git-ignored) for
a person to look at. Every request leaving 127.0.0.1 is refused and recorded; the pages run under the
Content-Security-Policy api/security.py sends (no inline script), added here so the test holds without it.
"""
from __future__ import annotations

import pytest
from browsing import SCREENSHOTS, app_under_csp, demo_runtime
from samples import HH_APPROVE
from sqlalchemy import select
from support import APPLICANT, PASSWORD, serving

from engine import dossiers
from engine.models import Agency, User

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(tmp_path):
    """The app on a fresh SQLite file: demo officials, the library, one dossier waiting for its specialist."""
    rt, engine = demo_runtime(tmp_path, "workspace")
    with rt.sessions() as s:
        reception = s.scalars(select(User).where(User.username == "tanlap.reception")).one()
        tanlap = s.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
        for name in ("Nguyễn Văn An", APPLICANT["name"]):
            result = dossiers.receive_dossier(rt, s, procedure="household-business", agency_id=tanlap,
                                              channel="counter", applicant={**APPLICANT, "name": name},
                                              actor=reception, now=rt.clock.now())
            s.commit()
    yield app_under_csp(rt), result.dossier.code
    engine.dispose()


def test_an_official_takes_and_completes_a_task_then_opens_the_dossier(browser, workspace):
    app, code = workspace
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    problems: list[str] = []

    def only_local(route):
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with serving(app) as base:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        page.route("**/*", only_local)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        # (the refused form answers 422 on purpose: chromium logs that status as a console error)
        page.on("console", lambda msg: problems.append(f"console: {msg.text}")
                if msg.type == "error" and "status of 422" not in msg.text else None)

        def shot(name: str):
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

        page.goto(f"{base}/")
        assert page.locator("html").get_attribute("lang") == "vi"
        shot("01-dang-nhap")
        page.get_by_label("Tên đăng nhập").fill("tanlap.specialist")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()

        page.wait_for_url(f"{base}/hop-viec")
        assert page.get_by_role("heading", name="Hộp việc").is_visible()
        assert page.locator("tbody tr").count() == 2
        page.get_by_label("Mã hồ sơ hoặc chủ hồ sơ").fill("tran thi binh")
        page.get_by_role("button", name="Lọc", exact=True).click()
        page.wait_for_url("**/hop-viec?**")
        assert page.locator("tbody tr").count() == 1 and code in page.locator("tbody").inner_text()
        assert "còn 1 ngày 4 giờ làm việc" in page.locator("tbody").inner_text() or \
            "làm việc" in page.locator("tbody").inner_text()
        shot("02-hop-viec")

        page.get_by_role("link", name="Thẩm định hồ sơ").click()
        page.wait_for_url("**/cong-viec/*")
        page.get_by_role("button", name="Nhận xử lý").click()
        page.wait_for_selector("text=Bạn đã nhận xử lý công việc này.")
        shot("03-cong-viec")

        page.get_by_label("Tên hộ kinh doanh").fill(HH_APPROVE["business_name"])
        page.get_by_label("Đã tra cứu: tên không trùng").check()
        page.get_by_label("Họ và tên chủ hộ kinh doanh").fill(HH_APPROVE["owner_name"])
        page.get_by_label("Số định danh cá nhân của chủ hộ kinh doanh").fill("12345")  # wrong: 12 digits
        page.get_by_label("Địa điểm kinh doanh").fill(HH_APPROVE["business_address"])
        page.get_by_label("Mã ngành cấp 4 (1)").fill("4711")
        page.get_by_label("Tên ngành, nghề (1)").fill("Bán lẻ lương thực, thực phẩm")
        page.get_by_label("Vốn kinh doanh (đồng)").fill("150000000")
        page.get_by_role("button", name="Đủ điều kiện – trình ký Giấy chứng nhận").click()
        error = page.locator("#owner_id_number-error")
        error.wait_for()
        assert error.inner_text().strip() == "Không đúng định dạng."
        assert page.get_by_label("Tên hộ kinh doanh").input_value() == HH_APPROVE["business_name"]
        error.scroll_into_view_if_needed()
        shot("04-cong-viec-loi")

        page.get_by_label("Số định danh cá nhân của chủ hộ kinh doanh").fill(HH_APPROVE["owner_id_number"])
        page.get_by_role("button", name="Đủ điều kiện – trình ký Giấy chứng nhận").click()
        page.wait_for_url(f"{base}/hop-viec")
        assert "Đã hoàn thành bước “Thẩm định hồ sơ”" in page.locator("main").inner_text()

        page.goto(f"{base}/hop-viec?status=completed")
        page.get_by_role("link", name=code).click()
        page.wait_for_url("**/ho-so/*")
        page.wait_for_selector("#diagram[data-ready='true']", timeout=30_000)
        assert page.locator(".djs-element.step-done").count() >= 1
        assert page.locator(".djs-element.step-current").count() >= 1
        assert "Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05)" in page.locator("main").inner_text()
        shot("05-ho-so")
        page.locator("#sheet-title").scroll_into_view_if_needed()
        shot("06-ho-so-phieu-kiem-soat")
        page.close()

    assert not problems, problems
    assert not outside, f"the workspace tried to reach outside 127.0.0.1: {outside}"


def test_the_idle_notice_shows_before_the_session_ends(browser, workspace):
    app, _ = workspace
    idle = app.extensions["motcua"].settings.session_idle_hours * 3600
    with serving(app) as base:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.clock.install()
        page.goto(f"{base}/")
        page.get_by_label("Tên đăng nhập").fill("tanlap.specialist")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{base}/hop-viec")
        notice = page.locator("#idle-notice")
        assert notice.is_hidden()
        page.clock.fast_forward(int((idle - 30 * 60) * 1000))  # half an hour before the end: no notice yet
        assert notice.is_hidden()
        # the page counts from its load and ten minutes short (the server records use every ten minutes):
        # it warns ten minutes before that, 11:40 after the load with the default twelve hours
        page.clock.fast_forward(15 * 60 * 1000)
        notice.wait_for(state="visible")
        assert "Phiên làm việc sắp kết thúc" in notice.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "07-sap-het-phien.png"))
        page.get_by_role("button", name="Tiếp tục làm việc").click()
        notice.wait_for(state="hidden")
        page.close()
