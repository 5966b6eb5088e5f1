"""What supervisors watch: open dossiers by risk, the periodic report (form II.06a), apology letters (form 04).

Who sees an agency's figures:
- its open dossiers and its letters: supervisors, leaders and heads of the agency (WATCH_ROLES);
- its periodic report: supervisors and leaders (REPORT_ROLES);
- admins: every agency.
Without an agency asked for, a caller sees every agency where they hold such a role, an admin all of them.

A dossier's risk is the one the deadline scan stored (engine.deadlines), corrected by the clock between two
scans: a running dossier past its due time is overdue; one stored overdue whose due time has since moved
(an apology's new date, an extension) is at risk until the next scan settles it.
"""
from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session

from engine import bounds, dossier_views, letters, reports
from engine.access import require_role
from engine.deadlines import OPEN_DOSSIER, RESULT_READY, RISKS
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import (
    OPEN_TASK_STATES,
    Agency,
    ApologyLetter,
    Dossier,
    Extension,
    Procedure,
    ProcedureVersion,
    Task,
    User,
)
from engine.runtime import Runtime

#: who watches an agency's open dossiers and its apology letters
WATCH_ROLES = frozenset({"supervisor", "leader", "head"})
#: who reads an agency's periodic report (form II.06a)
REPORT_ROLES = frozenset({"supervisor", "leader"})
#: how form II.06a rows are grouped
REPORT_GROUPS = ("agency", "procedure", "official")
MAX_LIMIT = 200
MAX_DAYS = 366
#: the dates a period may span: beyond them the instants of a local day overflow (year 1, year 9999)
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9998, 12, 31)


def watched_agencies(session: Session, actor: User, agency_id: int | None, roles: frozenset[str],
                     doing: str) -> list[int] | None:
    """Return the agencies the caller may watch: the one asked for, or all where they hold `roles`.

    None means every agency (an admin who asked for none). 404 for an unknown agency, 403 without the role.
    """
    if agency_id is not None:
        if session.get(Agency, agency_id) is None:
            raise NotFound(f"no agency {agency_id}")
        require_role(actor, agency_id, roles, doing)
        return [agency_id]
    if actor.is_admin:
        return None
    held = sorted({m.agency_id for m in actor.memberships if m.role in roles})
    if not held:
        raise Forbidden(f"{doing} needs one of the roles {', '.join(sorted(roles))} in an agency")
    return held


