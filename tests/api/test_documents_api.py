"""The documents' endpoints: the contract (POST /dossiers/<id>/documents answers 201 with id and sha256, GET
/documents/<id>/content the bytes), refusals that store nothing (413, 415, 422, 404), who may call what over
every new endpoint, and the citizen's signed result with the receipt's code and secret."""
from __future__ import annotations

import hashlib
import io

import pytest
from documents_support import EXE, PNG, documents_runtime, make_pdf, receive_citizen, to_signed
from sqlalchemy import func, select

from api import create_app
from engine.models import AuditEvent, Document, User

V1 = "/api/v1"
OFFICIALS = ("tanlap.reception", "tanlap.specialist", "tanlap.leader", "hoabinh.reception", "hoabinh.specialist",
             "tinh.designer", "admin")


@pytest.fixture
def drt(rt, db_url, clock, tmp_path, pki):
    runtime = documents_runtime(db_url, clock, tmp_path / "store", pki, max_file_bytes=2 * 1024 * 1024)
    yield runtime
    runtime.db_engine.dispose()


@pytest.fixture
def dapp(drt):
    app = create_app(runtime=drt)
    app.config.update(TESTING=True, PUBLIC_RATE_LIMIT=(10_000, 1.0))
    return app


@pytest.fixture
def callers(dapp, drt):
    from engine import accounts

    out = {"anonymous": dapp.test_client()}
    with drt.sessions() as s:
        for who in OFFICIALS:
            _, token = accounts.create_token(s, s.scalars(select(User).where(User.username == who)).one(), "t",
                                             drt.clock.now())
            client = dapp.test_client(use_cookies=False)
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            out[who] = client
        s.commit()
    return out


def _upload(client, dossier_id, data, component="0", name="scan.pdf"):
    return client.post(f"{V1}/dossiers/{dossier_id}/documents", content_type="multipart/form-data",
                       data={"component": component, "file": (io.BytesIO(data), name)})


def _count(drt) -> int:
    with drt.sessions() as s:
        return s.scalar(select(func.count()).select_from(Document))


def _objects(drt, tmp_path):
    return [p for p in (tmp_path / "store").rglob("*") if p.is_file()]


def test_upload_and_download_round_trip(callers, receive, drt):
    dossier = receive().dossier
    pdf = make_pdf(2)
    answer = _upload(callers["tanlap.reception"], dossier.id, pdf)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["sha256"] == hashlib.sha256(pdf).hexdigest() and isinstance(body["id"], int)
    assert (body["component"], body["pages"], body["origin"], body["stage"]) == (0, 2, "desk", "reception")
    got = callers["tanlap.specialist"].get(f"{V1}/documents/{body['id']}/content")
    assert got.status_code == 200 and got.data == pdf and got.mimetype == "application/pdf"
    assert hashlib.sha256(got.data).hexdigest() == body["sha256"] and got.headers["ETag"] == f'"{body["sha256"]}"'
    listing = callers["tanlap.specialist"].get(f"{V1}/dossiers/{dossier.id}/documents").get_json()
    assert listing["slots"][0]["files"][0]["sha256"] == body["sha256"] and not listing["slots"][0]["missing"]
    with drt.sessions() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.dossier_id == dossier.id)).all()
    assert {"document_attached", "document_downloaded", "documents_viewed"} <= set(actions)


@pytest.mark.parametrize(("data", "name", "status"), [
    (make_pdf(padding=3 * 1024 * 1024), "big.pdf", 413),   # over the 2 MiB of this test's settings
    (EXE, "setup.pdf", 415),                               # an executable renamed .pdf
    (b"%PDF-1.4\nbroken beyond repair", "broken.pdf", 422),
    (PNG[:20], "cut.png", 422),
])
def test_bad_files_are_refused_and_nothing_is_stored(callers, receive, drt, tmp_path, data, name, status):
    dossier = receive().dossier
    answer = _upload(callers["tanlap.reception"], dossier.id, data, name=name)
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    assert answer.mimetype == "application/problem+json"
    assert _count(drt) == 0 and _objects(drt, tmp_path) == []


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(callers, receive, drt, tmp_path):
    dossier = receive().dossier
    answer = _upload(callers["tanlap.reception"], dossier.id, b"%PDF-" + b"\x00" * (5 * 1024 * 1024))
    assert answer.status_code == 413 and _count(drt) == 0 and _objects(drt, tmp_path) == []


def test_missing_fields_name_them(callers, receive):
    dossier = receive().dossier
    client = callers["tanlap.reception"]
    answer = client.post(f"{V1}/dossiers/{dossier.id}/documents", content_type="multipart/form-data",
                         data={"component": "0"})
    assert answer.status_code == 422 and "file" in str(answer.get_json())
    answer = _upload(client, dossier.id, make_pdf(), component="7")
    assert answer.status_code == 422 and "component" in answer.get_json()["errors"]


