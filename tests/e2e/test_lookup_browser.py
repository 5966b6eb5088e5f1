"""A citizen opens the look-up from the receipt's QR code on a phone (390×844), under the production CSP:
status, the postal tracking number after the return, then rates the service once.

The receipt (form 01) is printed by the API as the desk would, its first page turned into an image and the
QR code read back with zbarimg; the phone opens exactly what the code holds. Screenshots go to
var/screenshots/ (git-ignored)."""
from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest
from browsing import SCREENSHOTS, app_under_csp, demo_runtime, walked_dossier
from samples import HH_APPROVE, HH_ISSUE, RETURN_POSTAL, SIGN_APPROVE
from sqlalchemy import select
from support import PASSWORD, serving

from engine.models import Rating

pytestmark = pytest.mark.slow


@pytest.fixture
def returned(tmp_path):
    """A demo database with one household-business dossier returned by post."""
    rt, engine = demo_runtime(tmp_path, "lookup")
    dossier_id, code = walked_dossier(rt, (("examine", HH_APPROVE), ("sign", SIGN_APPROVE), ("issue", HH_ISSUE),
                                           ("return_result", RETURN_POSTAL)))
    yield app_under_csp(rt), rt, dossier_id, code
    engine.dispose()


def _qr_payload(app, dossier_id: int, folder) -> str:
    desk = app.test_client()
    assert desk.post("/api/v1/auth/login", json={"username": "tanlap.reception", "password": PASSWORD}).status_code == 200
    pdf = desk.get(f"/api/v1/dossiers/{dossier_id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (folder / "receipt.pdf").write_bytes(pdf.data)
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-singlefile", "-png", str(folder / "receipt.pdf"),
                    str(folder / "receipt")], check=True, timeout=60)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(folder / "receipt.png")],
                          capture_output=True, text=True, timeout=60)
    (payload,) = done.stdout.splitlines()
    return payload


@pytest.mark.skipif(not (shutil.which("zbarimg") and shutil.which("pdftoppm")), reason="needs zbarimg and pdftoppm")
def test_a_citizen_scans_the_receipt_on_a_phone_and_rates_the_service(browser, returned, tmp_path):
    app, rt, dossier_id, code = returned
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with serving(app) as base:
        rt.settings = dataclasses.replace(rt.settings, public_base_url=base)  # what the QR code points at
        payload = _qr_payload(app, dossier_id, tmp_path)
        assert payload.startswith(f"{base}/lookup?code=")

        phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="vi-VN")
        phone.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        phone.on("console", lambda msg: problems.append(f"console: {msg.text}")
                 if msg.type == "error" and "status of 4" not in msg.text else None)  # the favicon
        phone.goto(payload)
        text = phone.locator("main").inner_text()
        assert code in text and "Đã trả kết quả" in text or "Kết quả đã được trả" in text, text
        assert "EB123456789VN" in text and "bưu chính" in text
        assert "Phạm Thị Hoa" not in phone.content()
        # phone-sized: nothing wider than the screen
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.screenshot(path=str(SCREENSHOTS / "20-tra-cuu-danh-gia.png"), full_page=True)

        phone.get_by_text("5 ★").click()
        phone.get_by_label("Góp ý (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình")
        phone.get_by_role("button", name="Gửi đánh giá").click()
        phone.wait_for_url("**/lookup?*rated=1*")
        text = phone.locator("main").inner_text()
        assert "Cảm ơn bạn đã đánh giá." in text and phone.get_by_role("button", name="Gửi đánh giá").count() == 0
        phone.screenshot(path=str(SCREENSHOTS / "21-tra-cuu-da-danh-gia.png"), full_page=True)

    with rt.sessions() as s:
        rating = s.scalars(select(Rating)).one()
        assert rating.score == 5 and rating.comment == "Cán bộ hướng dẫn tận tình"
    assert not problems, problems
