"""Retention: files past their procedure's retention period (Archives Law; periods in procedures/*.toml) are
listed and removed. The row stays with its hash, size and audit trail; only the bytes go, and only when no
other document still within retention names the same bytes. Also: stored objects no row names (a crash between
storing the bytes and committing the row) are removed once older than documents.orphan_grace_hours.

Every deletion re-checks under the object's lock (engine.documents.locks) that no live row names the bytes, so
an upload, reuse or result of the same bytes running at the same moment keeps them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.documents import components
from engine.documents.locks import hold_bytes
from engine.models import Document
from engine.runtime import Runtime


def due(session: Session, now: dt.datetime, limit: int = 10_000) -> list[Document]:
    """Documents whose bytes may be removed now, oldest first."""
    return list(session.scalars(select(Document).where(Document.removed_at.is_(None), Document.keep_until < now)
                                .order_by(Document.keep_until, Document.id).limit(limit)))


def purge(rt: Runtime, session: Session, now: dt.datetime, limit: int = 10_000) -> list[Document]:
    """Remove the bytes of the documents past retention; each is an audit event of its dossier."""
    _, _, store = components.backend(rt)
    removed = due(session, now, limit)
    shas = sorted({d.sha256 for d in removed})
    for sha in shas:  # in one order, before any change: a concurrent upload of these bytes waits or went first
        hold_bytes(session, sha)
    for doc in removed:
        doc.removed_at = now
        audit.record(session, "document_removed", dossier_id=doc.dossier_id, actor=None, at=now,
                     document_id=doc.id, sha256=doc.sha256, reason="retention")
    session.flush()
    for sha in shas:
        still_kept = session.scalar(select(Document.id).where(Document.sha256 == sha,
                                                              Document.removed_at.is_(None)).limit(1))
        if still_kept is None:
            store.delete(sha)
    return removed


def orphans(rt: Runtime, session: Session, now: dt.datetime, *, remove: bool = False) -> list[str]:
    """The stored objects no live row names, written more than documents.orphan_grace_hours ago (an upload in
    progress stores its bytes before its row); with `remove`, their bytes are deleted, each re-checked under its
    lock. Nothing names them, so there is no audit event of a dossier."""
    ds, _, store = components.backend(rt)
    cutoff = (now - dt.timedelta(hours=ds.orphan_grace_hours)).timestamp()
    old = sorted(sha for sha, written in store.listing() if written < cutoff)
    named: set[str] = set()
    for i in range(0, len(old), 500):
        named |= set(session.scalars(select(Document.sha256).where(Document.sha256.in_(old[i:i + 500]),
                                                                   Document.removed_at.is_(None))))
    found = [sha for sha in old if sha not in named]
    if not remove:
        return found
    out = []
    for sha in found:
        hold_bytes(session, sha)
        if session.scalar(select(Document.id).where(Document.sha256 == sha, Document.removed_at.is_(None))
                          .limit(1)) is None:
            store.delete(sha)
            out.append(sha)
    return out
