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


def test_the_portals_link_opens_that_result_file_only(dapp, drt):
    """The portal is given a link to the result file, not the receipt's secret: the link downloads that file,
    opens no look-up and no other file; a wrong token is a 404 that records nothing."""
    from engine.models import AuditEvent, Dossier
    from engine.portal.sync import result_documents

    dossier_id, code, secret = _receive(drt)
    to_signed(drt, dossier_id)
    other_id, *_ = _receive(drt)
    to_signed(drt, other_id)
    with drt.sessions() as s:
        given = result_documents(s, "", dapp.config["SECRET_KEY"], list(s.scalars(select(Dossier))))
    (item,), (other,) = given[dossier_id], given[other_id]
    link = item["DuongDanTepTinKetQua"]
    assert secret not in link and link.startswith("/lookup/result?document=")
    citizen = dapp.test_client()
    got = citizen.get(link)
    assert got.status_code == 200 and got.data == citizen.get(
        "/lookup/result", query_string={"code": code, "secret": secret}).data  # the receipt's QR path still works
    token = link.split("token=")[1]
    with drt.sessions() as s:
        downloads = s.scalars(select(AuditEvent).where(AuditEvent.action == "result_downloaded")).all()
        assert [(e.dossier_id, e.detail["by"]) for e in downloads] == [(dossier_id, "portal_link"),
                                                                      (dossier_id, "citizen")]
    # the token opens no look-up, no other file; wrong tokens: 404, nothing recorded
    page = citizen.get("/lookup", query_string={"code": code, "secret": token}).get_data(as_text=True)
    assert "Không tìm thấy hồ sơ" in page
    assert citizen.get("/lookup/result", query_string={"document": other["GiayToId"], "token": token}).status_code == 404
    assert citizen.get("/lookup/result", query_string={"code": code, "secret": token}).status_code == 302
    for wrong in ({"document": item["GiayToId"], "token": "0" * 32}, {"document": item["GiayToId"], "token": ""},
                  {"document": "x", "token": token}, {"document": "99999999999", "token": token}):
        assert citizen.get("/lookup/result", query_string=wrong).status_code == 404, wrong
    with drt.sessions() as s:
        assert len(s.scalars(select(AuditEvent).where(AuditEvent.action == "result_downloaded")).all()) == 2
