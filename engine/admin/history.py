"""The administrative audit trail (actions `admin.*`), newest first, as far as the reader's reach goes."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.admin.scope import reach
from engine.models import AuditEvent, User


@dataclass(frozen=True)
class AdminEvent:
    id: int
    at: object
    action: str
    actor: str | None
    detail: dict


def _agencies(detail: dict) -> set[int]:
    ids = set(detail.get("agency_ids") or ())
    if detail.get("agency_id") is not None:
        ids.add(detail["agency_id"])
    return ids


def admin_history(session: Session, *, actor, limit: int = 200) -> list[AdminEvent]:
    """The latest administrative actions; an agency administrator sees those about their agencies."""
    scope = reach(session, actor)
    rows = session.execute(select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
                           .where(AuditEvent.action.like("admin.%"))
                           .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(2000)).all()
    out = []
    for event, who in rows:
        detail = event.detail or {}
        if scope is not None and not (_agencies(detail) and _agencies(detail) <= scope):
            continue
        out.append(AdminEvent(event.id, event.at, event.action, who, detail))
        if len(out) >= limit:
            break
    return out
