"""The forwarding page in Debian's chromium at 1366×768 under the production CSP: Hòa Bình's desk received a
dossier for Tân Lập and marks it forwarded. Screenshots go to var/screenshots/."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from browsing import SCREENSHOTS, demo_app
from sqlalchemy import select
from support import APPLICANT, PASSWORD, serving

from engine import boundary
from engine.models import Agency, User

pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("MOTCUA_SCREENSHOTS", SCREENSHOTS))


def test_the_receiving_desk_marks_a_dossier_forwarded(browser, tmp_path):
    app, rt, engine = demo_app(tmp_path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with rt.sessions() as s:
        ids = dict(s.execute(select(Agency.code, Agency.id)).all())
        desk = s.scalars(select(User).where(User.username == "hoabinh.reception")).one()
        receipt, _ = boundary.receive_elsewhere(rt, s, receiving_agency_id=ids["000.02.31.H26"],
                                                competent_agency_id=ids["000.01.31.H26"],
                                                procedure="household-business", channel="counter",
                                                applicant=APPLICANT, actor=desk, now=rt.clock.now())
        code = receipt.dossier.code
        s.commit()
    problems: list[str] = []
    with serving(app) as base:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.goto(f"{base}/")
        page.get_by_label("Tên đăng nhập").fill("hoabinh.reception")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_role("link", name="Chuyển hồ sơ").click()
        page.wait_for_url(f"{base}/chuyen-ho-so")
        assert page.get_by_text(code).count() == 1
        page.screenshot(path=str(SHOTS / "70-chuyen-ho-so.png"))
        page.get_by_role("button", name="Ghi nhận đã chuyển").click()
        page.wait_for_url(f"{base}/chuyen-ho-so")
        assert page.get_by_text("Đã chuyển", exact=True).count() == 1
        page.screenshot(path=str(SHOTS / "71-chuyen-ho-so-da-chuyen.png"))
    engine.dispose()
    assert not problems, problems
