"""Pulling from the portal (new dossiers, ratings) and the reconciliation report.

Pull: LayDanhSachHoSoMoi returns up to `soluong` dossiers filed online not yet acknowledged; each is taken
in (engine.portal.intake) and XacNhanNhanHoSo acknowledges them with the outcome (1 taken or already taken,
0 refused, with the reason). A crash between the commit and the acknowledgement only makes the portal send
the dossier again, which is then a duplicate. The service names are guesses (README).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from engine import lease, notify
from engine.models import Dossier, Outbox, PortalDossier, PortalRejected
from engine.portal.client import PortalClient, PortalError
from engine.portal.codes import STATUS_CODES
from engine.portal.config import PortalConfig
from engine.portal.intake import take_dossiers, take_rating

PULL_DOSSIERS, ACK_DOSSIERS, PULL_RATINGS, LOOKUP = ("LayDanhSachHoSoMoi", "XacNhanNhanHoSo", "LayDanhGiaHoSo",
                                                     "TraCuuHoSo")


@dataclass
class PullReport:
    counts: Counter = field(default_factory=Counter)
    batches: int = 0


def pull_dossiers(rt, now_fn, batch: int = 200, max_batches: int | None = None,
                  client: PortalClient | None = None) -> PullReport:
    """Take in what the portal has until it answers an empty list (or `max_batches`)."""
    config = PortalConfig.from_settings(rt.settings)
    client = client or PortalClient(config)
    report = PullReport()
    while max_batches is None or report.batches < max_batches:
        answer = client.call(PULL_DOSSIERS, soluong=batch)
        items = answer.get("result") or []
        if not isinstance(items, list) or not items:
            break
        report.batches += 1
        acks = []
        for outcome in take_dossiers(rt, items, now_fn, config):
            report.counts[outcome.result] += 1
            acks.append({"MaHoSo": outcome.portal_code or "", "KetQua": 0 if outcome.result == "rejected" else 1,
                         "MaHoSoMotCua": outcome.dossier_code or "", "LyDo": outcome.reason or ""})
        client.call(ACK_DOSSIERS, data=acks)
    return report


def scheduled_pull(rt, now: dt.datetime, client: PortalClient | None = None) -> PullReport | None:
    """The scheduler's pull (job portal_pull): new dossiers, at most `[portal] pull_batches` batches a run, by
    one process at a time (lease "portal_pull"); None when no portal is set or another process is pulling.

    The lease only saves asking twice: a dossier pulled twice is one dossier (intake's unique portal id).
    """
    config = PortalConfig.from_settings(rt.settings)
    if not config.url:
        return None
    with lease.held(rt, "portal_pull") as got:
        if not got:
            return None
        return pull_dossiers(rt, rt.clock.now, batch=config.batch, max_batches=config.pull_batches, client=client)


def pull_ratings(rt, now: dt.datetime, client: PortalClient | None = None) -> Counter:
    client = client or PortalClient(PortalConfig.from_settings(rt.settings))
    counts: Counter = Counter()
    for item in client.call(PULL_RATINGS).get("result") or []:
        counts[take_rating(rt, item, now).result] += 1
    return counts


@dataclass(frozen=True)
class Reconciliation:
    """What is out of step: messages not yet sent or given up, refused messages, statuses that differ."""

    pending: int
    given_up: list[tuple[str, str | None]]
    rejected: int
    differ: list[tuple[str, str, str]]  # (portal code, motcua's national code, the portal's)
    missing: list[str]                   # taken-in or synced dossiers the portal does not know
    checked: int


def reconcile(rt, max_attempts: int | None = None, client: PortalClient | None = None,
              check: int = 1000) -> Reconciliation:
    """Compare motcua with the portal: the outbox's backlog, and TraCuuHoSo for the latest `check` dossiers."""
    max_attempts = max_attempts or rt.settings.max_attempts
    with rt.sessions() as session:
        unsent = select(Outbox).where(Outbox.channel == "portal", text(notify.DUE))
        pending = session.scalar(select(func.count()).select_from(
            unsent.where(Outbox.attempts < max_attempts).subquery()))
        given_up = [(o.subject, o.last_error) for o in session.scalars(unsent.where(Outbox.attempts >= max_attempts))]
        rejected = session.scalar(select(func.count(PortalRejected.id)))
        rows = session.execute(select(Dossier.code, Dossier.status, PortalDossier.portal_code)
                               .outerjoin(PortalDossier, PortalDossier.dossier_id == Dossier.id)
                               .order_by(Dossier.id.desc()).limit(check)).all()
    differ, missing = [], []
    if client is not None or PortalConfig.from_settings(rt.settings).url:
        client = client or PortalClient(PortalConfig.from_settings(rt.settings))
        for code, status, portal_code in rows:
            key = portal_code or code
            try:
                found = client.call(LOOKUP, mahoso=key).get("result") or []
            except PortalError:
                found = None
            if not found:
                missing.append(key)
                continue
            theirs = str(found[0].get("TrangThaiHoSo", ""))
            if theirs != STATUS_CODES.get(status, ""):
                differ.append((key, STATUS_CODES.get(status, ""), theirs))
    return Reconciliation(pending, given_up, rejected, differ, missing, len(rows))
