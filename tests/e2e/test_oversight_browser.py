"""A supervisor in Debian's chromium at 1366×768: acknowledges an escalation, reads the risk board and
exports report II.06a (XLSX read back, PDF read back with pdftotext); a leader reads the 766 indicators, the
annual evaluation and a form 04 letter. Each page is saved as a screenshot under var/screenshots/."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from browsing import SCREENSHOTS, app_under_csp, demo_runtime
from openpyxl import load_workbook
from sqlalchemy import select
from support import APPLICANT, PASSWORD, serving

from engine import dossiers, escalation
from engine.models import Agency, User

pytestmark = pytest.mark.slow


@pytest.fixture
def supervised(tmp_path):
    """A fresh SQLite workspace: two dossiers received now, and a deadline scan a week later (rungs 1-4)."""
    rt, engine = demo_runtime(tmp_path, "oversight")
    with rt.sessions() as s:
        reception = s.scalars(select(User).where(User.username == "tanlap.reception")).one()
        tanlap = s.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
        for channel in ("counter", "online"):
            dossiers.receive_dossier(rt, s, procedure="household-business", agency_id=tanlap, channel=channel,
                                     applicant=APPLICANT, actor=reception, now=rt.clock.now())
            s.commit()
        escalation.scan(rt, s, rt.clock.now() + dt.timedelta(days=7))
        s.commit()
    app = app_under_csp(rt)
    yield app
    engine.dispose()


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/hop-viec")


def test_a_supervisor_acknowledges_an_escalation_and_exports_the_report(browser, supervised, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with serving(supervised) as base:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN", accept_downloads=True)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        # (chromium asks for /favicon.ico, which the app does not serve: answers are checked by URL below)
        page.on("console", lambda msg: problems.append(f"console: {msg.text}")
                if msg.type == "error" and "status of 404" not in msg.text else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)

        def shot(name: str):
            page.screenshot(path=str(SCREENSHOTS / f"giam-sat-{name}.png"), full_page=False)

        _sign_in(page, base, "tanlap.supervisor")
        page.get_by_role("link", name="Giám sát").click()
        page.wait_for_url(f"{base}/canh-bao")
        rows = page.locator("table.escalations tbody tr")
        assert rows.count() == 2 and "Bước quá hạn" in rows.first.inner_text()
        shot("01-canh-bao")
        first = rows.first
        first.get_by_placeholder("Việc sẽ làm (không bắt buộc)").fill("Đôn đốc chuyên viên trong ngày.")
        first.get_by_role("button", name="Xác nhận").click()
        page.wait_for_selector("text=Đã xác nhận cảnh báo.")
        assert "Đôn đốc chuyên viên trong ngày." in page.locator("table.escalations").inner_text()
        shot("02-canh-bao-da-xac-nhan")

        page.get_by_role("link", name="Bảng rủi ro").click()
        page.wait_for_selector("svg.chart rect")
        shot("03-bang-rui-ro")
        page.locator("svg.chart a").nth(1).click()
        page.wait_for_url("**/giam-sat/rui-ro/ho-so?**")
        assert page.locator("tbody tr").count() == 2
        shot("04-bang-rui-ro-ho-so")

        page.get_by_role("link", name="Báo cáo II.06a").click()
        page.get_by_label("Dòng").select_option("agency")
        page.get_by_role("button", name="Xem", exact=True).click()
        page.wait_for_selector("#export-xlsx")
        assert "UBND xã Tân Lập" in page.locator("table.report").inner_text()
        shot("05-bao-cao-II06a")
        with page.expect_download() as download:
            page.locator("#export-xlsx").click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        sheet = load_workbook(path).active
        header = [c.value for c in sheet[1]]
        total = [c.value for c in sheet[sheet.max_row]]
        assert total[header.index("Tổng số hồ sơ tiếp nhận")] == 2
        pdf = page.request.get(base + page.locator("#export-pdf").get_attribute("href"))
        assert pdf.ok and pdf.body().startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.body(), capture_output=True,
                                  check=True, timeout=60).stdout.decode()
            assert "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text and "Tổng cộng" in text
        assert load_workbook(io.BytesIO(page.request.get(
            base + page.locator("#export-xlsx").get_attribute("href")).body())).active.max_row == sheet.max_row

        page.get_by_role("link", name="Chỉ số Quyết định 766").click()
        page.wait_for_selector("#indicator-2\\.1")
        shot("06-chi-so-766")
        page.get_by_role("link", name="Đánh giá năm").click()
        page.get_by_role("button", name="Tính lại ngay").click()
        page.wait_for_selector("text=Đã tính lại đánh giá")
        shot("07-danh-gia")
        page.get_by_role("link", name="Phiếu xin lỗi").click()
        shot("08-phieu-xin-loi")
        page.close()

        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        _sign_in(page, base, "tanlap.leader")
        today = dt.date.today()  # the scan drafted the letter a week ahead: a period that holds it
        page.goto(f"{base}/giam-sat/thu-xin-loi?from={today}&to={today + dt.timedelta(days=10)}")
        page.locator("tbody a").first.click()
        page.wait_for_url("**/giam-sat/thu-xin-loi/*")
        assert page.get_by_role("button", name="Ban hành phiếu").is_visible()
        shot("09-phieu-xin-loi-lanh-dao")
        page.close()
    assert not problems, problems
