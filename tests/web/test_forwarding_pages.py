"""The forwarding page: Hòa Bình's desk received a dossier for Tân Lập; each side sees it, each does its part."""
from __future__ import annotations

from support import APPLICANT, TANLAP, agency_id
from web_support import sign_in

from engine import boundary

HOABINH = "000.02.31.H26"


def test_each_side_sees_the_forwarding_and_does_its_part(app, rt, session, users):
    receipt, _ = boundary.receive_elsewhere(
        rt, session, receiving_agency_id=agency_id(session, HOABINH), competent_agency_id=agency_id(session, TANLAP),
        procedure="household-business", channel="counter", applicant=APPLICANT, actor=users["hoabinh.reception"],
        now=rt.clock.now())
    session.commit()
    code, dossier_id = receipt.dossier.code, receipt.dossier.id
    hoabinh = sign_in(app.test_client(), "hoabinh.reception")
    tanlap = sign_in(app.test_client(), "tanlap.reception")

    page = hoabinh.get("/chuyen-ho-so").get_data(as_text=True)
    assert code in page and "Chờ chuyển" in page and f"/chuyen-ho-so/{dossier_id}/da-chuyen" in page
    assert f"/ho-so/{dossier_id}" not in page.replace(f"/chuyen-ho-so/{dossier_id}", "")  # no link to the dossier
    page = tanlap.get("/chuyen-ho-so").get_data(as_text=True)
    assert code in page and "da-nhan" not in page  # nothing to confirm before it is forwarded

    # only the receiving point forwards; the CSRF token is required
    assert tanlap.post(f"/chuyen-ho-so/{dossier_id}/da-chuyen", data={"csrf_token": tanlap.csrf}).status_code == 403
    assert hoabinh.post(f"/chuyen-ho-so/{dossier_id}/da-chuyen", data={"csrf_token": "forged"}).status_code == 400
    assert hoabinh.post(f"/chuyen-ho-so/{dossier_id}/da-chuyen", data={"csrf_token": hoabinh.csrf}).status_code == 302
    page = tanlap.get("/chuyen-ho-so").get_data(as_text=True)
    assert "Đã chuyển" in page and f"/chuyen-ho-so/{dossier_id}/da-nhan" in page
    assert tanlap.post(f"/chuyen-ho-so/{dossier_id}/da-nhan", data={"csrf_token": tanlap.csrf}).status_code == 302
    assert "Đã xác nhận" in hoabinh.get("/chuyen-ho-so").get_data(as_text=True)
    # the receiving desk does not open the dossier; the competent agency does
    assert hoabinh.get(f"/ho-so/{dossier_id}").status_code == 404
    assert tanlap.get(f"/ho-so/{dossier_id}").status_code == 200
