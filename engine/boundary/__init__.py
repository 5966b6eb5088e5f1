"""Reception regardless of administrative boundary (tiếp nhận không phụ thuộc địa giới hành chính).

Since Decree 118/2025/NĐ-CP any service point of a province may receive a dossier whose competent agency
is another. The dossier is the competent agency's (Dossier.agency_id: its inbox, its deadline, form 05 and
II.06a count it there); the boundary_reception row keeps the receiving point, its official, the time the
forwarding is due (`[boundary] forward_within` working time), when it was forwarded and when the competent
agency confirmed it. `report` counts receptions where they happened and forwarding on time or late.
Each function flushes; the caller commits.

What the receiving point sees afterwards (a decision of this project, not a rule found in the decree): the
forwarding record only (`forwardings`: dossier code, procedure, applicant's name, the times of reception,
forwarding and confirmation), which it needs to hand the dossier over and answer the citizen at its counter.
The dossier itself (its steps, data, documents, result) stays the competent agency's: the receiving
official opens it as anyone outside that agency does (404).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpmn.durations import parse_duration
from engine.access import require_role, roles_in
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import Agency, BoundaryReception, Dossier, Procedure, ProcedureVersion, User
from engine.reception import Receipt, receive_with_receipt


def _root(session: Session, agency: Agency) -> int:
    seen = set()
    while agency.parent_id is not None and agency.id not in seen:
        seen.add(agency.id)
        agency = session.get(Agency, agency.parent_id)
    return agency.id


def _on_behalf(actor: User, agency_id: int):
    """The receiving official as the competent agency's reception desk, for this one reception only."""
    desk = SimpleNamespace(agency_id=agency_id, role="reception")
    return SimpleNamespace(id=actor.id, username=actor.username, full_name=actor.full_name, is_admin=False,
                           memberships=[*actor.memberships, desk])


def receive_elsewhere(rt, session: Session, *, receiving_agency_id: int, competent_agency_id: int, procedure: str,
                      channel: str, applicant: dict, actor: User, now: dt.datetime, data: dict | None = None,
                      documents: list | None = None,
                      clock_started_at: dt.datetime | None = None) -> tuple[Receipt, BoundaryReception]:
    """Receive at `receiving_agency_id` a dossier handled by `competent_agency_id` of the same province."""
    receiving, competent = session.get(Agency, receiving_agency_id), session.get(Agency, competent_agency_id)
    if receiving is None or competent is None:
        raise NotFound(f"no agency {receiving_agency_id if receiving is None else competent_agency_id}")
    require_role(actor, receiving.id, {"reception"}, "receiving a dossier at this service point")
    if receiving.id == competent.id:
        raise InvalidInput("the receiving point is the competent agency: receive it as usual",
                           {"competent_agency_id": ["must differ from the receiving point"]})
    if _root(session, receiving) != _root(session, competent):
        raise InvalidInput("reception regardless of boundary stays within one province",
                           {"competent_agency_id": [f"{competent.code} is not of {receiving.code}'s province"]})
    try:
        within = parse_duration(str(rt.settings.raw.get("boundary", {}).get("forward_within", "P1D")))
    except ValueError as exc:
        raise InvalidInput(f"[boundary] forward_within: {exc}", {"boundary.forward_within": [str(exc)]}) from None
    receipt = receive_with_receipt(rt, session, procedure=procedure, agency_id=competent.id, channel=channel,
                                   applicant=applicant, actor=_on_behalf(actor, competent.id), now=now, data=data,
                                   documents=documents, clock_started_at=clock_started_at)
    row = BoundaryReception(dossier_id=receipt.dossier.id, receiving_agency_id=receiving.id, received_by_id=actor.id,
                            received_at=now, forward_due_at=rt.calendars.get(session).add(now, within))
    session.add(row)
    session.flush()
    return Receipt(receipt.dossier, receipt.step, receipt.meta, receipt.agency, receipt.documents, receipt.fees,
                   actor), row


@dataclass(frozen=True)
class CompetentChoice:
    """Where a service point may send a dossier of one procedure: the agencies that handle it."""

    #: agencies of the procedure's agency_kind, of the receiving point's province, that offer the procedure and
    #: exist today, by name
    agencies: list[Agency]
    #: the receiving point is one of them (the desk's default: it receives as usual)
    receiving_is_competent: bool


