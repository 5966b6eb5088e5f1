"""The reception desk's three outcomes (Circular 01/2018/TT-VPCP): a receipt (form 01) for a complete dossier,
a request to supplement (form 02) or a refusal (form 03) for one the desk does not take in.

Forms 02 and 03 start no workflow: they are DeskRecord rows, numbered per agency and day. Each function
flushes; the caller commits.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpmn import checklist
from bpmn.package import Fee, ProcedureMeta
from engine import audit
from engine.access import require_role
from engine.admin.procedures import offered
from engine.dossier_views import DossierRow
from engine.dossiers import StepResult, current_version, receive_dossier
from engine.errors import InvalidInput, NotFound
from engine.models import CHANNELS, Agency, DeskRecord, Dossier, Procedure, ProcedureVersion, User
from engine.runtime import Runtime
from engine.search import fold
from engine.writes import flush

#: the letter before a slip's sequence number tells the two kinds apart: B(ổ sung), T(ừ chối)
#: a catalogue name's closing remark, "(mẫu ban hành kèm ...)", left out when names are compared
_REMARK = re.compile(r"\s*\([^()]*\)\s*$")
SLIP_LETTERS = {"supplement_request": "B", "refusal": "T"}
COPY_TYPES = ("original", "copy", "certified_copy")


@dataclass(frozen=True)
class Receipt:
    """Form 01 — giấy tiếp nhận hồ sơ và hẹn trả kết quả: what the desk hands the citizen."""

    dossier: Dossier
    #: the reception's workflow step; None when the receipt is printed again later (engine.printouts)
    step: StepResult | None
    meta: ProcedureMeta
    agency: Agency
    documents: list[dict]
    fees: tuple[Fee, ...]
    official: User | None
    #: the agency's settings of the procedure (engine.admin.procedures): local code, contact line
    offered: object | None = None

    @property
    def row(self) -> DossierRow:
        d = self.dossier
        return DossierRow(d, self.meta.slug, self.meta.code, self.meta.name_vi, self.agency.code, self.agency.name,
                          d.applicant_name)

    @property
    def fees_total(self) -> int:
        return sum(f.amount for f in self.fees)


@dataclass(frozen=True)
class DeskSlip:
    """Form 02 or 03 as printed: the record with the names the slip shows."""

    record: DeskRecord
    meta: ProcedureMeta
    agency: Agency
    official: User | None


def _documents(value: list) -> list[dict]:
    """Check the list of documents the citizen filed: a name and a number of copies each."""
    if not isinstance(value, list):
        raise InvalidInput("documents must be a list", {"documents": ["expected a list"]})
    out, errors = [], {}
    for i, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else None
        copies = item.get("copies", 1) if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            errors[f"documents.{i}.name"] = ["required"]
        elif isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
            errors[f"documents.{i}.copies"] = ["a whole number >= 1"]
        else:
            out.append({"name": name.strip(), "copies": copies})
    if errors:
        raise InvalidInput("the list of documents received has errors", errors)
    return out


def receive_on_record(rt: Runtime, session: Session, *, procedure: str, agency_id: int, channel: str,
                      applicant: dict, actor: User | None, now: dt.datetime, data: dict | None = None,
                      clock_started_at: dt.datetime | None = None, documents: list | None = None):
    """Receive a complete dossier and record its receipt's documents list (as receive_with_receipt), without
    reading back what the printed receipt shows: (step, meta, documents received), for the portal intake's
    batches."""
    received = _documents(documents) if documents is not None else None  # checked before anything is written
    if received is not None and channel != "online":
        _require_complete(rt, session, procedure, received, data or {})
    step = receive_dossier(rt, session, procedure=procedure, agency_id=agency_id, channel=channel,
                           applicant=applicant, actor=actor, now=now, data=data, clock_started_at=clock_started_at)
    meta = rt.compiled(session, step.dossier).meta
    if received is None:  # by default the catalog's required documents, as many copies as it asks
        received = [{"name": d.name_vi, "copies": d.copies} for d in meta.documents if d.required]
    # Kept as an audit event: the receipt can be reprinted and the documents shown later, without a column.
    audit.record(session, "receipt_issued", dossier=step.dossier, actor=actor, at=now, documents=received)
    flush(session)
    return step, meta, received


def _require_complete(rt: Runtime, session: Session, procedure: str, received: list[dict], data: dict) -> None:
    """The desk takes in only a complete dossier; an incomplete one gets a request to supplement (form 02)
    instead. Complete: every required document whose `when` holds for the reception data, and one document of
    each `one_of` group, among the names received (compared without case or diacritics, and without the
    catalogue name's closing remark in brackets, "(mẫu ...)"; other papers the citizen hands in are kept on the
    receipt). Online dossiers were checked where they were filed."""
    meta = current_version(rt, session, procedure).meta
    by_folded = {fold(_REMARK.sub("", d.name_vi)): d.name_vi for d in reversed(meta.documents)}
    by_folded.update({fold(d.name_vi): d.name_vi for d in meta.documents})  # a whole name means its own entry
    names = {by_folded.get(fold(d["name"]), d["name"]) for d in received}
    try:
        missing = checklist.missing_documents(meta.documents, names, data)
    except ValueError as exc:  # a `when` that reads data the form did not give
        raise InvalidInput(f"the procedure's document list cannot be read: {exc}", {"documents": [str(exc)]}) from None
    if missing:
        raise InvalidInput("the dossier is not complete: issue a request to supplement (form 02) instead",
                           {"documents": [f"missing: {name}" for name in missing]})


def receive_with_receipt(rt: Runtime, session: Session, *, procedure: str, agency_id: int, channel: str,
                         applicant: dict, actor: User | None, now: dt.datetime, data: dict | None = None,
                         clock_started_at: dt.datetime | None = None,
                         documents: list | None = None) -> Receipt:
    """Receive a complete dossier and issue its receipt (form 01), keeping the documents list on record."""
    step, meta, received = receive_on_record(rt, session, procedure=procedure, agency_id=agency_id,
                                             channel=channel, applicant=applicant, actor=actor, now=now, data=data,
                                             clock_started_at=clock_started_at, documents=documents)
    dossier = step.dossier
    session.flush()
    procedure_id = session.get(ProcedureVersion, dossier.procedure_version_id).procedure_id
    return Receipt(dossier, step, meta, session.get(Agency, dossier.agency_id), received, meta.fees, actor,
                   offered=offered(session, dossier.agency_id, procedure_id))


def document_checklist(rt: Runtime, session: Session, procedure: str, data: dict | None = None,
                       received: set[str] | None = None) -> dict:
    """The documents a dossier of `procedure` needs given its reception data (public catalog facts):
    {"documents": [{index, name_vi, name_en, copies, required, form, form_vi, one_of}], "missing": [names]};
    `missing` lists what `received` (document names) lacks: required documents and `one_of` groups."""
    meta = current_version(rt, session, procedure).meta
    try:
        entries = checklist.applicable(meta.documents, data or {})
    except ValueError as exc:  # a `when` forced into the database past validation
        raise InvalidInput(f"the procedure's document list cannot be read: {exc}", {"documents": [str(exc)]}) from None
    return {
        "documents": [{"index": i, "name_vi": d.name_vi, "name_en": d.name_en, "copies": d.copies,
                       "required": d.required, "form": d.form, "form_vi": checklist.DOCUMENT_FORMS.get(d.form or ""),
                       "one_of": d.one_of} for i, d in entries],
        "missing": checklist.missing_documents(meta.documents, received or set(), data or {}),
    }


def _procedure_meta(rt: Runtime, session: Session, slug: str) -> tuple[Procedure, ProcedureMeta]:
    meta = current_version(rt, session, slug).meta
    return session.scalars(select(Procedure).where(Procedure.slug == slug)).one(), meta


def _slip_number(session: Session, agency: Agency, kind: str, local_day: dt.date) -> str:
    """The next number of this kind for the agency and day: `<agency code>-<YYMMDD>-<letter><NNNN>`.

    Slips keep their own series so that dossier codes (engine.codes.next_sequence) stay gap-free: a
    missing dossier number would look like a lost dossier in the tracking book. The agency row is locked
    (PostgreSQL) so that two counters of one agency never take the same number; SQLite has one writer at a
    time anyway, and the unique column is the last guard.
    """
    session.execute(select(Agency.id).where(Agency.id == agency.id).with_for_update())
    prefix = f"{agency.code}-{local_day:%y%m%d}-{SLIP_LETTERS[kind]}"
    last = session.scalar(select(func.max(DeskRecord.number)).where(DeskRecord.number.like(f"{prefix}%")))
    return f"{prefix}{int(last[len(prefix):]) + 1 if last else 1:04d}"


def _record(rt: Runtime, session: Session, kind: str, *, procedure: str, agency_id: int, channel: str,
            applicant: dict, reason: str, missing: list[dict] | None, actor: User | None,
            now: dt.datetime) -> DeskSlip:
    errors: dict[str, list[str]] = {}
    if channel not in CHANNELS:
        errors["channel"] = [f"must be one of: {', '.join(CHANNELS)}"]
    name = applicant.get("name") if isinstance(applicant, dict) else None
    if not isinstance(name, str) or not name.strip():
        errors["applicant.name"] = ["required"]
    if errors:
        raise InvalidInput("the slip cannot be issued", errors)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id}")
    require_role(actor, agency.id, {"reception"}, "issuing a reception slip")
    proc, meta = _procedure_meta(rt, session, procedure)
    local_day = now.astimezone(ZoneInfo(rt.settings.timezone)).date()
    record = DeskRecord(kind=kind, number=_slip_number(session, agency, kind, local_day), agency_id=agency.id,
                        procedure_id=proc.id, channel=channel, applicant_name=name.strip(), applicant=applicant,
                        missing_documents=missing, reason=reason, created_at=now,
                        created_by_id=actor.id if actor else None)
    session.add(record)
    session.flush()
    return DeskSlip(record, meta, agency, actor)


def request_supplement(rt: Runtime, session: Session, *, procedure: str, agency_id: int, channel: str,
                       applicant: dict, missing_documents: list, actor: User | None, now: dt.datetime,
                       reason: str | None = None) -> DeskSlip:
    """Issue a request to supplement (form 02), listing at once everything missing."""
    missing, errors = [], {}
    if not isinstance(missing_documents, list) or not missing_documents:
        errors["missing_documents"] = ["list everything missing, at once (at least one document)"]
    else:
        for i, item in enumerate(missing_documents):
            doc = item if isinstance(item, dict) else {}
            if not isinstance(doc.get("name"), str) or not doc["name"].strip():
                errors[f"missing_documents.{i}.name"] = ["required"]
                continue
            if doc.get("copy_type") not in (None, *COPY_TYPES):
                errors[f"missing_documents.{i}.copy_type"] = [f"one of: {', '.join(COPY_TYPES)}"]
            quantity = doc.get("quantity", 1)
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                errors[f"missing_documents.{i}.quantity"] = ["a whole number >= 1"]
            missing.append({"name": doc["name"].strip(), "copy_type": doc.get("copy_type"), "quantity": quantity,
                            "note": doc.get("note")})
    if errors:
        raise InvalidInput("the request to supplement has errors", errors)
    return _record(rt, session, "supplement_request", procedure=procedure, agency_id=agency_id, channel=channel,
                   applicant=applicant, reason=(reason or "").strip(), missing=missing, actor=actor, now=now)


def refuse_at_desk(rt: Runtime, session: Session, *, procedure: str, agency_id: int, channel: str,
                   applicant: dict, reason: str, actor: User | None, now: dt.datetime) -> DeskSlip:
    """Issue a refusal to receive (form 03), with the reason the dossier cannot be taken in."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("a refusal needs its reason", {"reason": ["required"]})
    return _record(rt, session, "refusal", procedure=procedure, agency_id=agency_id, channel=channel,
                   applicant=applicant, reason=reason.strip(), missing=None, actor=actor, now=now)
