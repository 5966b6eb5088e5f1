"""The S3 backend against a real S3-compatible server running here: moto's standalone server (PyPI
`moto[server]`, an S3 API on a local port), started by the test as a separate process."""
from __future__ import annotations

import hashlib
import io
import socket
import subprocess
import sys
import time

import pytest
from documents_support import documents_runtime, make_pdf
from sqlalchemy import select
from support import APPLICANT, agency_id

from engine import dossiers
from engine.documents import components, retention
from engine.documents.store import S3Store, Staging
from engine.models import User


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:  # wait for the port to accept connections (the server's start-up, not a timed test)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("the S3 server (moto) did not start")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)


def _store(endpoint: str, bucket: str) -> S3Store:
    store = S3Store(bucket=bucket, endpoint=endpoint, access_key="test", secret_key="test")
    store.ensure_bucket()
    return store


def test_put_read_and_delete_by_hash(s3_endpoint, tmp_path):
    store = _store(s3_endpoint, "motcua-test-a")
    staging = Staging(tmp_path)
    data = make_pdf(2, padding=3 * 1024 * 1024)
    staged = staging.write(io.BytesIO(data), 10 * 1024 * 1024)
    assert not store.exists(staged.sha256)
    store.adopt(staged)
    assert not staged.path.exists()  # the temporary file is gone once uploaded
    assert store.exists(staged.sha256)
    assert b"".join(store.open(staged.sha256)) == data
    head = store.client.head_object(Bucket=store.bucket, Key=store.key(staged.sha256))
    assert head["ContentLength"] == len(data)
    store.delete(staged.sha256)
    assert not store.exists(staged.sha256)


def test_the_engine_on_the_s3_backend(s3_endpoint, rt, db_url, clock, tmp_path, session):
    _store(s3_endpoint, "motcua-test-b")
    drt = documents_runtime(db_url, clock, tmp_path / "staging", backend="s3", s3_endpoint=s3_endpoint,
                            s3_bucket="motcua-test-b", s3_access_key="test", s3_secret_key="test")
    actor = session.scalars(select(User).where(User.username == "tanlap.reception")).one()
    dossier = dossiers.receive_dossier(drt, session, procedure="household-business", agency_id=agency_id(session),
                                       channel="counter", applicant=APPLICANT, actor=actor, now=clock.now()).dossier
    session.commit()
    pdf = make_pdf(2)
    doc = components.attach(drt, session, dossier.id, component=0, stream=io.BytesIO(pdf), filename="a.pdf",
                            actor=actor, now=clock.now())
    session.commit()
    assert doc.sha256 == hashlib.sha256(pdf).hexdigest()
    _, chunks = components.open_document(drt, session, doc.id, actor=actor, now=clock.now())
    assert b"".join(chunks) == pdf
    store = components.backend(drt)[2]
    assert isinstance(store, S3Store) and store.exists(doc.sha256)
    retention.purge(drt, session, doc.keep_until.replace(year=doc.keep_until.year + 1))
    session.commit()
    assert not store.exists(doc.sha256)
    drt.db_engine.dispose()
