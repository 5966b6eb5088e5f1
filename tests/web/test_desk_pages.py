"""The reception desk, result return, public look-up and tracking book pages, on both databases."""
from __future__ import annotations

import json
import shutil

import pytest
from samples import HH_APPROVE, HH_ISSUE, SIGN_APPROVE
from sqlalchemy import func, select
from support import WORKFLOWS, act, agency_id

from bpmn.package import load_package
from engine import dossiers, runtime
from engine.deploy import deploy_package, deploy_path
from engine.models import Agency, DeskRecord, Dossier, Task

SLUG = "household-business"


def _html(response) -> str:
    return response.get_data(as_text=True)


def _count(session, model=Dossier) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _form(official, **extra):
    data = {"csrf_token": official.csrf, "applicant.name": "Nguyễn Văn An", "applicant.phone": "0912345678",
            "applicant.address": "Thôn Đông, xã Tân Lập", "channel": "counter", "doc.0": "1", "copies.0": "1"}
    data.update(extra)
    return data


# -- reception desk --------------------------------------------------------------------------------------------

def test_desk_finds_a_procedure_typed_without_diacritics(page_client):
    official = page_client("tanlap.reception")
    html = _html(official.get("/tiep-nhan?q=ho+kinh+doanh"))
    assert "Tiếp nhận hồ sơ" in html and "Đăng ký thành lập hộ kinh doanh" in html
    assert "khai sinh" not in html.lower()
    assert "Đăng ký thành lập hộ kinh doanh" in _html(official.get("/tiep-nhan?q=1.001612"))
    assert "Không có thủ tục nào khớp" in _html(official.get("/tiep-nhan?q=khong+co+thu+tuc"))


def test_procedure_page_shows_checklist_fees_deadline_and_the_form(page_client):
    html = _html(page_client("tanlap.reception").get(f"/tiep-nhan/thu-tuc/{SLUG}"))
    assert "3 ngày làm việc" in html and "100.000" in html
    assert "Giấy đề nghị đăng ký hộ kinh doanh" in html
    assert 'name="applicant.name"' in html and 'name="clock_started_at"' in html
    assert 'name="csrf_token"' in html


def test_receive_through_the_desk_stores_the_dossier_and_shows_its_code(page_client, session):
    official = page_client("tanlap.reception")
    response = official.post(f"/tiep-nhan/thu-tuc/{SLUG}", data=_form(official))
    assert response.status_code == 302, _html(response)
    session.expire_all()
    dossier = session.scalars(select(Dossier)).one()
    assert dossier.applicant_name == "Nguyễn Văn An" and dossier.channel == "counter"
    html = _html(official.get(response.headers["Location"]))
    assert "Đã tiếp nhận hồ sơ" in html and dossier.code in html
    assert f"/api/v1/dossiers/{dossier.id}/receipt.pdf" in html and "In giấy tiếp nhận" in html
    pdf = official.get(f"/api/v1/dossiers/{dossier.id}/receipt.pdf")  # the link the page prints from
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_bad_input_is_named_beside_its_field_and_nothing_is_stored(page_client, session):
    official = page_client("tanlap.reception")
    response = official.post(f"/tiep-nhan/thu-tuc/{SLUG}",
                             data=_form(official, **{"applicant.name": "", "channel": "postal"}))
    assert response.status_code == 422
    html = _html(response)
    assert 'id="applicant-name-error"' in html and 'id="clock_started_at-error"' in html
    assert "Nguyễn Văn An" not in html or 'value="0912345678"' in html  # typed values kept
    assert _count(session) == 0


def test_a_dossier_without_its_required_document_is_not_received_and_the_page_names_it(page_client, session):
    official = page_client("tanlap.reception")
    form = _form(official)
    del form["doc.0"]  # the application form (required) not ticked
    response = official.post(f"/tiep-nhan/thu-tuc/{SLUG}", data=form)
    assert response.status_code == 422
    html = _html(response)
    assert "Chưa nộp: Giấy đề nghị đăng ký hộ kinh doanh" in html
    assert _count(session) == 0


