"""Reception regardless of administrative boundary over HTTP: Hòa Bình's desk receives for Tân Lập, forwards;
Tân Lập confirms; each sees the forwarding, only Tân Lập opens the dossier."""
from __future__ import annotations

from sqlalchemy import select
from support import APPLICANT, TANLAP, agency_id

from engine.models import AuditEvent, Dossier

HOABINH = "000.02.31.H26"


def _body(session, **extra):
    return {"receiving_agency_id": agency_id(session, HOABINH), "competent_agency_id": agency_id(session, TANLAP),
            "procedure": "household-business", "channel": "counter", "applicant": APPLICANT, **extra}


def test_the_desk_receives_for_another_agency_and_both_follow_the_forwarding(client_for, session):
    hoabinh, tanlap = client_for("hoabinh.reception"), client_for("tanlap.reception")
    answer = hoabinh.post("/api/v1/forwardings", json=_body(session))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    dossier_id = body["dossier"]["id"]
    assert body["receipt"]["agency_code"] == TANLAP and body["dossier"]["code"].startswith(TANLAP)
    assert body["forwarding"]["state"] == "waiting" and body["forwarding"]["received_here"]
    assert body["forwarding"]["forward_due_at"].startswith("2026-03-03")  # one working day ([boundary] forward_within)
    assert session.get(Dossier, dossier_id).agency_id == agency_id(session, TANLAP)

    # Tân Lập cannot confirm what was not sent yet; Hòa Bình forwards, once
    assert tanlap.post(f"/api/v1/forwardings/{dossier_id}/accept").status_code == 409
    assert tanlap.post(f"/api/v1/forwardings/{dossier_id}/forward").status_code == 403  # not the receiving point
    answer = hoabinh.post(f"/api/v1/forwardings/{dossier_id}/forward")
    assert answer.status_code == 200 and answer.get_json()["state"] == "forwarded" and not answer.get_json()["late"]
    assert hoabinh.post(f"/api/v1/forwardings/{dossier_id}/forward").status_code == 409
    assert hoabinh.post(f"/api/v1/forwardings/{dossier_id}/accept").status_code == 403  # not the competent agency
    answer = tanlap.post(f"/api/v1/forwardings/{dossier_id}/accept")
    assert answer.status_code == 200 and answer.get_json()["state"] == "confirmed"

    # both agencies' lists show it, each from its side
    mine = hoabinh.get(f"/api/v1/forwardings?agency_id={agency_id(session, HOABINH)}").get_json()
    theirs = tanlap.get(f"/api/v1/forwardings?agency_id={agency_id(session, TANLAP)}").get_json()
    assert [(f["dossier_id"], f["received_here"], f["state"]) for f in mine] == [(dossier_id, True, "confirmed")]
    assert [(f["dossier_id"], f["received_here"], f["competent_agency_code"]) for f in theirs] == [
        (dossier_id, False, TANLAP)]


def test_the_receiving_desk_does_not_follow_the_processing(client_for, session):
    """The dossier is Tân Lập's: Hòa Bình keeps the forwarding record only (engine.boundary's docstring)."""
    hoabinh = client_for("hoabinh.reception")
    dossier_id = hoabinh.post("/api/v1/forwardings", json=_body(session)).get_json()["dossier"]["id"]
    assert hoabinh.get(f"/api/v1/dossiers/{dossier_id}").status_code == 404
    assert hoabinh.get(f"/api/v1/dossiers/{dossier_id}/control-sheet").status_code == 404
    assert dossier_id not in [d["id"] for d in hoabinh.get("/api/v1/dossiers").get_json()["items"]]
    assert client_for("tanlap.reception").get(f"/api/v1/dossiers/{dossier_id}").status_code == 200
    # another agency's list is not for Hòa Bình's desk, nor for a third commune
    assert hoabinh.get(f"/api/v1/forwardings?agency_id={agency_id(session, TANLAP)}").status_code == 403
    assert hoabinh.get("/api/v1/forwardings?agency_id=999999").status_code == 404


def test_reception_for_another_agency_is_refused_where_it_must_be(client_for, session):
    assert client_for("tanlap.specialist").post("/api/v1/forwardings", json=_body(session)).status_code == 403
    hoabinh = client_for("hoabinh.reception")
    same = hoabinh.post("/api/v1/forwardings", json=_body(session, competent_agency_id=agency_id(session, HOABINH)))
    assert same.status_code == 422 and "competent_agency_id" in str(same.get_json())
    missing = hoabinh.post("/api/v1/forwardings", json={k: v for k, v in _body(session).items()
                                                         if k != "competent_agency_id"})
    assert missing.status_code == 422 and "competent_agency_id" in str(missing.get_json())
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "received")) is None  # nothing written
    assert hoabinh.post("/api/v1/forwardings/424242/forward").status_code == 404
