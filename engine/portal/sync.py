"""Status changes to the portal through the outbox (channel "portal"), in order per dossier.

`attach` listens to a runtime's sessions: every flush that changes a dossier's status adds an outbox row
in the same transaction (so a change and its message commit or roll back together): subject = the
dossier's code, body = the national status code and its time. `push` sends the due rows: the first record
of a dossier and its result as DongBoHoSoMC (the whole dossier), every status as CapNhatTienDoHoSoMC
(progress), up to `batch` dossiers per request. A failed request backs off like e-mail (notify.backoff,
scheduler.retry_*), and later messages of the same dossiers wait behind it, so the portal never sees a
dossier's statuses out of order. Delivery is at least once.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session

from engine import lease, notify
from engine.app_key import session_key
from engine.documents.results import result_token
from engine.models import Agency, Document, Dossier, Outbox, PortalDossier, Procedure, ProcedureVersion
from engine.portal.client import PortalClient, PortalError
from engine.portal.codes import CHANNEL_CODES, RESULT_STATUSES, STATUS_CODES, format_date
from engine.portal.config import PortalConfig

log = logging.getLogger(__name__)
CHANNEL = "portal"
RECORD, PROGRESS = "DongBoHoSoMC", "CapNhatTienDoHoSoMC"
_SEEN = "portal_queued"
#: the citizen's download of the electronic result (the web look-up's, api/web/views/documents.py)
RESULT_PATH = "/lookup/result"
_OUTBOX_INSERT = insert(Outbox.__table__)  # built once: it runs on every status change


def attach(sessions, settings, clock) -> bool:
    """Queue a portal message on every dossier status change made through `sessions` (when a portal is set)."""
    config = PortalConfig.from_settings(settings)
    if not config.url:
        return False

    @event.listens_for(sessions, "before_flush")
    def _queue(session: Session, _context, _instances):
        # engine.writes.flush calls this before it writes, then the ORM flush may call it again: the status
        # already queued for an object in this transaction is not queued twice
        seen = session.info.setdefault(_SEEN, {})
        for obj in list(session.new) + list(session.dirty):
            if isinstance(obj, Dossier) and seen.get(id(obj)) != obj.status:
                if queue_change(session, config, obj, clock.now()):
                    seen[id(obj)] = obj.status

    @event.listens_for(sessions, "after_commit")
    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session):
        session.info.pop(_SEEN, None)
    return True


def queue_change(session: Session, config: PortalConfig, dossier: Dossier, now: dt.datetime) -> bool:
    """Queue the dossier's status change, if its status changed; return whether it did."""
    state = inspect(dossier)
    if not state.pending and not state.attrs.status.history.has_changes():
        return False
    rows = []
    if state.pending:  # received (2) first, whatever step the workflow stopped at
        rows += [(RECORD, "received"), (PROGRESS, "received")]
    elif dossier.status in RESULT_STATUSES:
        rows.append((RECORD, dossier.status))
    if not state.pending or dossier.status != "received":
        rows.append((PROGRESS, dossier.status))
    # a Core insert, not session.add: engine.writes.flush keeps its fast path for the dossier's own rows
    session.connection().execute(_OUTBOX_INSERT, [
        dict(channel=CHANNEL, recipient=config.url, subject=dossier.code, created_at=now, attempts=0,
             next_attempt_at=now, body={"service": service, "status": status, "code": STATUS_CODES.get(status, ""),
                                        "at": format_date(now), "new": bool(state.pending)})
        for service, status in rows])
    return True


@dataclass(frozen=True)
class PushReport:
    sent: int
    failed: int
    requests: int
    waiting: int


def result_documents(session: Session, base_url: str, key: str, dossiers: list[Dossier]) -> dict[int, list[dict]]:
    """Each dossier's electronic results (engine.documents, kind "result", bytes still kept), as
    DanhSachGiayToKetQua items: the file's name, its id, the citizen's download link and the file's SHA-256
    (motcua's own field). The link opens that file only (its own token, engine.documents.results.result_token,
    under the app's `key`), not the look-up: the receipt's secret is not given to the portal."""
    ids = {d.id for d in dossiers}
    out: dict[int, list[dict]] = {}
    if not ids:
        return out
    rows = session.execute(select(Document.id, Document.dossier_id, Document.filename, Document.sha256).where(
        Document.dossier_id.in_(ids), Document.kind == "result", Document.removed_at.is_(None))
        .order_by(Document.id)).all()
    for row in rows:
        token = result_token(key, row.id, row.sha256)
        link = f"{base_url.rstrip('/')}{RESULT_PATH}?{urlencode({'document': row.id, 'token': token})}"
        out.setdefault(row.dossier_id, []).append({
            "TenGiayTo": row.filename, "MaThanhPhanHoSo": "", "GiayToId": str(row.id),
            "DuongDanTepTinKetQua": link, "MaGiayToKetQua": "", "SHA256": row.sha256})
    return out


