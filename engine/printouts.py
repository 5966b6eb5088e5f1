"""What the printed forms show, for those who may print them: the receipt (form 01) again at any time, the
desk's slips (forms 02, 03), the control sheet (form 05) with the applicant, the apology letter (form 04).

Every form carries the applicant's personal data, and the receipt the look-up secret: only officials of an
agency handling the dossier (or of the slip's agency) may print them. Anyone else is told the dossier does not
exist (NotFound), as for a wrong id: a printout is no way to learn which dossiers another agency holds.
Each print of a dossier's form is logged as a "printed" audit event (access to personal data is logged).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, letters
from engine.admin.procedures import offered
from engine.dossier_views import ControlSheet, control_sheet, may_see_personal_data, member_agency_ids
from engine.dossiers import current_version
from engine.errors import Forbidden, NotFound
from engine.models import (
    Agency,
    ApologyLetter,
    AuditEvent,
    BoundaryReception,
    DeskRecord,
    Dossier,
    Procedure,
    ProcedureVersion,
    User,
)
from engine.reception import DeskSlip, Receipt
from engine.runtime import Runtime

SLIP_KINDS = ("supplement_request", "refusal")


def printable(session: Session, dossier_id: int, actor: User) -> Dossier:
    """The dossier, if the actor may see its personal data; NotFound otherwise (as for an unknown id)."""
    dossier = session.get(Dossier, dossier_id)
    try:
        if dossier is not None and may_see_personal_data(session, actor, dossier):
            return dossier
    except Forbidden:
        pass
    raise NotFound(f"no dossier {dossier_id}")


def _log(session: Session, dossier: Dossier, form: str, actor: User, now: dt.datetime) -> None:
    audit.record(session, "printed", dossier_id=dossier.id, actor=actor, at=now, form=form)
    session.flush()


def received_documents(session: Session, dossier: Dossier) -> list[dict] | None:
    """The documents the desk recorded on the receipt (the latest receipt_issued event), if it recorded any."""
    detail = session.scalars(select(AuditEvent.detail).where(AuditEvent.dossier_id == dossier.id,
                                                             AuditEvent.action == "receipt_issued")
                             .order_by(AuditEvent.id.desc()).limit(1)).first()
    return (detail or {}).get("documents")


def receipt(rt: Runtime, session: Session, dossier_id: int, *, actor: User, now: dt.datetime,
            log: bool = True) -> Receipt:
    """The receipt (form 01) as issued at reception, with the look-up secret, to print it again: for the
    dossier's officials, and for the service point that received it for its competent agency (Decree
    118/2025), which hands the receipt to the citizen but does not follow the processing."""
    try:
        dossier = printable(session, dossier_id, actor)
    except NotFound:
        received_here = session.scalar(select(BoundaryReception.id).where(
            BoundaryReception.dossier_id == dossier_id,
            BoundaryReception.receiving_agency_id.in_(member_agency_ids(actor))))
        if received_here is None:
            raise
        dossier = session.get(Dossier, dossier_id)
    meta = rt.compiled(session, dossier).meta
    documents = received_documents(session, dossier)
    if documents is None:  # received without a list (engine callers): the catalog's required documents
        documents = [{"name": d.name_vi, "copies": d.copies} for d in meta.documents if d.required]
    official = session.get(User, dossier.received_by_id) if dossier.received_by_id else None
    if log:
        _log(session, dossier, "receipt", actor, now)
    version = session.get(ProcedureVersion, dossier.procedure_version_id)
    return Receipt(dossier, None, meta, session.get(Agency, dossier.agency_id), documents, meta.fees, official,
                   offered=offered(session, dossier.agency_id, version.procedure_id))


def desk_slip(rt: Runtime, session: Session, kind: str, number: str, *, actor: User) -> DeskSlip:
    """A supplement request (form 02) or a refusal (form 03) by its number, for officials of its agency."""
    record = session.scalars(select(DeskRecord).where(DeskRecord.kind == kind, DeskRecord.number == number)).first()
    if record is None or record.agency_id not in member_agency_ids(actor):
        raise NotFound(f"no {kind.replace('_', ' ')} {number}")
    slug = session.scalar(select(Procedure.slug).where(Procedure.id == record.procedure_id))
    meta = current_version(rt, session, slug).meta  # the slip names the procedure as the catalog does now
    official = session.get(User, record.created_by_id) if record.created_by_id else None
    return DeskSlip(record, meta, session.get(Agency, record.agency_id), official)


@dataclass(frozen=True)
class ControlSheetPrint:
    """Form 05 with the heading's facts the JSON sheet leaves out: the applicant and the procedure's code."""

    sheet: ControlSheet
    applicant: dict
    procedure_code: str
    agency_code: str


def control_sheet_print(rt: Runtime, session: Session, dossier_id: int, *, actor: User,
                        now: dt.datetime) -> ControlSheetPrint:
    dossier = printable(session, dossier_id, actor)
    sheet = control_sheet(rt, session, dossier.id, actor=actor, now=now)
    agency = session.get(Agency, dossier.agency_id)
    _log(session, dossier, "control_sheet", actor, now)
    return ControlSheetPrint(sheet, dict(dossier.applicant or {}), rt.compiled(session, dossier).meta.code,
                             agency.code)


@dataclass(frozen=True)
class LetterPrint:
    """Form 04 as printed: the letter, its dossier and the names it shows."""

    letter: ApologyLetter
    dossier: Dossier
    agency: Agency
    procedure_name: str
    signer: str | None

    @property
    def new_appointment_at(self) -> dt.datetime:
        return self.letter.new_appointment_at or self.letter.proposed_at


def apology_letter(rt: Runtime, session: Session, dossier_id: int, *, actor: User, now: dt.datetime) -> LetterPrint:
    """The dossier's apology letter (drafted or issued); NotFound when none was drafted."""
    dossier = printable(session, dossier_id, actor)
    letter = letters.get_letter(session, dossier.id)
    if letter is None:
        raise NotFound(f"dossier {dossier.code} has no apology letter")
    signer = session.get(User, letter.issued_by_id) if letter.issued_by_id else None
    _log(session, dossier, "apology_letter", actor, now)
    return LetterPrint(letter, dossier, session.get(Agency, dossier.agency_id), rt.compiled(session, dossier).meta.name_vi,
                       signer.full_name if signer else None)


