"""The audit trail: every action on a dossier, with its actor and time."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from engine.models import AuditEvent, Dossier, User


def record(session: Session, action: str, *, actor: User | None, at: dt.datetime, dossier: Dossier | None = None,
           dossier_id: int | None = None, task_id: int | None = None, **detail) -> AuditEvent:
    """Add an audit event to the current unit of work (pass `dossier` when it may not be flushed yet)."""
    event = AuditEvent(task_id=task_id, actor_id=actor.id if actor else None, at=at, action=action,
                       detail=detail or None)
    if dossier is not None:
        event.dossier = dossier
    else:
        event.dossier_id = dossier_id
    session.add(event)
    return event
