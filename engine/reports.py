"""The periodic report on handling results — Circular 01/2020/TT-VPCP, form II.06a/VPCP/KSTT.

For a period [start, end] of local dates, per agency and procedure (or per official):
- received: carried over from before the period (not finished at its start), new online, new direct or
  postal;
- resolved in the period, against the legal due time (`legal_due_at`: the receipt's appointment moved by
  supplement pauses and by extensions the law allows): early (an earlier day), on time (that day), late (a
  later day). An apology's new date does not make a late dossier on time;
- in progress at the end of the period: within the legal due time (or paused for a supplement), or overdue;
- local additions: withdrawn, refused and stopped in the period; payments recorded in the period (how many,
  how many online, the amount in VND), counted on the dossier's row.
Every dossier received before the end and not finished before the start is counted once as received and
once as an outcome, so received = resolved + in progress + withdrawn + refused + stopped, row by row.
Per official, a dossier counts for each official who completed or holds one of its steps (rows overlap).

Inter-agency bundles (engine.interagency): besides the competent agency's row, which counts the dossier as a
whole, each participating agency has a row (`share` true) counting its share: received when the hand-over to
it was sent, resolved when it handed the dossier on (or the dossier ended there) against its share's due
time, in progress within or past it. Share rows are not added to the total (the dossier is counted once).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, not_, null, or_, select
from sqlalchemy.orm import Session

from engine.db import local_date
from engine.models import Agency, AgencyHandover, Dossier, Payment, Procedure, ProcedureVersion, Task, User

RESOLVED = ("returned", "processed")
#: added to the agency's name on its rows of shares of inter-agency bundles (every rendering of the report)
SHARE_LABEL = " (phần liên thông)"
LOCAL_OUTCOMES = ("withdrawn", "refused", "stopped")


@dataclass(frozen=True)
class Figures:
    """The counts of one row of form II.06a."""

    carried_over: int = 0
    new_online: int = 0
    new_direct_or_postal: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    in_progress_within: int = 0
    in_progress_overdue: int = 0
    withdrawn: int = 0
    refused: int = 0
    stopped: int = 0
    #: fees and financial obligations paid in the period (engine.fees): payments, those paid online, VND
    payments: int = 0
    payments_online: int = 0
    paid_amount: int = 0

    @property
    def received(self) -> int:
        return self.carried_over + self.new_online + self.new_direct_or_postal

    @property
    def resolved(self) -> int:
        return self.resolved_early + self.resolved_on_time + self.resolved_late

    @property
    def in_progress(self) -> int:
        return self.in_progress_within + self.in_progress_overdue

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True)
class ReportRow:
    """One line of the report: the group's labels and its figures."""

    agency_code: str
    agency_name: str
    procedure_code: str
    procedure_name: str
    official: str | None
    figures: Figures
    #: an inter-agency bundle's participating agency: the row counts its share of the dossiers, not them whole
    share: bool = False


@dataclass(frozen=True)
class Report:
    """Form II.06a for a period: its rows and their total."""

    start: dt.date
    end: dt.date
    rows: tuple[ReportRow, ...]
    total: Figures


def handling_report(session: Session, *, start: dt.date, end: dt.date, now: dt.datetime,
                    timezone: str = "Asia/Ho_Chi_Minh", by_official: bool = False,
                    agency_ids: Iterable[int] | None = None) -> Report:
    """Compute form II.06a for the local dates start..end (inclusive), as known at `now`.

    One grouped query: the database classifies and counts the dossiers (per official: a second one for the
    total, which counts each dossier once).
    """
    tz = ZoneInfo(timezone)
    start_at = dt.datetime.combine(start, dt.time(), tz)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    as_of = min(end_at, now)
    agencies = None if agency_ids is None else list(agency_ids)
    rows = [ReportRow(*labels, figures) for *labels, figures in
            _grouped(session, start_at, end_at, as_of, timezone, agencies, by_official)]
    if not by_official:
        rows += [ReportRow(code, name + SHARE_LABEL, *labels, figures, share=True) for code, name, *labels, figures in
                 _shares_grouped(session, start_at, end_at, as_of, timezone, agencies)]
    rows.sort(key=lambda row: tuple("" if v is None else v for v in (
        row.agency_code, row.agency_name, row.procedure_code, row.procedure_name, row.official)) + (row.share,))
    parts = rows if not by_official else [  # officials overlap: the total counts each dossier once
        ReportRow(*labels, figures) for *labels, figures in
        _grouped(session, start_at, end_at, as_of, timezone, agencies, False)]
    total = Figures()
    for row in parts:
        if not row.share:
            total += row.figures
    return Report(start, end, tuple(rows), total)