@dataclass(frozen=True)
class ProcessSupplement:
    """Form 02 for a supplement asked while the dossier was being handled (not at the desk): the step's list."""

    dossier: Dossier
    meta: object
    agency: Agency
    requested_at: dt.datetime
    missing: list[dict]
    reason: str | None
    official: User | None


def supplement_request_in_process(rt: Runtime, session: Session, dossier_id: int, *, actor: User,
                                  now: dt.datetime) -> ProcessSupplement:
    """The latest supplement requested by a step of the dossier (form 02); NotFound when none was."""
    dossier = printable(session, dossier_id, actor)
    event = latest_supplement_request(session, dossier.id)
    if event is None:
        raise NotFound(f"dossier {dossier.code} has no supplement request")
    data = event.detail.get("data") or {}
    meta = rt.compiled(session, dossier).meta
    official = session.get(User, event.actor_id) if event.actor_id else None
    _log(session, dossier, "supplement_request", actor, now)
    return ProcessSupplement(dossier, meta, session.get(Agency, dossier.agency_id), event.at,
                             [m for m in data["missing_documents"] if isinstance(m, dict)], data.get("reason"), official)


def latest_supplement_request(session: Session, dossier_id: int) -> AuditEvent | None:
    """The dossier's latest completed step whose form listed missing documents (a supplement request)."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier_id,
                                                      AuditEvent.action == "completed")
                             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    for event in events:
        listed = ((event.detail or {}).get("data") or {}).get("missing_documents")
        if isinstance(listed, list) and listed:
            return event
    return None