def test_the_citizen_downloads_the_signed_result_with_the_receipt(callers, receive, drt, pki):
    from engine.documents.signatures import verify_pdf

    dossier = receive().dossier
    anonymous = callers["anonymous"]
    url = f"{V1}/public/dossiers/{dossier.code}/result"
    assert anonymous.get(url, query_string={"secret": dossier.lookup_secret}).status_code == 404  # not yet
    to_signed(drt, dossier.id)
    got = anonymous.get(url, query_string={"secret": dossier.lookup_secret})
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert verify_pdf(got.data, (str(pki.ca_pem),)).verdict == "valid"
    assert anonymous.get(url, query_string={"secret": "AAAA-BBBB"}).status_code == 404
    assert anonymous.get(url).status_code == 422
    official = callers["tanlap.specialist"]
    assert official.get(f"{V1}/dossiers/{dossier.id}/result").data == got.data
    with drt.sessions() as s:
        assert s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "result_downloaded")).first() == {
            "document_id": s.scalars(select(Document.id).where(Document.kind == "result")).one(), "by": "citizen"}


# --- who may call what ---------------------------------------------------------------------------------------

TANLAP_READERS = {"tanlap.reception", "tanlap.specialist", "tanlap.leader"}
TANLAP_DESK = {"tanlap.reception"}


def _world(callers, receive, drt):
    """A Tân Lập dossier with a file (of an earlier dossier of the same applicant) and a signed result."""
    earlier = receive_citizen(drt)
    _upload(callers["tanlap.reception"], earlier.id, make_pdf(text="earlier"), component="3")
    dossier = receive_citizen(drt)
    _upload(callers["tanlap.reception"], dossier.id, make_pdf(text="this one"), component="0")
    to_signed(drt, dossier.id)
    with drt.sessions() as s:
        earlier_doc = s.scalars(select(Document.id).where(Document.dossier_id == earlier.id)).one()
        doc_id = s.scalars(select(Document.id).where(Document.dossier_id == dossier.id,
                                                     Document.kind == "component")).one()
    return dossier, doc_id, earlier_doc


MATRIX = [
    # (method, path template, allowed callers, status for them, request extras)
    ("GET", "/dossiers/{dossier}/documents", TANLAP_READERS, 200, {}),
    ("POST", "/dossiers/{dossier}/documents", TANLAP_DESK, 201, {"upload": True}),
    ("GET", "/dossiers/{dossier}/documents/reuse", TANLAP_READERS, 200, {}),
    ("POST", "/dossiers/{dossier}/documents/reuse", TANLAP_DESK, 201, {"json": "reuse"}),
    ("GET", "/documents/{document}/content", TANLAP_READERS, 200, {}),
    ("GET", "/dossiers/{dossier}/result", TANLAP_READERS, 200, {}),
]


@pytest.mark.parametrize(("method", "path", "allowed", "status", "extra"), MATRIX,
                         ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_each_caller_is_allowed_or_denied(callers, receive, drt, method, path, allowed, status, extra):
    dossier, doc_id, earlier_doc = _world(callers, receive, drt)
    url = V1 + path.format(dossier=dossier.id, document=doc_id)
    wrong = []
    for who, client in callers.items():
        kwargs = {}
        if extra.get("upload"):
            kwargs = {"content_type": "multipart/form-data",
                      "data": {"component": "1", "file": (io.BytesIO(make_pdf(text=who)), "a.pdf")}}
        elif extra.get("json") == "reuse":
            kwargs = {"json": {"document_id": earlier_doc, "component": 2}}
        answer = client.open(url, method=method, **kwargs)
        if who in allowed:
            ok = answer.status_code == status
        elif who == "anonymous":
            ok = answer.status_code == 401
        else:
            ok = answer.status_code in (403, 404)
        if not ok:
            wrong.append(f"{who}: {answer.status_code} {answer.get_data(as_text=True)[:160]}")
    assert not wrong, "\n".join(wrong)


def test_the_public_result_is_for_the_holder_of_the_secret_only(callers, receive, drt):
    dossier, *_ = _world(callers, receive, drt)
    url = f"{V1}/public/dossiers/{dossier.code}/result"
    for who, client in callers.items():  # a login does not replace the secret
        assert client.get(url, query_string={"secret": "WRONG123"}).status_code == 404, who
        assert client.get(url, query_string={"secret": dossier.lookup_secret}).status_code == 200, who


def test_the_receipt_names_required_components_not_digitised(callers, receive):
    from pypdf import PdfReader

    def receipt_text(dossier_id):
        answer = callers["tanlap.reception"].get(f"{V1}/dossiers/{dossier_id}/receipt.pdf")
        assert answer.status_code == 200
        return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(answer.data)).pages)

    dossier = receive().dossier
    text = receipt_text(dossier.id)
    assert "chưa được số hóa: Giấy đề nghị đăng ký hộ kinh doanh" in text
    assert _upload(callers["tanlap.reception"], dossier.id, make_pdf()).status_code == 201
    assert "chưa được số hóa" not in receipt_text(dossier.id)
