"""`motcua scheduler` (the periodic jobs in the foreground) and `motcua escalate --now` (one scan)."""
from __future__ import annotations

import datetime as dt
import logging

import click

from api.commands.database import migrated_runtime


def _runtime():
    return migrated_runtime()


@click.command("scheduler")
def scheduler():
    """Run the deadline scan, outbox delivery, BPMN timers and the daily digest until SIGTERM/SIGINT."""
    from engine.scheduler import JOBS, run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = _runtime()
    run_forever(rt, on_start=lambda: click.echo(f"scheduler running: {', '.join(JOBS)} (stop: Ctrl-C or SIGTERM)"))
    click.echo("scheduler stopped")


def _instant(text: str) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.UsageError(f"--now: {text!r} is not an ISO 8601 instant like 2026-03-02T09:00:00+07:00") from None
    if at.tzinfo is None:
        raise click.UsageError(f"--now: {text!r} needs a UTC offset, e.g. +07:00")
    return at


@click.command("escalate")
@click.option("--now", "now_text", default=None, metavar="INSTANT",
              help="Scan as if at this instant (ISO 8601 with offset); default: the current time.")
def escalate(now_text: str | None):
    """Run one deadline scan, commit it, and print the escalations it created."""
    from sqlalchemy import select

    from engine import jobs
    from engine.models import Agency, User

    try:
        now = _instant(now_text) if now_text else None
    except click.UsageError as exc:
        click.echo(f"error: {exc.message}", err=True)
        raise SystemExit(2) from None
    rt = _runtime()
    result = jobs.scan_deadlines(rt, now or rt.clock.now())
    if result is None:
        click.echo("error: another process is scanning right now; try again in a moment", err=True)
        raise SystemExit(1)
    with rt.sessions() as session:
        users = dict(session.execute(select(User.id, User.username).where(
            User.id.in_({c.recipient_id for c in result.created if c.recipient_id}))).all())
        agencies = dict(session.execute(select(Agency.id, Agency.code)).all())
    for c in result.created:
        who = users.get(c.recipient_id) if c.recipient_id else f"{c.recipient_role}@{agencies.get(c.agency_id)}"
        click.echo(f"rung {c.rung}\t{c.dossier_code}\t{c.task_name or '-'}\t{who}")
    click.echo(f"{len(result.created)} escalation(s) created at {result.at.isoformat()}", err=True)
