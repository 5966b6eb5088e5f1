"""The outbox: real SMTP (aiosmtpd) and HTTP servers on 127.0.0.1, failures retried with back-off."""
from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from support import at, receive

from engine import jobs, notify
from engine.models import Outbox


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping what it received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp_port():
    return free_port()


def with_settings(rt, **changes):
    return dataclasses.replace(rt, settings=dataclasses.replace(rt.settings, **changes))


@pytest.mark.parametrize("attempts, expected", [(1, 60), (2, 120), (3, 240), (9, 15360), (10, 21600), (30, 21600)])
def test_back_off_doubles_up_to_its_cap(attempts, expected):
    assert notify.backoff(attempts, 60, 21600) == dt.timedelta(seconds=expected)


def test_mail_queued_while_the_smtp_server_is_down_goes_out_once_it_is_back(rt, session, smtp_port):
    mailing = with_settings(rt, mail_enabled=True, smtp_port=smtp_port, mail_timeout=2)
    notify.enqueue_email(session, to="binh@example.vn", subject="Hồ sơ", text="Xin chào", now=at(2, 9))
    session.commit()
    report = jobs.deliver_outbox(mailing, at(2, 9))  # nothing listens on the port
    assert (report.sent, report.failed) == (0, 1)
    msg = session.scalars(select(Outbox)).one()
    assert msg.attempts == 1 and msg.sent_at is None and msg.next_attempt_at == at(2, 9, 1)
    assert "Connection" in msg.last_error or "refused" in msg.last_error
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    try:
        assert jobs.deliver_outbox(mailing, at(2, 9, 0)).sent == 0  # not due again yet
        assert inbox.messages == []
        report = jobs.deliver_outbox(mailing, at(2, 9, 1))
    finally:
        server.stop()
    assert (report.sent, report.failed) == (1, 0)
    [(to, content)] = inbox.messages
    parsed = email.message_from_string(content, policy=email.policy.default)
    assert to == ["binh@example.vn"] and parsed["Subject"] == "Hồ sơ" and parsed.get_content().strip() == "Xin chào"
    session.expire_all()
    msg = session.scalars(select(Outbox)).one()
    assert msg.sent_at == at(2, 9, 1) and msg.attempts == 2 and msg.last_error is None


class FlakyHook(BaseHTTPRequestHandler):
    """Answers 500 to the first `fail` POSTs, then 204; keeps the bodies it accepted."""

    fail = 0
    calls = 0
    accepted: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls += 1
        if type(self).calls <= type(self).fail:
            self.send_response(500)
        else:
            type(self).accepted.append(json.loads(body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    handler = type("Hook", (FlakyHook,), {"fail": 2, "calls": 0, "accepted": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/motcua", handler
    server.shutdown()
    server.server_close()


def test_a_webhook_that_fails_is_retried_with_back_off_until_it_accepts(rt, session, users, hook):
    url, handler = hook
    hooked = with_settings(rt, webhook_url=url, retry_base_seconds=60)
    receive(rt, session, users)
    jobs.scan_deadlines(hooked, at(3, 10))  # rung 1: one webhook message
    attempts = [(at(3, 10), False, 1), (at(3, 10, 1), False, 2), (at(3, 10, 2), False, 2),
                (at(3, 10, 3), True, 3)]
    for now, sent, tries in attempts:
        jobs.deliver_outbox(hooked, now)
        session.expire_all()
        msg = session.scalars(select(Outbox)).one()
        assert (msg.sent_at is not None, msg.attempts) == (sent, tries), now
    # the first failure waits 1 min, the second 2 min
    assert handler.calls == 3
    [payload] = handler.accepted
    assert payload["event"] == "escalation" and payload["rung"] == 1 and payload["recipient_role"] == "specialist"


def test_delivery_gives_up_after_the_last_attempt(rt, session):
    dead = with_settings(rt, webhook_url="http://127.0.0.1:9/none", max_attempts=2, webhook_timeout=1)
    notify.enqueue_webhook(session, url=dead.settings.webhook_url, payload={"x": 1}, now=at(2, 9))
    session.commit()
    for now in (at(2, 9), at(2, 9, 5), at(3, 9)):
        jobs.deliver_outbox(dead, now)
    session.expire_all()
    assert session.scalars(select(Outbox.attempts)).one() == 2


def test_the_daily_digest_mails_each_leader_once_a_day(rt, session, users):
    mailing = with_settings(rt, mail_enabled=True)
    for _ in range(2):
        receive(rt, session, users)
    jobs.scan_deadlines(mailing, at(5, 17, 1))  # both dossiers overdue
    session.execute(Outbox.__table__.delete())
    session.commit()
    assert jobs.daily_digest(mailing, at(6, 7, 30)) == 1
    assert jobs.daily_digest(mailing, at(6, 7, 31)) == 0  # another process, the same day
    assert jobs.daily_digest(mailing, at(9, 7, 30)) == 1
    first = session.scalars(select(Outbox).order_by(Outbox.id)).first()
    assert first.recipient == "tanlap.leader@motcua.local"
    assert first.body["text"].count("000.01.31.H26-260302-") == 2
