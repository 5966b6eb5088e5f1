"""Taking in dossiers filed online on the portal, and the citizens' ratings it sends back.

One message is one transaction: the dossier (received on the procedure's current version, channel online,
clock started when the portal recorded it complete), its receipt and its portal link are written together
or not at all. The portal's dossier id (MaHoSo) is unique in portal_dossier, so the same dossier sent twice
is one dossier, also when two processes take it in at once (the second insert fails and is a duplicate).
A malformed message is refused with every field's reason and kept whole in portal_rejected, in a
transaction of its own after the intake's was rolled back.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import EngineError, InvalidInput
from engine.models import Agency, Dossier, PortalDossier, PortalRejected, Procedure, Rating, User
from engine.portal.codes import CHANNEL_CODES, parse_date
from engine.portal.config import PortalConfig
from engine.reception import receive_on_record, receive_with_receipt
from engine.runtime import Runtime

_CODE = re.compile(r"^[A-Za-z0-9.\-_/]{1,64}$")
_DATA_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Outcome:
    """What became of one message: taken (a new dossier), duplicate (already taken in), rejected."""

    portal_code: str | None
    result: str
    dossier_code: str | None = None
    reason: str | None = None
    errors: dict | None = None


def digest(message: dict) -> str:
    return hashlib.sha256(json.dumps(message, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _text(message: dict, key: str, errors: dict, required: bool = True, limit: int = 255) -> str | None:
    value = message.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[key] = ["required"]
        return None
    if not isinstance(value, str):
        errors[key] = [f"expected text, got {type(value).__name__}"]
        return None
    if len(value) > limit:
        errors[key] = [f"longer than {limit} characters"]
        return None
    return value.strip()


@dataclass(frozen=True)
class DossierMessage:
    portal_code: str
    procedure_code: str
    unit_code: str
    applicant: dict
    filed_at: dt.datetime
    documents: list[dict]
    data: dict


def parse_dossier(message, now: dt.datetime) -> DossierMessage:
    """Check a portal dossier message; raise InvalidInput naming every bad field."""
    if not isinstance(message, dict):
        raise InvalidInput("a portal dossier must be a JSON object", {"$": [f"got {type(message).__name__}"]})
    errors: dict[str, list[str]] = {}
    code = _text(message, "MaHoSo", errors, limit=64)
    if code is not None and not _CODE.match(code):
        errors["MaHoSo"] = ["letters, digits and . - _ / only"]
    procedure_code = _text(message, "MaTTHC", errors, limit=40)
    unit_code = _text(message, "MaDonVi", errors, limit=40)
    name = _text(message, "ChuHoSo", errors)
    applicant = {"name": name}
    for key, field in (("SoGiayToChuHoSo", "id_number"), ("SoDienThoai", "phone"), ("Email", "email"),
                       ("DiaChiChiTiet", "address")):
        value = _text(message, key, errors, required=False)
        if value:
            applicant[field] = value
    kind = message.get("LoaiDoiTuong", "1")
    if str(kind) not in ("1", "2"):
        errors["LoaiDoiTuong"] = ["1 (citizen) or 2 (organisation)"]
    else:
        applicant["kind"] = "citizen" if str(kind) == "1" else "organisation"
    channel = message.get("KenhThucHien", CHANNEL_CODES["online"])
    if str(channel) != CHANNEL_CODES["online"]:
        errors["KenhThucHien"] = ["a dossier taken from the portal is filed online (2)"]
    filed_at = None
    raw_date = message.get("NgayNopHoSo")
    if raw_date in (None, ""):
        errors["NgayNopHoSo"] = ["required"]
    else:
        try:
            filed_at = parse_date(raw_date)
            if filed_at > now:
                errors["NgayNopHoSo"] = ["in the future"]
        except ValueError as exc:
            errors["NgayNopHoSo"] = [str(exc)]
    documents = []
    files = message.get("TaiLieuNop", [])
    if not isinstance(files, list):
        errors["TaiLieuNop"] = ["expected a list"]
    else:
        for i, item in enumerate(files):
            file_name = item.get("TenTepDinhKem") if isinstance(item, dict) else None
            if not isinstance(file_name, str) or not file_name.strip():
                errors[f"TaiLieuNop.{i}.TenTepDinhKem"] = ["required"]
            else:
                documents.append({"name": file_name.strip(), "copies": 1})
    data = message.get("DuLieuBieuMau", {})
    if not isinstance(data, dict):
        errors["DuLieuBieuMau"] = ["expected an object"]
        data = {}
    elif any(not _DATA_KEY.match(str(k)) for k in data):
        errors["DuLieuBieuMau"] = ["field names must be letters, digits and _"]
    summary = _text(message, "TrichYeuHoSo", errors, required=False, limit=2000)
    if errors:
        raise InvalidInput("the portal dossier is malformed", errors)
    if summary:
        applicant["summary"] = summary
    return DossierMessage(code, procedure_code, unit_code, applicant, filed_at, documents, dict(data))


def _resolve(session: Session, msg: DossierMessage) -> tuple[str, int]:
    procs = session.execute(select(Procedure.slug, Procedure.agency_kind).where(
        or_(Procedure.code == msg.procedure_code, Procedure.local_code == msg.procedure_code),
        Procedure.current_version > 0)).all()
    errors = {}
    if len(procs) != 1:
        errors["MaTTHC"] = [f"no deployed procedure with code {msg.procedure_code}" if not procs
                            else f"{len(procs)} procedures carry code {msg.procedure_code}"]
    agency = session.scalars(select(Agency).where(Agency.code == msg.unit_code)).first()
    if agency is None:
        errors["MaDonVi"] = [f"no agency with code {msg.unit_code}"]
    if errors:
        raise InvalidInput("the portal dossier names what motcua does not know", errors)
    return procs[0].slug, agency.id


def portal_account(session: Session, config: PortalConfig) -> User:
    user = session.scalars(select(User).where(User.username == config.account, User.is_active)).first()
    if user is None:
        raise InvalidInput(f"the portal account '{config.account}' does not exist or is not active",
                           {"portal.account": ["create it and give it the reception role"]})
    return user


def reject(rt: Runtime, kind: str, message, reason: str, errors: dict | None, now: dt.datetime) -> Outcome:
    """Keep a refused message whole, in its own transaction."""
    body = message if isinstance(message, dict) else {"raw": message if isinstance(message, str) else repr(message)}
    code = body.get("MaHoSo") if isinstance(body.get("MaHoSo"), str) else None
    code = code[:64] if code else None
    with rt.sessions() as session:
        session.add(PortalRejected(kind=kind, portal_code=code, received_at=now, reason=reason, errors=errors,
                                   body=body))
        session.commit()
    return Outcome(code, "rejected", reason=reason, errors=errors)


def take_dossier(rt: Runtime, message, now: dt.datetime, config: PortalConfig | None = None) -> Outcome:
    """Take in one portal dossier in its own transaction; never raises for the message's faults."""
    config = config or PortalConfig.from_settings(rt.settings)
    if isinstance(message, (str, bytes)):
        try:
            message = json.loads(message)
        except ValueError as exc:
            return reject(rt, "dossier", message if isinstance(message, str) else message.decode("utf-8", "replace"),
                          f"not JSON: {exc}", None, now)
    try:
        msg = parse_dossier(message, now)
    except InvalidInput as exc:
        return reject(rt, "dossier", message, exc.detail, exc.errors, now)
    fingerprint = digest(message)
    with rt.sessions() as session:
        known = session.execute(select(PortalDossier.digest, Dossier.code).join(
            Dossier, Dossier.id == PortalDossier.dossier_id).where(PortalDossier.portal_code == msg.portal_code)).first()
        if known is not None:
            return _duplicate(rt, message, msg, known, fingerprint, now)
        try:
            slug, agency_id = _resolve(session, msg)
            receipt = receive_with_receipt(rt, session, procedure=slug, agency_id=agency_id, channel="online",
                                           applicant=msg.applicant, actor=portal_account(session, config), now=now,
                                           data=msg.data, clock_started_at=msg.filed_at,
                                           documents=msg.documents or None)
            _link(session, msg.portal_code, receipt.dossier.id, now, fingerprint)
            session.commit()
            return Outcome(msg.portal_code, "taken", receipt.dossier.code)
        except IntegrityError:  # another process took the same portal dossier in first
            session.rollback()
        except EngineError as exc:
            session.rollback()
            return reject(rt, "dossier", message, exc.detail, getattr(exc, "errors", None) or None, now)
    with rt.sessions() as session:
        known = session.execute(select(PortalDossier.digest, Dossier.code).join(
            Dossier, Dossier.id == PortalDossier.dossier_id).where(PortalDossier.portal_code == msg.portal_code)).one()
    return _duplicate(rt, message, msg, known, fingerprint, now)


