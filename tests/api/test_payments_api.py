"""Payments over HTTP: recorded at the desk (receipt) or online (reference, once), listed for the agency; a
stopped dossier takes no payment."""
from __future__ import annotations

from support import receive


def test_payments_are_recorded_and_a_reference_is_used_once(rt, session, users, client_for):
    first = receive(rt, session, users).dossier
    second = receive(rt, session, users).dossier
    desk = client_for("tanlap.reception")
    online = {"method": "online", "amount": 100000, "receipt_number": "BL-0001", "payment_reference": "VNPAY-9"}
    answer = desk.post(f"/api/v1/dossiers/{first.id}/payments", json=online)
    assert answer.status_code == 201, answer.get_json()
    assert (answer.get_json()["reference"], answer.get_json()["amount"]) == ("VNPAY-9", 100000)
    again = desk.post(f"/api/v1/dossiers/{second.id}/payments", json={**online, "receipt_number": "BL-0002"})
    assert again.status_code == 422 and "payment_reference" in again.get_json()["errors"]
    no_ref = desk.post(f"/api/v1/dossiers/{second.id}/payments", json={**online, "payment_reference": None})
    assert no_ref.status_code == 422
    bad = desk.post(f"/api/v1/dossiers/{second.id}/payments", json={"method": "cash", "amount": -1})
    assert bad.status_code == 422 and {"method", "amount", "receipt_number"} <= set(bad.get_json()["errors"])
    counter = desk.post(f"/api/v1/dossiers/{second.id}/payments",
                        json={"method": "counter", "amount": 50000, "receipt_number": "BL-0003"})
    assert counter.status_code == 201
    listed = client_for("tanlap.leader").get(f"/api/v1/dossiers/{second.id}/payments").get_json()
    assert [(p["method"], p["amount"], p["reference"]) for p in listed] == [("counter", 50000, None)]
    assert client_for("hoabinh.specialist").get(f"/api/v1/dossiers/{second.id}/payments").status_code == 404
    stopped = client_for("tanlap.leader").post(f"/api/v1/dossiers/{second.id}/stop",
                                               json={"reason": "Dừng theo yêu cầu của cơ quan có thẩm quyền."})
    assert stopped.status_code == 200 and stopped.get_json()["status"] == "stopped"
    late = desk.post(f"/api/v1/dossiers/{second.id}/payments",
                     json={"method": "counter", "amount": 1, "receipt_number": "BL-0004"})
    assert late.status_code == 409
