"""The daily digest (engine.jobs.daily_digest mails it to leaders) readable on the escalation page.

The overdue open dossiers of each agency where the caller supervises or leads, soonest due first: the list
the e-mail of the day carries, as of now.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine.models import Agency, Dossier, Procedure, ProcedureVersion, User
from engine.supervision import REPORT_ROLES, watched_agencies

MAX_LINES = 500


@dataclass(frozen=True)
class DigestLine:
    dossier_id: int
    code: str
    agency_name: str
    procedure_name: str
    due_at: dt.datetime


def digest(session: Session, *, actor: User, now: dt.datetime) -> list[DigestLine]:
    """Today's digest for the caller: the overdue open dossiers of the agencies they lead or supervise."""
    agencies = watched_agencies(session, actor, None, REPORT_ROLES, "reading the daily digest")
    stmt = (select(Dossier.id, Dossier.code, Agency.name, Procedure.name_vi, Dossier.due_at)
            .join(Agency, Agency.id == Dossier.agency_id)
            .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            # the scan's verdict, or the clock's since (a dossier running past its due time)
            .where(text("dossier.closed_at IS NULL"), Dossier.paused_at.is_(None),
                   (Dossier.risk == "overdue") | (Dossier.due_at < now)))
    if agencies is not None:
        stmt = stmt.where(Dossier.agency_id.in_(agencies))
    return [DigestLine(*r) for r in session.execute(stmt.order_by(Dossier.due_at, Dossier.id).limit(MAX_LINES))]