def _link(session: Session, portal_code: str, dossier_id: int, now: dt.datetime, fingerprint: str) -> None:
    session.execute(insert(PortalDossier.__table__).values(portal_code=portal_code, dossier_id=dossier_id,
                                                           received_at=now, digest=fingerprint))


def take_dossiers(rt: Runtime, messages: list, now_fn, config: PortalConfig | None = None) -> list[Outcome]:
    """Take in a batch: the new dossiers in one transaction; if any of them fails, each on its own.

    Malformed messages are refused first and duplicates (of earlier batches or within this one) answered
    without writing; the outcomes come back in the order of `messages`.
    """
    config = config or PortalConfig.from_settings(rt.settings)
    now = now_fn()
    outcomes: list[Outcome | None] = [None] * len(messages)
    fresh: dict[str, tuple[int, DossierMessage, str]] = {}
    later: list[int] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            outcomes[i] = take_dossier(rt, message, now, config)  # not JSON or not an object: refused there
            continue
        try:
            msg = parse_dossier(message, now)
        except InvalidInput as exc:
            outcomes[i] = reject(rt, "dossier", message, exc.detail, exc.errors, now)
            continue
        if msg.portal_code in fresh:
            later.append(i)  # the same id twice in one batch: answered once the first is in
        else:
            fresh[msg.portal_code] = (i, msg, digest(message))
    with rt.sessions() as session:
        known = set(session.scalars(select(PortalDossier.portal_code).where(PortalDossier.portal_code.in_(fresh))))
        todo = [v for k, v in fresh.items() if k not in known]
        later += [v[0] for k, v in fresh.items() if k in known]
        try:
            actor = portal_account(session, config)
            # the agencies are held here: the session's identity map is weak, and a batch would load each again
            resolved: dict[tuple[str, str], tuple[str, int, Agency]] = {}
            done, links = [], []
            for i, msg, fingerprint in todo:
                key = (msg.procedure_code, msg.unit_code)
                if key not in resolved:
                    slug, agency_id = _resolve(session, msg)
                    resolved[key] = (slug, agency_id, session.get(Agency, agency_id))
                slug, agency_id, _agency = resolved[key]
                step, _meta, _received = receive_on_record(
                    rt, session, procedure=slug, agency_id=agency_id, channel="online", applicant=msg.applicant,
                    actor=actor, now=now, data=msg.data, clock_started_at=msg.filed_at,
                    documents=msg.documents or None)
                links.append(dict(portal_code=msg.portal_code, dossier_id=step.dossier.id, received_at=now,
                                  digest=fingerprint))
                done.append((i, msg.portal_code, step.dossier.code))
            if links:  # one statement for the batch's links, in the dossiers' transaction
                session.execute(insert(PortalDossier.__table__), links)
            session.commit()
            for i, code, dossier_code in done:
                outcomes[i] = Outcome(code, "taken", dossier_code)
        except (EngineError, IntegrityError):
            session.rollback()
            for i, _msg, _fp in todo:
                outcomes[i] = take_dossier(rt, messages[i], now_fn(), config)
    for i in later:
        outcomes[i] = take_dossier(rt, messages[i], now, config)
    return outcomes


