"""The dossier's documents in the engine: attach and read back, refusals that store nothing, two officials
at one slot, the signed result at the leader's step, reuse for the same applicant, retention."""
from __future__ import annotations

import io
import threading

import pytest
from documents_support import EXE, PNG, documents_runtime, make_pdf
from samples import HH_APPROVE, SIGN_APPROVE
from sqlalchemy import func, select
from support import APPLICANT, agency_id

from engine import dossiers
from engine.documents import components, results, retention, signatures
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import AuditEvent, Document, User

APPLICANT_ID = {**APPLICANT, "id_number": "031190001234"}


@pytest.fixture
def s(drt):
    with drt.sessions() as session:
        yield session


def receive(drt, s, applicant=APPLICANT_ID):
    actor = s.scalars(select(User).where(User.username == "tanlap.reception")).one()
    result = dossiers.receive_dossier(drt, s, procedure="household-business", agency_id=agency_id(s),
                                      channel="counter", applicant=applicant, actor=actor, now=drt.clock.now())
    s.commit()
    return result.dossier


def user(s, name):
    return s.scalars(select(User).where(User.username == name)).one()


def attach(drt, s, dossier_id, data, component=0, who="tanlap.reception", name="scan.pdf"):
    doc = components.attach(drt, s, dossier_id, component=component, stream=io.BytesIO(data), filename=name,
                            actor=user(s, who), now=drt.clock.now())
    s.commit()
    return doc


def stored_objects(drt):
    ds, staging, _ = components.backend(drt)
    root = components.backend(drt)[2].root
    return sorted(p for p in root.rglob("*") if p.is_file()), sorted(staging.tmp.iterdir())


def test_attach_and_read_back_by_hash(drt, s):
    dossier = receive(drt, s)
    pdf = make_pdf(3)
    doc = attach(drt, s, dossier.id, pdf)
    import hashlib

    assert doc.sha256 == hashlib.sha256(pdf).hexdigest() and doc.size == len(pdf) and doc.pages == 3
    assert (doc.media_type, doc.origin, doc.stage, doc.slot) == ("application/pdf", "desk", "reception", 0)
    assert doc.attached_by_id == user(s, "tanlap.reception").id and doc.keep_until.year == doc.attached_at.year + 20
    got, chunks = components.open_document(drt, s, doc.id, actor=user(s, "tanlap.specialist"), now=drt.clock.now())
    assert b"".join(chunks) == pdf
    s.commit()
    # the same bytes twice: two rows, one object
    again = attach(drt, s, dossier.id, pdf, component=1)
    objects, tmp = stored_objects(drt)
    assert again.sha256 == doc.sha256 and len(objects) == 1 and tmp == []
    png = attach(drt, s, dossier.id, PNG, component=1, name="anh.pdf")
    assert (png.media_type, png.filename, png.pages) == ("image/png", "anh.png", 1)
    actions = s.scalars(select(AuditEvent.action).where(AuditEvent.dossier_id == dossier.id)).all()
    assert actions.count("document_attached") == 3 and "document_downloaded" in actions


def test_slots_follow_the_procedure_and_name_what_is_missing(drt, s):
    dossier = receive(drt, s)
    slots = components.slots(drt, s, dossier.id, actor=user(s, "tanlap.reception"))
    assert [(x.required, x.copy_type) for x in slots] == [(True, "original"), (False, "copy"), (False, "copy"),
                                                          (False, "copy")]
    assert [x.index for x in components.missing_required(drt, s, dossier)] == [0]
    attach(drt, s, dossier.id, make_pdf())
    assert components.missing_required(drt, s, dossier) == []


@pytest.mark.parametrize(("data", "error", "field"), [
    (EXE, components.UnsupportedType, "file"),
    (b"%PDF-1.7\nthis is no pdf at all\n%%EOF", InvalidInput, "file"),
    (b"just text", components.UnsupportedType, "file"),
])
def test_bad_files_are_refused_and_nothing_is_stored(drt, s, data, error, field):
    dossier = receive(drt, s)
    with pytest.raises(error) as caught:
        attach(drt, s, dossier.id, data)
    assert field in caught.value.errors
    s.rollback()
    assert s.scalar(select(func.count()).select_from(Document)) == 0
    assert stored_objects(drt) == ([], [])