def _grouped(session: Session, start_at: dt.datetime, end_at: dt.datetime, as_of: dt.datetime, timezone: str,
             agency_ids: list[int] | None, by_official: bool) -> list[tuple]:
    """(agency code, agency name, procedure code, procedure name, official, Figures) per group of the period.

    A dossier is in the period when received before its end and not finished before its start; per official,
    it counts for each official who completed or holds one of its steps (none: in no row).
    """
    paid = (select(Payment.dossier_id, func.count().label("payments"),
                   func.sum(case((Payment.method == "online", 1), else_=0)).label("payments_online"),
                   func.sum(Payment.amount).label("paid_amount"))
            .where(Payment.recorded_at >= start_at, Payment.recorded_at < end_at)
            .group_by(Payment.dossier_id).subquery())
    finished = func.coalesce(Dossier.processed_at, Dossier.closed_at)
    labels = [Agency.code, Agency.name, Procedure.code, Procedure.name_vi]
    query = (select(Dossier.id).join(Agency, Agency.id == Dossier.agency_id)
             .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
             .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
             .outerjoin(paid, paid.c.dossier_id == Dossier.id)
             .where(Dossier.received_at < end_at, or_(Dossier.closed_at.is_(None), Dossier.closed_at >= start_at),
                    or_(finished.is_(None), finished >= start_at)))
    if agency_ids is not None:
        query = query.where(Dossier.agency_id.in_(agency_ids))
    if by_official:
        officials = (select(Task.dossier_id, User.username)
                     .join(User, or_(User.id == Task.completed_by_id, User.id == Task.assignee_id))
                     .distinct().subquery())
        query = query.join(officials, officials.c.dossier_id == Dossier.id)
        labels.append(officials.c.username)
    else:
        labels.append(null())
    query = query.with_only_columns(*labels, *_figures_columns(start_at, end_at, as_of, timezone, paid))
    query = query.group_by(*labels[:4], *labels[4:] if by_official else ())
    return [(*row[:5], Figures(*(int(v) for v in row[5:]))) for row in session.execute(query)]


def _shares_grouped(session: Session, start_at: dt.datetime, end_at: dt.datetime, as_of: dt.datetime,
                    timezone: str, agency_ids: list[int] | None) -> list[tuple]:
    """(agency code, agency name, procedure code, procedure name, None, Figures) per participating agency of
    the bundles: one share per hand-over to an agency other than the competent one."""
    h = AgencyHandover
    end = func.coalesce(h.share_ended_at, Dossier.closed_at)
    carried = h.sent_at < start_at
    in_progress = or_(end.is_(None), end >= end_at)
    overdue = and_(h.share_due_at < as_of, or_(Dossier.paused_at.is_(None), Dossier.paused_at > as_of))
    resolved = and_(not_(in_progress), or_(h.share_ended_at.is_not(None), Dossier.status.not_in(LOCAL_OUTCOMES)))
    done, due = _local_day(end, timezone), _local_day(func.coalesce(h.share_due_at, end), timezone)

    def count(*conditions):
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    labels = [Agency.code, Agency.name, Procedure.code, Procedure.name_vi]
    query = (select(*labels, null(),
                    count(carried), count(not_(carried), Dossier.channel == "online"),
                    count(not_(carried), or_(Dossier.channel.is_(None), Dossier.channel != "online")),
                    count(resolved, done < due), count(resolved, done == due), count(resolved, done > due),
                    count(in_progress, not_(overdue)), count(in_progress, overdue),
                    *(count(not_(in_progress), h.share_ended_at.is_(None), Dossier.status == outcome)
                      for outcome in LOCAL_OUTCOMES),
                    literal(0), literal(0), literal(0))
             .select_from(h).join(Dossier, Dossier.id == h.dossier_id)
             .join(Agency, Agency.id == h.to_agency_id)
             .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
             .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
             .where(h.from_agency_id.is_not(None), h.to_agency_id != Dossier.agency_id, h.sent_at < end_at,
                    or_(end.is_(None), end >= start_at))
             .group_by(*labels))
    if agency_ids is not None:
        query = query.where(h.to_agency_id.in_(agency_ids))
    return [(*row[:5], Figures(*(int(v) for v in row[5:]))) for row in session.execute(query)]


def _local_day(column, timezone: str):
    """The local date of a timestamp column in `timezone` (see engine.db.local_date)."""
    return local_date(column, literal(timezone))


def _figures_columns(start_at: dt.datetime, end_at: dt.datetime, as_of: dt.datetime, timezone: str, paid) -> list:
    """The SUM(CASE ..) columns of Figures, in field order: `classify` done by the database."""
    finished = func.coalesce(Dossier.processed_at, Dossier.closed_at)
    carried = Dossier.received_at < start_at
    in_progress = or_(finished.is_(None), finished >= end_at, Dossier.status.not_in((*RESOLVED, *LOCAL_OUTCOMES)))
    # while waiting for the citizen's supplement the legal clock stands still: not overdue
    overdue = and_(Dossier.legal_due_at < as_of, or_(Dossier.paused_at.is_(None), Dossier.paused_at > as_of))
    resolved = and_(not_(in_progress), Dossier.status.in_(RESOLVED))
    done, due = _local_day(finished, timezone), _local_day(Dossier.legal_due_at, timezone)

    def count(*conditions):
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    return [
        count(carried),
        count(not_(carried), Dossier.channel == "online"),
        count(not_(carried), or_(Dossier.channel.is_(None), Dossier.channel != "online")),
        count(resolved, done < due),
        count(resolved, done == due),
        count(resolved, done > due),
        count(in_progress, not_(overdue)),
        count(in_progress, overdue),
        *(count(not_(in_progress), Dossier.status == outcome) for outcome in LOCAL_OUTCOMES),
        func.coalesce(func.sum(paid.c.payments), 0),
        func.coalesce(func.sum(paid.c.payments_online), 0),
        func.coalesce(func.sum(paid.c.paid_amount), 0),
    ]


COLUMNS = ("received", "carried_over", "new_online", "new_direct_or_postal", "resolved", "resolved_early",
           "resolved_on_time", "resolved_late", "in_progress", "in_progress_within", "in_progress_overdue",
           "withdrawn", "refused", "stopped", "payments", "payments_online", "paid_amount")
