"""The demo issues signed electronic results: with no certificate configured, `motcua demo` makes a demo-only CA
and signing certificate under var/demo-pki/ (kept on the next start), signs with it and trusts it as a root."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from documents_support import official
from samples import HH_APPROVE, SIGN_APPROVE
from sqlalchemy import select

from api.commands.serve import demo
from config import load_settings
from engine import dossiers
from engine.documents import components, signatures
from engine.documents.config import document_settings
from engine.documents.demo_pki import CA_FILE, PASSPHRASE_FILE, SIGNER_FILE
from engine.models import Dossier, Task
from engine.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("DATABASE_URL", "SERVER_SECURE_COOKIES", "CONFIG", "DOCUMENTS_SIGNING_PKCS12", "DOCUMENTS_SIGNING_PASSPHRASE",
        "DOCUMENTS_TRUST_ROOTS", "DOCUMENTS_PATH")


@pytest.fixture
def demo_dir(tmp_path, monkeypatch):
    for key in KEYS:  # the demo sets some in os.environ; they come back as they were after the test
        monkeypatch.delenv(f"MOTCUA_{key}", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _start_demo() -> str:
    answer = CliRunner().invoke(demo, ["--no-serve", "--workflows", str(ROOT / "workflows")])
    assert answer.exit_code == 0, answer.output
    return answer.output


def test_a_demo_dossier_signed_by_the_leader_gets_a_signed_result(demo_dir, monkeypatch):
    output = _start_demo()
    folder = demo_dir / "var" / "demo-pki"
    assert {CA_FILE, SIGNER_FILE, PASSPHRASE_FILE} <= {p.name for p in folder.iterdir()}
    assert "DEMO-ONLY certificate (made" in output and "not trusted for real use" in output
    ds = document_settings(load_settings())  # what the demo's server runs with
    assert Path(ds.signing_pkcs12) == folder / SIGNER_FILE and [Path(p) for p in ds.trust_roots] == [folder / CA_FILE]
    rt = Runtime.from_settings(load_settings())
    try:
        with rt.sessions() as s:
            dossier = s.scalars(select(Dossier).order_by(Dossier.id)).first()  # the demo's first household business
            for who, data in (("tanlap.specialist", HH_APPROVE), ("tanlap.leader", SIGN_APPROVE)):
                task = s.scalars(select(Task).where(Task.dossier_id == dossier.id, Task.state == "ready")).one()
                dossiers.complete_task(rt, s, task.id, data, actor=official(s, who), now=rt.clock.now())
                s.commit()
            [result] = components.results(s, dossier.id)
            _, _, store = components.backend(rt)
            pdf = b"".join(store.open(result.sha256))
        verdict = signatures.verify_pdf(pdf, ds.trust_roots)
        assert verdict.verdict == "valid", verdict
        assert any("DEMO ONLY" in signer for signer in verdict.signers), verdict.signers
        assert signatures.verify_pdf(pdf, ()).verdict == "not_trusted"  # trusted by the demo's own setting only
    finally:
        rt.db_engine.dispose()
    before = (folder / SIGNER_FILE).read_bytes()
    for key in KEYS:  # a new `make run` is a new process: nothing configured again
        monkeypatch.delenv(f"MOTCUA_{key}", raising=False)
    assert "DEMO-ONLY certificate (kept" in _start_demo()  # the next start keeps the same certificate
    assert (folder / SIGNER_FILE).read_bytes() == before


def test_a_configured_certificate_is_used_and_no_demo_one_made(demo_dir, monkeypatch, pki):
    monkeypatch.setenv("MOTCUA_DOCUMENTS_SIGNING_PKCS12", str(pki.signer_p12))
    assert "DEMO-ONLY" not in _start_demo()
    assert not (demo_dir / "var" / "demo-pki").exists()