def test_too_large_and_unknown_slot_and_outside_scope_store_nothing(drt, db_url, clock, tmp_path, s):
    dossier = receive(drt, s)
    small = documents_runtime(db_url, clock, tmp_path / "store", max_file_bytes=1024)
    with small.sessions() as s2:
        with pytest.raises(components.FileTooLarge):
            attach(small, s2, dossier.id, make_pdf(padding=2048))
    small.db_engine.dispose()
    with pytest.raises(InvalidInput) as caught:
        attach(drt, s, dossier.id, make_pdf(), component=9)
    assert "component" in caught.value.errors
    s.rollback()
    with pytest.raises(NotFound):
        attach(drt, s, dossier.id, make_pdf(), who="hoabinh.reception")
    s.rollback()
    with pytest.raises(Forbidden):  # of the agency, but not at its desk
        attach(drt, s, dossier.id, make_pdf(), who="tanlap.specialist")
    s.rollback()
    assert s.scalar(select(func.count()).select_from(Document)) == 0
    assert stored_objects(drt) == ([], [])


def test_outsiders_cannot_read_a_file(drt, s):
    dossier = receive(drt, s)
    doc = attach(drt, s, dossier.id, make_pdf())
    for who in ("hoabinh.specialist", "admin"):
        with pytest.raises(NotFound):
            components.open_document(drt, s, doc.id, actor=user(s, who), now=drt.clock.now())


def test_two_officials_attaching_to_one_slot_at_once_lose_nothing(drt, s):
    dossier = receive(drt, s)
    files = [make_pdf(1, text=f"official {i}") for i in range(2)]
    barrier, errors = threading.Barrier(2), []

    def work(data):
        try:
            with drt.sessions() as mine:
                barrier.wait()
                attach(drt, mine, dossier.id, data)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    rows = s.scalars(select(Document).where(Document.dossier_id == dossier.id, Document.slot == 0)).all()
    import hashlib

    assert sorted(r.sha256 for r in rows) == sorted(hashlib.sha256(f).hexdigest() for f in files)
    assert len(stored_objects(drt)[0]) == 2


def test_a_closed_dossier_takes_no_file(drt, s):
    dossier = receive(drt, s)
    dossiers.withdraw_dossier(drt, s, dossier.id, "Công dân rút hồ sơ.", actor=user(s, "tanlap.reception"),
                              now=drt.clock.now())
    s.commit()
    with pytest.raises(Conflict):
        attach(drt, s, dossier.id, make_pdf())


def _to_sign_step(drt, s, dossier):
    from support import open_task

    task = open_task(s, dossier.id)
    dossiers.complete_task(drt, s, task.id, HH_APPROVE, actor=user(s, "tanlap.specialist"), now=drt.clock.now())
    s.commit()
    return open_task(s, dossier.id)


def test_the_leader_signs_the_result_and_a_changed_byte_fails(drt, s, pki):
    dossier = receive(drt, s)
    sign = _to_sign_step(drt, s, dossier)
    assert results.latest_result(s, dossier.id) is None
    dossiers.complete_task(drt, s, sign.id, SIGN_APPROVE, actor=user(s, "tanlap.leader"), now=drt.clock.now())
    s.commit()
    doc = results.latest_result(s, dossier.id)
    assert doc is not None and doc.signature["verdict"] == "valid" and doc.pages == 2
    _, chunks = results.official_result(drt, s, dossier.id, actor=user(s, "tanlap.reception"), now=drt.clock.now())
    pdf = b"".join(chunks)
    roots = (str(pki.ca_pem),)
    assert signatures.verify_pdf(pdf, roots).verdict == "valid"
    assert signatures.verify_pdf(pdf, (str(pki.stranger_ca_pem),)).verdict == "not_trusted"
    changed = bytearray(pdf)
    at = pdf.index(b"/Contents", 200) - 20  # inside the first revision, which the signature covers
    changed[at] ^= 0x01
    assert signatures.verify_pdf(bytes(changed), roots).verdict == "invalid"
    # the citizen, with the receipt's code and secret
    _, chunks = results.public_result(drt, s, dossier.code, dossier.lookup_secret, now=drt.clock.now())
    assert b"".join(chunks) == pdf
    with pytest.raises(NotFound):
        results.public_result(drt, s, dossier.code, "WRONG", now=drt.clock.now())
    text = _pdftotext(pdf)
    assert "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH" in text and "Hộ kinh doanh Tạp hóa Bình An" in text
    assert dossier.code in text


