"""Form 02 also for a supplement asked while the dossier was handled (the examination's list), as a PDF."""
from __future__ import annotations

from sqlalchemy import select
from support import act
from test_printing import A5, pdf_of, size_of, text_of

from engine.models import AuditEvent

MISSING = [{"name": "Bản sao hợp đồng thuê địa điểm kinh doanh", "copy_type": "certified_copy", "quantity": 2,
            "note": "ghi rõ thời hạn thuê"}]


def test_a_supplement_asked_in_process_prints_as_form_02(client_for, rt, session, users, receive):
    d = receive().dossier
    desk = client_for("tanlap.reception")
    assert desk.get(f"/api/v1/dossiers/{d.id}/supplement-request.pdf").status_code == 404  # none asked yet
    act(rt, session, users, d.id, "examine", {"outcome": "supplement", "reason": "Thiếu hợp đồng thuê.",
                                              "missing_documents": MISSING})
    response = desk.get(f"/api/v1/dossiers/{d.id}/supplement-request.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pdf_of(response)
    text = text_of(reader)
    assert len(reader.pages) == 1 and size_of(reader) == A5
    for expected in ("Mẫu số 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", d.code, "Trần Thị Bình",
                     "Bản sao hợp đồng thuê địa điểm kinh doanh", "Bản sao chứng thực", "ghi rõ thời hạn thuê",
                     "Thiếu hợp đồng thuê.", "NGƯỜI HƯỚNG DẪN"):
        assert expected in text, expected
    session.expire_all()
    printed = session.scalars(select(AuditEvent.detail).where(AuditEvent.dossier_id == d.id,
                                                              AuditEvent.action == "printed")).all()
    assert {"form": "supplement_request"} in printed
    assert client_for("hoabinh.specialist").get(f"/api/v1/dossiers/{d.id}/supplement-request.pdf").status_code == 404
