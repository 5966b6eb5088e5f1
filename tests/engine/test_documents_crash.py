"""A crash in the middle of an upload (kill -9 of a real process) leaves no half file under an address and no
row pointing to a missing file; the temporary file it leaves is swept."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from documents_support import documents_runtime, make_pdf
from sqlalchemy import func, select
from support import APPLICANT, ROOT, agency_id

from engine import dossiers
from engine.documents import components
from engine.documents.store import Staging
from engine.models import Document, User

#: the child attaches a file read from a stream that stops after three chunks, says so, and waits to be killed
CHILD = textwrap.dedent("""
    import io, sys
    sys.path.insert(0, {tests!r})
    from documents_support import documents_runtime, make_pdf
    from engine.clock import FrozenClock
    from engine.documents import components
    from engine.models import User
    import datetime as dt
    from sqlalchemy import select

    pdf = make_pdf(padding=8 * 1024 * 1024)

    class Stalling:
        def __init__(self):
            self.data, self.at = io.BytesIO(pdf), 0
        def read(self, size=-1):
            self.at += 1
            if self.at == 4:
                print("writing", flush=True)
                sys.stdin.read()  # never answered: the parent kills this process here
            return self.data.read(1024 * 1024)

    rt = documents_runtime({db_url!r}, FrozenClock(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)), {store!r})
    with rt.sessions() as s:
        actor = s.scalars(select(User).where(User.username == "tanlap.reception")).one()
        components.attach(rt, s, {dossier_id}, component=0, stream=Stalling(), filename="scan.pdf", actor=actor,
                          now=rt.clock.now())
        s.commit()
    print("done", flush=True)
""")


def test_kill_9_in_the_middle_of_an_upload_leaves_nothing_half_done(rt, db_url, clock, tmp_path, session):
    store = tmp_path / "store"
    drt = documents_runtime(db_url, clock, store)
    actor = session.scalars(select(User).where(User.username == "tanlap.reception")).one()
    dossier = dossiers.receive_dossier(drt, session, procedure="household-business", agency_id=agency_id(session),
                                       channel="counter", applicant=APPLICANT, actor=actor, now=clock.now()).dossier
    session.commit()
    code = CHILD.format(tests=str(ROOT / "tests"), db_url=db_url, store=str(store), dossier_id=dossier.id)
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
        staging = Staging(store)
        half = list(staging.tmp.iterdir())
        assert len(half) == 1 and half[0].stat().st_size > 0  # the upload is under way, in a temporary file
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    objects = [p for p in (store / "objects").rglob("*") if p.is_file()]
    assert objects == []  # nothing under an address
    assert session.scalar(select(func.count()).select_from(Document)) == 0  # no row
    assert [p.name for p in staging.sweep()] == [half[0].name]  # the dead process's temporary file goes
    assert list(staging.tmp.iterdir()) == []
    # and the desk attaches the file again, whole
    import io

    pdf = make_pdf(padding=8 * 1024 * 1024)
    doc = components.attach(drt, session, dossier.id, component=0, stream=io.BytesIO(pdf), filename="scan.pdf",
                            actor=actor, now=clock.now())
    session.commit()
    assert components.backend(drt)[2].path(doc.sha256).stat().st_size == len(pdf)
    drt.db_engine.dispose()


def test_every_row_names_bytes_that_are_there(rt, db_url, clock, tmp_path, session):
    """The order of writes: bytes adopted before the row; a failing commit leaves bytes, never a dangling row."""
    drt = documents_runtime(db_url, clock, tmp_path / "store")
    actor = session.scalars(select(User).where(User.username == "tanlap.reception")).one()
    dossier = dossiers.receive_dossier(drt, session, procedure="household-business", agency_id=agency_id(session),
                                       channel="counter", applicant=APPLICANT, actor=actor, now=clock.now()).dossier
    session.commit()
    import io

    doc = components.attach(drt, session, dossier.id, component=0, stream=io.BytesIO(make_pdf()),
                            filename="a.pdf", actor=actor, now=clock.now())
    assert components.backend(drt)[2].exists(doc.sha256)  # before the commit
    session.rollback()  # the transaction is lost (a crash before commit): the bytes stay, nameless
    assert session.scalar(select(func.count()).select_from(Document)) == 0
    drt.db_engine.dispose()
