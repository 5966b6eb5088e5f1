"""APScheduler registration of the periodic jobs (engine.jobs), in the web process or on its own.

Every process may run a scheduler: the leases (engine.lease) let one scan and one outbox run at a time,
the unique constraints make a repeated scan harmless, and the digest's dedupe key makes it once a day.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine import jobs
from engine.runtime import Runtime

log = logging.getLogger(__name__)
JOBS = ("scan_deadlines", "deliver_outbox", "fire_timers", "daily_digest", "purge_sessions", "consultation_silence")


def _tick(rt: Runtime, job: Callable) -> Callable[[], None]:
    def run() -> None:
        try:
            job(rt, rt.clock.now())
        except Exception:  # a failing job must not stop the scheduler; the next tick tries again
            log.exception("job %s failed", job.__name__)

    run.__name__ = job.__name__
    return run


def register(scheduler: BaseScheduler, rt: Runtime) -> BaseScheduler:
    """Add the jobs with their intervals from the settings; return the scheduler."""
    s = rt.settings
    tz = ZoneInfo(s.timezone)
    # coalesce + one instance: a late tick is run once, never beside a still-running one
    common = {"max_instances": 1, "coalesce": True, "replace_existing": True, "misfire_grace_time": 30}
    scheduler.add_job(_tick(rt, jobs.scan_deadlines), IntervalTrigger(seconds=s.scan_interval), id="scan_deadlines",
                      **common)
    scheduler.add_job(_tick(rt, jobs.deliver_outbox), IntervalTrigger(seconds=s.outbox_interval),
                      id="deliver_outbox", **common)
    scheduler.add_job(_tick(rt, jobs.fire_timers), IntervalTrigger(seconds=s.timers_interval), id="fire_timers",
                      **common)
    from engine.consultations import apply_silence  # a consulted agency's silence past its step's due time

    scheduler.add_job(_tick(rt, apply_silence), IntervalTrigger(seconds=s.timers_interval), id="consultation_silence",
                      **common)
    scheduler.add_job(_tick(rt, jobs.daily_digest), CronTrigger(hour=s.digest_time.hour, minute=s.digest_time.minute,
                                                               timezone=tz), id="daily_digest", **common)
    scheduler.add_job(_tick(rt, jobs.purge_sessions), CronTrigger(hour=3, timezone=tz), id="purge_sessions", **common)
    from engine.portal import exchange as portal_exchange
    from engine.portal import sync as portal_sync
    from engine.portal.config import PortalConfig

    portal = PortalConfig.from_settings(s)
    if portal.url:  # the national portal's status messages, beside the outbox, and its new dossiers
        scheduler.add_job(_tick(rt, portal_sync.push), IntervalTrigger(seconds=s.outbox_interval), id="portal_push",
                          **common)
        scheduler.add_job(_tick(rt, portal_exchange.scheduled_pull), IntervalTrigger(seconds=portal.pull_interval),
                          id="portal_pull", **common)
    return scheduler


def build(rt: Runtime, blocking: bool = False) -> BaseScheduler:
    """Return a scheduler (not started) with the jobs registered."""
    cls = BlockingScheduler if blocking else BackgroundScheduler
    return register(cls(timezone=ZoneInfo(rt.settings.timezone)), rt)


def start_in_process(rt: Runtime) -> BackgroundScheduler:
    """Start the jobs in a background thread of this process (the one-machine default); return the scheduler."""
    scheduler = build(rt)
    scheduler.start()
    log.info("scheduler started in process: %s", ", ".join(JOBS))
    return scheduler


def run_forever(rt: Runtime, on_start: Callable[[], None] | None = None) -> None:
    """Run the jobs in the foreground until SIGTERM or SIGINT, then let running jobs finish."""
    scheduler = build(rt)
    stop = threading.Event()

    def request_stop(signum, _frame):
        log.info("signal %s: stopping the scheduler", signum)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
        if on_start:
            on_start()
        while not stop.wait(1.0):  # wakes for signals; the jobs run in the scheduler's threads
            pass
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
