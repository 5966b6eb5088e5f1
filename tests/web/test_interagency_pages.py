"""The dossier page of an inter-agency bundle: each agency's share, and the receiving agency's button to
confirm the hand-over (only for its officials; CSRF required)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from support import open_task, receive
from web_support import sign_in

from engine import dossiers
from engine.models import AgencyHandover


def test_the_police_confirm_the_hand_over_on_the_dossier_page(app, rt, session, users, clock):
    d = receive(rt, session, users, procedure="birth-residence-insurance").dossier
    for official, data in (("tanlap.specialist", {"outcome": "approve", "register_entry": "01/2026, số 57"}),
                           ("tanlap.leader", {"outcome": "approve", "signature_kind": "digital"})):
        dossiers.complete_task(rt, session, open_task(session, d.id).id, data, actor=users[official],
                               now=rt.clock.now())
        session.commit()
    handover = session.scalars(select(AgencyHandover).where(AgencyHandover.dossier_id == d.id,
                                                            AgencyHandover.confirmed_at.is_(None))).one()
    action = f"/ho-so/{d.id}/ban-giao/{handover.id}/xac-nhan"
    police, commune = sign_in(app.test_client(), "conganxa.specialist"), sign_in(app.test_client(), "tanlap.leader")
    page = police.get(f"/ho-so/{d.id}").get_data(as_text=True)
    assert action in page and "Công an xã Tân Lập" in page and "UBND xã Tân Lập" in page
    # each share's budget and the working time it has used, in words
    assert "1 ngày làm việc" in page and "đã dùng 0 phút làm việc" in page
    clock.set(clock.now() + dt.timedelta(hours=1, minutes=30))
    assert "đã dùng 1 giờ 30 phút làm việc" in police.get(f"/ho-so/{d.id}").get_data(as_text=True)
    assert action not in commune.get(f"/ho-so/{d.id}").get_data(as_text=True)
    assert police.post(action, data={"csrf_token": "forged"}).status_code == 400
    assert commune.post(action, data={"csrf_token": commune.csrf}).status_code == 403
    assert police.post(action, data={"csrf_token": police.csrf}).status_code == 302
    session.expire_all()
    assert session.get(AgencyHandover, handover.id).confirmed_by_id == users["conganxa.specialist"].id
    assert action not in police.get(f"/ho-so/{d.id}").get_data(as_text=True)
