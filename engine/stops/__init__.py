"""Stopping the processing of a dossier (dừng giải quyết hồ sơ), with a written reason and a notice.

The competent agency's leader stops a dossier it cannot or may no longer handle (the notice that processing
is stopped is a form of its own under Circular 03/2025/TT-VPCP — S2, one source, unsure). Open steps are
cancelled, a pause is closed, the dossier ends as `stopped` (the national portal's status 8, S2) and form
II.06a counts it in its `stopped` column. The notice is kept as an audit event with its text and, when the
applicant gave an e-mail address, queued to them (engine.notify). The citizen's own withdrawal is
engine.dossiers.withdraw_dossier. Flushes; the caller commits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, notify
from engine.access import dossier_in_scope, require_role
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import OPEN_TASK_STATES, Dossier, Pause, Procedure, ProcedureVersion, Task, User

STOPPING_ROLES = frozenset({"leader"})


@dataclass(frozen=True)
class StopNotice:
    dossier: Dossier
    text: str
    cancelled: list[Task]
    emailed: bool


def notice_text(session: Session, dossier: Dossier, reason: str, at: dt.datetime, timezone: str) -> str:
    name = session.execute(select(Procedure.name_vi).join(ProcedureVersion)
                           .where(ProcedureVersion.id == dossier.procedure_version_id)).scalar_one()
    local = at.astimezone(ZoneInfo(timezone))
    return (f"THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ\n"
            f"Kính gửi: {dossier.applicant_name}\n"
            f"Hồ sơ: {dossier.code} – {name}, tiếp nhận ngày "
            f"{dossier.received_at.astimezone(ZoneInfo(timezone)):%d/%m/%Y}.\n"
            f"Cơ quan giải quyết thông báo dừng giải quyết hồ sơ từ {local:%H:%M ngày %d/%m/%Y}.\n"
            f"Lý do: {reason}\n")


def stop_processing(rt, session: Session, dossier_id: int, reason: str, *, actor: User,
                    now: dt.datetime) -> StopNotice:
    """End the dossier as `stopped`, with the reason; the citizen gets the notice."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"no dossier {dossier_id}")
    dossier_in_scope(session, actor, dossier)
    require_role(actor, dossier.agency_id, STOPPING_ROLES, "stopping the processing of a dossier")
    if dossier.closed_at is not None:
        raise Conflict(f"dossier {dossier.code} is already {dossier.status}")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("stopping a dossier needs the written reason", {"reason": ["required"]})
    reason = reason.strip()
    cancelled = list(session.scalars(select(Task).where(Task.dossier_id == dossier.id,
                                                        Task.state.in_(OPEN_TASK_STATES))))
    for row in cancelled:
        row.state, row.completed_at = "cancelled", now
    if dossier.paused_at is not None:
        pause = session.scalars(select(Pause).where(Pause.dossier_id == dossier.id,
                                                    Pause.resumed_at.is_(None))).first()
        if pause is not None:
            pause.resumed_at = now
        dossier.paused_at = None
    dossier.status, dossier.closed_at = "stopped", now
    text = notice_text(session, dossier, reason, now, rt.settings.timezone)
    email = (dossier.applicant or {}).get("email") if isinstance(dossier.applicant, dict) else None
    if isinstance(email, str) and "@" in email:
        notify.enqueue_email(session, to=email, subject=f"Thông báo dừng giải quyết hồ sơ {dossier.code}", text=text,
                             now=now, dedupe_key=f"stopped:{dossier.id}")
    audit.record(session, "stopped", dossier_id=dossier.id, actor=actor, at=now, reason=reason, notice=text)
    session.add(dossier)
    session.flush()
    return StopNotice(dossier, text, cancelled, bool(email))
