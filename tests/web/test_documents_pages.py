"""The desk attaches scans on the page shown after reception; the citizen's look-up links the signed result."""
from __future__ import annotations

import io

import pytest
from documents_support import EXE, make_pdf, receive_citizen, to_signed
from sqlalchemy import select
from web_support import sign_in

from api import create_app
from engine.models import Document


@pytest.fixture
def dapp(drt):
    app = create_app(runtime=drt)
    app.config["TESTING"] = True
    return app


def _receive(drt):
    d = receive_citizen(drt)
    return d.id, d.code, d.lookup_secret


def test_the_desk_attaches_a_scan_after_reception(dapp, drt):
    dossier_id, *_ = _receive(drt)
    desk = sign_in(dapp.test_client(), "tanlap.reception")
    page = desk.get(f"/tiep-nhan/ho-so/{dossier_id}").get_data(as_text=True)
    assert 'id="documents"' in page and 'enctype="multipart/form-data"' in page
    pdf = make_pdf(2)
    answer = desk.post(f"/tiep-nhan/ho-so/{dossier_id}/tai-lieu", content_type="multipart/form-data", data={
        "csrf_token": desk.csrf, "component": "0", "file": (io.BytesIO(pdf), "giay-de-nghi.pdf")})
    assert answer.status_code == 302 and "attached=1" in answer.headers["Location"]
    page = desk.get(answer.headers["Location"]).get_data(as_text=True)
    assert "giay-de-nghi.pdf" in page
    with drt.sessions() as s:
        doc = s.scalars(select(Document)).one()
    assert desk.get(f"/api/v1/documents/{doc.id}/content").data == pdf  # the session cookie opens the file
    # an executable renamed .pdf: refused, named on the page, nothing stored
    answer = desk.post(f"/tiep-nhan/ho-so/{dossier_id}/tai-lieu", content_type="multipart/form-data", data={
        "csrf_token": desk.csrf, "component": "0", "file": (io.BytesIO(EXE), "setup.pdf")})
    assert "doc_error" in answer.headers["Location"]
    with drt.sessions() as s:
        assert len(s.scalars(select(Document)).all()) == 1
    # the specialist sees the files but cannot attach
    other = sign_in(dapp.test_client(), "tanlap.specialist")
    answer = other.post(f"/tiep-nhan/ho-so/{dossier_id}/tai-lieu", content_type="multipart/form-data", data={
        "csrf_token": other.csrf, "component": "0", "file": (io.BytesIO(pdf), "x.pdf")})
    assert "doc_error" in answer.headers["Location"]
    outsider = sign_in(dapp.test_client(), "hoabinh.specialist")
    answer = outsider.post(f"/tiep-nhan/ho-so/{dossier_id}/tai-lieu", content_type="multipart/form-data", data={
        "csrf_token": outsider.csrf, "component": "0", "file": (io.BytesIO(pdf), "x.pdf")})
    assert answer.status_code == 404


def test_the_lookup_page_links_the_signed_result(dapp, drt):
    dossier_id, code, secret = _receive(drt)
    to_signed(drt, dossier_id)
    citizen = dapp.test_client()
    page = citizen.get("/lookup", query_string={"code": code, "secret": secret}).get_data(as_text=True)
    assert "/lookup/result?" in page and "/tra-cuu" not in page
    got = citizen.get("/lookup/result", query_string={"code": code, "secret": secret})
    assert got.status_code == 200 and got.mimetype == "application/pdf" and got.data.startswith(b"%PDF-")
    old = citizen.get("/tra-cuu/ket-qua", query_string={"code": code, "secret": secret})  # the old address
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/lookup/result?code={code}&secret={secret}")
    assert citizen.get(old.headers["Location"]).data == got.data
    wrong = citizen.get("/lookup/result", query_string={"code": code, "secret": "WRONG"})
    assert wrong.status_code == 302 and "/lookup?" in wrong.headers["Location"]  # the look-up says what is wrong
    assert "Không tìm thấy hồ sơ" in citizen.get(wrong.headers["Location"]).get_data(as_text=True)