def competent_agencies(rt, session: Session, procedure: str, receiving_agency_id: int,
                       now: dt.datetime) -> CompetentChoice:
    """The agencies a dossier of `procedure` received at `receiving_agency_id` may be received for."""
    from engine.admin.agencies import valid_on
    from engine.admin.procedures import offered_by
    from engine.dossiers import current_version

    receiving = session.get(Agency, receiving_agency_id)
    if receiving is None:
        raise NotFound(f"no agency {receiving_agency_id}")
    kind = current_version(rt, session, procedure).meta.agency_kind
    today = now.astimezone(ZoneInfo(rt.settings.timezone)).date()
    province = _root(session, receiving)
    found = [a for a in session.scalars(select(Agency).where(Agency.kind == kind, valid_on(today))
                                        .order_by(Agency.name, Agency.id))
             if _root(session, a) == province and offered_by(session, a.id, procedure)]
    return CompetentChoice(found, any(a.id == receiving.id for a in found))


def receive_at_desk(rt, session: Session, *, receiving_agency_id: int, competent_agency_id: int | None,
                    procedure: str, channel: str, applicant: dict, actor: User, now: dt.datetime,
                    data: dict | None = None, documents: list | None = None,
                    clock_started_at: dt.datetime | None = None) -> Receipt:
    """The desk's reception: for the receiving point itself when it is competent and no other agency was chosen,
    else for the chosen competent agency (receive_elsewhere). The choice must be one of competent_agencies."""
    common = dict(procedure=procedure, channel=channel, applicant=applicant, actor=actor, now=now, data=data,
                  documents=documents, clock_started_at=clock_started_at)
    if competent_agency_id is None or competent_agency_id == receiving_agency_id:
        if competent_agency_id is None:
            choice = competent_agencies(rt, session, procedure, receiving_agency_id, now)
            if not choice.receiving_is_competent:
                raise InvalidInput("this service point does not handle the procedure: choose the competent agency",
                                   {"competent_agency_id": ["required: the receiving point is not competent"]})
        return receive_with_receipt(rt, session, agency_id=receiving_agency_id, **common)
    choice = competent_agencies(rt, session, procedure, receiving_agency_id, now)
    if competent_agency_id not in {a.id for a in choice.agencies}:
        raise InvalidInput("the chosen agency does not handle this procedure",
                           {"competent_agency_id": ["not an agency of the province that handles the procedure "
                                                    "today"]})
    return receive_elsewhere(rt, session, receiving_agency_id=receiving_agency_id,
                             competent_agency_id=competent_agency_id, **common)[0]


def _row(session: Session, dossier_id: int) -> BoundaryReception:
    row = session.scalars(select(BoundaryReception).where(BoundaryReception.dossier_id == dossier_id)).first()
    if row is None:
        raise NotFound(f"dossier {dossier_id} was not received at another service point")
    return row


def forward(session: Session, dossier_id: int, *, actor: User, now: dt.datetime) -> BoundaryReception:
    """The receiving point records that it sent the dossier (and its paper parts) to the competent agency."""
    row = _row(session, dossier_id)
    require_role(actor, row.receiving_agency_id, {"reception"}, "forwarding a dossier")
    if row.forwarded_at is not None:
        raise Conflict("the dossier was forwarded already")
    row.forwarded_at, row.forwarded_by_id = now, actor.id
    session.flush()
    return row


def accept(session: Session, dossier_id: int, *, actor: User, now: dt.datetime) -> BoundaryReception:
    """The competent agency's reception confirms it got the forwarded dossier."""
    row = _row(session, dossier_id)
    dossier = session.get(Dossier, dossier_id)
    require_role(actor, dossier.agency_id, {"reception"}, "confirming a forwarded dossier")
    if row.forwarded_at is None:
        raise Conflict("the dossier has not been forwarded yet")
    if row.accepted_at is not None:
        raise Conflict("the forwarded dossier was confirmed already")
    row.accepted_at, row.accepted_by_id = now, actor.id
    session.flush()
    return row


@dataclass(frozen=True)
class AgencyCounts:
    """One agency's share: dossiers it received for others, and others received for it."""

    agency_id: int
    received_for_others: int = 0
    forwarded_on_time: int = 0
    forwarded_late: int = 0
    not_forwarded: int = 0
    received_elsewhere_for_it: int = 0
    confirmed: int = 0


