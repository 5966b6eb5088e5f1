"""What the organisation has, read from the database, for the lint rules that need it."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpmn.rules import Organisation
from engine.admin.agencies import valid_on
from engine.models import Agency, Membership


def organisation_of(session: Session, day: dt.date | None = None) -> Organisation | None:
    """The agency kinds that exist and the roles some official holds; None while no agency exists yet
    (a first install deploys its procedures before it records its agencies).

    Given `day`, only agencies that exist that day (valid_from..valid_until) count: a hand-over to a kind
    whose every agency has ended (or not begun) is refused at deploy, not met at run time."""
    if not session.scalar(select(Agency.id).limit(1)):
        return None
    query = select(Agency.kind).distinct()
    kinds = frozenset(session.scalars(query.where(valid_on(day)) if day is not None else query))
    return Organisation(kinds, frozenset(session.scalars(select(Membership.role).distinct())))


def organisation_today(rt, session: Session) -> Organisation | None:
    """organisation_of for the runtime's local today (the studio's lint and draft checks)."""
    return organisation_of(session, rt.clock.now().astimezone(ZoneInfo(rt.settings.timezone)).date())
