"""Read models of dossiers for officials: the list, the detail, the timeline and the process control sheet.

Form 05 (phiếu kiểm soát quá trình giải quyết hồ sơ) is derived from task rows and audit events, never
stored twice. Personal data (the applicant) is shown only to officials of an agency handling the dossier,
and every opening of a dossier's detail is logged as a "viewed" audit event (Decree 356/2025/NĐ-CP).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, defer

from bpmn.layout import with_drawing
from bpmn.package import ProcedureMeta
from engine import audit, interagency
from engine.access import dossier_in_scope
from engine.csvfile import document, local, text
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import (
    OPEN_TASK_STATES,
    Agency,
    AuditEvent,
    Dossier,
    Procedure,
    ProcedureVersion,
    Rating,
    Task,
    User,
)
from engine.runtime import Runtime

STATUS_VI = {
    "received": "Đã tiếp nhận", "processing": "Đang giải quyết", "supplement_requested": "Chờ bổ sung hồ sơ",
    "awaiting_payment": "Chờ nộp phí, lệ phí", "processed": "Đã giải quyết", "returned": "Đã trả kết quả",
    "refused": "Từ chối giải quyết", "withdrawn": "Công dân đã rút hồ sơ", "stopped": "Dừng giải quyết",
}
MARK_VI = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}
#: the reception desk as the first party of the first handover: it is no task of the diagram
RECEPTION_STEP = ("reception", "Tiếp nhận hồ sơ")
#: form data in audit events is not repeated in the trail: who did what and when is the trail's purpose
_HIDDEN_DETAIL = ("data",)
MAX_PAGE_SIZE = 100


def local_zone(rt: Runtime) -> ZoneInfo:
    return ZoneInfo(rt.settings.timezone)


def mark(done_at: dt.datetime | None, due_at: dt.datetime | None, tz: dt.tzinfo,
         now: dt.datetime | None = None) -> str | None:
    """Early, on time or late, as the control sheet and the statistics print it.

    late: finished after the due time (or still open past it, given `now`); early: finished before the
    due time on an earlier (local) day than the due day — finishing an hour before a 17:00 due time is on
    time, as the national reports count by day; on time: otherwise finished by the due time. None when
    there is no due time (steps waiting for the citizen) or the step is open and not yet due.
    """
    if due_at is None:
        return None
    if done_at is None:
        return "late" if now is not None and now > due_at else None
    if done_at > due_at:
        return "late"
    return "early" if done_at.astimezone(tz).date() < due_at.astimezone(tz).date() else "on_time"


# --- access ------------------------------------------------------------------------------------------------


def member_agency_ids(actor: User) -> set[int]:
    return {m.agency_id for m in actor.memberships}


def may_see_personal_data(session: Session, actor: User, dossier: Dossier) -> bool:
    """Raise NotFound unless the actor may open the dossier; tell whether they may see the applicant.

    Officials of the dossier's agency, or of an agency holding one of its tasks (inter-agency procedures),
    see everything. Admins see every dossier but not its personal data unless they are such officials too:
    they keep the system running and do not handle the dossier (engine.access.dossier_in_scope).
    """
    return dossier_in_scope(session, actor, dossier)


def load_visible(session: Session, dossier_id: int, actor: User) -> tuple[Dossier, bool]:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"no dossier {dossier_id}")
    return dossier, may_see_personal_data(session, actor, dossier)


# --- the list ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DossierRow:
    """A dossier with the names a list or a slip shows; `applicant_name` is None when hidden from the caller."""

    dossier: Dossier
    procedure_slug: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    applicant_name: str | None

    @property
    def status_vi(self) -> str:
        return STATUS_VI.get(self.dossier.status, self.dossier.status)


@dataclass(frozen=True)
class Page:
    items: list[DossierRow]
    total: int
    page: int
    page_size: int


def _in_agencies(agency_ids: set[int]):
    """Dossiers of these agencies, or with a task in one of them (inter-agency procedures)."""
    return or_(Dossier.agency_id.in_(agency_ids),
               Dossier.id.in_(select(Task.dossier_id).where(Task.agency_id.in_(agency_ids))))


def _like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_dossiers(session: Session, *, actor: User, agency_id: int | None = None, statuses=(),
                  q: str | None = None, page: int = 1, page_size: int = 20) -> Page:
    """The dossiers of the caller's agencies (admins: all, or one agency), newest first, one page."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput("bad page", {"page_size": [f"1 to {MAX_PAGE_SIZE}"], "page": [">= 1"]})
    mine = member_agency_ids(actor)
    if agency_id is not None and agency_id not in mine and not actor.is_admin:
        raise Forbidden("you are no official of this agency")
    scope = {agency_id} if agency_id is not None else (None if actor.is_admin else mine)
    if scope is not None and not scope:
        return Page([], 0, page, page_size)
    conds = [_in_agencies(scope)] if scope is not None else []
    if statuses:
        conds.append(Dossier.status.in_(list(statuses)))
    if q and q.strip():
        pattern = _like(q)
        # Searching by name tells whether that person has a dossier: only where the caller may see names.
        by_name = Dossier.applicant_name.ilike(pattern, escape="\\")
        if actor.is_admin:
            by_name = and_(by_name, _in_agencies(mine)) if mine else None
        conds.append(or_(Dossier.code.ilike(pattern, escape="\\"), *([by_name] if by_name is not None else [])))
    total = session.scalar(select(func.count()).select_from(Dossier).where(*conds))
    rows = session.execute(
        select(Dossier, Procedure.slug, Procedure.code, Procedure.name_vi, Agency.code, Agency.name)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(*conds).order_by(Dossier.received_at.desc(), Dossier.id.desc())
        .limit(page_size).offset((page - 1) * page_size).options(defer(Dossier.workflow_state))
    ).all()
    ids = [r[0].id for r in rows]
    via_tasks = set(session.scalars(select(Task.dossier_id).where(Task.dossier_id.in_(ids),
                                                                  Task.agency_id.in_(mine)))) if ids and mine else set()
    items = [DossierRow(d, slug, code, name, a_code, a_name,
                        d.applicant_name if d.agency_id in mine or d.id in via_tasks else None)
             for d, slug, code, name, a_code, a_name in rows]
    return Page(items, total, page, page_size)


