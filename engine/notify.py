"""The outbox: e-mail (SMTP), webhooks (JSON POST) and SMS (an HTTP gateway) written with the work, sent
after its commit.

Use cases and the scan only add Outbox rows in their transaction. `deliver_one` sends one message and
records the outcome; a failure (SMTP server down, webhook answering 500, a timeout) is counted and the
message retried after base * 2^(attempts-1) seconds, capped, up to `max_attempts`. Nothing here is called
by the scan itself, so a dead mail server never slows or stops it. Delivery is at least once: a crash
between sending and the commit of `sent_at` sends the message again.
"""
from __future__ import annotations

import datetime as dt
import json
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import and_, select, text
from sqlalchemy.orm import Session

from engine import audit, bulk
from engine.models import Membership, Outbox, User

DUE = "outbox.sent_at IS NULL"  # the predicate of ix_outbox_due, verbatim


def _insert(session: Session, rows: list[dict]) -> int:
    """Insert outbox rows; a row whose dedupe_key exists is skipped. Return how many were inserted."""
    if not rows:
        return 0
    for row in rows:
        row.setdefault("dedupe_key", None)
        row.setdefault("escalation_id", None)
        row.setdefault("subject", None)
    return len(bulk.insert_new(session, Outbox.__table__, rows, conflict=("dedupe_key",)))


def enqueue_email(session: Session, *, to: str, subject: str, text: str, now: dt.datetime,
                  escalation_id: int | None = None, dedupe_key: str | None = None) -> int:
    """Queue an e-mail; return 1, or 0 when a message with the same dedupe_key was queued before."""
    return _insert(session, [dict(channel="email", recipient=to, subject=subject, body={"text": text},
                                  escalation_id=escalation_id, created_at=now, attempts=0, next_attempt_at=now,
                                  dedupe_key=dedupe_key)])


def enqueue_webhook(session: Session, *, url: str, payload: dict, now: dt.datetime,
                    escalation_id: int | None = None, dedupe_key: str | None = None) -> int:
    """Queue a webhook POST of `payload` as JSON."""
    return _insert(session, [dict(channel="webhook", recipient=url, body=payload, escalation_id=escalation_id,
                                  created_at=now, attempts=0, next_attempt_at=now, dedupe_key=dedupe_key)])


def enqueue_sms(session: Session, *, phone: str, text: str, now: dt.datetime,
                dedupe_key: str | None = None) -> int:
    """Queue an SMS to `phone`, sent through the gateway of settings.sms_url (send_sms)."""
    return _insert(session, [dict(channel="sms", recipient=phone, body={"text": text}, created_at=now, attempts=0,
                                  next_attempt_at=now, dedupe_key=dedupe_key)])


def recipients(session: Session, wanted: Sequence[tuple[int | None, int, str | None]]) -> dict[tuple, list[str]]:
    """Resolve (recipient_id, agency_id, role) triples to the e-mail addresses of active officials."""
    out: dict[tuple, list[str]] = {key: [] for key in wanted}
    ids = sorted({r for r, _, _ in wanted if r is not None})
    if ids:
        emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(ids), User.is_active,
                                                                         User.email.is_not(None))).all())
        for key in out:
            if key[0] in emails:
                out[key].append(emails[key[0]])
    pairs = sorted({(a, role) for r, a, role in wanted if r is None and role})
    if pairs:
        rows = session.execute(select(Membership.agency_id, Membership.role, User.email)
                               .join(User, User.id == Membership.user_id)
                               .where(Membership.agency_id.in_({a for a, _ in pairs}),
                                      Membership.role.in_({r for _, r in pairs}), User.is_active,
                                      User.email.is_not(None)).order_by(User.id)).all()
        for agency_id, role, email in rows:
            key = (None, agency_id, role)
            if key in out:
                out[key].append(email)
    return out


def queue_escalations(session: Session, settings, created: Sequence, now: dt.datetime) -> int:
    """Queue the e-mails (to each recipient) and webhooks of escalations just recorded; return the count."""
    if not created or not (settings.mail_enabled or settings.webhook_url):
        return 0
    rows = []
    if settings.mail_enabled:
        who = recipients(session, [(c.recipient_id, c.agency_id, c.recipient_role) for c in created])
        for c in created:
            for email in who[(c.recipient_id, c.agency_id, c.recipient_role)]:
                rows.append(dict(channel="email", recipient=email, subject=f"[motcua] {c.dossier_code}: cảnh báo "
                                 f"mức {c.rung}", body={"text": c.message}, escalation_id=c.id, created_at=now,
                                 attempts=0, next_attempt_at=now))
    if settings.webhook_url:
        for c in created:
            rows.append(dict(channel="webhook", recipient=settings.webhook_url, escalation_id=c.id, created_at=now,
                             attempts=0, next_attempt_at=now, body={
                                 "event": "escalation", "id": c.id, "rung": c.rung, "subject": c.subject,
                                 "dossier_code": c.dossier_code, "task_id": c.task_id, "task": c.task_name,
                                 "agency_id": c.agency_id, "recipient_id": c.recipient_id,
                                 "recipient_role": c.recipient_role, "message": c.message,
                                 "created_at": now.isoformat()}))
    return _insert(session, rows)


