"""Telling the applicant what happened to their dossier: at reception, when a supplement is asked (form 02's
list) and when the result is ready to collect.

By e-mail (when mail is enabled and the applicant gave an address) and by SMS through an HTTP gateway (when
sms.url is set and the applicant gave a phone number). Both go through the outbox (engine.notify): written in
the same transaction as the step, sent after its commit, retried with back-off, each delivery recorded on the
outbox row and, once sent, as an `applicant_notified` event in the dossier's audit trail. One message per
dossier, event and channel (the outbox's dedupe key `applicant:<dossier id>:<event>:<channel>`), so a step
done again after a send-back does not tell the citizen twice.

The texts are Vietnamese: the citizen reads them, not an official with a language switch. The SMS text is
written without diacritics (an SMS with them carries 70 characters, not 160) and holds no personal data beyond
the dossier code: it goes to the number given at reception.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine import notify
from engine.models import Dossier

#: the public look-up page; the receipt's QR code and these messages open it with code and secret
LOOKUP_PATH = "/lookup"
EVENTS = ("received", "supplement_requested", "result_ready")
DEDUPE_PREFIX = "applicant:"


def lookup_url(base_url: str, code: str, secret: str) -> str:
    """`<base_url>/lookup?code=…&secret=…`: the citizen's look-up, already filled in."""
    return f"{base_url.rstrip('/')}{LOOKUP_PATH}?{urlencode({'code': code, 'secret': secret})}"


def ascii_text(text: str) -> str:
    """Vietnamese without diacritics, case kept (`Hồ sơ đã tiếp nhận` → `Ho so da tiep nhan`)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _when(at: dt.datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%H:%M %d/%m/%Y")


def _documents(missing: list[dict]) -> list[str]:
    words = {"original": "bản chính", "certified_copy": "bản sao có chứng thực", "copy": "bản sao"}
    lines = []
    for item in missing:
        line = str(item.get("name", ""))
        if item.get("copy_type") in words:
            line += f" ({words[item['copy_type']]})"
        if item.get("quantity"):
            line += f", {item['quantity']} bản"
        if item.get("note"):
            line += f": {item['note']}"
        lines.append(line)
    return lines


def texts(settings, dossier: Dossier, event: str, procedure_name: str, missing: list[dict] | None = None
          ) -> tuple[str, str, str]:
    """(e-mail subject, e-mail text, SMS text) of one event."""
    url = lookup_url(settings.public_base_url, dossier.code, dossier.lookup_secret)
    appointment = _when(dossier.appointment_at, settings.timezone)
    if event == "received":
        subject = f"Hồ sơ {dossier.code} đã được tiếp nhận"
        body = (f"Hồ sơ {procedure_name} của ông/bà đã được tiếp nhận, mã hồ sơ {dossier.code}.\n"
                f"Ngày hẹn trả kết quả: {appointment}.")
        sms = f"Ho so {dossier.code} da duoc tiep nhan. Hen tra ket qua {appointment}. Tra cuu: {url}"
    elif event == "supplement_requested":
        listed = _documents(missing or [])
        subject = f"Hồ sơ {dossier.code} cần bổ sung giấy tờ"
        body = (f"Hồ sơ {dossier.code} ({procedure_name}) cần bổ sung, hoàn thiện. Việc giải quyết tạm dừng "
                "cho đến khi Bộ phận Một cửa nhận đủ giấy tờ; ngày hẹn lùi lại bằng thời gian chờ bổ sung.")
        if listed:
            body += "\nGiấy tờ cần bổ sung:\n" + "\n".join(f"{n}. {line}" for n, line in enumerate(listed, 1))
        body += "\nXin mang hoặc gửi qua bưu chính các giấy tờ này đến Bộ phận Một cửa, kèm Giấy tiếp nhận hồ sơ."
        sms = f"Ho so {dossier.code} can bo sung giay to; xu ly tam dung. Xem danh sach: {url}"
    elif event == "result_ready":
        subject = f"Hồ sơ {dossier.code} đã có kết quả"
        body = (f"Hồ sơ {dossier.code} ({procedure_name}) đã có kết quả. Xin mang Giấy tiếp nhận hồ sơ và giấy "
                "tờ tùy thân đến Bộ phận Một cửa để nhận, hoặc nhận theo hình thức đã chọn khi nộp "
                "(bưu chính, trực tuyến).")
        sms = f"Ho so {dossier.code} da co ket qua. Moi ong/ba nhan theo hinh thuc da chon. Tra cuu: {url}"
    else:
        raise ValueError(f"unknown applicant event {event!r}")
    body += f"\nTra cứu tiến độ: {url}\n\nThư này được gửi tự động; xin đừng trả lời."
    return subject, body, ascii_text(sms)


def queue(session: Session, settings, dossier: Dossier, event: str, now: dt.datetime, *, procedure_name: str,
          missing: list[dict] | None = None) -> int:
    """Queue this event's e-mail and SMS to the applicant (flush only); return how many were queued.

    Nothing when neither channel is set up or the applicant gave no address or number.
    """
    applicant = dossier.applicant if isinstance(dossier.applicant, dict) else {}
    email = str(applicant.get("email") or "").strip()
    phone = "".join(str(applicant.get("phone") or "").split())
    wants_mail, wants_sms = bool(settings.mail_enabled and email), bool(settings.sms_url and phone)
    if not (wants_mail or wants_sms):
        return 0
    subject, body, sms = texts(settings, dossier, event, procedure_name, missing)
    key = f"{DEDUPE_PREFIX}{dossier.id}:{event}:"
    queued = 0
    if wants_mail:
        queued += notify.enqueue_email(session, to=email, subject=subject, text=body, now=now,
                                       dedupe_key=key + "email")
    if wants_sms:
        queued += notify.enqueue_sms(session, phone=phone, text=sms, now=now, dedupe_key=key + "sms")
    return queued


def dossier_of(dedupe_key: str | None) -> tuple[int, str] | None:
    """(dossier id, event) of an applicant's message, from its dedupe key; None for other messages."""
    if not dedupe_key or not dedupe_key.startswith(DEDUPE_PREFIX):
        return None
    parts = dedupe_key[len(DEDUPE_PREFIX):].split(":")
    return (int(parts[0]), parts[1]) if len(parts) == 3 and parts[0].isdigit() else None


def after_reception(session: Session, settings, dossier: Dossier, now: dt.datetime, procedure_name: str) -> int:
    """The receipt's news, once the dossier has its id (flushed)."""
    return queue(session, settings, dossier, "received", now, procedure_name=procedure_name)


def after_step(session: Session, settings, dossier: Dossier, now: dt.datetime, *, procedure_name: str,
               status_before: str, paused_before: bool, data: dict | None) -> int:
    """What a completed step changed for the citizen: a supplement asked (the clock paused, with the step's
    list of missing documents), or the result ready (the dossier entered "processed")."""
    queued = 0
    if not paused_before and dossier.paused_at is not None:
        listed = (data or {}).get("missing_documents")
        missing = [{k: item[k] for k in ("name", "copy_type", "quantity", "note") if k in item}
                   for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []
        queued += queue(session, settings, dossier, "supplement_requested", now, procedure_name=procedure_name,
                        missing=missing)
    if status_before != "processed" and dossier.status == "processed":
        queued += queue(session, settings, dossier, "result_ready", now, procedure_name=procedure_name)
    return queued