# --- the control sheet (form 05) and the timeline --------------------------------------------------------


@dataclass(frozen=True)
class Handover:
    """One line of form 05: who handed the dossier to which step, when, and how that step finished."""

    from_step: str
    from_step_name: str
    from_official: str | None
    to_step: str
    to_step_name: str
    to_role: str
    to_agency: str
    to_official: str | None
    handed_at: dt.datetime
    #: when the receiving official took the step up: claimed (or assigned), else when they completed it
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    completed_at: dt.datetime | None
    state: str
    outcome: str | None
    mark: str | None

    @property
    def mark_vi(self) -> str | None:
        return MARK_VI.get(self.mark) if self.mark else None


@dataclass(frozen=True)
class ControlSheet:
    """Form 05 — phiếu kiểm soát quá trình giải quyết hồ sơ."""

    dossier_id: int
    code: str
    procedure_name: str
    agency_name: str
    received_at: dt.datetime
    received_by: str | None
    appointment_at: dt.datetime
    due_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    #: the dossier against its legal due time (the appointment moved only by lawful pauses)
    mark: str | None
    handovers: list[Handover]
    #: an inter-agency bundle's agencies in turn, each with its share of the time and the hand-over to it
    #: (engine.interagency.ShareLine); empty for other dossiers
    shares: list = field(default_factory=list)

    @property
    def mark_vi(self) -> str | None:
        return MARK_VI.get(self.mark) if self.mark else None


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    action: str
    label: str
    actor: str | None
    step: str | None
    step_name: str | None
    outcome: str | None
    reason: str | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    action: str
    actor_id: int | None
    actor: str | None
    task_id: int | None
    detail: dict | None


@dataclass
class _Facts:
    """Everything the read models of one dossier are derived from, loaded once."""

    dossier: Dossier
    slug: str
    version: int
    meta: ProcedureMeta
    agency: Agency
    tasks: list[Task]
    events: list[AuditEvent]
    names: dict[int, str]
    agencies: dict[int, str]


def _facts(rt: Runtime, session: Session, dossier: Dossier) -> _Facts:
    version = session.get(ProcedureVersion, dossier.procedure_version_id)
    tasks = list(session.scalars(select(Task).where(Task.dossier_id == dossier.id)
                                 .order_by(Task.created_at, Task.id)))
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier.id)
                                  .order_by(AuditEvent.at, AuditEvent.id)))
    user_ids = {dossier.received_by_id, *(e.actor_id for e in events),
                *(t.assignee_id for t in tasks), *(t.completed_by_id for t in tasks)} - {None}
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    agency_ids = {dossier.agency_id, *(t.agency_id for t in tasks)}
    agencies = dict(session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all())
    return _Facts(dossier, version.procedure.slug, version.version, rt.compiled(session, dossier).meta,
                  session.get(Agency, dossier.agency_id), tasks, events, names, agencies)


