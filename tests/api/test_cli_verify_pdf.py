"""`motcua verify-pdf FILE` prints the verdict on a PDF's signatures; its exit status tells which."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from documents_support import PASSPHRASE, make_pdf
from support import ROOT

from engine.documents.signatures import sign_pdf

MOTCUA = Path(sys.executable).with_name("motcua")


def run(path: Path, roots: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "MOTCUA_DOCUMENTS_TRUST_ROOTS": json.dumps(roots)}
    return subprocess.run([str(MOTCUA), "verify-pdf", str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("case", ["valid", "not_trusted", "invalid", "unsigned"])
def test_verify_pdf_prints_the_verdict_and_exits_by_it(pki, tmp_path, case):
    pdf = make_pdf(2)
    signed = sign_pdf(pdf, str(pki.signer_p12), PASSPHRASE)
    data, roots, status = {
        "valid": (signed, [str(pki.ca_pem)], 0),
        "not_trusted": (signed, [str(pki.stranger_ca_pem)], 2),
        "invalid": (signed.replace(b"scan 1", b"scam 1", 1), [str(pki.ca_pem)], 1),
        "unsigned": (pdf, [str(pki.ca_pem)], 4),
    }[case]
    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    answer = run(path, roots)
    assert answer.returncode == status, answer.stdout + answer.stderr
    assert answer.stdout.startswith(f"{path}: {case}")
