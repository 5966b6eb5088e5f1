"""Form 04 — phiếu xin lỗi và hẹn lại ngày trả kết quả — and procedure-defined extensions of the legal time.

The deadline scan drafts one letter per dossier when it enters its last working day, proposing a new date
(its due time plus the expected work left, at the end of a working day) and leaving the reason blank. A
leader of the competent agency issues it: the dossier's due time becomes the new date, the citizen gets
it by e-mail when they gave an address. A new date may be set only once: a second issue is refused. The
statistics keep scoring the dossier against its original appointment.

An extension that a procedure's law allows (e.g. +2 working days for certified copies) is not an apology:
it is recorded as its own act, up to the limit configured for the procedure ([deadlines.extensions]).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpmn.durations import Duration, parse_duration
from engine import audit, bulk, notify
from engine.access import dossier_in_scope, require_role
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import Agency, ApologyLetter, Dossier, Extension, Procedure, ProcedureVersion, User
from engine.tasks import budget_seconds
from engine.workcalendar import WorkCalendar
from engine.writes import flush

#: who may sign form 04 and record an extension: the competent agency's leadership
SIGNING_ROLES = frozenset({"leader"})
MIN_DELAY = 3600  # working seconds: a new date is at least this far after the due time


def end_of_working_day(calendar: WorkCalendar, at: dt.datetime) -> dt.datetime:
    """Return the end of the working day containing `at` (of the next one when `at` is after hours)."""
    return calendar.due_same_day(at, cutoff=calendar.working_hours[-1][1])


def propose_date(calendar: WorkCalendar, due_at: dt.datetime, remaining_seconds: int) -> dt.datetime:
    """Propose a new appointment: the due time plus the expected work left, at the end of that working day."""
    later = calendar.add(due_at, Duration(seconds=max(int(remaining_seconds), MIN_DELAY)))
    return end_of_working_day(calendar, later)


def draft_letters(session: Session, drafts: Sequence[tuple[int, dt.datetime]], now: dt.datetime) -> int:
    """Draft a letter for each (dossier id, proposed date) that has none yet; return how many were drafted."""
    if not drafts:
        return 0
    rows = [{"dossier_id": d, "drafted_at": now, "proposed_at": p} for d, p in drafts]
    return len(bulk.insert_new(session, ApologyLetter.__table__, rows, conflict=("dossier_id",)))


def get_letter(session: Session, dossier_id: int) -> ApologyLetter | None:
    return session.scalars(select(ApologyLetter).where(ApologyLetter.dossier_id == dossier_id)).first()


def _open_dossier(session: Session, dossier_id: int) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"no dossier {dossier_id}")
    if dossier.closed_at is not None:
        raise Conflict(f"dossier {dossier.code} is already {dossier.status}")
    return dossier


def letter_text(rt, session: Session, dossier: Dossier, letter: ApologyLetter) -> str:
    """Render form 04 as plain text (the e-mail to the citizen and the printable draft)."""
    tz = ZoneInfo(rt.settings.timezone)
    agency = session.get(Agency, dossier.agency_id)
    name = session.execute(select(Procedure.name_vi).join(ProcedureVersion)
                           .where(ProcedureVersion.id == dossier.procedure_version_id)).scalar_one()
    new = letter.new_appointment_at or letter.proposed_at
    return "\n".join([
        agency.name.upper(),
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "",
        f"Kính gửi: {dossier.applicant_name}",
        f"Ngày {dossier.received_at.astimezone(tz):%d/%m/%Y}, {agency.name} tiếp nhận hồ sơ mã số {dossier.code} "
        f"về thủ tục «{name}».",
        f"Ngày hẹn trả kết quả: {dossier.appointment_at.astimezone(tz):%H:%M ngày %d/%m/%Y}.",
        f"Việc giải quyết hồ sơ đã quá thời hạn theo quy định. Lý do: {letter.reason or '…'}",
        f"Xin lỗi ông/bà và hẹn lại ngày trả kết quả: {new.astimezone(tz):%H:%M ngày %d/%m/%Y}.",
        "Mong ông/bà thông cảm.",
    ])


def issue_letter(rt, session: Session, dossier_id: int, *, new_appointment_at: dt.datetime, reason: str,
                 actor: User, now: dt.datetime) -> ApologyLetter:
    """Issue form 04 with the new appointment date (once per dossier) and mail it to the citizen."""
    dossier = _open_dossier(session, dossier_id)
    dossier_in_scope(session, actor, dossier)
    require_role(actor, dossier.agency_id, SIGNING_ROLES, "issuing an apology letter (form 04)")
    # Two leaders at once: the second waits here for the first's commit, then reads its letter as issued
    # (409) instead of failing on the dossier's version (PostgreSQL; SQLite has one writer at a time).
    session.refresh(dossier, with_for_update=True)
    errors: dict[str, list[str]] = {}
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = ["the letter must say why the dossier is late"]
    if new_appointment_at.tzinfo is None:
        errors["new_appointment_at"] = ["needs a time zone offset"]
    elif new_appointment_at <= max(dossier.due_at, now):
        errors["new_appointment_at"] = ["must be after the current due time and after now"]
    letter = get_letter(session, dossier.id)
    if letter is not None:
        session.refresh(letter)  # as the first leader committed it, not as this session read it before
    if letter is not None and letter.issued_at is not None:
        raise Conflict(f"a new appointment date may be set only once: dossier {dossier.code} already has one "
                       f"({letter.new_appointment_at.isoformat()})")
    if errors:
        raise InvalidInput("the apology letter cannot be issued", errors)
    if letter is None:  # issued before the scan drafted one
        letter = ApologyLetter(dossier_id=dossier.id, drafted_at=now, proposed_at=new_appointment_at)
        session.add(letter)
    letter.reason, letter.new_appointment_at = reason.strip(), new_appointment_at
    letter.issued_at, letter.issued_by_id = now, actor.id
    previous = dossier.due_at
    dossier.due_at = new_appointment_at
    audit.record(session, "apology_issued", dossier_id=dossier.id, actor=actor, at=now, reason=letter.reason,
                 previous_due_at=previous.isoformat(), new_appointment_at=new_appointment_at.isoformat())
    _notify_citizen(rt, session, dossier, f"Phiếu xin lỗi và hẹn lại ngày trả kết quả — hồ sơ {dossier.code}",
                    letter_text(rt, session, dossier, letter), now, event="apology_issued")
    flush(session)
    return letter


def _notify_citizen(rt, session: Session, dossier: Dossier, subject: str, text: str, now: dt.datetime,
                    event: str) -> None:
    email = (dossier.applicant or {}).get("email")
    if email and rt.settings.mail_enabled:
        notify.enqueue_email(session, to=email, subject=subject, text=text, now=now)
    if rt.settings.webhook_url:
        notify.enqueue_webhook(session, url=rt.settings.webhook_url, now=now, payload={
            "event": event, "dossier_code": dossier.code, "due_at": dossier.due_at.isoformat()})


def allowed_extension(rt, session: Session, dossier: Dossier) -> Duration | None:
    """Return the longest extension the dossier's procedure allows, or None when it allows none: its package's
    [extension] max, else the configured [deadlines.extensions] entry for its slug."""
    extension = rt.compiled_version(session, dossier.procedure_version_id).meta.extension
    if extension is not None:  # the package's [extension] (its own law) comes first
        return extension.max
    slug = session.execute(select(Procedure.slug).join(ProcedureVersion)
                           .where(ProcedureVersion.id == dossier.procedure_version_id)).scalar_one()
    text = rt.settings.extensions.get(slug)
    return parse_duration(text) if text else None


def record_extension(rt, session: Session, dossier_id: int, *, duration: str, reason: str, actor: User,
                     now: dt.datetime) -> Extension:
    """Extend the dossier's legal time as its procedure allows, moving its due time; the citizen is told."""
    dossier = _open_dossier(session, dossier_id)
    dossier_in_scope(session, actor, dossier)
    require_role(actor, dossier.agency_id, SIGNING_ROLES, "extending the legal time")
    try:
        extra = parse_duration(duration)
    except ValueError as exc:
        raise InvalidInput("the extension is not a working-time duration", {"duration": [str(exc)]}) from None
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("an extension needs its reason", {"reason": ["required"]})
    limit = allowed_extension(rt, session, dossier)
    if limit is None:
        raise Conflict("this procedure's law allows no extension of its legal time")
    calendar = rt.calendars.get(session)
    day = calendar.working_day_seconds
    used = sum(budget_seconds(parse_duration(d), day) for d in session.scalars(
        select(Extension.duration).where(Extension.dossier_id == dossier.id)))
    if extra.is_zero or used + budget_seconds(extra, day) > budget_seconds(limit, day):
        raise InvalidInput(f"the procedure allows at most {limit.isoformat()} in all",
                           {"duration": [f"at most {limit.isoformat()} in all; already used: {used // 3600} h"]})
    row = Extension(dossier_id=dossier.id, duration=extra.isoformat(), reason=reason.strip(), created_at=now,
                    created_by_id=actor.id)
    session.add(row)
    previous = dossier.due_at
    dossier.due_at = calendar.add(previous, extra)
    dossier.legal_due_at = calendar.add(dossier.legal_due_at, extra)  # the law's own extension counts
    audit.record(session, "extended", dossier_id=dossier.id, actor=actor, at=now, duration=extra.isoformat(),
                 reason=row.reason, previous_due_at=previous.isoformat(), due_at=dossier.due_at.isoformat())
    new_due = dossier.due_at.astimezone(ZoneInfo(rt.settings.timezone))
    _notify_citizen(rt, session, dossier, f"Gia hạn giải quyết hồ sơ {dossier.code}",
                    f"Hồ sơ {dossier.code} được gia hạn giải quyết đến {new_due:%H:%M ngày %d/%m/%Y}. "
                    f"Lý do: {row.reason}", now, event="extended")
    flush(session)
    return row

