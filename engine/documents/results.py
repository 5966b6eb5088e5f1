"""The electronic result: made as a PDF from the procedure's result template and the dossier's data, signed
PAdES at the leader's signing step with the PKCS#12 named in documents.signing_pkcs12, stored like any file,
and downloaded by officials of the dossier or by the citizen with the code and secret of the receipt, or with
the link the portal was given for that one file (result_token).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
from collections.abc import Iterator
from functools import lru_cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.documents import components, signatures
from engine.documents.config import TEMPLATES, document_settings
from engine.documents.locks import hold_bytes
from engine.errors import Conflict, NotFound
from engine.models import Agency, AuditEvent, Document, Dossier, Task, User
from engine.runtime import Runtime


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(("html",)),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)


@lru_cache(maxsize=1)
def _fonts():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def dossier_data(session: Session, dossier: Dossier) -> dict:
    """The data the workflow's forms gathered (the latest value of each field, from the audit trail)."""
    data: dict = {}
    for detail in session.scalars(select(AuditEvent.detail).where(
            AuditEvent.dossier_id == dossier.id, AuditEvent.action == "completed").order_by(AuditEvent.id)):
        data.update((detail or {}).get("data") or {})
    return data


def result_context(rt: Runtime, session: Session, dossier: Dossier, signer: User | None,
                   now: dt.datetime) -> dict:
    meta, pdata = components.procedure_data(rt, session, dossier)
    agency = session.get(Agency, dossier.agency_id)
    local = now.astimezone(ZoneInfo(rt.settings.timezone))
    applicant = dict(dossier.applicant or {})
    return {
        "title": pdata.result_title_vi, "agency_name": agency.name, "code": dossier.code,
        "number": f"{dossier.code.rsplit('-', 1)[-1]}/{local:%Y}",
        "procedure_name": meta.name_vi, "procedure_code": meta.code,
        "applicant": {k: applicant.get(k) or "" for k in ("name", "id_number", "address", "phone")}
        | {"name": dossier.applicant_name},
        "data": dossier_data(session, dossier), "received_at": dossier.received_at.astimezone(local.tzinfo),
        "issued_on": f"ngày {local.day:02d} tháng {local.month} năm {local.year}",
        "signer": signer.full_name if signer else "",
    }


def render(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = _environment().get_template(template).render(**context)
    out = io.BytesIO()
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(out, font_config=_fonts())
    return out.getvalue()


def signing_configured(rt: Runtime) -> bool:
    return bool(document_settings(rt.settings).signing_pkcs12)


def issue_result(rt: Runtime, session: Session, dossier: Dossier, *, actor: User | None,
                 now: dt.datetime) -> Document:
    """Make, sign and store the dossier's electronic result; one audit event "result_issued"."""
    ds, staging, store = components.backend(rt)
    if not ds.signing_pkcs12:
        raise Conflict("no signing certificate is configured (documents.signing_pkcs12)")
    meta, pdata = components.procedure_data(rt, session, dossier)
    pdf = render(pdata.result_template, result_context(rt, session, dossier, actor, now))
    signed = signatures.sign_pdf(pdf, ds.signing_pkcs12, ds.signing_passphrase,
                                 reason=f"{pdata.result_title_vi} — hồ sơ {dossier.code}",
                                 name=actor.full_name if actor else None)
    staged = staging.write(io.BytesIO(signed), max(ds.max_file_bytes, len(signed)))
    try:
        hold_bytes(session, staged.sha256)
        store.adopt(staged)
    except BaseException:
        staged.discard()
        raise
    verdict = signatures.verify_pdf(signed, ds.trust_roots)
    doc = Document(dossier_id=dossier.id, kind="result", slot=None, sha256=staged.sha256, size=staged.size,
                   media_type="application/pdf", pages=_pages(signed), filename=f"ket-qua-{dossier.code}.pdf",
                   origin="issued", stage="result", applicant_id_number=components._id_number(dossier),
                   signature=verdict.as_dict(now), attached_by_id=actor.id if actor else None, attached_at=now,
                   keep_until=components.keep_until(now, pdata.retention_years))
    session.add(doc)
    session.flush()
    audit.record(session, "result_issued", dossier_id=dossier.id, actor=actor, at=now, document_id=doc.id,
                 sha256=doc.sha256, verdict=verdict.verdict)
    session.flush()
    return doc


def _pages(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])