def report(session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict[int, AgencyCounts]:
    """Per agency, over receptions in [start, end): what each received for others and got from others."""
    rows = session.execute(select(BoundaryReception, Dossier.agency_id)
                           .join(Dossier, Dossier.id == BoundaryReception.dossier_id)
                           .where(BoundaryReception.received_at >= start, BoundaryReception.received_at < end)).all()
    counts: dict[int, dict] = {}
    for row, competent_id in rows:
        mine = counts.setdefault(row.receiving_agency_id, {})
        mine["received_for_others"] = mine.get("received_for_others", 0) + 1
        if row.forwarded_at is None:
            key = "not_forwarded"
        else:
            key = "forwarded_on_time" if row.forwarded_at <= row.forward_due_at else "forwarded_late"
        mine[key] = mine.get(key, 0) + 1
        theirs = counts.setdefault(competent_id, {})
        theirs["received_elsewhere_for_it"] = theirs.get("received_elsewhere_for_it", 0) + 1
        if row.accepted_at is not None:
            theirs["confirmed"] = theirs.get("confirmed", 0) + 1
    return {agency_id: AgencyCounts(agency_id, **values) for agency_id, values in sorted(counts.items())}


def overdue_forwarding(session: Session, now: dt.datetime) -> int:
    """How many received dossiers wait past their forwarding time."""
    return session.scalar(select(func.count(BoundaryReception.id)).where(
        BoundaryReception.forwarded_at.is_(None), BoundaryReception.forward_due_at < now))


@dataclass(frozen=True)
class Forwarding:
    """One dossier received at one point for another agency, as both of them see it."""

    dossier_id: int
    dossier_code: str
    procedure_name: str
    applicant_name: str
    receiving_agency_code: str
    receiving_agency_name: str
    competent_agency_code: str
    competent_agency_name: str
    received_at: dt.datetime
    forward_due_at: dt.datetime
    forwarded_at: dt.datetime | None
    accepted_at: dt.datetime | None
    #: "waiting" (not forwarded yet), "forwarded" (not confirmed yet), "confirmed"
    state: str
    #: forwarded after its due time, or still waiting past it
    late: bool
    #: whether the viewing agency is the receiving point (else it is the competent agency)
    received_here: bool


def forwardings(session: Session, agency_id: int, *, actor: User, now: dt.datetime,
                limit: int = 200) -> list[Forwarding]:
    """The dossiers `agency_id` received for other agencies and those others received for it, newest first.
    Any official of the agency may list them (Forbidden otherwise)."""
    if session.get(Agency, agency_id) is None:
        raise NotFound(f"no agency {agency_id}")
    if not (actor.is_admin or roles_in(actor, agency_id)):
        raise Forbidden("the forwarding list of an agency is for its officials")
    receiving, competent = Agency.__table__.alias("receiving"), Agency.__table__.alias("competent")
    rows = session.execute(
        select(BoundaryReception, Dossier.code, Dossier.applicant_name, Dossier.agency_id, Procedure.name_vi,
               receiving.c.code, receiving.c.name, competent.c.code, competent.c.name)
        .join(Dossier, Dossier.id == BoundaryReception.dossier_id)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .join(receiving, receiving.c.id == BoundaryReception.receiving_agency_id)
        .join(competent, competent.c.id == Dossier.agency_id)
        .where((BoundaryReception.receiving_agency_id == agency_id) | (Dossier.agency_id == agency_id))
        .order_by(BoundaryReception.received_at.desc(), BoundaryReception.id.desc()).limit(limit)).all()
    out = []
    for row, code, applicant, _competent_id, procedure, r_code, r_name, c_code, c_name in rows:
        state = "confirmed" if row.accepted_at else "forwarded" if row.forwarded_at else "waiting"
        late = (row.forwarded_at or now) > row.forward_due_at
        out.append(Forwarding(row.dossier_id, code, procedure, applicant, r_code, r_name, c_code, c_name,
                              row.received_at, row.forward_due_at, row.forwarded_at, row.accepted_at, state, late,
                              row.receiving_agency_id == agency_id))
    return out
