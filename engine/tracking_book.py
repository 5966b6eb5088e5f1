"""Form 06 — sổ theo dõi hồ sơ: one line per dossier an agency received in a period, and its CSV for Excel."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from engine import csvfile
from engine.access import require_role
from engine.csvfile import local, text
from engine.dossier_views import STATUS_VI, local_zone
from engine.errors import InvalidInput, NotFound
from engine.models import Agency, Dossier, Procedure, ProcedureVersion, Task, User
from engine.runtime import Runtime

#: who keeps or reads the book of an agency (supervisors watch deadlines, leaders sign, the desk writes it)
BOOK_ROLES = frozenset({"supervisor", "leader", "reception"})
MAX_DAYS = 366
CSV_HEADER = ("STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Tên cá nhân, tổ chức", "Địa chỉ", "Ngày giờ nhận hồ sơ",
              "Ngày giờ hẹn trả kết quả", "Chuyển hồ sơ đến", "Ngày giờ chuyển", "Ngày giờ trả kết quả",
              "Trạng thái", "Ký nhận")


@dataclass(frozen=True)
class BookLine:
    number: int
    dossier_id: int
    code: str
    procedure_code: str
    procedure_name: str
    #: None for a reader who is no official of the agency (an admin): personal data
    applicant_name: str | None
    applicant_address: str | None
    received_at: dt.datetime
    appointment_at: dt.datetime
    #: the agency and first step the desk handed the dossier to
    handed_to: str | None
    handed_at: dt.datetime | None
    #: when the result (or the written refusal) was returned
    result_at: dt.datetime | None
    status: str
    #: the citizen signs the printed book on collecting the result: always empty here
    signature: str = ""

    @property
    def status_vi(self) -> str:
        return STATUS_VI.get(self.status, self.status)


@dataclass(frozen=True)
class TrackingBook:
    agency_id: int
    agency_code: str
    agency_name: str
    start: dt.date
    end: dt.date
    lines: list[BookLine]


def book_agency(actor: User, agency_id: int | None) -> int:
    """The agency whose book is asked for: the given one, or the only one where the caller keeps a book."""
    if agency_id is not None:
        return agency_id
    candidates = {m.agency_id for m in actor.memberships if m.role in BOOK_ROLES}
    if len(candidates) != 1:
        raise InvalidInput("say which agency's book", {"agency_id": ["required: you keep no book or several"]})
    return candidates.pop()


def tracking_book(rt: Runtime, session: Session, *, agency_id: int, start: dt.date, end: dt.date,
                  actor: User) -> TrackingBook:
    """The agency's book for dossiers received from `start` to `end` (local dates, both included)."""
    if end < start or (end - start).days >= MAX_DAYS:
        raise InvalidInput("bad period", {"to": [f"on or after 'from', at most {MAX_DAYS} days later"]})
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id}")
    require_role(actor, agency.id, BOOK_ROLES, "reading the tracking book")
    # Admins read any agency's book to keep the system running, but without the applicants (as elsewhere).
    personal = any(m.agency_id == agency.id for m in actor.memberships)
    tz = local_zone(rt)
    since = dt.datetime.combine(start, dt.time(), tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    in_period = (Dossier.agency_id == agency.id, Dossier.received_at >= since, Dossier.received_at < until)
    rows = session.execute(
        select(Dossier, Procedure.code, Procedure.name_vi)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .where(*in_period).order_by(Dossier.received_at, Dossier.id).options(defer(Dossier.workflow_state))
    ).all()
    # The first task of each dossier (task ids grow with creation) is where the desk handed it.
    first_ids = (select(func.min(Task.id)).join(Dossier, Dossier.id == Task.dossier_id).where(*in_period)
                 .group_by(Task.dossier_id))
    handed = {dossier_id: (f"{agency_name} — {name}", at) for dossier_id, name, agency_name, at in session.execute(
        select(Task.dossier_id, Task.name, Agency.name, Task.created_at).join(Agency, Agency.id == Task.agency_id)
        .where(Task.id.in_(first_ids)))}
    lines = []
    for number, (d, proc_code, proc_name) in enumerate(rows, 1):
        to, at = handed.get(d.id, (None, None))
        lines.append(BookLine(
            number=number, dossier_id=d.id, code=d.code, procedure_code=proc_code, procedure_name=proc_name,
            applicant_name=d.applicant_name if personal else None,
            applicant_address=(d.applicant or {}).get("address") if personal else None,
            received_at=d.received_at, appointment_at=d.appointment_at, handed_to=to, handed_at=at,
            result_at=d.processed_at if d.status in ("returned", "refused") else None, status=d.status,
        ))
    return TrackingBook(agency.id, agency.code, agency.name, start, end, lines)


def tracking_book_csv(book: TrackingBook, tz: dt.tzinfo) -> str:
    """The book as CSV text for Excel (engine.csvfile: byte order mark, local times, no formulas)."""
    return csvfile.document(CSV_HEADER, (
        (line.number, line.code, text(line.procedure_name), text(line.applicant_name),
         text(line.applicant_address), local(line.received_at, tz), local(line.appointment_at, tz),
         text(line.handed_to), local(line.handed_at, tz), local(line.result_at, tz), line.status_vi,
         line.signature)
        for line in book.lines))