def _control_sheet(f: _Facts, tz: dt.tzinfo, now: dt.datetime, shares: list | None = None) -> ControlSheet:
    d = f.dossier
    # who ended a step: its completer, or for a step sent back the official who sent it back
    ended_by = {e.task_id: e.actor_id for e in f.events if e.task_id and e.action in ("completed", "sent_back")}
    ended = sorted((t for t in f.tasks if t.state in ("completed", "cancelled") and t.completed_at is not None),
                   key=lambda t: (t.completed_at, t.id))
    lines = []
    for t in f.tasks:
        # The step that handed over: the one that ended when this one was opened (engine steps are atomic),
        # else the last one ended before it; the first steps are handed over by the reception desk.
        before = [p for p in ended if p.id != t.id and p.completed_at <= t.created_at]
        same = [p for p in before if p.completed_at == t.created_at and p.state == "completed"]
        prev = (same or [p for p in before if p.completed_at == t.created_at] or before or [None])[-1]
        if prev is None:
            from_step, from_name, from_official = *RECEPTION_STEP, f.names.get(d.received_by_id)
        else:
            from_step, from_name = prev.bpmn_id, prev.name
            from_official = f.names.get(prev.completed_by_id or ended_by.get(prev.id))
        done = t.completed_at if t.state == "completed" else None
        holder = t.completed_by_id if t.state == "completed" else t.assignee_id
        lines.append(Handover(
            from_step=from_step, from_step_name=from_name, from_official=from_official, to_step=t.bpmn_id,
            to_step_name=t.name, to_role=t.role, to_agency=f.agencies.get(t.agency_id, ""),
            to_official=f.names.get(holder), handed_at=t.created_at, received_at=t.claimed_at or done,
            due_at=t.due_at, completed_at=done, state=t.state, outcome=t.outcome,
            mark=mark(done, t.due_at, tz, now if t.state in OPEN_TASK_STATES else None),
        ))
    finished = d.processed_at if d.status in ("returned", "refused", "processed") else None
    return ControlSheet(
        dossier_id=d.id, code=d.code, procedure_name=f.meta.name_vi, agency_name=f.agency.name,
        received_at=d.received_at, received_by=f.names.get(d.received_by_id), appointment_at=d.appointment_at,
        due_at=d.due_at, finished_at=finished, status=d.status,
        # scored against the legal time: an apology's new date does not turn late into on time
        mark=mark(finished, d.legal_due_at, tz, now if d.closed_at is None and d.paused_at is None else None),
        handovers=lines, shares=shares or [],
    )


def _timeline(f: _Facts) -> list[TimelineEntry]:
    step_names = {t.bpmn_id: t.name for t in f.tasks}
    out = []
    for e in f.events:
        if e.action in ("viewed", "printed"):  # access is in the audit trail; the timeline tells the dossier's story
            continue
        detail = e.detail or {}
        step = detail.get("step")
        out.append(TimelineEntry(e.at, e.action, audit.ACTION_VI.get(e.action, e.action), f.names.get(e.actor_id),
                                 step, step_names.get(step), detail.get("outcome"), detail.get("reason")))
    return out


def _audit_trail(f: _Facts) -> list[AuditEntry]:
    return [AuditEntry(e.id, e.at, e.action, e.actor_id, f.names.get(e.actor_id), e.task_id,
                       {k: v for k, v in (e.detail or {}).items() if k not in _HIDDEN_DETAIL} or None)
            for e in f.events]


def control_sheet(rt: Runtime, session: Session, dossier_id: int, *, actor: User, now: dt.datetime) -> ControlSheet:
    """The process control sheet (form 05) of a dossier the caller may open."""
    dossier, _ = load_visible(session, dossier_id, actor)
    f = _facts(rt, session, dossier)
    return _control_sheet(f, local_zone(rt), now, _shares(rt, session, f, now))


def _shares(rt: Runtime, session: Session, f: _Facts, now: dt.datetime) -> list:
    return interagency.shares(session, rt.calendars.get(session), f.dossier, f.meta, now)


# --- the detail --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentStep:
    task_id: int
    step: str
    name: str
    role: str
    agency: str
    assignee: str | None
    state: str
    due_at: dt.datetime | None


@dataclass(frozen=True)
class DossierDetail:
    row: DossierRow
    procedure_version: int
    meta: ProcedureMeta
    received_by: str | None
    #: None when the caller may not see personal data (see may_see_personal_data)
    applicant: dict | None
    personal_data_visible: bool
    current_steps: list[CurrentStep]
    #: the procedure's catalog list (thành phần hồ sơ) and what the desk recorded on the receipt
    documents: list[dict]
    documents_received: list[dict] | None
    result_delivery: dict | None
    rating: Rating | None
    timeline: list[TimelineEntry]
    control_sheet: ControlSheet
    audit_trail: list[AuditEntry]

    @property
    def dossier(self) -> Dossier:
        return self.row.dossier