def _period(start: dt.date, end: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The instants of local dates start..end (both included); 422 for a reversed or too long period."""
    if not FIRST_DAY <= start <= LAST_DAY:
        raise InvalidInput("bad period", {"from": [f"from {FIRST_DAY} to {LAST_DAY}"]})
    if end < start or (end - start).days >= MAX_DAYS or end > LAST_DAY:
        raise InvalidInput("bad period", {"to": [f"on or after 'from', at most {MAX_DAYS} days later"]})
    return (dt.datetime.combine(start, dt.time(), tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))


# -- open dossiers by risk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keyset:
    """Where the previous page ended: the last dossier's due time and id."""

    due_at: dt.datetime
    id: int


def encode_cursor(keyset: Keyset) -> str:
    raw = json.dumps([keyset.due_at.isoformat(), keyset.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Keyset:
    """Read a cursor made by encode_cursor; raise ValueError for anything else."""
    try:
        due, row_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        at = dt.datetime.fromisoformat(due)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError("not a cursor returned by this endpoint") from None
    if not bounds.is_instant(at) or not bounds.is_id(row_id):
        raise ValueError("not a cursor returned by this endpoint")
    return Keyset(at, row_id)


@dataclass(frozen=True)
class CurrentStep:
    """An open step of a watched dossier."""

    task_id: int
    step: str
    name: str
    role: str
    agency_id: int
    state: str
    assignee: dict | None
    due_at: dt.datetime | None
    risk: str


@dataclass(frozen=True)
class WatchedDossier:
    """An open dossier as a supervisor watches it."""

    id: int
    code: str
    status: str
    channel: str
    agency: dict
    procedure: dict
    #: None when the caller is no official of the dossier's agency (personal data)
    applicant_name: str | None
    received_at: dt.datetime
    appointment_at: dt.datetime
    due_at: dt.datetime
    #: working hours until due_at, negative when late; None while paused or once the result is ready
    working_hours_left: float | None
    risk: str
    is_paused: bool
    current_steps: list[CurrentStep]

    @property
    def status_vi(self) -> str:
        return dossier_views.STATUS_VI.get(self.status, self.status)


@dataclass(frozen=True)
class RiskCounts:
    on_track: int = 0
    at_risk: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.on_track + self.at_risk + self.overdue


@dataclass(frozen=True)
class WatchPage:
    """A page of open dossiers, most urgent first, and the counts per risk of all of them (any risk)."""

    items: list[WatchedDossier]
    counts: RiskCounts
    next_cursor: str | None


def _dossier_risk(now: dt.datetime):
    running = and_(Dossier.paused_at.is_(None), Dossier.status.not_in(RESULT_READY))
    return case(
        (~running, Dossier.risk),
        (Dossier.due_at < now, literal("overdue")),
        (Dossier.risk == "overdue", literal("at_risk")),  # the due time moved since the last scan
        else_=Dossier.risk,
    )


def _step_risk(now: dt.datetime, t, paused: bool) -> str:
    """The inbox's rule (engine.inbox): the clock tells overdue and the warning; the scan's path verdict stays."""
    if paused:
        return t.risk
    if t.due_at is not None and t.due_at < now:
        return "overdue"
    return "at_risk" if (t.warn_at is not None and t.warn_at <= now) or t.risk == "at_risk" else "on_track"


def open_dossiers(rt: Runtime, session: Session, *, actor: User, now: dt.datetime, risk: str | None = None,
                  agency_id: int | None = None, after: Keyset | None = None, limit: int = 50) -> WatchPage:
    """List the open dossiers of the agencies the caller watches, soonest due first, with counts per risk."""
    if risk is not None and risk not in RISKS:
        raise InvalidInput("unknown risk level", {"risk": [f"one of {', '.join(RISKS)}"]})
    limit = max(1, min(limit, MAX_LIMIT))
    agencies = watched_agencies(session, actor, agency_id, WATCH_ROLES, "watching an agency's dossiers")
    level = _dossier_risk(now).label("level")
    scope = [OPEN_DOSSIER, Dossier.agency_id.in_(agencies) if agencies is not None else true()]

    counted = select(level).where(*scope).subquery()
    counts: dict[str, int] = dict(session.execute(select(counted.c.level, func.count()).group_by(counted.c.level)).all())

    stmt = (select(Dossier.id, Dossier.code, Dossier.status, Dossier.channel, Dossier.applicant_name,
                   Dossier.received_at, Dossier.appointment_at, Dossier.due_at, Dossier.paused_at,
                   Dossier.agency_id, Agency.code.label("agency_code"), Agency.name.label("agency_name"),
                   Procedure.slug, Procedure.code.label("procedure_code"), Procedure.name_vi, level)
            .join(Agency, Agency.id == Dossier.agency_id)
            .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(*scope))
    if risk is not None:
        stmt = stmt.where(level == risk)
    if after is not None:
        stmt = stmt.where(or_(Dossier.due_at > after.due_at, and_(Dossier.due_at == after.due_at,
                                                                  Dossier.id > after.id)))
    rows = session.execute(stmt.order_by(Dossier.due_at, Dossier.id).limit(limit + 1)).all()
    page = rows[:limit]

    steps: dict[int, list[CurrentStep]] = {}
    paused = {r.id for r in page if r.paused_at is not None}
    if page:
        for t in session.execute(
                select(Task.id, Task.dossier_id, Task.bpmn_id, Task.name, Task.role, Task.agency_id, Task.state,
                       Task.assignee_id, User.full_name, Task.due_at, Task.warn_at, Task.risk)
                .outerjoin(User, User.id == Task.assignee_id)
                .where(Task.dossier_id.in_([r.id for r in page]), Task.state.in_(OPEN_TASK_STATES))
                .order_by(Task.created_at, Task.id)):
            assignee = {"id": t.assignee_id, "full_name": t.full_name} if t.assignee_id else None
            steps.setdefault(t.dossier_id, []).append(CurrentStep(
                t.id, t.bpmn_id, t.name, t.role, t.agency_id, t.state, assignee, t.due_at,
                _step_risk(now, t, t.dossier_id in paused)))

    mine = dossier_views.member_agency_ids(actor)
    calendar = rt.calendars.get(session) if page and rt.calendars is not None else None
    items = []
    for r in page:
        hours = None
        if calendar is not None and r.paused_at is None and r.status not in RESULT_READY:
            hours = round(calendar.between(now, r.due_at).total_seconds() / 3600, 2)
        items.append(WatchedDossier(
            id=r.id, code=r.code, status=r.status, channel=r.channel,
            agency={"id": r.agency_id, "code": r.agency_code, "name": r.agency_name},
            procedure={"slug": r.slug, "code": r.procedure_code, "name_vi": r.name_vi},
            applicant_name=r.applicant_name if r.agency_id in mine else None,
            received_at=r.received_at, appointment_at=r.appointment_at, due_at=r.due_at,
            working_hours_left=hours, risk=r.level, is_paused=r.paused_at is not None,
            current_steps=steps.get(r.id, [])))
    next_cursor = encode_cursor(Keyset(page[-1].due_at, page[-1].id)) if len(rows) > limit else None
    return WatchPage(items, RiskCounts(**{k: counts.get(k, 0) for k in RISKS}), next_cursor)


# -- the periodic report (form II.06a) --------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodReport:
    """Form II.06a as asked: grouped by agency, by procedure (within each agency) or by official."""

    by: str
    report: reports.Report


def period_report(rt: Runtime, session: Session, *, actor: User, start: dt.date, end: dt.date, by: str,
                  now: dt.datetime, agency_id: int | None = None) -> PeriodReport:
    """Compute form II.06a for the local dates start..end of the agencies whose report the caller reads."""
    if by not in REPORT_GROUPS:
        raise InvalidInput("unknown grouping", {"by": [f"one of {', '.join(REPORT_GROUPS)}"]})
    _period(start, end, dossier_views.local_zone(rt))
    agencies = watched_agencies(session, actor, agency_id, REPORT_ROLES, "reading the periodic report (II.06a)")
    report = reports.handling_report(session, start=start, end=end, now=now, timezone=rt.settings.timezone,
                                     by_official=by == "official", agency_ids=agencies)
    if by == "agency":
        groups: dict[tuple[str, str, bool], reports.Figures] = {}
        for row in report.rows:  # an agency's shares of inter-agency bundles stay a row of their own
            key = (row.agency_code, row.agency_name, row.share)
            groups[key] = groups.get(key, reports.Figures()) + row.figures
        report = reports.Report(start, end, tuple(reports.ReportRow(code, name, "", "", None, figures, share)
                                                  for (code, name, share), figures in sorted(groups.items())),
                                report.total)
    return PeriodReport(by, report)


#: form II.06a's columns as the printed form names them, in engine.reports.COLUMNS order
CSV_FIGURES = {
    "received": "Tổng số hồ sơ tiếp nhận", "carried_over": "Kỳ trước chuyển qua",
    "new_online": "Mới tiếp nhận trực tuyến", "new_direct_or_postal": "Mới tiếp nhận trực tiếp, bưu chính",
    "resolved": "Tổng số đã giải quyết", "resolved_early": "Trả trước hạn", "resolved_on_time": "Trả đúng hạn",
    "resolved_late": "Trả quá hạn", "in_progress": "Tổng số đang giải quyết",
    "in_progress_within": "Đang giải quyết trong hạn", "in_progress_overdue": "Đang giải quyết quá hạn",
    "withdrawn": "Rút hồ sơ", "refused": "Từ chối giải quyết", "stopped": "Dừng giải quyết",
    "payments": "Số lượt nộp phí, lệ phí", "payments_online": "Trong đó thanh toán trực tuyến",
    "paid_amount": "Số tiền đã thu (đồng)",
}
TOTAL_VI = "Tổng cộng"
#: the files' last column (after the figures: sheets read those by position): "Có" on an inter-agency bundle's
#: agency share rows (engine.reports.ReportRow.share; their names end in reports.SHARE_LABEL too), "Không" on
#: the others, empty on the total, so that a spreadsheet filters the shares out or in
SHARE_COLUMN_VI = "Phần liên thông"


def share_cell(row: reports.ReportRow | None) -> str:
    return "" if row is None else ("Có" if row.share else "Không")


def _cell(value: str | None) -> str:
    # A name typed as "=HYPERLINK(...)" must stay text in Excel, not become a formula (CSV injection).
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def report_csv(period: PeriodReport) -> str:
    """Form II.06a as CSV text starting with a UTF-8 byte order mark (Excel), Vietnamese headers, a total line."""
    report, by = period.report, period.by
    labels = ["Từ ngày", "Đến ngày", "Mã cơ quan", "Cơ quan"]
    if by != "agency":
        labels += ["Mã thủ tục", "Thủ tục hành chính"]
    if by == "official":
        labels.append("Cán bộ")

    def line(row: reports.ReportRow | None) -> list:
        figures = row.figures if row else report.total
        cells = [f"{report.start:%d/%m/%Y}", f"{report.end:%d/%m/%Y}"]
        cells += [_cell(row.agency_code), _cell(row.agency_name)] if row else ["", TOTAL_VI]
        if by != "agency":
            cells += [_cell(row.procedure_code), _cell(row.procedure_name)] if row else ["", ""]
        if by == "official":
            cells.append(_cell(row.official) if row else "")
        return cells + [getattr(figures, c) for c in reports.COLUMNS] + [share_cell(row)]

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(labels + [CSV_FIGURES[c] for c in reports.COLUMNS] + [SHARE_COLUMN_VI])
    for row in report.rows:
        writer.writerow(line(row))
    writer.writerow(line(None))
    return out.getvalue()


# -- apology letters (form 04) and extensions --------------------------------------------------------------


@dataclass(frozen=True)
class LetterRow:
    """A form 04 letter of a watched agency, drafted or issued."""

    id: int
    dossier_id: int
    dossier_code: str
    agency: dict
    procedure_name: str
    state: str  # drafted | issued
    drafted_at: dt.datetime
    proposed_at: dt.datetime
    issued_at: dt.datetime | None
    issued_by: str | None
    new_appointment_at: dt.datetime | None
    reason: str | None
    appointment_at: dt.datetime
    due_at: dt.datetime
    dossier_status: str


def letters_in_period(rt: Runtime, session: Session, *, actor: User, start: dt.date, end: dt.date,
                      agency_id: int | None = None, state: str | None = None) -> list[LetterRow]:
    """List the letters drafted or issued in the local dates start..end, of the agencies the caller watches."""
    if state not in (None, "drafted", "issued"):
        raise InvalidInput("unknown letter state", {"state": ["drafted or issued"]})
    since, until = _period(start, end, dossier_views.local_zone(rt))
    agencies = watched_agencies(session, actor, agency_id, WATCH_ROLES, "reading the apology letters")
    stmt = (select(ApologyLetter, Dossier.code, Dossier.agency_id, Dossier.appointment_at, Dossier.due_at,
                   Dossier.status, Agency.code.label("agency_code"), Agency.name.label("agency_name"),
                   Procedure.name_vi, User.full_name)
            .join(Dossier, Dossier.id == ApologyLetter.dossier_id)
            .join(Agency, Agency.id == Dossier.agency_id)
            .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .outerjoin(User, User.id == ApologyLetter.issued_by_id)
            .where(or_(and_(ApologyLetter.drafted_at >= since, ApologyLetter.drafted_at < until),
                       and_(ApologyLetter.issued_at >= since, ApologyLetter.issued_at < until))))
    if agencies is not None:
        stmt = stmt.where(Dossier.agency_id.in_(agencies))
    if state is not None:
        stmt = stmt.where(ApologyLetter.issued_at.is_not(None) if state == "issued"
                          else ApologyLetter.issued_at.is_(None))
    out = []
    for r in session.execute(stmt.order_by(ApologyLetter.drafted_at, ApologyLetter.id)):
        x = r.ApologyLetter
        out.append(LetterRow(
            id=x.id, dossier_id=x.dossier_id, dossier_code=r.code,
            agency={"id": r.agency_id, "code": r.agency_code, "name": r.agency_name}, procedure_name=r.name_vi,
            state="issued" if x.issued_at else "drafted", drafted_at=x.drafted_at, proposed_at=x.proposed_at,
            issued_at=x.issued_at, issued_by=r.full_name, new_appointment_at=x.new_appointment_at, reason=x.reason,
            appointment_at=r.appointment_at, due_at=r.due_at, dossier_status=r.status))
    return out


@dataclass(frozen=True)
class LetterView:
    """A dossier's form 04 with its printable text (None when the caller may not see the applicant)."""

    id: int
    dossier_id: int
    dossier_code: str
    state: str
    drafted_at: dt.datetime
    proposed_at: dt.datetime
    issued_at: dt.datetime | None
    issued_by_id: int | None
    new_appointment_at: dt.datetime | None
    reason: str | None
    appointment_at: dt.datetime
    due_at: dt.datetime
    text: str | None
    personal_data_visible: bool


def letter_of(rt: Runtime, session: Session, dossier_id: int, *, actor: User) -> LetterView:
    """The dossier's apology letter, for those who may open the dossier; 404 when none was drafted."""
    dossier, personal = dossier_views.load_visible(session, dossier_id, actor)
    letter = letters.get_letter(session, dossier.id)
    if letter is None:
        raise NotFound(f"dossier {dossier.code} has no apology letter")
    return LetterView(id=letter.id, dossier_id=dossier.id, dossier_code=dossier.code,
                      state="issued" if letter.issued_at else "drafted", drafted_at=letter.drafted_at,
                      proposed_at=letter.proposed_at, issued_at=letter.issued_at, issued_by_id=letter.issued_by_id,
                      new_appointment_at=letter.new_appointment_at, reason=letter.reason,
                      appointment_at=dossier.appointment_at, due_at=dossier.due_at,
                      text=letters.letter_text(rt, session, dossier, letter) if personal else None,
                      personal_data_visible=personal)


@dataclass(frozen=True)
class ExtensionView:
    """A recorded extension and where it left the dossier's due time."""

    id: int
    dossier_id: int
    dossier_code: str
    duration: str
    reason: str
    created_at: dt.datetime
    created_by_id: int | None
    appointment_at: dt.datetime
    due_at: dt.datetime


def extend(rt: Runtime, session: Session, dossier_id: int, *, duration: str, reason: str, actor: User,
           now: dt.datetime) -> ExtensionView:
    """Record a procedure-defined extension (engine.letters.record_extension) and show its effect."""
    row: Extension = letters.record_extension(rt, session, dossier_id, duration=duration, reason=reason,
                                              actor=actor, now=now)
    dossier = session.get_one(Dossier, row.dossier_id)
    return ExtensionView(row.id, dossier.id, dossier.code, row.duration, row.reason, row.created_at,
                         row.created_by_id, dossier.appointment_at, dossier.due_at)
