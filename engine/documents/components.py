"""The dossier's components: slots from the procedure's document list, files attached to them at the desk
(reception, supplement) or reused from the same applicant's earlier dossiers, and reading them back.

Every file is checked before anything is written to the database: its type from its bytes (PDF, JPEG or
PNG), its size against documents.max_file_bytes, a PDF parsed for its pages and its signatures checked.
Files are served only to those who may see the dossier's personal data, and every opening is an audit event.
Each function flushes; the caller commits.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access import dossier_in_scope, require_role
from engine.documents import signatures, sniff
from engine.documents.config import (
    DocumentSettings,
    ProcedureDocuments,
    document_settings,
    procedure_documents,
)
from engine.documents.locks import hold_bytes
from engine.documents.store import Staged, Staging, Store, TooLarge, make_store
from engine.errors import Conflict, EngineError, InvalidInput, NotFound
from engine.models import Document, Dossier, Task, User
from engine.runtime import Runtime

#: the desk's steps that receive what the citizen brings in during processing
SUPPLEMENT_STEPS = ("wait_supplement",)
ORIGIN_VI = {"desk": "Số hóa tại Bộ phận Một cửa", "reused": "Tái sử dụng", "issued": "Kết quả điện tử"}
COPY_TYPE_VI = {"original": "Bản chính", "certified_copy": "Bản sao chứng thực", "copy": "Bản sao"}


class FileTooLarge(InvalidInput):
    """Larger than documents.max_file_bytes (the API answers 413)."""

    code = "too_large"


class UnsupportedType(InvalidInput):
    """Not a PDF, JPEG or PNG by its content (the API answers 415)."""

    code = "unsupported_type"


@lru_cache(maxsize=8)
def _backend(ds: DocumentSettings) -> tuple[Staging, Store]:
    staging = Staging(ds.path)
    staging.sweep()  # what crashed processes of this host left
    return staging, make_store(ds)


def backend(rt: Runtime) -> tuple[DocumentSettings, Staging, Store]:
    ds = document_settings(rt.settings)
    staging, store = _backend(ds)
    return ds, staging, store


def procedure_data(rt: Runtime, session: Session, dossier: Dossier) -> tuple[object, ProcedureDocuments]:
    meta = rt.compiled(session, dossier).meta
    return meta, procedure_documents(meta.slug, document_settings(rt.settings).default_retention_years)


@dataclass
class Slot:
    """One line of the procedure's document list, with the files attached to it."""

    index: int
    name_vi: str
    copies: int
    required: bool
    copy_type: str
    files: list[Document] = field(default_factory=list)

    @property
    def copy_type_vi(self) -> str:
        return COPY_TYPE_VI.get(self.copy_type, "")

    @property
    def missing(self) -> bool:
        return self.required and not any(f.removed_at is None for f in self.files)


def _slots(meta, data: ProcedureDocuments, files: list[Document]) -> list[Slot]:
    slots = [Slot(i, d.name_vi, d.copies, d.required, data.copy_types[i] if i < len(data.copy_types) else "copy")
             for i, d in enumerate(meta.documents)]
    for f in files:
        if f.kind == "component" and f.slot is not None and f.slot < len(slots):
            slots[f.slot].files.append(f)
    return slots


def _files(session: Session, dossier_id: int, kind: str | None = None) -> list[Document]:
    query = select(Document).where(Document.dossier_id == dossier_id).order_by(Document.id)
    if kind:
        query = query.where(Document.kind == kind)
    return list(session.scalars(query))


def visible_dossier(session: Session, dossier_id: int, actor: User | None) -> Dossier:
    """The dossier if the actor may see its personal data (files are personal data); NotFound otherwise."""
    dossier = session.get(Dossier, dossier_id)
    try:
        if dossier is not None and dossier_in_scope(session, actor, dossier):
            return dossier
    except NotFound:
        pass
    raise NotFound(f"no dossier {dossier_id}")


def slots(rt: Runtime, session: Session, dossier_id: int, *, actor: User | None) -> list[Slot]:
    """The dossier's slots with their files, for those who may see the dossier."""
    dossier = visible_dossier(session, dossier_id, actor)
    meta, data = procedure_data(rt, session, dossier)
    return _slots(meta, data, _files(session, dossier.id, "component"))


def missing_required(rt: Runtime, session: Session, dossier: Dossier) -> list[Slot]:
    """The required slots with no file (named on the receipt and on a request to supplement)."""
    meta, data = procedure_data(rt, session, dossier)
    return [s for s in _slots(meta, data, _files(session, dossier.id, "component")) if s.missing]


def required_of_procedure(rt: Runtime, meta) -> list[Slot]:
    """The procedure's required slots, all without a file: the desk's request to supplement (form 02) is issued
    for a dossier not taken in, so nothing of it was digitised."""
    data = procedure_documents(meta.slug, document_settings(rt.settings).default_retention_years)
    return [s for s in _slots(meta, data, []) if s.missing]


