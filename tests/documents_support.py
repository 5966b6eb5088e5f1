"""What the documents' tests share: a PKI of their own (a CA, a signer's PKCS#12, a stranger CA), PDFs built
byte by byte, and a runtime whose [documents] settings point at a temporary store and that PKI."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from config import load_settings
from engine import dossiers
from engine.db import make_engine, make_sessionmaker
from engine.models import Task, User
from engine.runtime import Runtime

PASSPHRASE = "test-pass"


@dataclass(frozen=True)
class Pki:
    ca_pem: Path
    signer_p12: Path
    stranger_ca_pem: Path
    stranger_p12: Path


def _name(common: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND xã Tân Lập (thử nghiệm)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca(common: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(_name(common))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(ca_key, ca_cert, common: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def make_pki(folder: Path) -> Pki:
    """A test CA and a leader's certificate it issued (PKCS#12), and a stranger CA with its own signer."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for label, common in (("", "CA thử nghiệm motcua"), ("stranger_", "CA không được tin cậy")):
        ca_key, ca_cert = _ca(common)
        key, cert = _leaf(ca_key, ca_cert, "Nguyễn Văn Lãnh Đạo")
        ca_path = folder / f"{label}ca.pem"
        ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        p12 = folder / f"{label}signer.p12"
        p12.write_bytes(pkcs12.serialize_key_and_certificates(
            b"signer", key, cert, [ca_cert], serialization.BestAvailableEncryption(PASSPHRASE.encode())))
        out[label] = (ca_path, p12)
    return Pki(out[""][0], out[""][1], out["stranger_"][0], out["stranger_"][1])


def make_pdf(pages: int = 1, padding: int = 0, text: str = "scan") -> bytes:
    """A valid PDF of `pages` pages (a line of text each), made larger by a `padding`-byte stream."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i in range(pages):
        content = f"BT /F1 24 Tf 72 720 Td ({text} {i + 1}) Tj ET".encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    if padding:
        objects.append(b"<< /Length %d >>\nstream\n" % padding + b"\x00" * padding + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
#: a Windows executable's first bytes (MZ header), to be named .pdf
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def documents_settings(store: Path, pki: Pki | None = None, **extra) -> dict:
    values = {"path": str(store)}
    if pki is not None:
        values.update(signing_pkcs12=str(pki.signer_p12), signing_passphrase=PASSPHRASE,
                      trust_roots=[str(pki.ca_pem)])
    values.update(extra)
    return values


def documents_runtime(db_url: str, clock, store: Path, pki: Pki | None = None, **extra) -> Runtime:
    settings = load_settings({"database": {"url": db_url},
                              "server": {"session_idle_hours": 24 * 365, "secure_cookies": False},
                              "documents": documents_settings(store, pki, **extra)})
    return Runtime(settings=settings, sessions=make_sessionmaker(make_engine(db_url)), clock=clock)


# --- fixtures and steps the documents' test files share (import the fixtures into a test module to use them) --


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def drt(rt, db_url, clock, tmp_path, pki):
    """A runtime whose documents go to this test's folder and whose results are signed by the test PKI."""
    runtime = documents_runtime(db_url, clock, tmp_path / "store", pki)
    yield runtime
    runtime.db_engine.dispose()


def official(s, username: str):
    return s.scalars(select(User).where(User.username == username)).one()


def receive_citizen(drt, applicant: dict | None = None):
    """A dossier received at Tân Lập's counter for an applicant with an identity number, committed, detached."""
    from support import APPLICANT, agency_id

    with drt.sessions() as s:
        dossier = dossiers.receive_dossier(drt, s, procedure="household-business", agency_id=agency_id(s),
                                           channel="counter", applicant=applicant or APPLICANT,
                                           actor=official(s, "tanlap.reception"), now=drt.clock.now()).dossier
        s.commit()
        s.expunge(dossier)
        return dossier


def to_signed(drt, dossier_id: int) -> None:
    """The specialist approves and the leader signs digitally: the electronic result is issued."""
    from samples import HH_APPROVE, SIGN_APPROVE

    with drt.sessions() as s:
        for who, data in (("tanlap.specialist", HH_APPROVE), ("tanlap.leader", SIGN_APPROVE)):
            task = s.scalars(select(Task).where(Task.dossier_id == dossier_id, Task.state == "ready")).one()
            dossiers.complete_task(drt, s, task.id, data, actor=official(s, who), now=drt.clock.now())
            s.commit()
