"""The periodic jobs. Each takes the runtime and `now`, commits once per unit of work, and never raises
for one bad row: the scheduler calls them again at the next tick.

- scan_deadlines: the risk and escalation scan, one transaction, under the "scan_deadlines" lease;
- deliver_outbox: sends due e-mails and webhooks, one transaction per message, after the work committed;
- daily_digest: one e-mail a day to each leader listing the agency's overdue dossiers;
- fire_timers: BPMN timers that are due, one dossier per transaction.
"""
from __future__ import annotations

import datetime as dt
import gc
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update

from engine import accounts, applicant_notices, audit, dossiers, escalation, lease, notify, runtime
from engine.errors import EngineError
from engine.models import Dossier, Membership, Procedure, ProcedureVersion, Task, User
from engine.runtime import Runtime
from engine.writes import flush

log = logging.getLogger(__name__)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Hold back Python's cyclic garbage collector for the block (reference counting still frees).

    A scan that meets thousands of rows allocates a few objects per row, all alive until it ends and none
    in cycles; the collector, run every 700 allocations, would traverse them again and again and promote
    them to the oldest generation, whose full collections walk the whole process (measured: a quarter to
    a third of a 10 000-row scan). It runs again as usual when the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan_deadlines(rt: Runtime, now: dt.datetime) -> escalation.ScanResult | None:
    """Run one deadline scan and commit it; None when another process is scanning."""
    with lease.held(rt, "scan_deadlines") as got:
        if not got:
            return None
        with rt.sessions() as session, _cyclic_gc_paused():
            result = escalation.scan(rt, session, now)
            session.commit()
    log.info("deadline scan at %s: %d raised, %d escalations", now.isoformat(), result.tasks_raised,
             len(result.created))
    return result


@dataclass(frozen=True)
class DeliveryReport:
    """What one outbox run did."""

    sent: int
    failed: int


def deliver_outbox(rt: Runtime, now: dt.datetime, limit: int = 200) -> DeliveryReport | None:
    """Send the due outbox messages, each committed on its own; None when another process is sending."""
    settings = rt.settings
    with lease.held(rt, "deliver_outbox") as got:
        if not got:
            return None
        with rt.sessions() as session:
            ids = notify.due_ids(session, now, settings.max_attempts, limit)
        sent = failed = 0
        for message_id in ids:
            with rt.sessions() as session:
                try:
                    outcome = notify.deliver_one(session, settings, message_id, now)
                    session.commit()
                except Exception:  # the database, not the recipient: leave the row for the next run
                    session.rollback()
                    log.exception("outbox message %s could not be recorded", message_id)
                    continue
            if outcome is not None:
                sent, failed = sent + outcome.sent, failed + (not outcome.sent)
                if not outcome.sent:
                    log.warning("outbox %s (%s) attempt %d failed: %s", outcome.id, outcome.channel,
                                outcome.attempts, outcome.error)
    return DeliveryReport(sent, failed)


def purge_sessions(rt: Runtime, now: dt.datetime) -> int:
    """Delete ended login sessions (each login adds a row); return how many."""
    with rt.sessions() as session:
        count = accounts.purge_sessions(session, now, dt.timedelta(hours=rt.settings.session_idle_hours))
        session.commit()
    return count


def daily_digest(rt: Runtime, now: dt.datetime) -> int:
    """Queue today's digest of overdue open dossiers to each leader of their agency; return e-mails queued.

    Once a day per leader whatever the number of processes: the outbox row's dedupe key carries the date.
    """
    if not rt.settings.mail_enabled:
        return 0
    tz = ZoneInfo(rt.settings.timezone)
    day = now.astimezone(tz).date()
    with rt.sessions() as session:
        rows = session.execute(
            select(Dossier.agency_id, Dossier.code, Dossier.due_at, Dossier.appointment_at, Procedure.name_vi)
            .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(text("dossier.closed_at IS NULL AND dossier.risk <> 'on_track'"), Dossier.risk == "overdue")
            .order_by(Dossier.agency_id, Dossier.due_at)).all()
        by_agency = defaultdict(list)
        for r in rows:
            by_agency[r.agency_id].append(r)
        if not by_agency:
            return 0
        leaders = session.execute(select(Membership.agency_id, User.id, User.email).join(User)
                                  .where(Membership.role == "leader", Membership.agency_id.in_(list(by_agency)),
                                         User.is_active, User.email.is_not(None))).all()
        queued = 0
        for agency_id, user_id, email in leaders:
            lines = [f"- {r.code} — {r.name_vi} — hạn {r.due_at.astimezone(tz):%H:%M %d/%m/%Y}"
                     for r in by_agency[agency_id]]
            text_body = (f"Danh sách hồ sơ quá hạn ngày {day:%d/%m/%Y} ({len(lines)} hồ sơ):\n" + "\n".join(lines))
            queued += notify.enqueue_email(session, to=email, subject=f"[motcua] Hồ sơ quá hạn {day:%d/%m/%Y}",
                                           text=text_body, now=now, dedupe_key=f"digest:{day}:user:{user_id}")
        session.commit()
    return queued


@dataclass(frozen=True)
class TimerReport:
    """What one timer run did."""

    fired: int
    failed: int


def fire_dossier_timers(rt: Runtime, session, dossier_id: int, now: dt.datetime):
    """Let the dossier's due timers fire at `now` and advance its workflow (flush only)."""
    dossier = session.get(Dossier, dossier_id)
    compiled = rt.compiled(session, dossier)
    open_rows = list(session.scalars(select(Task).where(Task.dossier_id == dossier.id,
                                                        text("task.state IN ('ready', 'claimed')"))))
    workflow = runtime.restore(rt, compiled, dossier)
    status_before, paused_before = dossier.status, dossier.paused_at is not None
    runtime.fire_timers(workflow, now)
    result = dossiers.after_step(rt, session, dossier, compiled, workflow, now, done=None, open_rows=open_rows)
    audit.record(session, "timer_fired", dossier_id=dossier.id, actor=None, at=now,
                 created=[t.bpmn_id for t in result.created], cancelled=[t.bpmn_id for t in result.cancelled])
    flush(session)  # an official's step that won the race is a Conflict: retried at the next tick
    # a timer that moves the dossier on tells the citizen as an official's step would
    applicant_notices.after_step(session, rt.settings, dossier, now, procedure_name=compiled.meta.name_vi,
                                 status_before=status_before, paused_before=paused_before, data=None)
    return result


def fire_timers(rt: Runtime, now: dt.datetime, limit: int = 100) -> TimerReport:
    """Fire the BPMN timers that are due, one dossier per transaction."""
    with rt.sessions() as session:
        ids = list(session.scalars(select(Dossier.id).where(Dossier.next_timer_at <= now, Dossier.closed_at.is_(None))
                                   .order_by(Dossier.next_timer_at).limit(limit)))
    fired = failed = 0
    for dossier_id in ids:
        with rt.sessions() as session:
            try:
                fire_dossier_timers(rt, session, dossier_id, now)
                session.commit()
                fired += 1
            except EngineError as exc:
                # A concurrent step (Conflict) retries at the next tick; a broken expression would fail
                # every tick, so it waits an hour before the next try and is logged.
                session.rollback()
                failed += 1
                log.warning("timers of dossier %s: %s", dossier_id, exc.detail)
                if exc.code != "conflict":
                    session.execute(update(Dossier).where(Dossier.id == dossier_id)
                                    .values(next_timer_at=now + dt.timedelta(hours=1)))
                    session.commit()
    return TimerReport(fired, failed)
