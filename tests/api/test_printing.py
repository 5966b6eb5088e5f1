"""The printed forms as PDF files: read back (text, page size, fonts) and the receipt's QR code decoded.

Text is extracted with pypdf; the QR code is found by rasterising the page (pdftoppm, poppler-utils) and
decoding it (zbarimg, zbar-tools): the two Debian tools .ci/run installs.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader
from samples import HH_APPROVE
from sqlalchemy import select
from support import APPLICANT, TANLAP, VN, at, scan

from api import printing
from api.links import public_lookup_url
from config import SettingsError, load_settings
from config.forms import load_forms
from engine.models import Agency, AuditEvent

A5 = (419.53, 595.28)       # points: 148 x 210 mm
A4_LANDSCAPE = (841.89, 595.28)
DOCUMENTS = [{"name": "Giấy đề nghị đăng ký hộ kinh doanh", "copies": 1},
             {"name": "Bản sao giấy tờ pháp lý của cá nhân đối với thành viên hộ gia đình", "copies": 2}]
APPLICANT_FULL = {**APPLICANT, "address": "Số 5, thôn Tây, xã Tân Lập"}
#: set to a folder to keep every PDF the tests read, to look at them (pdftoppm -png)
DUMP = os.environ.get("MOTCUA_TEST_PDF_DIR")
needs_tools = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                                 reason="poppler-utils and zbar-tools are needed to read the QR code back")


def tanlap(session) -> int:
    return session.scalars(select(Agency.id).where(Agency.code == TANLAP)).one()


def received(client, session, **extra) -> dict:
    answer = client.post("/api/v1/dossiers", json={"procedure": "household-business", "agency_id": tanlap(session),
                                                   "channel": "counter", "applicant": APPLICANT_FULL,
                                                   "documents": DOCUMENTS, **extra})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def pdf_of(response) -> PdfReader:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-")
    if DUMP:
        name = response.headers["Content-Disposition"].split('filename="')[1].rstrip('"')
        os.makedirs(DUMP, exist_ok=True)
        with open(os.path.join(DUMP, name), "wb") as fh:
            fh.write(response.data)
    return PdfReader(io.BytesIO(response.data))


def text_of(reader: PdfReader) -> str:
    """The text of all pages, with line breaks and runs of spaces made single spaces."""
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def size_of(reader: PdfReader, page: int = 0) -> tuple[float, float]:
    box = reader.pages[page].mediabox
    return round(float(box.width), 2), round(float(box.height), 2)


def embedded_fonts(reader: PdfReader) -> set[str]:
    out = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                out.add(str(font["/BaseFont"]).split("+")[-1])
    return out


def qr_codes(pdf: bytes, tmp_path) -> list[str]:
    """Rasterise the first page at 200 dpi and decode every QR code on it."""
    (tmp_path / "form.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(tmp_path / "form.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    image = next(tmp_path.glob("page*.png"))
    done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.splitlines()


# --- form 01 -------------------------------------------------------------------------------------------------


@needs_tools
def test_the_receipt_pdf_is_an_a5_form_01_with_the_lookup_qr_code(client_for, session, tmp_path):
    desk = client_for("tanlap.reception")
    body = received(desk, session)
    dossier, receipt = body["dossier"], body["receipt"]
    answer = desk.get(f"/api/v1/dossiers/{dossier['id']}/receipt.pdf")
    reader = pdf_of(answer)
    assert len(reader.pages) == 1 and size_of(reader) == A5
    text = text_of(reader)
    appointment = dt.datetime.fromisoformat(receipt["appointment_at_local"])
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Mẫu số 01",
                     "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "UBND XÃ TÂN LẬP", receipt["code"],
                     "Trần Thị Bình", "Số 5, thôn Tây, xã Tân Lập", receipt["procedure_name"], *(d["name"] for d in DOCUMENTS),
                     f"{appointment:%H:%M %d/%m/%Y}", "09:00 02/03/2026", "3 ngày làm việc", "100.000 đồng",
                     receipt["official"], "Thông tư số 01/2018/TT-VPCP"):
        assert expected in text, expected
    assert appointment.strftime("%H:%M %d/%m/%Y") == "17:00 05/03/2026"
    secret = receipt["lookup_secret"]
    assert f"{secret[:4]}-{secret[4:]}" in text  # printed in two groups; the look-up ignores the dash
    assert {"DejaVu-Serif", "DejaVu-Serif-Bold"} <= embedded_fonts(reader)
    url = f"http://127.0.0.1:8000/lookup?code={receipt['code']}&secret={secret}"
    assert qr_codes(answer.data, tmp_path) == [url] == [receipt["lookup_url"]]
    assert receipt["pdf"] == f"/api/v1/dossiers/{dossier['id']}/receipt.pdf"
    assert url == public_lookup_url(receipt["code"], secret, "http://127.0.0.1:8000")
    assert parse_qs(urlsplit(url).query) == {"code": [receipt["code"]], "secret": [secret]}


def test_the_receipt_can_be_fetched_again_with_its_secret(client_for, session, rt, clock):
    desk = client_for("tanlap.reception")
    body = received(desk, session)
    clock.set(at(4, 10))  # two days later, another official of the dossier
    again = client_for("tanlap.specialist").get(f"/api/v1/dossiers/{body['dossier']['id']}/receipt")
    assert again.status_code == 200
    assert again.get_json() == body["receipt"]  # the same slip as at reception: code, secret, documents, times
    printed = session.scalars(select(AuditEvent).where(AuditEvent.action == "printed")).all()
    assert [(e.detail["form"], e.at) for e in printed] == [("receipt", at(4, 10))]
    timeline = desk.get(f"/api/v1/dossiers/{body['dossier']['id']}").get_json()["timeline"]
    assert "printed" not in {e["action"] for e in timeline}  # access goes to the audit trail only


def test_a_dossier_received_without_a_list_prints_the_catalogs_documents(client_for, receive):
    d = receive().dossier
    reader = pdf_of(client_for("tanlap.reception").get(f"/api/v1/dossiers/{d.id}/receipt.pdf"))
    assert "Giấy đề nghị đăng ký hộ kinh doanh" in text_of(reader)


def test_only_officials_handling_the_dossier_print_its_forms(client, client_for, receive):
    d = receive().dossier
    paths = [f"/api/v1/dossiers/{d.id}/{p}" for p in ("receipt.pdf", "receipt", "control-sheet.pdf")]
    for path in paths:
        assert client.get(path).status_code == 401
        for outsider in ("hoabinh.reception", "hoabinh.leader", "admin"):  # admins see no personal data
            answer = client_for(outsider).get(path)
            assert answer.status_code == 404 and answer.mimetype == "application/problem+json", (outsider, path)
        assert client_for("tanlap.reception").get(path).status_code == 200
    assert client_for("tanlap.reception").get("/api/v1/dossiers/2000000000/receipt.pdf").status_code == 404


# --- forms 02 and 03 ----------------------------------------------------------------------------------------


def test_the_desks_slips_print_as_forms_02_and_03(client, client_for, session):
    desk = client_for("tanlap.reception")
    base = {"procedure": "household-business", "agency_id": tanlap(session), "channel": "counter",
            "applicant": APPLICANT_FULL}
    missing = [{"name": "Bản sao chứng thực căn cước của chủ hộ", "copy_type": "certified_copy", "quantity": 2,
                "note": "còn hạn"}]
    slip = desk.post("/api/v1/reception/supplement-requests",
                     json={**base, "missing_documents": missing, "reason": "Thiếu bản sao."}).get_json()
    assert slip["pdf"] == f"/api/v1/reception/supplement-requests/{slip['number']}.pdf"
    reader = pdf_of(desk.get(slip["pdf"]))
    text = text_of(reader)
    assert len(reader.pages) == 1 and size_of(reader) == A5
    for expected in ("Mẫu số 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", slip["number"], "Trần Thị Bình",
                     missing[0]["name"], "Bản sao chứng thực", "Thiếu bản sao.", "NGƯỜI HƯỚNG DẪN",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Ngày 02 tháng 3 năm 2026"):
        assert expected in text, expected
    refusal = desk.post("/api/v1/reception/refusals",
                        json={**base, "reason": "Ngành nghề kinh doanh thuộc danh mục cấm."}).get_json()
    reader = pdf_of(desk.get(refusal["pdf"]))
    text = text_of(reader)
    assert len(reader.pages) == 1 and size_of(reader) == A5
    for expected in ("Mẫu số 03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", refusal["number"],
                     "Ngành nghề kinh doanh thuộc danh mục cấm."):
        assert expected in text, expected
    # numbers of the other kind, of another agency, or unknown are all "no such slip"
    assert desk.get(f"/api/v1/reception/refusals/{slip['number']}.pdf").status_code == 404
    assert client_for("hoabinh.reception").get(f"/api/v1/reception/refusals/{refusal['number']}.pdf").status_code == 404
    assert client.get(f"/api/v1/reception/refusals/{refusal['number']}.pdf").status_code == 401


# --- forms 04, 05, 06 ---------------------------------------------------------------------------------------


def test_the_control_sheet_pdf_lists_each_handover(client_for, session, clock):
    desk = client_for("tanlap.reception")
    body = received(desk, session)
    specialist = client_for("tanlap.specialist")
    task = specialist.get(f"/api/v1/dossiers/{body['dossier']['id']}").get_json()["current_steps"][0]
    clock.set(at(2, 14, 30))
    assert specialist.post(f"/api/v1/tasks/{task['task_id']}/complete", json={"data": HH_APPROVE}).status_code == 200
    reader = pdf_of(specialist.get(f"/api/v1/dossiers/{body['dossier']['id']}/control-sheet.pdf"))
    text = text_of(reader)
    assert size_of(reader) == A5
    for expected in ("Mẫu số 05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", body["receipt"]["code"],
                     "Trần Thị Bình", "1. Giao: 09:00 02/03/2026", "Trước hạn", "Đã xử lý", "Đang xử lý",
                     "TÊN CƠ QUAN", "KẾT QUẢ GIẢI QUYẾT HỒ SƠ"):
        assert expected in text, expected


def test_the_tracking_book_pdf_is_a4_landscape(client_for, session, clock):
    desk = client_for("tanlap.reception")
    codes = [received(desk, session)["receipt"]["code"]]
    clock.set(at(3, 8))
    codes.append(received(desk, session, applicant={**APPLICANT_FULL, "name": "Lê Văn Cường"})["receipt"]["code"])
    query = {"from": "2026-03-01", "to": "2026-03-31"}
    reader = pdf_of(desk.get("/api/v1/tracking-book.pdf", query_string=query))
    text = text_of(reader)
    assert size_of(reader) == A4_LANDSCAPE
    for expected in ("Mẫu số 06", "SỔ THEO DÕI HỒ SƠ", "Từ ngày 01/03/2026 đến ngày 31/03/2026", *codes,
                     "Lê Văn Cường", "08:00 03/03/2026"):
        assert expected in text, expected
    specialist = client_for("tanlap.specialist")  # keeps no book
    assert specialist.get("/api/v1/tracking-book.pdf", query_string=query | {"agency_id": tanlap(session)}
                          ).status_code == 403
    assert desk.get("/api/v1/tracking-book.pdf", query_string={"from": "2026-03-31", "to": "2026-03-01"}
                    ).status_code == 422


def test_a_printed_book_has_a_bounded_number_of_lines(client_for, session, clock, monkeypatch):
    desk = client_for("tanlap.reception")
    for hour in (8, 9, 10):
        clock.set(at(3, hour))
        received(desk, session)
    monkeypatch.setattr(printing, "MAX_BOOK_LINES", 2)
    answer = desk.get("/api/v1/tracking-book.pdf", query_string={"from": "2026-03-01", "to": "2026-03-31"})
    assert answer.status_code == 422 and "3 dossiers" in answer.get_json()["errors"]["to"][0]
    monkeypatch.setattr(printing, "MAX_BOOK_LINES", 3)
    assert desk.get("/api/v1/tracking-book.pdf", query_string={"from": "2026-03-01", "to": "2026-03-31"}
                    ).status_code == 200
    assert desk.get("/api/v1/tracking-book", query_string={"from": "2026-03-01", "to": "2026-03-31",
                                                           "format": "csv"}).status_code == 200


def test_the_apology_letter_pdf(rt, session, receive, client_for, clock):
    d = receive().dossier
    leader = client_for("tanlap.leader")
    assert leader.get(f"/api/v1/dossiers/{d.id}/apology-letter.pdf").status_code == 404  # none drafted yet
    clock.set(at(4, 17))
    scan(rt, session, clock.now())
    draft = text_of(pdf_of(leader.get(f"/api/v1/dossiers/{d.id}/apology-letter.pdf")))
    assert "BẢN DỰ THẢO" in draft and "Mẫu số 04" in draft and d.code in draft
    assert leader.post(f"/api/v1/dossiers/{d.id}/apology-letter/issue", json={
        "new_appointment_at": "2026-03-10T17:00:00+07:00", "reason": "Cần xác minh thêm."}).status_code == 200
    issued = text_of(pdf_of(leader.get(f"/api/v1/dossiers/{d.id}/apology-letter.pdf")))
    for expected in ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Kính gửi: Trần Thị Bình", "Cần xác minh thêm.",
                     "17:00 10/03/2026", "17:00 05/03/2026"):
        assert expected in issued, expected
    assert "BẢN DỰ THẢO" not in issued


# --- the set of forms is data -------------------------------------------------------------------------------


def test_a_changed_circular_is_an_edit_of_the_forms_file(tmp_path, client_for, session, rt):
    text = (printing.HERE.parent.parent / "config" / "forms.toml").read_text(encoding="utf-8")
    changed = tmp_path / "forms.toml"
    changed.write_text(text.replace('number = "Mẫu số 06"\ntitle = "SỔ THEO DÕI HỒ SƠ"',
                                    'number = "Mẫu số 07"\ntitle = "SỔ THEO DÕI HỒ SƠ"'), encoding="utf-8")
    assert load_forms(str(changed))["tracking_book"].number == "Mẫu số 07"
    context = {"agency_name": "UBND xã Tân Lập", "agency_parent": None, "doc_ref": None, "doc_ref_label": "Số",
               "place_date": None, "printed_at": None, "start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31),
               "lines": []}
    reader = PdfReader(io.BytesIO(printing.render("tracking_book", context, str(changed))))
    assert "Mẫu số 07" in text_of(reader) and "Mẫu số 06" not in text_of(reader)
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('paper = "A4 landscape"', 'paper = "Letter"'), encoding="utf-8")
    with pytest.raises(SettingsError, match="forms.tracking_book.paper"):
        load_forms(str(bad))
    with pytest.raises(printing.UnknownForm):
        printing.render("form_99", context)


def test_the_openapi_document_describes_the_pdfs(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/dossiers/{dossier_id}/receipt.pdf", "/api/v1/dossiers/{dossier_id}/control-sheet.pdf",
                 "/api/v1/dossiers/{dossier_id}/apology-letter.pdf", "/api/v1/tracking-book.pdf",
                 "/api/v1/reception/supplement-requests/{number}.pdf", "/api/v1/reception/refusals/{number}.pdf"):
        assert "application/pdf" in paths[path]["get"]["responses"]["200"]["content"], path
    receipt = paths["/api/v1/dossiers/{dossier_id}/receipt"]["get"]["responses"]["200"]["content"]
    assert "application/json" in receipt


def test_times_print_in_local_time(client_for, session, clock):
    clock.set(dt.datetime(2026, 3, 2, 2, 15, tzinfo=dt.UTC))  # 09:15 in Hà Nội
    desk = client_for("tanlap.reception")
    body = received(desk, session)
    text = text_of(pdf_of(desk.get(f"/api/v1/dossiers/{body['dossier']['id']}/receipt.pdf")))
    assert "09:15 02/03/2026" in text and dt.datetime(2026, 3, 2, 9, 15, tzinfo=VN) == clock.now()


def test_the_lookup_address_comes_from_the_settings():
    settings = load_settings({"server": {"public_base_url": "https://dichvucong.example.vn/motcua/"}})
    assert settings.public_base_url == "https://dichvucong.example.vn/motcua"
    assert public_lookup_url("000.01.31.H26-260302-0001", "AB CD", settings.public_base_url) == \
        "https://dichvucong.example.vn/motcua/lookup?code=000.01.31.H26-260302-0001&secret=AB+CD"
    with pytest.raises(SettingsError, match="server.public_base_url"):
        load_settings({"server": {"public_base_url": "javascript:alert(1)"}})


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils reads the words' positions")
def test_long_values_wrap_inside_the_a5_page(tmp_path):
    """A long name, an address without spaces and many documents: every word stays inside the paper."""
    ctx = printing.sample_receipt()
    ctx["applicant"] = {**ctx["applicant"], "name": "Công ty trách nhiệm hữu hạn một thành viên " * 3,
                        "email": "nguyenthianhtuyetphonghanhchinhtonghopcongty@congtytrachnhiemhuuhanmotthanhvien.vn",
                        "address": "Số-5-ngõ-12-ngách-34-hẻm-56-thôn-Tây-xã-Tân-Lập-tỉnh-Hải-Phòng-" * 2}
    ctx["documents"] = [{"name": f"Bản sao giấy tờ số {i} " + "rất dài " * 12, "copies": i} for i in range(1, 16)]
    (tmp_path / "r.pdf").write_bytes(printing.render("receipt", ctx))
    subprocess.run(["pdftotext", "-bbox", str(tmp_path / "r.pdf"), str(tmp_path / "r.html")], check=True, timeout=60)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)"', html)
    assert len(pages) >= 2 and all((round(float(w), 1), round(float(h), 1)) == (419.5, 595.3) for w, h in pages)
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', html))
    bottom = max(float(y) for y in re.findall(r'yMax="([\d.]+)"', html))
    assert right <= 419.5 - 11 * 72 / 25.4 + 1 and bottom <= 595.3, (right, bottom)  # inside the right margin
