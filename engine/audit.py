"""The audit trail: every action on a dossier, with its actor and time."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from engine.models import AuditEvent, User


def record(session: Session, action: str, *, dossier_id: int | None, actor: User | None, at: dt.datetime,
           task_id: int | None = None, **detail) -> AuditEvent:
    """Add an audit event to the current unit of work."""
    event = AuditEvent(dossier_id=dossier_id, task_id=task_id, actor_id=actor.id if actor else None, at=at,
                       action=action, detail=detail or None)
    session.add(event)
    return event
