"""Form II.06a by one grouped query gives the answers of the former per-dossier classification, on varied data.

The reference below is the former engine code (rows read into Python and classified one by one), kept here
only to compare with: dossiers of two agencies and several procedures, every status and channel, times
near local midnight, supplement pauses, payments in and out of the period, steps done or held by officials.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import or_, select

from engine import reports
from engine.models import Agency, Dossier, Payment, Procedure, ProcedureVersion, Task, User
from engine.reports import Figures, Report, ReportRow

UTC = dt.UTC
STATUSES = ("processing", "returned", "processed", "withdrawn", "refused", "stopped", "waiting_supplement")


def _classify(d, start_at, end_at, as_of, tz):
    finished = d.processed_at or d.closed_at
    if d.received_at >= end_at or (finished is not None and finished < start_at):
        return None
    counts: dict[str, int] = {}
    if d.received_at < start_at:
        counts["carried_over"] = 1
    else:
        counts["new_online" if d.channel == "online" else "new_direct_or_postal"] = 1
    if finished is None or finished >= end_at or d.status not in (*reports.RESOLVED, *reports.LOCAL_OUTCOMES):
        overdue = d.legal_due_at < as_of and not (d.paused_at is not None and d.paused_at <= as_of)
        counts["in_progress_overdue" if overdue else "in_progress_within"] = 1
    elif d.status in reports.LOCAL_OUTCOMES:
        counts[d.status] = 1
    else:
        done, due = finished.astimezone(tz).date(), d.legal_due_at.astimezone(tz).date()
        counts["resolved_early" if done < due else "resolved_on_time" if done == due else "resolved_late"] = 1
    return Figures(**counts)


def reference_report(session, *, start, end, now, timezone="Asia/Ho_Chi_Minh", by_official=False,
                     agency_ids=None) -> Report:
    """The former engine.reports.handling_report, row by row in Python."""
    tz = ZoneInfo(timezone)
    start_at = dt.datetime.combine(start, dt.time(), tz)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    as_of = min(end_at, now)
    query = (select(Dossier.id, Dossier.channel, Dossier.status, Dossier.received_at, Dossier.legal_due_at,
                    Dossier.paused_at, Dossier.processed_at, Dossier.closed_at, Agency.code.label("agency_code"),
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
    if by_official:
        for dossier_id, username in session.execute(
                select(Task.dossier_id, User.username)
                .join(User, or_(User.id == Task.completed_by_id, User.id == Task.assignee_id)).distinct()):
            officials[dossier_id].add(username)
    paid: dict[int, Figures] = {}
    for dossier_id, method, amount in session.execute(
            select(Payment.dossier_id, Payment.method, Payment.amount)
            .where(Payment.recorded_at >= start_at, Payment.recorded_at < end_at)):
        paid[dossier_id] = paid.get(dossier_id, Figures()) + Figures(
            payments=1, payments_online=int(method == "online"), paid_amount=amount)
    groups: dict[tuple, Figures] = {}
    total = Figures()
    for d in dossiers:
        figures = _classify(d, start_at, end_at, as_of, tz)
        if figures is None:
            continue
        figures += paid.get(d.id, Figures())
        total += figures
        for official in (sorted(officials[d.id]) if by_official else [None]):
            key = (d.agency_code, d.agency_name, d.procedure_code, d.procedure_name, official)
            groups[key] = groups.get(key, Figures()) + figures
    rows = tuple(ReportRow(*key, figures) for key, figures in sorted(groups.items(), key=lambda kv: tuple(
        "" if v is None else v for v in kv[0])))
    return Report(start, end, rows, total)


def _moment(rng: random.Random) -> dt.datetime:
    """A time in 2026 Q1-Q2, often within an hour of a local (UTC+7) midnight or of the period's edges."""
    day = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(days=rng.randrange(0, 180))
    if rng.random() < 0.5:  # local midnight is 17:00 UTC
        return day.replace(hour=17) + dt.timedelta(minutes=rng.choice((-61, -1, 0, 1, 59)))
    return day + dt.timedelta(minutes=rng.randrange(0, 24 * 60))


