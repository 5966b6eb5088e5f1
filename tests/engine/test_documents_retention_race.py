"""The retention purge and a new upload of the same bytes at the same moment: one waits for the other under the
object's lock and the new upload's bytes stay. Orphans (bytes no row names, after a crash) are removed by the
retention command once older than documents.orphan_grace_hours."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import threading

import pytest
from click.testing import CliRunner
from documents_support import make_pdf
from sqlalchemy import select
from test_documents import attach, receive, user

from engine.documents import components, retention
from engine.models import Document


@pytest.fixture
def s(drt):
    with drt.sessions() as session:
        yield session


def _purge_in_thread(drt, later, out: dict) -> threading.Thread:
    def run():
        try:
            with drt.sessions() as other:
                out["removed"] = [d.id for d in retention.purge(drt, other, later)]
                other.commit()
        except BaseException as exc:  # reported by the test
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_purge_waits_for_an_upload_of_the_same_bytes_and_keeps_them(drt, s):
    pdf = make_pdf(text="same bytes")
    sha = hashlib.sha256(pdf).hexdigest()
    old = attach(drt, s, receive(drt, s).id, pdf)
    later = old.keep_until + dt.timedelta(days=1)
    newer = receive(drt, s)
    _, _, store = components.backend(drt)
    # the new upload of the same bytes is stored and its row written, not yet committed ...
    doc = components.attach(drt, s, newer.id, component=0, stream=io.BytesIO(pdf), filename="again.pdf",
                            actor=user(s, "tanlap.reception"), now=later)
    out: dict = {}
    purge = _purge_in_thread(drt, later, out)  # ... when the purge of the old row starts
    purge.join(timeout=1.0)
    assert purge.is_alive(), f"the purge did not wait for the upload's transaction: {out}"
    s.commit()
    purge.join(timeout=60)
    assert not purge.is_alive() and "error" not in out, out
    assert out["removed"] == [old.id]  # the old row's retention ran: one winner each, nothing lost
    assert store.exists(sha), "the new upload's bytes were deleted"
    _, chunks = components.open_document(drt, s, doc.id, actor=user(s, "tanlap.reception"), now=later)
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == sha


def test_reuse_of_bytes_the_purge_removed_is_refused(drt, s):
    from engine.errors import Conflict

    first = receive(drt, s)
    old = attach(drt, s, first.id, make_pdf(text="to reuse"))
    later = old.keep_until + dt.timedelta(days=1)
    assert retention.purge(drt, s, later) and s.commit() is None
    second = receive(drt, s)
    candidates = components.reuse_candidates(drt, s, second.id, actor=user(s, "tanlap.reception"))
    if any(c.id == old.id for c in candidates):  # offered from a stale read: the re-check under the lock refuses
        try:
            components.reuse(drt, s, second.id, document_id=old.id, component=0,
                             actor=user(s, "tanlap.reception"), now=later)
        except Conflict:
            s.rollback()
        else:
            raise AssertionError("a row naming deleted bytes was written")
    assert not s.scalars(select(Document).where(Document.dossier_id == second.id)).all()


def _orphan(drt, data: bytes, written: dt.datetime) -> str:
    """Bytes stored as by an upload whose row never committed (the process died in between)."""
    ds, staging, store = components.backend(drt)
    staged = staging.write(io.BytesIO(data), ds.max_file_bytes)
    store.adopt(staged)
    os.utime(store.path(staged.sha256), (written.timestamp(), written.timestamp()))
    return staged.sha256


def test_orphans_are_removed_after_the_grace_period_only(drt, s, clock):
    now = clock.now()
    _, _, store = components.backend(drt)
    kept_doc = attach(drt, s, receive(drt, s).id, make_pdf(text="named"))
    os.utime(store.path(kept_doc.sha256), (0, 0))  # old, but a row names it
    stale = _orphan(drt, make_pdf(text="crash long ago"), now - dt.timedelta(hours=25))
    fresh = _orphan(drt, make_pdf(text="upload in progress"), now - dt.timedelta(hours=1))
    assert retention.orphans(drt, s, now) == [stale]  # listed, nothing removed
    assert store.exists(stale)
    assert retention.orphans(drt, s, now, remove=True) == [stale]
    s.commit()
    assert not store.exists(stale) and store.exists(fresh) and store.exists(kept_doc.sha256)


def test_the_retention_command_removes_orphans(drt, clock, monkeypatch):
    from api.commands import documents as commands

    stale = _orphan(drt, make_pdf(text="crash"), clock.now() - dt.timedelta(days=3))
    monkeypatch.setattr("api.commands.database.migrated_runtime", lambda: drt)
    listed = CliRunner().invoke(commands.retention, [])
    assert listed.exit_code == 0 and f"orphan\t{stale}" in listed.output, listed.output
    assert components.backend(drt)[2].exists(stale)
    removed = CliRunner().invoke(commands.retention, ["--remove"])
    assert removed.exit_code == 0 and f"orphan\t{stale}\tremoved" in removed.output, removed.output
    assert not components.backend(drt)[2].exists(stale)
