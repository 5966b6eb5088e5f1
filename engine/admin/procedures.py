"""Procedures as each agency offers them: enabled or not, a local code, the contact printed on the receipt.

Without a row an agency offers every procedure of its kind with the catalog's codes and no contact line.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import audit
from engine.admin.agencies import get_agency
from engine.errors import InvalidInput, NotFound
from engine.models import AgencyProcedure, Procedure

LOCAL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,39}")


@dataclass(frozen=True)
class OfferedProcedure:
    procedure_id: int
    slug: str
    code: str
    name_vi: str
    agency_kind: str
    enabled: bool
    local_code: str | None
    contact: str | None
    #: whether the agency set anything (else the defaults above)
    configured: bool


def _view(p: Procedure, row: AgencyProcedure | None) -> OfferedProcedure:
    return OfferedProcedure(p.id, p.slug, p.code, p.name_vi, p.agency_kind, row.enabled if row else True,
                            row.local_code if row and row.local_code else p.local_code,
                            row.contact if row else None, row is not None)


def agency_procedures(session: Session, agency_id: int, *, actor) -> list[OfferedProcedure]:
    """Every catalog procedure with this agency's settings (procedures of the agency's kind first)."""
    agency = get_agency(session, actor, agency_id)
    rows = {r.procedure_id: r for r in session.scalars(select(AgencyProcedure).where(
        AgencyProcedure.agency_id == agency.id))}
    procedures = session.scalars(select(Procedure).order_by(Procedure.name_vi)).all()
    views = [_view(p, rows.get(p.id)) for p in procedures]
    return sorted(views, key=lambda v: (v.agency_kind != agency.kind, v.name_vi))


def offered(session: Session, agency_id: int, procedure_id: int) -> OfferedProcedure | None:
    """The agency's settings of one procedure, for the receipt and the desk (no permission: no personal data)."""
    p = session.get(Procedure, procedure_id)
    if p is None:
        return None
    row = session.scalars(select(AgencyProcedure).where(AgencyProcedure.agency_id == agency_id,
                                                        AgencyProcedure.procedure_id == procedure_id)).first()
    return _view(p, row)


# Built once and run on the connection (no autoflush): reception asks it for every dossier, and building the
# statement cost more than running it (a tenth of a portal intake's time, profiled)
_ENABLED = (select(AgencyProcedure.enabled).join(Procedure, Procedure.id == AgencyProcedure.procedure_id)
            .where(AgencyProcedure.agency_id == bindparam("agency_id"), Procedure.slug == bindparam("slug")))


def offered_by(session: Session, agency_id: int, slug: str) -> bool:
    """Whether the agency offers the procedure (no row: yes). Asked by reception before any workflow starts."""
    enabled = session.connection().execute(_ENABLED, {"agency_id": agency_id, "slug": slug}).scalar()
    return enabled is not False


def set_agency_procedure(session: Session, agency_id: int, slug: str, *, actor, now: dt.datetime,
                         enabled: bool, local_code: str | None = None, contact: str | None = None) -> OfferedProcedure:
    """Set whether the agency offers the procedure, its local code and the receipt's contact line."""
    agency = get_agency(session, actor, agency_id)
    procedure = session.scalars(select(Procedure).where(Procedure.slug == slug)).first()
    if procedure is None:
        raise NotFound(f"no procedure {slug}")
    errors: dict[str, list[str]] = {}
    if not isinstance(enabled, bool):
        errors["enabled"] = ["true or false"]
    local_code = local_code.strip() if isinstance(local_code, str) and local_code.strip() else None
    if local_code is not None and not LOCAL_CODE.fullmatch(local_code):
        errors["local_code"] = ["letters, digits, '.' and '-', at most 40, e.g. 1.000948.H26"]
    contact = contact.strip() if isinstance(contact, str) and contact.strip() else None
    if contact is not None and len(contact) > 500:
        errors["contact"] = ["at most 500 characters"]
    if errors:
        raise InvalidInput("the procedure's settings have invalid fields", errors)
    row = session.scalars(select(AgencyProcedure).where(AgencyProcedure.agency_id == agency.id,
                                                        AgencyProcedure.procedure_id == procedure.id)).first()
    before = None if row is None else {"enabled": row.enabled, "local_code": row.local_code, "contact": row.contact}
    if row is None:
        row = AgencyProcedure(agency_id=agency.id, procedure_id=procedure.id)
        session.add(row)
    row.enabled, row.local_code, row.contact = enabled, local_code, contact
    row.updated_at, row.updated_by_id = now, actor.id if actor else None
    session.flush()
    audit.record(session, "admin.procedure_set", actor=actor, at=now, agency_id=agency.id, procedure=slug,
                 enabled=enabled, local_code=local_code, contact=contact, previous=before)
    return _view(procedure, row)