def on_step_completed(rt: Runtime, session: Session, dossier: Dossier, task: Task, data: dict, *,
                      actor: User | None, now: dt.datetime) -> Document | None:
    """At the procedure's signing step, approved with a digital signature: issue the electronic result.

    Nothing happens when no signing certificate is configured, or the leader signed by hand.
    """
    if not signing_configured(rt):
        return None
    _, pdata = components.procedure_data(rt, session, dossier)
    if task.bpmn_id != pdata.signing_step or data.get("outcome") != "approve" \
            or data.get("signature_kind") == "handwritten":
        return None
    return issue_result(rt, session, dossier, actor=actor, now=now)


def latest_result(session: Session, dossier_id: int) -> Document | None:
    return session.scalars(select(Document).where(Document.dossier_id == dossier_id, Document.kind == "result",
                                                  Document.removed_at.is_(None))
                           .order_by(Document.id.desc()).limit(1)).first()


def has_result(session: Session, code: str) -> bool:
    """Whether the dossier with this code (already found with its secret) has an electronic result."""
    return session.scalar(select(Document.id).join(Dossier, Dossier.id == Document.dossier_id).where(
        Dossier.code == code, Document.kind == "result", Document.removed_at.is_(None)).limit(1)) is not None


def public_result(rt: Runtime, session: Session, code: str, secret: str, *,
                  now: dt.datetime) -> tuple[Document, Iterator[bytes]]:
    """The electronic result for the citizen holding the receipt (code and secret); audited."""
    from engine.public import find_dossier

    dossier = find_dossier(session, code, secret)
    doc = latest_result(session, dossier.id)
    if doc is None:
        raise NotFound("this dossier has no electronic result (yet)")
    return _public_download(rt, session, doc, now, by="citizen")


def _public_download(rt: Runtime, session: Session, doc: Document, now: dt.datetime,
                     by: str) -> tuple[Document, Iterator[bytes]]:
    """A result's bytes for someone outside (no login), the download audited with how they came."""
    _, _, store = components.backend(rt)
    audit.record(session, "result_downloaded", dossier_id=doc.dossier_id, actor=None, at=now, document_id=doc.id,
                 by=by)
    session.flush()
    return doc, store.open(doc.sha256)


def result_token(key: str, document_id: int, sha256: str) -> str:
    """The token of the link to one result file that the portal passes on to the citizen (engine.portal.sync).

    Not the receipt's secret: that one opens the whole look-up (status, steps, rating), and a link handed to
    the portal should open this file only. An HMAC under the app's secret key (engine.app_key) of the file's
    id and hash: good for this file alone, made anew from the key (nothing stored), and no other file's.
    """
    message = f"motcua result download:{document_id}:{sha256}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def result_by_token(rt: Runtime, session: Session, document_id: int, token: str, *, key: str,
                    now: dt.datetime) -> tuple[Document, Iterator[bytes]]:
    """The result file the portal's link names, for whoever holds the link; audited. NotFound (nothing
    recorded) when the token is not this file's, or the file is no result or its bytes were removed."""
    doc = session.get(Document, document_id)
    expected = result_token(key, doc.id, doc.sha256) if doc is not None else ""
    # compare_digest: the token cannot be guessed by timing
    if not hmac.compare_digest(expected.encode(), (token or "").encode()) or doc is None \
            or doc.kind != "result" or doc.removed_at is not None:
        raise NotFound("no result file for this link")
    return _public_download(rt, session, doc, now, by="portal_link")


def official_result(rt: Runtime, session: Session, dossier_id: int, *, actor: User | None,
                    now: dt.datetime) -> tuple[Document, Iterator[bytes]]:
    components.visible_dossier(session, dossier_id, actor)
    doc = latest_result(session, dossier_id)
    if doc is None:
        raise NotFound("this dossier has no electronic result (yet)")
    return components.open_document(rt, session, doc.id, actor=actor, now=now)