def results(session: Session, dossier_id: int) -> list[Document]:
    return [d for d in _files(session, dossier_id, "result") if d.removed_at is None]


def _stage_of(session: Session, dossier: Dossier) -> str:
    """reception (no step done yet), supplement (the desk waits for the citizen's supplement) or processing."""
    waiting = session.scalar(select(Task.id).where(Task.dossier_id == dossier.id, Task.state.in_(("ready", "claimed")),
                                                   Task.bpmn_id.in_(SUPPLEMENT_STEPS)).limit(1))
    if waiting or dossier.status == "supplement_requested":
        return "supplement"
    done = session.scalar(select(Task.id).where(Task.dossier_id == dossier.id, Task.state == "completed").limit(1))
    return "processing" if done else "reception"


def _component(meta, component) -> int:
    """The slot index named by `component`: its number in the list (0-based) as int or digits."""
    if isinstance(component, str) and component.strip().isdigit():
        component = int(component.strip())
    if isinstance(component, bool) or not isinstance(component, int) or not 0 <= component < len(meta.documents):
        raise InvalidInput("no such component in the procedure's document list", {"component": [
            f"the number of a slot, 0 to {len(meta.documents) - 1}" if meta.documents else "this procedure lists no documents"]})
    return component


def _attachable(rt: Runtime, session: Session, dossier_id: int, actor: User | None,
                component) -> tuple[Dossier, ProcedureDocuments, int]:
    """The dossier, its procedure's document data and the slot, if the actor may attach to it now."""
    dossier = visible_dossier(session, dossier_id, actor)
    require_role(actor, dossier.agency_id, {"reception"}, "attaching a document")
    if dossier.closed_at is not None:
        raise Conflict(f"dossier {dossier.code} is closed: no document can be attached")
    meta, data = procedure_data(rt, session, dossier)
    return dossier, data, _component(meta, component)


def keep_until(at: dt.datetime, years: int) -> dt.datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def check_staged(staged: Staged, trust_roots: tuple[str, ...]) -> tuple[str, int, dict | None]:
    """(media type, pages, signature check) of a staged upload; the refusals name the field `file`."""
    try:
        kind, pages = sniff.check(staged.path, staged.head)
    except sniff.Unsupported as exc:
        raise UnsupportedType(str(exc), {"file": [str(exc)]}) from None
    except sniff.Unreadable as exc:
        raise InvalidInput(str(exc), {"file": [str(exc)]}) from None
    signature = None
    if kind == sniff.PDF:
        with staged.path.open("rb") as fh:
            verdict = signatures.verify_pdf(fh, trust_roots)
        if verdict.verdict != "unsigned":
            signature = verdict.as_dict()
    return kind, pages, signature


def stage_upload(rt: Runtime, stream: BinaryIO) -> Staged:
    ds, staging, _ = backend(rt)
    try:
        return staging.write(stream, ds.max_file_bytes)
    except TooLarge:
        raise FileTooLarge(f"the file is larger than {ds.max_file_bytes:,} bytes (documents.max_file_bytes)",
                           {"file": [f"at most {ds.max_file_bytes:,} bytes"]}) from None


def attach(rt: Runtime, session: Session, dossier_id: int, *, component, stream: BinaryIO, filename: str,
           actor: User | None, now: dt.datetime) -> Document:
    """Attach a scan to a slot at the desk: checked, stored by content, recorded with who and when.

    Nothing is stored when the caller may not, the slot is unknown, the file is too large, of a type not
    allowed or a PDF that cannot be read. The bytes are in the store before the row is written: a crash
    leaves at most bytes no row names, never a row without its bytes.
    """
    dossier, data, slot = _attachable(rt, session, dossier_id, actor, component)
    ds, _, store = backend(rt)
    staged = stage_upload(rt, stream)
    try:
        kind, pages, signature = check_staged(staged, ds.trust_roots)
        if signature is not None:
            signature["checked_at"] = now.isoformat()
        hold_bytes(session, staged.sha256)  # to the commit: the retention purge cannot delete these bytes now
        store.adopt(staged)
    except BaseException:
        staged.discard()
        raise
    doc = Document(dossier_id=dossier.id, kind="component", slot=slot, sha256=staged.sha256, size=staged.size,
                   media_type=kind, pages=pages, filename=_filename(filename, kind), origin="desk",
                   stage=_stage_of(session, dossier), applicant_id_number=_id_number(dossier), signature=signature,
                   attached_by_id=actor.id if actor else None, attached_at=now,
                   keep_until=keep_until(now, data.retention_years))
    session.add(doc)
    session.flush()
    audit.record(session, "document_attached", dossier_id=dossier.id, actor=actor, at=now, document_id=doc.id,
                 slot=slot, sha256=doc.sha256, size=doc.size, stage=doc.stage)
    session.flush()
    return doc


