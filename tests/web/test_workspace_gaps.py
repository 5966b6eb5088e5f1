"""Workspace details: amounts written the Vietnamese way, the library's reception forms, form 02 in process."""
from __future__ import annotations

from samples import HH_APPROVE
from support import act, open_task

from api.web.i18n import format_number


def test_the_leader_reads_the_capital_grouped_by_dots(rt, session, users, page_client, receive):
    d = receive().dossier
    act(rt, session, users, d.id, "examine", HH_APPROVE)
    sign = open_task(session, d.id)
    html = page_client("tanlap.leader").get(f"/cong-viec/{sign.id}").get_data(as_text=True)
    assert "150.000.000" in html and "150000000" not in html


def test_fees_at_the_desk_are_in_dong():
    assert format_number(1_500_000) == "1.500.000" and format_number(2026) == 2026 and format_number(True) is True


def test_the_desk_writes_fees_in_dong(page_client):
    html = page_client("tanlap.reception").get("/tiep-nhan/thu-tuc/household-business").get_data(as_text=True)
    assert "100.000 đồng" in html


# -- the library's procedures bring their own reception form (forms/reception.json) --------------------------------

def test_the_librarys_procedures_have_a_reception_form_at_the_desk(page_client):
    desk = page_client("tanlap.reception")
    household = desk.get("/tiep-nhan/thu-tuc/household-business").get_data(as_text=True)
    assert 'name="data.delivery_wanted"' in household and 'name="data.planned_trade_name"' in household
    birth = desk.get("/tiep-nhan/thu-tuc/birth-registration").get_data(as_text=True)
    assert 'name="data.child_full_name"' in birth and 'name="data.child_birth_date"' in birth


def test_the_dossier_page_links_form_02_once_a_step_asked_for_a_supplement(rt, session, users, page_client, receive):
    from samples import examine_supplement

    d = receive().dossier
    official = page_client("tanlap.reception")
    link = f"/api/v1/dossiers/{d.id}/supplement-request.pdf"
    assert link not in official.get(f"/ho-so/{d.id}").get_data(as_text=True)
    act(rt, session, users, d.id, "examine", examine_supplement())
    html = official.get(f"/ho-so/{d.id}").get_data(as_text=True)
    assert link in html and "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)" in html
    assert official.get(link).status_code == 200
