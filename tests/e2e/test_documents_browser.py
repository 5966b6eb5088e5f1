"""In Debian's chromium, under the production CSP: the desk attaches a scan to a slot right after receiving
a dossier, the leader's approval signs the electronic result, and the citizen downloads it from the look-up
page with the receipt's code and secret (a phone-sized page). Screenshots under var/screenshots/."""
from __future__ import annotations

import pytest
from browsing import CSP, SCREENSHOTS
from documents_support import PASSPHRASE, make_pdf, make_pki
from samples import HH_APPROVE, SIGN_APPROVE
from sqlalchemy import select
from support import PASSWORD, WORKFLOWS, act, serving

from api import create_app
from config import load_settings
from engine import migrate
from engine.db import make_engine, make_sessionmaker
from engine.deploy import deploy_path
from engine.documents.signatures import verify_pdf
from engine.models import Document, Dossier, User
from engine.runtime import Runtime
from engine.seed import seed_demo

pytestmark = pytest.mark.slow


@pytest.fixture
def docs_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'docs.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    pki = make_pki(tmp_path / "pki")
    settings = load_settings({"database": {"url": url}, "server": {"secret_key_file": str(tmp_path / "key")},
                              "documents": {"path": str(tmp_path / "store"), "signing_pkcs12": str(pki.signer_p12),
                                            "signing_passphrase": PASSPHRASE, "trust_roots": [str(pki.ca_pem)]}})
    rt = Runtime(settings=settings, sessions=make_sessionmaker(engine))
    with rt.sessions() as s:
        seed_demo(s, password=PASSWORD, hash_method="pbkdf2:sha256:1000")
        deploy_path(rt, s, WORKFLOWS, actor=None, now=rt.clock.now())
        s.commit()
    app = create_app(runtime=rt)
    app.after_request(lambda response: (response.headers.setdefault("Content-Security-Policy", CSP), response)[1])
    yield app, rt, pki
    engine.dispose()


def test_desk_attaches_a_scan_and_the_citizen_downloads_the_signed_result(browser, docs_app, tmp_path):
    app, rt, pki = docs_app
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    scan = tmp_path / "giay-de-nghi.pdf"
    scan.write_bytes(make_pdf(2, text="Giay de nghi"))
    problems: list[str] = []
    with serving(app) as base:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.goto(f"{base}/")
        page.get_by_label("Tên đăng nhập").fill("tanlap.reception")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{base}/hop-viec")
        page.goto(f"{base}/tiep-nhan/thu-tuc/household-business")
        page.get_by_label("Họ tên người nộp hồ sơ").fill("Nguyễn Văn An")
        page.get_by_label("Số định danh").fill("031190009999")
        page.get_by_role("button", name="Tiếp nhận và cấp giấy hẹn").click()
        page.wait_for_url("**/tiep-nhan/ho-so/*")
        code = page.locator("dd.code").inner_text().strip()
        assert "chưa số hóa" in page.locator("#slot-0").inner_text()
        page.locator("#slot-0 input[type=file]").set_input_files(str(scan))
        page.locator("#slot-0 button").click()
        page.wait_for_url("**attached=1**")
        assert "giay-de-nghi.pdf" in page.locator("#slot-0").inner_text()
        assert "chưa số hóa" not in page.locator("#slot-0").inner_text()
        page.locator("#documents").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "30-tiep-nhan-so-hoa.png"))

        with rt.sessions() as s:
            dossier = s.scalars(select(Dossier).where(Dossier.code == code)).one()
            users = {u.username: u for u in s.scalars(select(User))}
            stored = s.scalars(select(Document).where(Document.dossier_id == dossier.id)).one()
            assert (stored.slot, stored.origin, stored.pages) == (0, "desk", 2)
            for step, data in (("examine", HH_APPROVE), ("sign", SIGN_APPROVE)):
                act(rt, s, users, dossier.id, step, data)
            secret = dossier.lookup_secret

        phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="vi-VN", accept_downloads=True)
        phone.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        phone.goto(f"{base}/lookup?code={code}&secret={secret}")
        link = phone.get_by_role("link", name="Tải kết quả điện tử (PDF đã ký số)")
        phone.screenshot(path=str(SCREENSHOTS / "31-tra-cuu-ket-qua-dien-tu.png"), full_page=True)
        with phone.expect_download() as download:
            link.click()
        path = download.value.path()
        data = open(path, "rb").read()
        assert data.startswith(b"%PDF-") and verify_pdf(data, (str(pki.ca_pem),)).verdict == "valid"
        assert download.value.suggested_filename == f"ket-qua-{code}.pdf"
    assert not problems, problems
