"""PAdES signatures: sign a PDF with the agency's PKCS#12, and check the signatures of any PDF.

A verdict is one of:
- `unsigned`: no signature;
- `valid`: every signature is intact, covers the whole file and chains to a trust root of the settings;
- `not_trusted`: intact and covering, but its certificate chains to no trust root;
- `modified`: intact, but the file was changed after signing in a way that is not allowed (more than
  form filling or adding signatures / time stamps);
- `invalid`: the signed bytes do not match the signature (a changed byte), or it cannot be checked.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

VERDICTS = ("valid", "invalid", "not_trusted", "modified", "unsigned")
#: exit status of `motcua verify-pdf` by verdict
EXIT_STATUS = {"valid": 0, "invalid": 1, "not_trusted": 2, "modified": 3, "unsigned": 4}


@dataclass(frozen=True)
class Verdict:
    verdict: str
    signers: tuple[str, ...] = ()
    detail: str = ""

    def as_dict(self, checked_at: dt.datetime | None = None) -> dict:
        out = {"verdict": self.verdict, "signers": list(self.signers), "detail": self.detail}
        if checked_at is not None:
            out["checked_at"] = checked_at.isoformat()
        return out


def _outside_event_loop(fn, *args, **kwargs):
    """Call fn here, or in a helper thread when this thread runs an asyncio loop: pyHanko's synchronous calls
    start their own loop (asyncio.run), which a running loop (an async server, a browser driver) forbids."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(1) as helper:
        return helper.submit(fn, *args, **kwargs).result()


@lru_cache(maxsize=8)
def load_signer(pkcs12: str, passphrase: str):
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load_pkcs12(pkcs12, passphrase=passphrase.encode() if passphrase else None)
    if signer is None:
        raise ValueError(f"cannot load the signing certificate {pkcs12} (wrong file or passphrase)")
    return signer


def sign_pdf(pdf: bytes, pkcs12: str, passphrase: str, *, reason: str = "", name: str | None = None) -> bytes:
    """The PDF signed PAdES (baseline B, ETSI.CAdES.detached) in an incremental update."""
    return _outside_event_loop(_sign_pdf, pdf, pkcs12, passphrase, reason, name)


def _sign_pdf(pdf: bytes, pkcs12: str, passphrase: str, reason: str, name: str | None) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = load_signer(pkcs12, passphrase)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name="KetQua", subfilter=fields.SigSeedSubFilter.PADES,
                                        reason=reason or None, name=name, md_algorithm="sha256")
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer)
    return out.getvalue()


def _load_cert(path: str):
    from asn1crypto import pem, x509

    data = Path(path).read_bytes()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


@lru_cache(maxsize=8)
def _roots(paths: tuple[str, ...]):
    return tuple(_load_cert(p) for p in paths)


def verify_pdf(data: bytes | io.IOBase, trust_roots: tuple[str, ...] = ()) -> Verdict:
    """The verdict on a PDF's signatures against the trust roots (files of PEM or DER certificates)."""
    return _outside_event_loop(_verify_pdf, data, tuple(trust_roots))


def _verify_pdf(data: bytes | io.IOBase, trust_roots: tuple[str, ...]) -> Verdict:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        reader = PdfFileReader(stream, strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:
        return Verdict("invalid", detail=f"the PDF cannot be read: {type(exc).__name__}")
    if not signatures:
        return Verdict("unsigned")
    worst, signers, details = "valid", [], []
    order = {"valid": 0, "not_trusted": 1, "modified": 2, "invalid": 3}
    for sig in signatures:
        vc = ValidationContext(trust_roots=list(_roots(tuple(trust_roots))), allow_fetching=False,
                               revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(sig, vc)
        except Exception as exc:  # damaged signature dictionary or CMS
            verdict, detail = "invalid", f"{sig.field_name}: cannot be checked ({type(exc).__name__})"
        else:
            try:
                signers.append(status.signing_cert.subject.human_friendly)
            except Exception:
                pass
            level = getattr(status, "modification_level", None)
            if not status.intact or not status.valid:
                verdict, detail = "invalid", f"{sig.field_name}: the signed bytes were changed"
            elif (level is not None and level == ModificationLevel.OTHER) or status.docmdp_ok is False:
                verdict, detail = "modified", f"{sig.field_name}: the document was changed after signing"
            elif not status.trusted:
                verdict, detail = "not_trusted", f"{sig.field_name}: the signer's certificate is not trusted"
            else:
                verdict, detail = "valid", f"{sig.field_name}: valid"
        details.append(detail)
        if order[verdict] > order[worst]:
            worst = verdict
    return Verdict(worst, tuple(signers), "; ".join(details))