def _record(d, proc_code: str, proc_name: str, field: str, agency_name: str, portal_code: str | None,
            body: dict, result_docs: list[dict] | None = None) -> dict:
    """The whole dossier as DongBoHoSoMC carries it (fields as OpenCPS v2 sends them)."""
    result_docs = list(result_docs or [])
    return {
        "MaHoSo": portal_code or d.code, "MaTTHC": proc_code, "TenTTHC": proc_name, "MaLinhVuc": "",
        "TenLinhVuc": field, "ChuHoSo": d.applicant_name,
        "LoaiDoiTuong": "2" if (d.applicant or {}).get("kind") == "organisation" else "1",
        "MaDoiTuong": "", "ThongTinKhac": "", "Email": (d.applicant or {}).get("email", ""), "Fax": "",
        "SoDienThoai": (d.applicant or {}).get("phone", ""), "TrichYeuHoSo": (d.applicant or {}).get("summary", ""),
        "NgayTiepNhan": format_date(d.received_at), "NgayHenTra": format_date(d.appointment_at),
        "TrangThaiHoSo": body["code"], "NgayTra": format_date(d.closed_at if d.status == "returned" else None),
        "ThongTinTra": "", "HinhThuc": "1" if d.channel == "postal" else "0",
        "KenhThucHien": CHANNEL_CODES.get(d.channel, ""),
        "NgayKetThucXuLy": format_date(d.processed_at), "DonViXuLy": agency_name, "GhiChu": "",
        "DanhSachLePhi": [], "DanhSachTepDinhKemKhac": [], "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": result_docs, "TaiLieuNop": [],
    }


def _progress(portal_code: str, body: dict) -> dict:
    return {"MaHoSo": portal_code, "NguoiXuLy": "", "ChucDanh": "", "ThoiDiemXuLy": body["at"], "PhongBanXuLy": "",
            "NoiDungXuLy": body["status"], "TrangThai": body["code"], "NgayBatDau": "", "NgayKetThucTheoQuyDinh": ""}


def push(rt, now: dt.datetime, limit: int = 2000, client: PortalClient | None = None) -> PushReport | None:
    """Send the due portal messages, oldest first and in order per dossier; None when another process is."""
    config = PortalConfig.from_settings(rt.settings)
    client = client or PortalClient(config)
    settings = rt.settings
    with lease.held(rt, "portal_push") as got:
        if not got:
            return None
        with rt.sessions() as session:
            rows = session.execute(select(Outbox.id, Outbox.subject, Outbox.body, Outbox.next_attempt_at)
                                   .where(Outbox.channel == CHANNEL, text(notify.DUE),
                                          Outbox.attempts < settings.max_attempts)
                                   .order_by(Outbox.id).limit(limit)).all()
        blocked: set[str] = set()
        due = []
        for row in rows:
            if row.subject in blocked:
                continue
            if row.next_attempt_at > now:
                blocked.add(row.subject)  # an earlier message waits: so do the later ones
                continue
            due.append(row)
        waiting = len(rows) - len(due)
        sent = failed = requests = 0
        for service in (RECORD, PROGRESS):
            todo = [r for r in due if r.body.get("service") == service and r.subject not in blocked]
            for i in range(0, len(todo), config.batch):
                chunk = todo[i:i + config.batch]
                ok, error = _send(rt, client, service, chunk)
                requests += 1
                _mark(rt, settings, chunk, ok, error, now)
                if ok:
                    sent += len(chunk)
                else:
                    failed += len(chunk)
                    blocked.update(r.subject for r in chunk)
    return PushReport(sent, failed, requests, waiting)


def _send(rt, client: PortalClient, service: str, chunk) -> tuple[bool, str | None]:
    codes = sorted({r.subject for r in chunk})
    with rt.sessions() as session:
        q = (select(Dossier, PortalDossier.portal_code, Procedure.code, Procedure.name_vi, Agency.name)
             .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
             .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
             .join(Agency, Agency.id == Dossier.agency_id)
             .outerjoin(PortalDossier, PortalDossier.dossier_id == Dossier.id)
             .where(Dossier.code.in_(codes)))
        found = {d.code: (d, pc, code, name, agency) for d, pc, code, name, agency in session.execute(q).all()}
        fields = {}
        results = result_documents(session, rt.settings.public_base_url, session_key(rt.settings),
                                   [f[0] for f in found.values()]) \
            if service == RECORD and any(r.body.get("status") in RESULT_STATUSES for r in chunk) else {}
        if service == RECORD:  # a guess: "False" only for dossiers the portal has never seen
            fresh = all(r.body.get("new") and found.get(r.subject, (None, None))[1] is None for r in chunk)
            fields["isUpdating"] = "False" if fresh else "True"
        data = []
        for r in chunk:
            if r.subject not in found:
                return False, f"dossier {r.subject} not found"
            d, portal_code, proc_code, proc_name, agency_name = found[r.subject]
            if service == RECORD:
                data.append(_record(d, proc_code, proc_name, "", agency_name, portal_code, r.body,
                                    results.get(d.id)))
            else:
                data.append(_progress(portal_code or d.code, r.body))
    try:
        client.call(service, data=data, **fields)
    except PortalError as exc:
        return False, str(exc)
    return True, None


def _mark(rt, settings, chunk, ok: bool, error: str | None, now: dt.datetime) -> None:
    ids = [r.id for r in chunk]
    with rt.sessions() as session:
        for msg in session.scalars(select(Outbox).where(Outbox.id.in_(ids))):
            msg.attempts += 1
            if ok:
                msg.sent_at, msg.last_error = now, None
            else:
                msg.last_error = (error or "")[:2000]
                msg.next_attempt_at = now + notify.backoff(msg.attempts, settings.retry_base_seconds,
                                                           settings.retry_max_seconds)
        session.commit()
