"""What the organisation has, read from the database, for the lint rules that need it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpmn.rules import Organisation
from engine.models import Agency, Membership


def organisation_of(session: Session) -> Organisation | None:
    """The agency kinds that exist and the roles some official holds; None while no agency exists yet
    (a first install deploys its procedures before it records its agencies)."""
    kinds = frozenset(session.scalars(select(Agency.kind).distinct()))
    if not kinds:
        return None
    return Organisation(kinds, frozenset(session.scalars(select(Membership.role).distinct())))
