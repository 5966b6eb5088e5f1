"""The plain data each form's template reads, built from the engine's read models.

Times are turned to local time here, once; the templates only format them. Nothing here reads Flask: the
caller passes the time zone and the public base URL (the API from its settings, bench/printing.py its own).
"""
from __future__ import annotations

import datetime as dt

from api.links import LOOKUP_PATH, public_lookup_url
from api.printing import long_date, qr_data_uri
from engine.dossier_views import MARK_VI, STATUS_VI
from engine.printouts import ControlSheetPrint, LetterPrint, ProcessSupplement
from engine.reception import DeskSlip, Receipt
from engine.time_left import budget_vi, used_vi
from engine.tracking_book import TrackingBook

DELIVERY_VI = {"counter": "Bộ phận Một cửa", "postal": "qua dịch vụ bưu chính công ích", "online": "trực tuyến"}
CHANNEL_VI = {"counter": "trực tiếp", "postal": "qua dịch vụ bưu chính công ích", "online": "trực tuyến"}
COPY_TYPE_VI = {"original": "Bản chính", "copy": "Bản sao", "certified_copy": "Bản sao chứng thực", None: ""}
STATE_VI = {"completed": "Đã xử lý", "cancelled": "Đã hủy", "ready": "Đang xử lý", "claimed": "Đang xử lý"}


def _local(at: dt.datetime | None, tz: dt.tzinfo) -> dt.datetime | None:
    return at.astimezone(tz) if at is not None else None


def _heading(agency_name: str, doc_ref: str | None, label: str, day: dt.date | None) -> dict:
    return {"agency_name": agency_name, "agency_parent": None, "doc_ref": doc_ref, "doc_ref_label": label,
            "place_date": long_date(day).capitalize() if day else None, "printed_at": None}


def receipt_context(r: Receipt, *, tz: dt.tzinfo, base_url: str, not_digitised: list[str] | None = None) -> dict:
    """Form 01: the receipt and appointment slip, with the QR code of the public look-up; `not_digitised`
    names the required components without a scan (engine.documents.components.missing_required)."""
    d = r.dossier
    received, appointment = _local(d.received_at, tz), _local(d.appointment_at, tz)
    url = public_lookup_url(d.code, d.lookup_secret, base_url)
    delivery = [DELIVERY_VI.get(c, c) for c in r.meta.result_delivery] or [DELIVERY_VI["counter"]]
    return {
        **_heading(r.agency.name, d.code, "Mã hồ sơ", received.date()),
        "code": d.code, "secret": d.lookup_secret, "lookup_url": url, "qr": qr_data_uri(url),
        "lookup_page": f"{base_url.rstrip('/')}{LOOKUP_PATH}",
        "applicant": {k: (d.applicant or {}).get(k) for k in ("name", "id_number", "address", "phone", "email")}
        | {"name": d.applicant_name},
        "procedure_name": r.meta.name_vi, "procedure_code": r.meta.code, "channel": CHANNEL_VI.get(d.channel, d.channel),
        "documents": [{"name": doc["name"], "copies": int(doc.get("copies", 1))} for doc in r.documents],
        "deadline_vi": r.meta.deadline.describe_vi(), "received_at": received, "appointment_at": appointment,
        "delivery": "; ".join(delivery), "fees": [{"name_vi": f.name_vi, "amount": f.amount} for f in r.fees],
        "fees_total": r.fees_total, "book_number": d.code.rsplit("-", 1)[-1],
        "official": r.official.full_name if r.official else None,
        "local_code": getattr(r.offered, "local_code", None), "contact": getattr(r.offered, "contact", None),
        "not_digitised": list(not_digitised or ()),
    }


def slip_context(s: DeskSlip, *, tz: dt.tzinfo, not_digitised: list[str] | None = None) -> dict:
    """Forms 02 and 03: what the desk could not take in, and why; `not_digitised` (form 02) names the required
    components with no file (engine.documents.components)."""
    rec = s.record
    return _slip(s.agency.name, rec.number, _local(rec.created_at, tz), rec.applicant, rec.applicant_name, s.meta,
                 rec.missing_documents or (), rec.reason, s.official, not_digitised)


def process_supplement_context(p: ProcessSupplement, *, tz: dt.tzinfo,
                               not_digitised: list[str] | None = None) -> dict:
    """Form 02 for a supplement asked by a step while the dossier was handled: numbered by the dossier's code."""
    d = p.dossier
    return _slip(p.agency.name, d.code, _local(p.requested_at, tz), d.applicant, d.applicant_name, p.meta,
                 p.missing, p.reason, p.official, not_digitised)


