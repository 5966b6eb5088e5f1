"""A demo-only certificate authority and signing certificate, so the demo issues signed electronic results.

`motcua demo` makes them under var/demo-pki/ when no signing certificate is configured and they are absent.
They are for the demo on this machine only: every name says DEMO ONLY / CHỈ DÙNG THỬ, the key and its passphrase
lie next to each other in plain files, and nothing outside this demo trusts the CA. Never configure them for
real use.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

FOLDER = Path("var/demo-pki")
CA_FILE = "DEMO-ONLY-ca.pem"
SIGNER_FILE = "DEMO-ONLY-signer.p12"
PASSPHRASE_FILE = "DEMO-ONLY-passphrase.txt"
CA_NAME = "DEMO ONLY motcua CA - CHỈ DÙNG THỬ, không tin cậy"
SIGNER_NAME = "DEMO ONLY Lãnh đạo UBND - CHỈ DÙNG THỬ"


@dataclass(frozen=True)
class DemoPki:
    ca_pem: Path
    signer_p12: Path
    passphrase: str

    def settings(self) -> dict:
        """The [documents] keys that sign with the demo certificate and trust the demo CA."""
        return {"signing_pkcs12": str(self.signer_p12), "signing_passphrase": self.passphrase,
                "trust_roots": [str(self.ca_pem)]}


def ensure_demo_pki(folder: Path = FOLDER, *, now: dt.datetime | None = None) -> tuple[DemoPki, bool]:
    """The demo PKI under `folder`, made if any of its files is absent; (pki, made)."""
    folder = folder.resolve()
    ca_path, p12_path, pass_path = folder / CA_FILE, folder / SIGNER_FILE, folder / PASSPHRASE_FILE
    if ca_path.is_file() and p12_path.is_file() and pass_path.is_file():
        return DemoPki(ca_path, p12_path, pass_path.read_text(encoding="utf-8").strip()), False
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "motcua DEMO ONLY - not trusted"),
                          x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def usage(*, sign_certs: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=True, content_commitment=not sign_certs, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=sign_certs,
                             crl_sign=sign_certs, encipher_only=False, decipher_only=False)

    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=1)
    end = start + dt.timedelta(days=3 * 365)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name(CA_NAME)).issuer_name(name(CA_NAME))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(usage(sign_certs=True), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (x509.CertificateBuilder().subject_name(name(SIGNER_NAME)).issuer_name(ca.subject)
              .public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(start).not_valid_after(end)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(usage(sign_certs=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
    passphrase = "demo-" + secrets.token_urlsafe(18)  # never read as a TOML literal from the environment
    folder.mkdir(parents=True, exist_ok=True)
    _write(pass_path, passphrase.encode())
    _write(p12_path, pkcs12.serialize_key_and_certificates(
        b"DEMO ONLY signer", key, signer, [ca], serialization.BestAvailableEncryption(passphrase.encode())))
    _write(ca_path, ca.public_bytes(serialization.Encoding.PEM))
    (folder / "README-DEMO-ONLY.txt").write_text(
        "Made by `motcua demo`: a demo-only CA and signing certificate. Not trusted for real use; never configure\n"
        "them outside the demo. Delete this folder to have the demo make new ones.\n", encoding="utf-8")
    return DemoPki(ca_path, p12_path, passphrase), True


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