def fill(session, seed: int, n: int = 400) -> None:
    rng = random.Random(seed)
    versions = session.scalars(select(ProcedureVersion.id)).all()[:4]
    agencies = session.scalars(select(Agency.id).order_by(Agency.id)).all()[:3]
    officials = session.scalars(select(User.id)).all()[:6]
    assert len(versions) >= 2 and len(agencies) >= 2 and len(officials) >= 3
    for i in range(n):
        status = rng.choice(STATUSES)
        received = _moment(rng)
        legal_due = received + dt.timedelta(hours=rng.choice((-30, 5, 24, 17 + 24 * 3, 24 * 10)))
        finished = received + dt.timedelta(hours=rng.randrange(1, 24 * 40)) if status != "processing" else None
        if status == "waiting_supplement":
            finished = None
        elif status in reports.RESOLVED and rng.random() < 0.4:  # on or about the due day
            finished = legal_due + dt.timedelta(minutes=rng.choice((-120, -30, -1, 1, 30)))
        paused = received + dt.timedelta(hours=rng.randrange(1, 24 * 20)) if rng.random() < 0.2 else None
        d = Dossier(code=f"G-{seed}-{i:04d}", lookup_secret="x", procedure_version_id=rng.choice(versions),
                    agency_id=rng.choice(agencies), channel=rng.choice(("online", "counter", "postal")),
                    status=status, applicant_name="Công dân", applicant={}, received_at=received,
                    clock_started_at=received, appointment_at=legal_due, due_at=legal_due, legal_due_at=legal_due,
                    paused_at=paused,
                    processed_at=finished if status in ("returned", "processed") else None,
                    closed_at=finished if status not in ("processed", "processing", "waiting_supplement") else None,
                    workflow_state=b"")
        session.add(d)
        session.flush()
        for k in range(rng.choice((0, 0, 1, 2, 3))):
            done = rng.random() < 0.6
            session.add(Task(dossier_id=d.id, spiff_task_id=f"t{k}", bpmn_id="examine", name="Thẩm định",
                             role="specialist", agency_id=d.agency_id, state="completed" if done else "claimed",
                             created_at=received, completed_at=received + dt.timedelta(hours=1) if done else None,
                             completed_by_id=rng.choice(officials) if done else None,
                             assignee_id=rng.choice(officials) if not done or rng.random() < 0.3 else None))
        for k in range(rng.choice((0, 0, 0, 1, 2))):
            at = received + dt.timedelta(hours=rng.randrange(0, 24 * 60))
            session.add(Payment(dossier_id=d.id, method=rng.choice(("online", "counter")),
                                amount=rng.choice((0, 50_000, 100_000, 1_234_567)), receipt_number=f"BL-{d.id}-{k}",
                                reference=f"PAY-{seed}-{d.id}-{k}", paid_at=at, recorded_at=at))
    session.commit()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_grouped_query_answers_as_the_row_by_row_classification(rt, session, seed):
    fill(session, seed)
    agencies = session.scalars(select(Agency.id).order_by(Agency.id)).all()[:3]
    periods = [(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), (dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
               (dt.date(2026, 2, 14), dt.date(2026, 2, 14))]
    nows = [dt.datetime(2026, 3, 15, 17, 0, tzinfo=UTC), dt.datetime(2026, 12, 1, tzinfo=UTC)]
    compared, seen = 0, Figures()
    for start, end in periods:
        for now in nows:
            for by_official in (False, True):
                for agency_ids in (None, agencies[:1], agencies[1:]):
                    args = dict(start=start, end=end, now=now, by_official=by_official, agency_ids=agency_ids)
                    new, old = reports.handling_report(session, **args), reference_report(session, **args)
                    assert new == old, args
                    compared, seen = compared + len(old.rows), seen + old.total
    # the data reaches every column and many groups, so the comparison can fail
    assert all(getattr(seen, f) > 0 for f in reports.COLUMNS), seen
    assert compared > 100
