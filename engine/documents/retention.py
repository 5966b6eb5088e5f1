"""Retention: files past their procedure's retention period (Archives Law; periods in procedures/*.toml) are
listed and removed. The row stays with its hash, size and audit trail; only the bytes go, and only when no
other document still within retention names the same bytes.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.documents import components
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
    for doc in removed:
        doc.removed_at = now
        audit.record(session, "document_removed", dossier_id=doc.dossier_id, actor=None, at=now,
                     document_id=doc.id, sha256=doc.sha256, reason="retention")
    session.flush()
    for sha in sorted({d.sha256 for d in removed}):
        still_kept = session.scalar(select(Document.id).where(Document.sha256 == sha,
                                                              Document.removed_at.is_(None)).limit(1))
        if still_kept is None:
            store.delete(sha)
    return removed