def _slip(agency_name, number, created, applicant, name, meta, missing, reason, official, not_digitised=None) -> dict:
    applicant = dict(applicant or {})
    return {
        "not_digitised": list(not_digitised or ()),
        **_heading(agency_name, number, "Số", created.date()),
        "number": number, "created_at": created,
        "applicant": {k: applicant.get(k) for k in ("name", "id_number", "address", "phone", "email")} | {"name": name},
        "procedure_name": meta.name_vi, "procedure_code": meta.code,
        # form 02's rows: each document, its kind of copy in words, how many, what to complete
        "missing": [{"name": m.get("name", ""), "copy_type": COPY_TYPE_VI.get(m.get("copy_type"), ""),
                     "quantity": m.get("quantity", 1), "note": m.get("note") or ""} for m in missing],
        "reason": reason, "official": official.full_name if official else None,
    }


def control_sheet_context(p: ControlSheetPrint, *, tz: dt.tzinfo) -> dict:
    """Form 05: one row per handover, each step scored early / on time / late."""
    sheet = p.sheet
    rows = [{
        "agency": h.to_agency, "step": h.to_step_name, "from_step": h.from_step_name,
        "from_official": h.from_official or "", "to_official": h.to_official or "",
        "handed_at": _local(h.handed_at, tz), "received_at": _local(h.received_at, tz),
        "due_at": _local(h.due_at, tz), "completed_at": _local(h.completed_at, tz),
        "mark": MARK_VI.get(h.mark, "") if h.mark else "", "state": STATE_VI.get(h.state, h.state),
        "outcome": h.outcome or "",
    } for h in sheet.handovers]
    received = _local(sheet.received_at, tz)
    return {
        **_heading(sheet.agency_name, sheet.code, "Mã hồ sơ", received.date()),
        "code": sheet.code, "applicant": {"name": p.applicant.get("name"), "phone": p.applicant.get("phone"),
                                          "address": p.applicant.get("address")},
        "procedure_name": sheet.procedure_name, "procedure_code": p.procedure_code,
        "received_at": received, "received_by": sheet.received_by or "",
        "appointment_at": _local(sheet.appointment_at, tz), "due_at": _local(sheet.due_at, tz),
        "finished_at": _local(sheet.finished_at, tz), "status": STATUS_VI.get(sheet.status, sheet.status),
        "mark": sheet.mark_vi or "", "rows": rows, "shares": [{
            "agency": s.agency_name, "share": s.share_name, "budget": budget_vi(s.budget),
            "used": used_vi(s.used_parts), "started_at": _local(s.started_at, tz), "due_at": _local(s.due_at, tz),
            "ended_at": _local(s.ended_at, tz), "mark": MARK_VI.get(s.mark, "") if s.mark else "",
            "from_agency": s.from_agency_name or "", "sent_by": s.sent_by or "",
            "confirmed_at": _local(s.confirmed_at, tz) if s.from_agency_name else None,
            "confirmed_by": s.confirmed_by or "",
        } for s in sheet.shares],
    }


def letter_context(p: LetterPrint, *, tz: dt.tzinfo) -> dict:
    """Form 04: the apology and the new appointment date."""
    d, letter = p.dossier, p.letter
    issued = _local(letter.issued_at, tz)
    return {
        **_heading(p.agency.name, None, "Số", issued.date() if issued else None),
        "code": d.code, "applicant": {"name": d.applicant_name, "address": (d.applicant or {}).get("address")},
        "procedure_name": p.procedure_name, "received_at": _local(d.received_at, tz),
        "appointment_at": _local(d.appointment_at, tz), "new_appointment_at": _local(p.new_appointment_at, tz),
        "reason": letter.reason or "", "issued": letter.issued_at is not None, "signer": p.signer or "",
    }


def tracking_book_context(book: TrackingBook, *, tz: dt.tzinfo) -> dict:
    """Form 06: the agency's book for a period, one line per dossier."""
    lines = [{
        "number": ln.number, "code": ln.code, "procedure_name": ln.procedure_name, "applicant_name": ln.applicant_name,
        "applicant_address": ln.applicant_address or "", "received_at": _local(ln.received_at, tz),
        "appointment_at": _local(ln.appointment_at, tz), "handed_to": ln.handed_to or "",
        "handed_at": _local(ln.handed_at, tz), "result_at": _local(ln.result_at, tz), "status": ln.status_vi,
    } for ln in book.lines]
    return {**_heading(book.agency_name, None, "Số", None), "start": book.start, "end": book.end, "lines": lines}