def _duplicate(rt, message, msg: DossierMessage, known, fingerprint: str, now: dt.datetime) -> Outcome:
    if known.digest != fingerprint:  # the portal sent something else under the same id: report, never apply
        return reject(rt, "dossier", message, f"dossier {msg.portal_code} was taken in before ({known.code}) "
                      "with other contents; this copy is not applied", None, now)
    return Outcome(msg.portal_code, "duplicate", known.code)


def take_rating(rt: Runtime, message, now: dt.datetime) -> Outcome:
    """Record the citizen's rating sent back by the portal, once per dossier (a repeat is a duplicate)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(message, dict):
        return reject(rt, "rating", message, "a rating must be a JSON object", None, now)
    code = _text(message, "MaHoSo", errors, limit=64)
    score = message.get("DiemDanhGia")
    if isinstance(score, str) and score.isdigit():
        score = int(score)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors["DiemDanhGia"] = ["a whole number from 1 to 5"]
    comment = _text(message, "NoiDungDanhGia", errors, required=False, limit=2000)
    criteria = message.get("ChiTietDanhGia")
    if criteria is not None and not isinstance(criteria, dict):
        errors["ChiTietDanhGia"] = ["expected an object of criterion: score"]
    if errors:
        return reject(rt, "rating", message, "the portal rating is malformed", errors, now)
    with rt.sessions() as session:
        dossier_id = session.scalar(select(PortalDossier.dossier_id).where(PortalDossier.portal_code == code))
        if dossier_id is None:
            dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == code))
        if dossier_id is None:
            return reject(rt, "rating", message, f"no dossier {code}", {"MaHoSo": ["unknown dossier"]}, now)
        if session.scalar(select(Rating.id).where(Rating.dossier_id == dossier_id)) is not None:
            return Outcome(code, "duplicate")
        try:
            session.add(Rating(dossier_id=dossier_id, score=score, criteria=criteria, comment=comment,
                               created_at=now))
            session.commit()
        except IntegrityError:
            return Outcome(code, "duplicate")
    return Outcome(code, "taken")