def dossier_detail(rt: Runtime, session: Session, dossier_id: int, *, actor: User, now: dt.datetime) -> DossierDetail:
    """Open a dossier: everything about it, the opening logged as a "viewed" audit event."""
    dossier, personal = load_visible(session, dossier_id, actor)
    # Logged before reading, so that the trail shown includes this access.
    audit.record(session, "viewed", dossier_id=dossier.id, actor=actor, at=now, personal_data=personal)
    session.flush()
    f = _facts(rt, session, dossier)
    receipt = next((e for e in reversed(f.events) if e.action == "receipt_issued"), None)
    delivery = dict(dossier.result_delivery) if dossier.result_delivery else None
    if delivery and not personal:
        delivery.pop("returned_to", None)  # the person who collected the result is personal data too
    current = [CurrentStep(t.id, t.bpmn_id, t.name, t.role, f.agencies.get(t.agency_id, ""),
                           f.names.get(t.assignee_id), t.state, t.due_at)
               for t in f.tasks if t.state in OPEN_TASK_STATES]
    row = DossierRow(dossier, f.slug, f.meta.code, f.meta.name_vi, f.agency.code, f.agency.name,
                     dossier.applicant_name if personal else None)
    return DossierDetail(
        row=row, procedure_version=f.version, meta=f.meta, received_by=f.names.get(dossier.received_by_id),
        applicant=dict(dossier.applicant) if personal else None, personal_data_visible=personal,
        current_steps=current,
        documents=[{"name_vi": d.name_vi, "name_en": d.name_en, "copies": d.copies, "required": d.required}
                   for d in f.meta.documents],
        documents_received=(receipt.detail or {}).get("documents") if receipt else None,
        result_delivery=delivery,
        rating=session.scalars(select(Rating).where(Rating.dossier_id == dossier.id)).first(),
        timeline=_timeline(f), control_sheet=_control_sheet(f, local_zone(rt), now, _shares(rt, session, f, now)), audit_trail=_audit_trail(f),
    )


#: form 05's columns, one line per handover (giao, nhận, kết quả giải quyết trước hạn / đúng hạn / quá hạn); the
#: last, for inter-agency bundles, names the agency's share the step belongs to (so a spreadsheet filters by it;
#: empty for other dossiers). New columns go at the end: users' sheets read the others by position.
CONTROL_SHEET_CSV_HEADER = ("Mã hồ sơ", "STT", "Bên giao", "Người giao", "Bên nhận", "Cơ quan nhận", "Người nhận",
                            "Thời gian giao", "Thời gian nhận", "Hạn xử lý", "Thời gian hoàn thành",
                            "Kết quả giải quyết", "Ghi chú", "Phần liên thông")


def control_sheet_csv(sheet: ControlSheet, tz: dt.tzinfo) -> str:
    """Form 05 as CSV text for Excel, one line per handover, times local (engine.csvfile)."""
    return document(CONTROL_SHEET_CSV_HEADER, (
        (sheet.code, n, text(h.from_step_name), text(h.from_official), text(h.to_step_name), text(h.to_agency),
         text(h.to_official), local(h.handed_at, tz), local(h.received_at, tz), local(h.due_at, tz),
         local(h.completed_at, tz), h.mark_vi or "", text(h.outcome), text(_share_name(sheet.shares, h.handed_at)))
        for n, h in enumerate(sheet.handovers, start=1)))


def _share_name(shares: list, handed_at: dt.datetime) -> str:
    """The share a step handed over at `handed_at` belongs to: the last one opened by then (one agency at a time;
    a step opens with the hand-over that opens its share), else the lead's first (its steps may open before its
    clock starts)."""
    opened = [s for s in shares if s.started_at <= handed_at] or shares[:1]
    return opened[-1].share_name if opened else ""


# --- the diagram -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diagram:
    """The dossier's BPMN (the version it is pinned to) and where it stands: finished and current steps."""

    bpmn_xml: str
    finished: list[str]
    current: list[str]


def diagram(rt: Runtime, session: Session, dossier_id: int, *, actor: User) -> Diagram:
    """The BPMN of the dossier's version, for those who may open the dossier (the same check)."""
    dossier, _ = load_visible(session, dossier_id, actor)
    compiled = rt.compiled(session, dossier)
    rows = session.execute(select(Task.bpmn_id, Task.state).where(Task.dossier_id == dossier.id)
                           .order_by(Task.id)).all()
    current = list(dict.fromkeys(r.bpmn_id for r in rows if r.state in OPEN_TASK_STATES))
    finished = list(dict.fromkeys(r.bpmn_id for r in rows if r.state == "completed" and r.bpmn_id not in current))
    return Diagram(with_drawing(compiled.package.bpmn_text), finished, current)  # a drawing even if none was kept
