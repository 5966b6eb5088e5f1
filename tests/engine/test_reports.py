"""Form II.06a figures on a small constructed set of dossiers."""
from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select

from engine import reports, supervision
from engine.models import Agency, Dossier, Procedure, ProcedureVersion, Task
from engine.reports import Figures

VN = dt.timezone(dt.timedelta(hours=7))


def t(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VN)


def add(session, n: int, channel: str, status: str, received: dt.datetime, appointment: dt.datetime,
        finished: dt.datetime | None = None, due: dt.datetime | None = None) -> Dossier:
    version = session.scalars(select(ProcedureVersion.id).join(Procedure)
                              .where(Procedure.slug == "household-business")).first()
    agency = session.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
    d = Dossier(code=f"R-{n:04d}", lookup_secret="x", procedure_version_id=version, agency_id=agency, channel=channel,
                status=status, applicant_name="Công dân", applicant={}, received_at=received,
                clock_started_at=received, appointment_at=appointment, due_at=due or appointment,
                legal_due_at=appointment,
                processed_at=finished if status in ("returned", "processed") else None,
                closed_at=finished if status != "processed" else None, workflow_state=b"")
    session.add(d)
    session.flush()
    return d


def build(session, users):
    add(session, 1, "counter", "processing", t(2, 20), t(2, 25))  # carried over, still open, overdue
    add(session, 2, "counter", "returned", t(2, 26), t(3, 3, 17), finished=t(3, 2))  # carried over, early
    add(session, 3, "counter", "returned", t(2, 10), t(2, 13), finished=t(2, 15))  # finished before: not counted
    on_time = add(session, 4, "online", "returned", t(3, 5), t(3, 10, 17), finished=t(3, 10, 16))
    # late against the receipt's appointment, even with an apology's new date (due_at) it met
    add(session, 5, "counter", "returned", t(3, 5), t(3, 10, 17), finished=t(3, 12), due=t(3, 13, 17))
    add(session, 6, "postal", "processing", t(3, 20), t(4, 3, 17))  # in progress, within
    add(session, 7, "counter", "withdrawn", t(3, 21), t(3, 26, 17), finished=t(3, 22))
    add(session, 8, "online", "refused", t(3, 25), t(3, 30, 17), finished=t(3, 26))
    add(session, 9, "counter", "processing", t(4, 2), t(4, 7, 17))  # after the period
    add(session, 10, "counter", "returned", t(3, 30), t(4, 1, 17), finished=t(4, 2))  # finished after the end
    session.add(Task(dossier_id=on_time.id, spiff_task_id="x", bpmn_id="examine", name="Thẩm định", role="specialist",
                     agency_id=on_time.agency_id, state="completed", created_at=t(3, 5), completed_at=t(3, 9),
                     completed_by_id=users["tanlap.specialist"].id))
    session.commit()


def test_form_ii_06a_counts_each_dossier_once_on_each_side(rt, session, users):
    build(session, users)
    report = reports.handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=t(5, 1))
    assert report.total == Figures(carried_over=2, new_online=2, new_direct_or_postal=4, resolved_early=1,
                                   resolved_on_time=1, resolved_late=1, in_progress_within=2, in_progress_overdue=1,
                                   withdrawn=1, refused=1)
    total = report.total
    assert total.received == total.resolved + total.in_progress + total.withdrawn + total.refused + total.stopped == 8
    [row] = report.rows
    assert (row.agency_code, row.procedure_code, row.official) == ("000.01.31.H26", "1.001612", None)


def test_a_report_for_a_running_period_scores_open_dossiers_as_of_now(rt, session, users):
    build(session, users)
    report = reports.handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=t(3, 4))
    # as of 4 March, dossier 1 is overdue, 6 and 10 are within their appointments, and 10 counts as
    # in progress until it is finished
    assert (report.total.in_progress_overdue, report.total.in_progress_within) == (1, 2)


def test_per_official_rows_count_the_dossiers_an_official_worked_on(rt, session, users):
    build(session, users)
    report = reports.handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=t(5, 1),
                                     by_official=True)
    [row] = [r for r in report.rows if r.official]
    assert row.official == "tanlap.specialist"
    assert row.figures == Figures(new_online=1, resolved_on_time=1)
    assert report.total.received == 8


def test_the_csv_has_one_line_per_row_and_a_total(rt, session, users):
    build(session, users)
    report = reports.handling_report(session, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), now=t(5, 1))
    lines = list(csv.reader(io.StringIO(supervision.report_csv(supervision.PeriodReport("procedure", report)))))
    assert lines[0][:7] == ["\ufeffTừ ngày", "Đến ngày", "Mã cơ quan", "Cơ quan", "Mã thủ tục", "Thủ tục hành chính",
                            "Tổng số hồ sơ tiếp nhận"]
    assert len(lines) == 3
    assert lines[-1][3:7] == ["Tổng cộng", "", "", "8"]
