"""The desk receives only a complete dossier: the procedure's required documents that apply to the reception
data, and one document of each group of alternatives (procedure.toml `when` and `one_of`)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import agency_id, restore_library

from bpmn.package import load_package
from engine.deploy import deploy_package
from engine.errors import InvalidInput
from engine.models import Dossier
from engine.reception import receive_with_receipt

SIMPLE = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "valid" / "simple-permit"
DOCS = '''
[[documents]]
name_vi = "Tờ khai (theo mẫu)"

[[documents]]
name_vi = "Căn cước công dân"
one_of = "identity"

[[documents]]
name_vi = "Hộ chiếu"
one_of = "identity"

[[documents]]
name_vi = "Giấy ủy quyền"
when = 'filed_by == "proxy"'
'''
APPLICANT = {"name": "Nguyễn Văn A", "id_number": "001099012345"}


@pytest.fixture
def checklist_procedure(rt, session, tmp_path):
    folder = tmp_path / "checklist-permit"
    shutil.copytree(SIMPLE, folder)
    (folder / "simple-permit.bpmn").rename(folder / "checklist-permit.bpmn")
    toml = (folder / "procedure.toml").read_text(encoding="utf-8").replace('slug = "simple-permit"',
                                                                          'slug = "checklist-permit"')
    (folder / "procedure.toml").write_text(toml[:toml.index("[[documents]]")] + DOCS, encoding="utf-8")
    deploy_package(rt, session, load_package(folder), actor=None, now=rt.clock.now())
    session.commit()
    yield "checklist-permit"
    session.rollback()
    restore_library(rt)


def _receive(rt, session, users, names, channel="counter", data=None):
    return receive_with_receipt(rt, session, procedure="checklist-permit", agency_id=agency_id(session),
                                channel=channel, applicant=APPLICANT, actor=users["tanlap.reception"],
                                now=rt.clock.now(), data=data or {},
                                documents=[{"name": n, "copies": 1} for n in names])


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Dossier))


def test_an_incomplete_dossier_is_refused_naming_what_is_missing_and_nothing_is_saved(
        rt, session, users, checklist_procedure):
    before = _count(session)
    with pytest.raises(InvalidInput) as exc:
        _receive(rt, session, users, ["Tờ khai"])
    assert exc.value.errors == {"documents": ["missing: một trong: Căn cước công dân; Hộ chiếu"]}
    session.rollback()
    with pytest.raises(InvalidInput) as exc:  # the proxy's authorisation is asked only of a proxy
        _receive(rt, session, users, ["Tờ khai", "Hộ chiếu"], data={"filed_by": "proxy"})
    assert exc.value.errors == {"documents": ["missing: Giấy ủy quyền"]}
    session.rollback()
    assert _count(session) == before


def test_one_of_a_group_is_enough_and_names_match_without_case_or_diacritics(rt, session, users,
                                                                             checklist_procedure):
    receipt = _receive(rt, session, users, ["to khai", "HỘ CHIẾU", "Giấy khác"], data={"filed_by": "self"})
    session.commit()
    assert receipt.dossier.code
    assert [d["name"] for d in receipt.documents] == ["to khai", "HỘ CHIẾU", "Giấy khác"]


def test_online_dossiers_were_checked_where_they_were_filed(rt, session, users, checklist_procedure):
    receipt = _receive(rt, session, users, ["Tờ khai"], channel="online")
    session.commit()
    assert receipt.dossier.channel == "online"
