"""Form 02, like the receipt, names the required components that have no file: the desk's (a dossier not taken
in, so none of them) and the one asked while the dossier is handled (the required slots still without a scan).
Read back from the PDF with pdftotext."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from documents_support import make_pdf
from support import act

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils reads the PDF back")

APPLICATION = "Giấy đề nghị đăng ký hộ kinh doanh"
LINE = "chưa được số hóa"


def _text(answer) -> str:
    assert answer.status_code == 200 and answer.mimetype == "application/pdf", answer.get_data(as_text=True)[:200]
    out = subprocess.run(["pdftotext", "-", "-"], input=answer.data, capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode().split())


def test_the_in_process_form_02_names_required_slots_without_a_file(client_for, rt, session, users, receive):
    d = receive().dossier
    desk = client_for("tanlap.reception")
    act(rt, session, users, d.id, "examine", {"outcome": "supplement", "reason": "Thiếu hợp đồng thuê.",
                                              "missing_documents": [{"name": "Hợp đồng thuê", "quantity": 1}]})
    text = _text(desk.get(f"/api/v1/dossiers/{d.id}/supplement-request.pdf"))
    assert f"{LINE}: {APPLICATION}" in text
    assert "biên bản họp thành viên" not in text.split(LINE, 1)[1]  # an optional slot is not named
    attached = desk.post(f"/api/v1/dossiers/{d.id}/documents", content_type="multipart/form-data",
                         data={"component": "0", "file": (io.BytesIO(make_pdf()), "scan.pdf")})
    assert attached.status_code == 201, attached.get_json()
    assert LINE not in _text(desk.get(f"/api/v1/dossiers/{d.id}/supplement-request.pdf"))


def test_the_desks_form_02_names_the_procedures_required_components(client_for, session):
    from test_printing import APPLICANT_FULL, tanlap

    desk = client_for("tanlap.reception")
    slip = desk.post("/api/v1/reception/supplement-requests", json={
        "procedure": "household-business", "agency_id": tanlap(session), "channel": "counter",
        "applicant": APPLICANT_FULL, "missing_documents": [{"name": "Bản sao căn cước", "quantity": 1}]}).get_json()
    text = _text(desk.get(slip["pdf"]))
    assert f"{LINE}: {APPLICATION}" in text and "Bản sao căn cước" in text
    refusal = desk.post("/api/v1/reception/refusals", json={
        "procedure": "household-business", "agency_id": tanlap(session), "channel": "counter",
        "applicant": APPLICANT_FULL, "reason": "Ngành nghề cấm."}).get_json()
    assert LINE not in _text(desk.get(refusal["pdf"]))  # form 03 lists nothing to bring