def _filename(name: str | None, kind: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "tai-lieu"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem}.{sniff.EXTENSIONS[kind]}"  # the extension the content proves


def _id_number(dossier: Dossier) -> str | None:
    value = (dossier.applicant or {}).get("id_number")
    return str(value).strip()[:40] or None if value else None


def open_document(rt: Runtime, session: Session, document_id: int, *, actor: User | None,
                  now: dt.datetime) -> tuple[Document, Iterator[bytes]]:
    """The document and its bytes (streamed), for those who may see its dossier; the opening is audited."""
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"no document {document_id}")
    try:
        visible_dossier(session, doc.dossier_id, actor)
    except NotFound:
        raise NotFound(f"no document {document_id}") from None
    if doc.removed_at is not None:
        raise NotFound(f"document {document_id} was removed after its retention period (its hash is kept)")
    _, _, store = backend(rt)
    audit.record(session, "document_downloaded", dossier_id=doc.dossier_id, actor=actor, at=now,
                 document_id=doc.id, sha256=doc.sha256)
    session.flush()
    return doc, store.open(doc.sha256)


def list_files(rt: Runtime, session: Session, dossier_id: int, *, actor: User | None, now: dt.datetime) -> dict:
    """Slots and results of a dossier (the listing of its files is an audited view too)."""
    dossier = visible_dossier(session, dossier_id, actor)
    meta, data = procedure_data(rt, session, dossier)
    files = _files(session, dossier.id)
    audit.record(session, "documents_viewed", dossier_id=dossier.id, actor=actor, at=now)
    session.flush()
    return {"dossier_id": dossier.id, "slots": _slots(meta, data, files),
            "results": [f for f in files if f.kind == "result"]}


# --- reuse ------------------------------------------------------------------------------------------------


def reuse_candidates(rt: Runtime, session: Session, dossier_id: int, *, actor: User | None) -> list[Document]:
    """Files of the same applicant's (identity number) earlier dossiers that the actor may see."""
    dossier = visible_dossier(session, dossier_id, actor)
    number = _id_number(dossier)
    if not number:
        return []
    mine = {m.agency_id for m in actor.memberships} if actor is not None else set()
    rows = session.scalars(
        select(Document).join(Dossier, Dossier.id == Document.dossier_id)
        .where(Document.applicant_id_number == number, Document.dossier_id != dossier.id,
               Document.removed_at.is_(None), Dossier.agency_id.in_(mine))
        .order_by(Document.attached_at.desc(), Document.id.desc()).limit(100))
    seen, out = set(), []
    for doc in rows:  # the same bytes once, the latest
        if (doc.sha256, doc.kind) not in seen:
            seen.add((doc.sha256, doc.kind))
            out.append(doc)
    return out


def reuse(rt: Runtime, session: Session, dossier_id: int, *, document_id: int, component, actor: User | None,
          now: dt.datetime) -> Document:
    """Attach an earlier file of the same applicant to a slot of this dossier, recorded as reused."""
    dossier, data, slot = _attachable(rt, session, dossier_id, actor, component)
    source = next((d for d in reuse_candidates(rt, session, dossier.id, actor=actor) if d.id == document_id), None)
    if source is None:
        raise InvalidInput("no earlier file of this applicant with this id", {"document_id": [
            "not a file of the same applicant's earlier dossiers in your agencies"]})
    hold_bytes(session, source.sha256)  # then re-check: the retention purge may have just removed them
    session.refresh(source)
    if source.removed_at is not None or not backend(rt)[2].exists(source.sha256):
        raise Conflict("the earlier file was removed (retention): it cannot be reused")
    doc = Document(dossier_id=dossier.id, kind="component", slot=slot, sha256=source.sha256, size=source.size,
                   media_type=source.media_type, pages=source.pages, filename=source.filename, origin="reused",
                   stage=_stage_of(session, dossier), reused_from_id=source.id,
                   applicant_id_number=source.applicant_id_number, signature=source.signature,
                   attached_by_id=actor.id if actor else None, attached_at=now,
                   keep_until=max(source.keep_until or now, keep_until(now, data.retention_years)))
    session.add(doc)
    session.flush()
    audit.record(session, "document_reused", dossier_id=dossier.id, actor=actor, at=now, document_id=doc.id,
                 slot=slot, from_document_id=source.id, from_dossier_id=source.dossier_id, sha256=doc.sha256)
    session.flush()
    return doc


__all__ = ["EngineError", "FileTooLarge", "UnsupportedType", "Slot", "attach", "open_document", "reuse"]
