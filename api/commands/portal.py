"""`motcua portal ...`: the national public service portal adapter ([portal] settings).

- `take FILE`: take in dossiers the portal sent as a file (a JSON list, one object, or JSON lines);
- `pull`: take in the dossiers filed online waiting on the portal, and acknowledge them;
- `push`: send the queued status changes and results;
- `ratings`: take back the citizens' ratings;
- `serve`: pull, push and take ratings every few seconds until Ctrl-C;
- `reconcile`: what is out of step between the portal and motcua;
- `rejected`: the refused messages kept for inspection.
Exit status 1 when something was refused or the portal could not be reached, 2 on a usage error.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import click

from api.commands.database import migrated_runtime


def _runtime(need_url: bool = True):
    from engine.portal.config import PortalConfig

    rt = migrated_runtime()
    if need_url and not PortalConfig.from_settings(rt.settings).url:
        click.echo("error: [portal] url is not set (MOTCUA_CONFIG or config/default.toml)", err=True)
        raise SystemExit(2)
    return rt


def _counts(counts: Counter) -> str:
    return ", ".join(f"{counts.get(k, 0)} {k}" for k in ("taken", "duplicate", "rejected"))


@click.group("portal")
def portal():
    """The national public service portal: take in online dossiers, send statuses, reconcile."""


@portal.command("take")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def take(file: Path):
    """Take in portal dossiers from FILE: a JSON list, one JSON object, or one JSON object per line."""
    from engine.portal.intake import take_dossier

    rt = _runtime(need_url=False)
    text = file.read_text(encoding="utf-8")
    try:
        loaded = json.loads(text)
        items = loaded if isinstance(loaded, list) else [loaded]
    except ValueError:
        items = [line for line in text.splitlines() if line.strip()]  # JSON lines: each checked on its own
    counts: Counter = Counter()
    for i, item in enumerate(items, 1):
        outcome = take_dossier(rt, item, rt.clock.now())
        counts[outcome.result] += 1
        if outcome.result == "rejected":
            fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in (outcome.errors or {}).items())
            click.echo(f"{file}:{i}: {outcome.portal_code or '-'}: refused: {outcome.reason}"
                       + (f" ({fields})" if fields else ""), err=True)
        else:
            click.echo(f"{outcome.portal_code}\t{outcome.result}\t{outcome.dossier_code}")
    click.echo(_counts(counts), err=True)
    raise SystemExit(1 if counts["rejected"] else 0)


@portal.command("pull")
@click.option("--batch", default=200, show_default=True, help="Dossiers asked for per request.")
def pull(batch: int):
    """Take in the dossiers filed online that wait on the portal, and acknowledge each."""
    from engine.portal.client import PortalError
    from engine.portal.exchange import pull_dossiers

    rt = _runtime()
    try:
        report = pull_dossiers(rt, rt.clock.now, batch=batch)
    except PortalError as exc:
        click.echo(f"error: the portal: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(_counts(report.counts))
    raise SystemExit(1 if report.counts["rejected"] else 0)


@portal.command("push")
def push():
    """Send the queued status changes and results (failed requests are retried later with back-off)."""
    from engine.portal.sync import push as push_messages

    rt = _runtime()
    report = push_messages(rt, rt.clock.now())
    if report is None:
        click.echo("error: another process is pushing right now", err=True)
        raise SystemExit(1)
    click.echo(f"{report.sent} sent, {report.failed} failed, {report.waiting} waiting for a retry "
               f"({report.requests} requests)")
    raise SystemExit(1 if report.failed else 0)


@portal.command("ratings")
def ratings():
    """Take back the citizens' ratings from the portal (once per dossier)."""
    from engine.portal.client import PortalError
    from engine.portal.exchange import pull_ratings

    rt = _runtime()
    try:
        counts = pull_ratings(rt, rt.clock.now())
    except PortalError as exc:
        click.echo(f"error: the portal: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(_counts(counts))


@portal.command("serve")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
def serve(interval: float):
    """Pull, push and take ratings every INTERVAL seconds until Ctrl-C."""
    from engine.portal.client import PortalError
    from engine.portal.exchange import pull_dossiers, pull_ratings
    from engine.portal.sync import push as push_messages

    rt = _runtime()
    click.echo(f"portal adapter running every {interval:g} s (stop: Ctrl-C)")
    try:
        while True:
            try:
                pulled = pull_dossiers(rt, rt.clock.now)
                rated = pull_ratings(rt, rt.clock.now())
                pushed = push_messages(rt, rt.clock.now())
                click.echo(f"pulled: {_counts(pulled.counts)}; ratings: {_counts(rated)}; pushed: "
                           f"{pushed.sent if pushed else 0} sent, {pushed.failed if pushed else 0} failed")
            except PortalError as exc:
                click.echo(f"the portal: {exc}; trying again", err=True)
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("portal adapter stopped")


@portal.command("reconcile")
@click.option("--check", default=1000, show_default=True, help="How many latest dossiers to look up.")
def reconcile(check: int):
    """Report what is out of step: unsent and given-up messages, refused ones, statuses that differ."""
    from engine.portal.exchange import reconcile as run

    rt = _runtime()
    r = run(rt, check=check)
    click.echo(f"checked {r.checked} dossiers")
    click.echo(f"messages waiting to be sent: {r.pending}")
    click.echo(f"messages given up after {rt.settings.max_attempts} attempts: {len(r.given_up)}")
    for code, error in r.given_up:
        click.echo(f"  given up\t{code}\t{error}")
    click.echo(f"portal messages refused (motcua portal rejected): {r.rejected}")
    click.echo(f"unknown to the portal: {len(r.missing)}")
    for code in r.missing:
        click.echo(f"  missing\t{code}")
    click.echo(f"status differs: {len(r.differ)}")
    for code, ours, theirs in r.differ:
        click.echo(f"  differs\t{code}\tmotcua {ours}\tportal {theirs}")
    raise SystemExit(1 if (r.given_up or r.missing or r.differ) else 0)


@portal.command("rejected")
@click.option("--limit", default=50, show_default=True)
def rejected(limit: int):
    """List the refused portal messages, newest first, with their reasons (kept whole in the database)."""
    from sqlalchemy import select

    from engine.models import PortalRejected

    rt = _runtime(need_url=False)
    with rt.sessions() as session:
        rows = session.scalars(select(PortalRejected).order_by(PortalRejected.id.desc()).limit(limit)).all()
        for r in rows:
            fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in (r.errors or {}).items())
            click.echo(f"{r.id}\t{r.received_at.isoformat()}\t{r.kind}\t{r.portal_code or '-'}\t{r.reason}"
                       + (f" ({fields})" if fields else ""))
