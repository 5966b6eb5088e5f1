"""Inter-agency bundles over HTTP: the police's step refused (409) until the police confirm the hand-over
(POST /handovers/<id>/confirm, once: 409 again), each agency's share in GET /dossiers/<id>/shares and on
form 05 (JSON and PDF)."""
from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from engine import dossiers
from engine.models import Task, User

EXAMINED = {"outcome": "approve", "register_entry": "01/2026, số 57"}
SIGNED = {"outcome": "approve", "signature_kind": "digital"}


def _at_the_police(rt, receive, users) -> int:
    dossier_id = receive(procedure="birth-residence-insurance").dossier.id
    for step, official, data in (("examine", "tanlap.specialist", EXAMINED), ("sign", "tanlap.leader", SIGNED)):
        with rt.sessions() as s:
            task = s.scalars(select(Task).where(Task.dossier_id == dossier_id, Task.state == "ready")).one()
            assert task.bpmn_id == step
            dossiers.complete_task(rt, s, task.id, data, actor=s.get(User, users[official].id), now=rt.clock.now())
            s.commit()
    return dossier_id


def test_the_police_confirm_over_the_api_then_work(rt, receive, users, client_for, session):
    dossier_id = _at_the_police(rt, receive, users)
    police = client_for("conganxa.specialist")
    shares = police.get(f"/api/v1/dossiers/{dossier_id}/shares")
    assert shares.status_code == 200, shares.get_json()
    lead, waiting = shares.get_json()
    assert lead["agency_name"] == "UBND xã Tân Lập" and lead["budget"] == "PT4H" and lead["ended_at"]
    assert waiting["agency_name"] == "Công an xã Tân Lập" and waiting["confirmed_at"] is None
    assert waiting["from_agency_name"] == "UBND xã Tân Lập" and waiting["budget"] == "P1D"
    task_id = session.scalars(select(Task.id).where(Task.dossier_id == dossier_id, Task.state == "ready")).one()
    refused = police.post(f"/api/v1/tasks/{task_id}/claim")
    assert refused.status_code == 409 and f"hand-over {waiting['handover_id']}" in refused.get_json()["detail"]
    # the commune that sent it cannot confirm for the police
    assert client_for("tanlap.leader").post(f"/api/v1/handovers/{waiting['handover_id']}/confirm").status_code == 403
    confirmed = police.post(f"/api/v1/handovers/{waiting['handover_id']}/confirm")
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["confirmed_by"] and confirmed.get_json()["confirmed_at"]
    assert police.post(f"/api/v1/handovers/{waiting['handover_id']}/confirm").status_code == 409
    assert police.post("/api/v1/handovers/2000000000/confirm").status_code == 404
    assert police.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200

    sheet = police.get(f"/api/v1/dossiers/{dossier_id}/control-sheet").get_json()
    assert [s["agency_name"] for s in sheet["shares"]] == ["UBND xã Tân Lập", "Công an xã Tân Lập"]
    pdf = police.get(f"/api/v1/dossiers/{dossier_id}/control-sheet.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    for expected in ("Thời gian giải quyết của từng cơ quan (liên thông)", "Công an xã Tân Lập",
                     "Được giao: 1 ngày làm việc", "Được giao: 4 giờ làm việc", "Xác nhận nhận: 09:00 02/03/2026",
                     "Đã dùng: 0 phút làm việc"):
        assert expected in text, (expected, text)