def test_postal_dossier_with_its_postmark(page_client, session, rt):
    official = page_client("tanlap.reception")
    postmark = rt.clock.now().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh"))
    stamp = (postmark.replace(minute=0, second=0, microsecond=0)).strftime("%Y-%m-%dT%H:%M")
    response = official.post(f"/tiep-nhan/thu-tuc/{SLUG}",
                             data=_form(official, channel="postal", clock_started_at=stamp))
    assert response.status_code == 302, _html(response)
    session.expire_all()
    assert session.scalars(select(Dossier.channel)).one() == "postal"


def test_receiving_without_the_csrf_token_is_refused(page_client, session):
    official = page_client("tanlap.reception")
    response = official.post(f"/tiep-nhan/thu-tuc/{SLUG}", data={**_form(official), "csrf_token": "forged"})
    assert response.status_code == 400
    assert _count(session) == 0


def test_an_official_without_the_desk_role_is_refused_by_the_engine(page_client, session):
    official = page_client("tanlap.specialist")
    response = official.post(f"/tiep-nhan/thu-tuc/{SLUG}", data=_form(official))
    assert response.status_code in (403, 422)
    assert _count(session) == 0


def test_desk_slips_supplement_and_refusal(page_client, session):
    official = page_client("tanlap.reception")
    response = official.post(f"/tiep-nhan/thu-tuc/{SLUG}/yeu-cau-bo-sung",
                             data=_form(official, missing_documents="Bản sao biên bản họp\nGiấy ủy quyền"))
    assert response.status_code == 302, _html(response)
    html = _html(official.get(response.headers["Location"]))
    assert "Mẫu 02" in html and "/api/v1/reception/supplement-requests/" in html
    link = html.split('href="/api/v1/reception/supplement-requests/')[1].split('"')[0]
    pdf = official.get(f"/api/v1/reception/supplement-requests/{link}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    empty = official.post(f"/tiep-nhan/thu-tuc/{SLUG}/tu-choi", data=_form(official, slip_reason=""))
    assert empty.status_code == 422
    assert _count(session, DeskRecord) == 1 and _count(session) == 0


def test_received_page_of_another_agency_is_not_found(page_client, receive):
    dossier = receive().dossier
    assert page_client("hoabinh.specialist").get(f"/tiep-nhan/ho-so/{dossier.id}").status_code == 404


# -- result return -----------------------------------------------------------------------------------------------

def _to_return(rt, session, users, receive):
    d = receive().dossier
    act(rt, session, users, d.id, "examine", HH_APPROVE)
    act(rt, session, users, d.id, "sign", SIGN_APPROVE)
    act(rt, session, users, d.id, "issue", HH_ISSUE)
    session.commit()
    return d


def test_return_by_post_ends_the_dossier(page_client, rt, session, users, receive):
    d = _to_return(rt, session, users, receive)
    official = page_client("tanlap.reception")
    html = _html(official.get("/tra-ket-qua"))
    assert "Trả kết quả" in html and d.code in html
    task = session.scalars(select(Task).where(Task.dossier_id == d.id, Task.bpmn_id == "return_result")).one()
    bad = official.post(f"/tra-ket-qua/{task.id}", data={"csrf_token": official.csrf, "delivery": "postal"})
    assert bad.status_code == 422 and 'id="postal_tracking-error"' in _html(bad)
    done = official.post(f"/tra-ket-qua/{task.id}", data={"csrf_token": official.csrf, "delivery": "postal",
                                                          "postal_tracking": "EB123456789VN"})
    assert done.status_code == 302, _html(done)
    session.expire_all()
    assert session.get(Dossier, d.id).status == "returned"
    assert f"/tra-ket-qua/{task.id}" not in _html(official.get("/tra-ket-qua"))


def test_return_page_outside_the_agency_is_not_found(page_client, rt, session, users, receive):
    d = _to_return(rt, session, users, receive)
    task = session.scalars(select(Task).where(Task.dossier_id == d.id, Task.bpmn_id == "return_result")).one()
    assert page_client("hoabinh.specialist").get(f"/tra-ket-qua/{task.id}").status_code == 404


# -- public look-up --------------------------------------------------------------------------------------------

def test_public_lookup_shows_status_without_personal_data(client, receive):
    d = receive(applicant_name="Nguyễn Văn Bí Mật").dossier
    html = _html(client.get(f"/lookup?code={d.code}&secret={d.lookup_secret}"))
    assert "Tra cứu hồ sơ" in html and d.code in html and "Đăng ký thành lập hộ kinh doanh" in html
    assert "Bí Mật" not in html and "0912345678" not in html
    assert "<script" not in html and "onclick" not in html


def test_public_lookup_with_a_wrong_secret_says_so(client, receive):
    d = receive().dossier
    response = client.get(f"/lookup?code={d.code}&secret=WRONG123")
    assert response.status_code == 404 and "Không tìm thấy" in _html(response)
    assert 'name="code"' in _html(client.get("/lookup"))


def test_public_lookup_is_rate_limited(app, client, receive):
    app.config["PUBLIC_RATE_LIMIT"] = (2, 3600)
    d = receive().dossier
    codes = [client.get(f"/lookup?code={d.code}&secret=X").status_code for _ in range(3)]
    assert codes[-1] == 429


def test_supplement_requested_lookup_says_what_to_do(client, rt, session, users, receive):
    from samples import examine_supplement

    d = receive().dossier
    act(rt, session, users, d.id, "examine", examine_supplement())
    session.commit()
    html = _html(client.get(f"/lookup?code={d.code}&secret={d.lookup_secret}"))
    assert "bổ sung" in html


# -- tracking book ----------------------------------------------------------------------------------------------

def test_tracking_book_page_lists_the_period(page_client, receive, rt):
    d = receive(applicant_name="Lê Thị Sổ").dossier
    official = page_client("tanlap.reception")
    day = rt.clock.now().date().isoformat()
    html = _html(official.get(f"/so-theo-doi?from={day}&to={day}"))
    assert "Sổ theo dõi hồ sơ" in html and d.code in html and "Lê Thị Sổ" in html
    assert "/so-theo-doi.csv?" in html and "/api/v1/tracking-book.pdf?" in html
    query = html.split('href="/api/v1/tracking-book.pdf?')[1].split('"')[0].replace("&amp;", "&")
    pdf = official.get(f"/api/v1/tracking-book.pdf?{query}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    csv = official.get(f"/so-theo-doi.csv?from={day}&to={day}")
    assert csv.status_code == 200 and d.code in _html(csv)
    bad = official.get(f"/so-theo-doi?from={day}&to=2020-01-01")
    assert bad.status_code == 422


def test_tracking_book_of_another_agency_is_not_found(page_client, session):
    hoabinh = session.scalars(select(Agency.id).where(Agency.code == "000.02.31.H26")).one()
    official = page_client("tanlap.reception")
    assert official.get(f"/so-theo-doi.csv?agency_id={hoabinh}").status_code == 404
    assert agency_id(session)
    assert dossiers  # the engine module the fixtures use


# -- a procedure with its own reception form (reception.json) ---------------------------------------------------

RECEPTION_SCHEMA = {
    "title": "Thông tin hộ kinh doanh", "type": "object", "required": ["business_name"],
    "properties": {
        "business_name": {"title": "Tên hộ kinh doanh", "type": "string", "minLength": 1},
        "capital": {"title": "Vốn kinh doanh (đồng)", "type": "integer", "minimum": 0},
        "owner_ethnicity": {"title": "Dân tộc của chủ hộ", "type": "string", "default": "Kinh"},
    },
}


@pytest.fixture
def with_reception_form(rt, session, tmp_path):
    """household-business deployed with a reception.json; the library's version reinstated afterwards."""
    copy = tmp_path / SLUG
    shutil.copytree(WORKFLOWS / SLUG, copy)
    (copy / "forms" / "reception.json").write_text(json.dumps(RECEPTION_SCHEMA, ensure_ascii=False), encoding="utf-8")
    deploy_path(rt, session, copy, actor=None, now=rt.clock.now())
    session.commit()
    try:
        yield
    finally:
        session.rollback()
        deploy_package(rt, session, load_package(WORKFLOWS / SLUG), actor=None, now=rt.clock.now())
        session.commit()


def test_the_procedures_reception_form_is_drawn_checked_and_kept(with_reception_form, page_client, session, rt):
    official = page_client("tanlap.reception")
    html = _html(official.get(f"/tiep-nhan/thu-tuc/{SLUG}"))
    assert "Thông tin hộ kinh doanh" in html and 'name="data.business_name"' in html
    assert 'value="Kinh"' in html  # the schema's default
    bad = official.post(f"/tiep-nhan/thu-tuc/{SLUG}", data=_form(official, **{"data.capital": "nhiều"}))
    assert bad.status_code == 422
    page = _html(bad)
    assert 'id="data-business_name-error"' in page and 'id="data-capital-error"' in page
    assert 'value="nhiều"' in page and _count(session) == 0
    good = official.post(f"/tiep-nhan/thu-tuc/{SLUG}", data=_form(official, **{
        "data.business_name": "Tạp hóa Bình An", "data.capital": "150000000"}))
    assert good.status_code == 302, _html(good)
    session.expire_all()
    dossier = session.scalars(select(Dossier)).one()
    workflow = runtime.restore(rt, rt.compiled(session, dossier), dossier)
    task_data = runtime.ready_human_tasks(workflow)[0].data
    assert (task_data["business_name"], task_data["capital"], task_data["owner_ethnicity"]) == (
        "Tạp hóa Bình An", 150000000, "Kinh")  # typed, read as a number, and the default applied


def test_the_desk_lists_dossiers_waiting_for_a_supplement(page_client, rt, session, users, receive):
    from samples import examine_supplement

    d = receive().dossier
    act(rt, session, users, d.id, "examine", examine_supplement())
    session.commit()
    html = _html(page_client("tanlap.reception").get("/tiep-nhan"))
    assert "Chờ công dân bổ sung" in html and d.code in html and "Ghi nhận hồ sơ bổ sung" in html


# -- reception regardless of administrative boundary: the competent agency -----------------------------------

def _competent_options(html: str) -> str:
    return html.split('id="f-competent_agency_id"', 1)[1].split("</select>", 1)[0]


def test_a_desk_that_is_not_competent_chooses_the_competent_agency(page_client, session):
    from engine.models import BoundaryReception

    official = page_client("tinh.reception")  # the province's service centre; the procedure is a commune's
    options = _competent_options(_html(official.get(f"/tiep-nhan/thu-tuc/{SLUG}")))
    assert "UBND xã Tân Lập" in options and "UBND phường Hòa Bình" in options
    assert "Công an" not in options and "selected" not in options and 'value=""' in options
    refused = official.post(f"/tiep-nhan/thu-tuc/{SLUG}", data=_form(official))
    assert refused.status_code == 422 and 'class="error">Chọn cơ quan có thẩm quyền:' in _html(refused)
    police = official.post(f"/tiep-nhan/thu-tuc/{SLUG}",
                           data=_form(official, competent_agency_id=str(agency_id(session, "000.11.31.H26"))))
    assert police.status_code == 422 and _count(session) == 0
    tanlap = agency_id(session)
    response = official.post(f"/tiep-nhan/thu-tuc/{SLUG}", data=_form(official, competent_agency_id=str(tanlap)))
    assert response.status_code == 302 and response.headers["Location"].endswith("/chuyen-ho-so")
    session.expire_all()
    dossier = session.scalars(select(Dossier)).one()
    row = session.scalars(select(BoundaryReception)).one()
    assert dossier.agency_id == tanlap and row.receiving_agency_id == agency_id(session, "000.00.00.H26")
    # the receiving desk prints the receipt (only that: the dossier itself is the competent agency's)
    pdf = official.get(f"/api/v1/dossiers/{dossier.id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert official.get(f"/api/v1/dossiers/{dossier.id}").status_code == 404
    assert page_client("hoabinh.reception").get(f"/api/v1/dossiers/{dossier.id}/receipt.pdf").status_code == 404
    page = _html(official.get("/chuyen-ho-so"))
    assert f"/api/v1/dossiers/{dossier.id}/receipt.pdf" in page
    assert dossier.code in page and "Chờ chuyển" in page


def test_a_competent_desk_receives_for_itself_by_default_or_for_another(page_client, session):
    from engine.models import BoundaryReception

    official = page_client("tanlap.reception")
    options = _competent_options(_html(official.get(f"/tiep-nhan/thu-tuc/{SLUG}")))
    assert f'value="{agency_id(session)}" selected' in options and "UBND phường Hòa Bình" in options
    assert 'value=""' not in options
    hoabinh = agency_id(session, "000.02.31.H26")
    response = official.post(f"/tiep-nhan/thu-tuc/{SLUG}", data=_form(official, competent_agency_id=str(hoabinh)))
    assert response.status_code == 302
    session.expire_all()
    assert session.scalars(select(Dossier.agency_id)).one() == hoabinh
    assert session.scalar(select(func.count(BoundaryReception.id))) == 1