def backoff(attempts: int, base: int, cap: int) -> dt.timedelta:
    """Return the wait before the next try after `attempts` failed ones: base * 2^(attempts-1), capped."""
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def due_ids(session: Session, now: dt.datetime, max_attempts: int, limit: int = 200) -> list[int]:
    """Return the ids of unsent messages whose next attempt has come, oldest first."""
    return list(session.scalars(select(Outbox.id).where(_due(now), Outbox.attempts < max_attempts,
                                                        Outbox.channel != "portal")  # engine.portal.sync sends those
                                .order_by(Outbox.next_attempt_at, Outbox.id).limit(limit)))


def _due(now: dt.datetime):
    return and_(text(DUE), Outbox.next_attempt_at <= now)


def send_email(settings, to: str, subject: str, text: str) -> None:
    """Send one plain-text e-mail over SMTP; raise on any failure."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = settings.mail_sender, to, subject or ""
    msg.set_content(text, charset="utf-8", cte="quoted-printable")  # 7-bit safe for any relay
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.mail_timeout) as smtp:
        smtp.send_message(msg)


def post_webhook(url: str, payload: dict, timeout: float) -> None:
    """POST `payload` as JSON; raise unless the answer is 2xx."""
    data = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the URL is configuration
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "not a 2xx answer", response.headers, None)


def sms_request(settings, phone: str, text: str) -> urllib.request.Request:
    """The gateway's HTTP request: settings.sms_body with {phone} and {text} filled in, escaped for its type.

    JSON bodies get JSON string escapes (the template holds the quotes), form bodies URL-encoding; any other
    content type the values as they are.
    """
    kind = settings.sms_content_type.lower()
    if "json" in kind:
        def escape(v: str) -> str:
            return json.dumps(v, ensure_ascii=False)[1:-1]
    elif "x-www-form-urlencoded" in kind:
        escape = urllib.parse.quote_plus
    else:
        def escape(v: str) -> str:
            return v
    body = settings.sms_body.replace("{phone}", escape(phone)).replace("{text}", escape(text))
    return urllib.request.Request(settings.sms_url, data=body.encode(), method="POST",
                                  headers={"Content-Type": settings.sms_content_type})


def send_sms(settings, phone: str, text: str) -> None:
    """POST one SMS to the gateway; raise unless the answer is 2xx."""
    request = sms_request(settings, phone, text)
    with urllib.request.urlopen(request, timeout=settings.sms_timeout) as response:  # noqa: S310 - configuration
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(settings.sms_url, response.status, "not a 2xx answer", response.headers,
                                         None)


@dataclass(frozen=True)
class Delivery:
    """The outcome of one delivery attempt."""

    id: int
    channel: str
    sent: bool
    attempts: int
    error: str | None = None


def deliver_one(session: Session, settings, message_id: int, now: dt.datetime) -> Delivery | None:
    """Try to send one due message and record the outcome (flush only); None when it is no longer due."""
    query = select(Outbox).where(Outbox.id == message_id, _due(now))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # another process is sending it
    msg = session.scalars(query).first()
    if msg is None:
        return None
    msg.attempts += 1
    try:
        if msg.channel == "email":
            send_email(settings, msg.recipient, msg.subject, msg.body.get("text", ""))
        elif msg.channel == "sms":
            send_sms(settings, msg.recipient, msg.body.get("text", ""))
        else:
            post_webhook(msg.recipient, msg.body, settings.webhook_timeout)
    except Exception as exc:  # noqa: BLE001 - any failure is the recipient's: count it and retry later
        msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        msg.next_attempt_at = now + backoff(msg.attempts, settings.retry_base_seconds, settings.retry_max_seconds)
        session.flush()
        return Delivery(msg.id, msg.channel, False, msg.attempts, msg.last_error)
    msg.sent_at, msg.last_error = now, None
    _record_applicant_notice(session, msg, now)
    session.flush()
    return Delivery(msg.id, msg.channel, True, msg.attempts)


def _record_applicant_notice(session: Session, msg: Outbox, now: dt.datetime) -> None:
    """A message to the applicant, once delivered, goes into the dossier's audit trail too."""
    from engine.applicant_notices import dossier_of

    found = dossier_of(msg.dedupe_key)
    if found is not None:
        audit.record(session, "applicant_notified", dossier_id=found[0], actor=None, at=now, event=found[1],
                     channel=msg.channel, attempts=msg.attempts, outbox_id=msg.id)
