"""Inbox filters an official saves under a name, to open their usual view in one click."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput, NotFound
from engine.models import SavedFilter, User

#: the inbox query parameters a saved filter may hold (engine.inbox.InboxFilter's, as the pages send them)
KEYS = ("scope", "procedure", "status", "risk", "due_from", "due_to", "q", "sort")
MAX_PER_USER = 50


def list_filters(session: Session, actor: User) -> list[SavedFilter]:
    return list(session.scalars(select(SavedFilter).where(SavedFilter.user_id == actor.id)
                                .order_by(SavedFilter.name)))


def save_filter(session: Session, actor: User, name: str, query: dict, now: dt.datetime) -> SavedFilter:
    """Save (or replace) the official's filter of this name; only known, non-empty parameters are kept."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("a saved filter needs a name of 1 to 80 characters", {"name": ["1 to 80 characters"]})
    unknown = sorted(set(query) - set(KEYS))
    if unknown:
        raise InvalidInput("unknown filter parameters", {k: ["unknown parameter"] for k in unknown})
    kept = {k: str(v)[:200] for k, v in query.items() if v not in (None, "")}
    row = session.scalars(select(SavedFilter).where(SavedFilter.user_id == actor.id, SavedFilter.name == name)).first()
    if row is None:
        if len(list_filters(session, actor)) >= MAX_PER_USER:
            raise InvalidInput(f"at most {MAX_PER_USER} saved filters", {"name": ["delete one first"]})
        row = SavedFilter(user_id=actor.id, name=name, query=kept, created_at=now)
        session.add(row)
    else:
        row.query = kept
    session.flush()
    return row


def delete_filter(session: Session, actor: User, filter_id: int) -> None:
    """Delete one of the official's own filters (another's is not found)."""
    row = session.get(SavedFilter, filter_id)
    if row is None or row.user_id != actor.id:
        raise NotFound(f"no saved filter {filter_id}")
    session.delete(row)
    session.flush()