def _pdftotext(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_handwritten_signature_issues_no_electronic_result(drt, s):
    dossier = receive(drt, s)
    sign = _to_sign_step(drt, s, dossier)
    dossiers.complete_task(drt, s, sign.id, {**SIGN_APPROVE, "signature_kind": "handwritten"},
                           actor=user(s, "tanlap.leader"), now=drt.clock.now())
    s.commit()
    assert results.latest_result(s, dossier.id) is None


def test_an_uploaded_signed_pdf_shows_its_verdict(drt, s, pki):
    from documents_support import PASSPHRASE

    dossier = receive(drt, s)
    signed = signatures.sign_pdf(make_pdf(), str(pki.signer_p12), PASSPHRASE)
    stranger = signatures.sign_pdf(make_pdf(text="other"), str(pki.stranger_p12), PASSPHRASE)
    assert attach(drt, s, dossier.id, signed).signature["verdict"] == "valid"
    assert attach(drt, s, dossier.id, stranger).signature["verdict"] == "not_trusted"
    assert attach(drt, s, dossier.id, make_pdf(text="plain")).signature is None


def test_reuse_for_the_same_applicant_is_offered_and_recorded(drt, s):
    first = receive(drt, s)
    earlier = attach(drt, s, first.id, make_pdf(text="CCCD"), component=3)
    other = receive(drt, s, applicant={**APPLICANT, "id_number": "999999999999"})
    attach(drt, s, other.id, make_pdf(text="someone else"))
    second = receive(drt, s)
    offered = components.reuse_candidates(drt, s, second.id, actor=user(s, "tanlap.reception"))
    assert [d.id for d in offered] == [earlier.id]
    assert components.reuse_candidates(drt, s, second.id, actor=user(s, "tanlap.specialist")) == offered
    doc = components.reuse(drt, s, second.id, document_id=earlier.id, component=3,
                           actor=user(s, "tanlap.reception"), now=drt.clock.now())
    s.commit()
    assert (doc.origin, doc.reused_from_id, doc.sha256) == ("reused", earlier.id, earlier.sha256)
    event = s.scalars(select(AuditEvent).where(AuditEvent.action == "document_reused")).one()
    assert event.detail["from_dossier_id"] == first.id
    with pytest.raises(InvalidInput):  # not this applicant's
        components.reuse(drt, s, other.id, document_id=earlier.id, component=3,
                         actor=user(s, "tanlap.reception"), now=drt.clock.now())


def test_retention_removes_bytes_and_keeps_hashes_and_audit(drt, s, clock):
    import datetime as dt

    dossier = receive(drt, s)
    doc = attach(drt, s, dossier.id, make_pdf())
    assert retention.due(s, clock.now()) == []
    later = doc.keep_until + dt.timedelta(days=1)
    assert [d.id for d in retention.due(s, later)] == [doc.id]
    removed = retention.purge(drt, s, later)
    s.commit()
    assert [d.id for d in removed] == [doc.id]
    s.refresh(doc)
    assert doc.removed_at is not None and len(doc.sha256) == 64
    assert stored_objects(drt)[0] == []
    assert s.scalars(select(AuditEvent.action).where(AuditEvent.dossier_id == dossier.id,
                                                     AuditEvent.action == "document_removed")).all()
    with pytest.raises(NotFound):
        components.open_document(drt, s, doc.id, actor=user(s, "tanlap.reception"), now=later)
