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
"""
from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.models import Agency, Dossier, Payment, Procedure, ProcedureVersion, Task, User

RESOLVED = ("returned", "processed")
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


@dataclass(frozen=True)
class Report:
    """Form II.06a for a period: its rows and their total."""

    start: dt.date
    end: dt.date
    rows: tuple[ReportRow, ...]
    total: Figures


def classify(d, start_at: dt.datetime, end_at: dt.datetime, as_of: dt.datetime, tz) -> Figures | None:
    """Return the figures one dossier adds to its rows, or None when it is outside the period."""
    finished = d.processed_at or d.closed_at
    if d.received_at >= end_at or (finished is not None and finished < start_at):
        return None
    counts: dict[str, int] = {}
    if d.received_at < start_at:
        counts["carried_over"] = 1
    else:
        counts["new_online" if d.channel == "online" else "new_direct_or_postal"] = 1
    if finished is None or finished >= end_at or d.status not in (*RESOLVED, *LOCAL_OUTCOMES):
        # while waiting for the citizen's supplement the legal clock stands still: not overdue
        overdue = d.legal_due_at < as_of and not (d.paused_at is not None and d.paused_at <= as_of)
        counts["in_progress_overdue" if overdue else "in_progress_within"] = 1
    elif d.status in LOCAL_OUTCOMES:
        counts[d.status] = 1
    else:
        done, due = finished.astimezone(tz).date(), d.legal_due_at.astimezone(tz).date()
        counts["resolved_early" if done < due else "resolved_on_time" if done == due else "resolved_late"] = 1
    return Figures(**counts)


def handling_report(session: Session, *, start: dt.date, end: dt.date, now: dt.datetime,
                    timezone: str = "Asia/Ho_Chi_Minh", by_official: bool = False,
                    agency_ids: Iterable[int] | None = None) -> Report:
    """Compute form II.06a for the local dates start..end (inclusive), as known at `now`."""
    tz = ZoneInfo(timezone)
    start_at = dt.datetime.combine(start, dt.time(), tz)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    as_of = min(end_at, now)
    query = (select(Dossier.id, Dossier.agency_id, Dossier.channel, Dossier.status, Dossier.received_at,
                    Dossier.legal_due_at, Dossier.paused_at, Dossier.processed_at, Dossier.closed_at, Agency.code.label("agency_code"),
                    Agency.name.label("agency_name"), Procedure.code.label("procedure_code"),
                    Procedure.name_vi.label("procedure_name"))
             .join(Agency, Agency.id == Dossier.agency_id)
             .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
             .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
             .where(Dossier.received_at < end_at, or_(Dossier.closed_at.is_(None), Dossier.closed_at >= start_at)))
    if agency_ids is not None:
        query = query.where(Dossier.agency_id.in_(list(agency_ids)))
    dossiers = session.execute(query).all()
    officials: dict[int, set[str]] = defaultdict(set)
    if by_official and dossiers:
        ids = [d.id for d in dossiers]
        for i in range(0, len(ids), 2000):
            for dossier_id, username in session.execute(
                    select(Task.dossier_id, User.username)
                    .join(User, or_(User.id == Task.completed_by_id, User.id == Task.assignee_id))
                    .where(Task.dossier_id.in_(ids[i:i + 2000])).distinct()):
                officials[dossier_id].add(username)
    paid = _payments(session, [d.id for d in dossiers], start_at, end_at)
    groups: dict[tuple, Figures] = {}
    for d in dossiers:
        figures = classify(d, start_at, end_at, as_of, tz)
        if figures is None:
            continue
        figures += paid.get(d.id, Figures())
        names = sorted(officials[d.id]) if by_official else [None]
        for official in names:
            key = (d.agency_code, d.agency_name, d.procedure_code, d.procedure_name, official)
            groups[key] = groups.get(key, Figures()) + figures
    rows = tuple(ReportRow(*key, figures) for key, figures in sorted(groups.items(), key=lambda kv: tuple(
        "" if v is None else v for v in kv[0])))
    total = Figures()
    if not by_official:
        for row in rows:
            total += row.figures
    else:  # officials overlap: the total counts each dossier once
        for d in dossiers:
            figures = classify(d, start_at, end_at, as_of, tz)
            total += figures + paid.get(d.id, Figures()) if figures is not None else Figures()
    return Report(start, end, rows, total)


def _payments(session: Session, ids: list[int], start_at: dt.datetime, end_at: dt.datetime) -> dict[int, Figures]:
    """The payments recorded in the period, per dossier, as figures."""
    out: dict[int, Figures] = {}
    for i in range(0, len(ids), 2000):
        for dossier_id, method, amount in session.execute(
                select(Payment.dossier_id, Payment.method, Payment.amount)
                .where(Payment.dossier_id.in_(ids[i:i + 2000]), Payment.recorded_at >= start_at,
                       Payment.recorded_at < end_at)):
            out[dossier_id] = out.get(dossier_id, Figures()) + Figures(
                payments=1, payments_online=int(method == "online"), paid_amount=amount)
    return out


COLUMNS = ("received", "carried_over", "new_online", "new_direct_or_postal", "resolved", "resolved_early",
           "resolved_on_time", "resolved_late", "in_progress", "in_progress_within", "in_progress_overdue",
           "withdrawn", "refused", "stopped", "payments", "payments_online", "paid_amount")


def write_csv(report: Report, out: TextIO) -> None:
    """Write the report as CSV: one line per row, then the total."""
    writer = csv.writer(out)
    writer.writerow(["period_start", "period_end", "agency_code", "agency", "procedure_code", "procedure", "official",
                     *COLUMNS])
    lines = [(r.agency_code, r.agency_name, r.procedure_code, r.procedure_name, r.official or "", r.figures)
             for r in report.rows]
    lines.append(("", "TOTAL", "", "", "", report.total))
    for *labels, figures in lines:
        writer.writerow([report.start.isoformat(), report.end.isoformat(), *labels,
                         *(getattr(figures, c) for c in COLUMNS)])
