"""Applicants hear about their dossier: at reception, at a supplement request, when the result is ready.

E-mail through a real SMTP server (aiosmtpd) and SMS through a real HTTP gateway, both on 127.0.0.1, started
by the tests; deliveries go through the outbox and its retries, and are recorded on the dossier.
"""
from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from samples import HH_APPROVE, HH_ISSUE, SIGN_APPROVE, examine_supplement, supplement_received
from sqlalchemy import select
from support import APPLICANT, act, at, receive
from test_notify import Inbox, free_port

from config.settings import SettingsError, load_settings
from engine import jobs
from engine.applicant_notices import ascii_text
from engine.models import AuditEvent, Outbox


class Gateway(BaseHTTPRequestHandler):
    """An SMS gateway: answers 503 to the first `fail` POSTs, then 200; keeps what it accepted."""

    fail = 0
    calls = 0
    accepted: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).calls += 1
        if type(self).calls <= type(self).fail:
            self.send_response(503)
        else:
            type(self).accepted.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    handler = type("Gw", (Gateway,), {"fail": 0, "calls": 0, "accepted": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms/send", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    yield port, inbox
    server.stop()


def _with(rt, **changes):
    return dataclasses.replace(rt, settings=dataclasses.replace(rt.settings, **changes))


def _to_result_ready(rt, session, users):
    d = receive(rt, session, users).dossier
    act(rt, session, users, d.id, "examine", examine_supplement())
    act(rt, session, users, d.id, "wait_supplement", supplement_received(rt.clock.now()))
    for step, data in (("examine", HH_APPROVE), ("sign", SIGN_APPROVE), ("issue", HH_ISSUE)):
        act(rt, session, users, d.id, step, data)
    return d


def test_reception_supplement_and_result_reach_the_applicant_by_mail_and_sms(rt, session, users, smtp, gateway):
    port, inbox = smtp
    url, handler = gateway
    told = _with(rt, mail_enabled=True, smtp_port=port, sms_url=url)
    d = _to_result_ready(told, session, users)
    report = jobs.deliver_outbox(told, rt.clock.now())
    assert (report.sent, report.failed) == (6, 0)

    mails = [email.message_from_string(content, policy=email.policy.default) for _, content in inbox.messages]
    assert [to for to, _ in inbox.messages] == [[APPLICANT["email"]]] * 3
    assert [m["Subject"] for m in mails] == [f"Hồ sơ {d.code} đã được tiếp nhận",
                                             f"Hồ sơ {d.code} cần bổ sung giấy tờ", f"Hồ sơ {d.code} đã có kết quả"]
    supplement = mails[1].get_content()
    assert "1. Giấy tờ cần bổ sung (bản sao), 1 bản" in supplement and "tạm dừng" in supplement
    assert f"/lookup?code={urllib.parse.quote_plus(d.code)}&secret={d.lookup_secret}" in mails[0].get_content()
    assert APPLICANT["name"] not in "".join(m.get_content() for m in mails)

    assert [(path, kind) for path, kind, _ in handler.accepted] == [("/sms/send", "application/json")] * 3
    bodies = [json.loads(body) for _, _, body in handler.accepted]
    assert {b["to"] for b in bodies} == {APPLICANT["phone"]}
    assert bodies[0]["text"].startswith(f"Ho so {d.code} da duoc tiep nhan") and bodies[0]["text"].isascii()
    assert "can bo sung" in bodies[1]["text"] and "da co ket qua" in bodies[2]["text"]

    session.expire_all()
    recorded = session.scalars(select(AuditEvent.detail).where(AuditEvent.dossier_id == d.id,
                                                               AuditEvent.action == "applicant_notified")).all()
    assert sorted((r["event"], r["channel"]) for r in recorded) == sorted(
        (e, c) for e in ("received", "supplement_requested", "result_ready") for c in ("email", "sms"))
    assert all(m.sent_at is not None for m in session.scalars(select(Outbox)))


def test_an_sms_gateway_that_fails_is_retried_and_the_delivery_recorded(rt, session, users, gateway):
    url, handler = gateway
    handler.fail = 1
    told = _with(rt, sms_url=url, sms_content_type="application/x-www-form-urlencoded",
                 sms_body="msisdn={phone}&message={text}", retry_base_seconds=60)
    receive(told, session, users)
    assert jobs.deliver_outbox(told, at(2, 9)).failed == 1
    session.expire_all()
    msg = session.scalars(select(Outbox)).one()
    assert msg.channel == "sms" and msg.attempts == 1 and msg.sent_at is None and "503" in msg.last_error
    assert jobs.deliver_outbox(told, at(2, 9, 1)).sent == 1
    [(_, kind, body)] = handler.accepted
    form = urllib.parse.parse_qs(body)
    assert kind == "application/x-www-form-urlencoded" and form["msisdn"] == [APPLICANT["phone"]]
    assert form["message"][0].startswith("Ho so ")
    session.expire_all()
    msg = session.scalars(select(Outbox)).one()
    assert msg.sent_at == at(2, 9, 1) and msg.attempts == 2 and msg.last_error is None


def test_nothing_is_queued_without_a_channel_or_twice_for_one_event(rt, session, users, gateway):
    url, _ = gateway
    receive(rt, session, users)  # neither mail nor SMS set up
    assert session.scalars(select(Outbox)).all() == []
    told = _with(rt, sms_url=url)
    d = receive(told, session, users).dossier
    from engine import applicant_notices

    assert applicant_notices.after_reception(session, told.settings, d, rt.clock.now(), "x") == 0  # same event
    assert len(session.scalars(select(Outbox)).all()) == 1


def test_sms_settings_are_checked():
    assert load_settings({"sms": {"url": "http://127.0.0.1:9/sms"}}).sms_url == "http://127.0.0.1:9/sms"
    with pytest.raises(SettingsError, match="sms.url"):
        load_settings({"sms": {"url": "ftp://x"}})
    with pytest.raises(SettingsError, match=r"sms.body"):
        load_settings({"sms": {"url": "http://x", "body": "no text here"}})


def test_sms_text_has_no_diacritics():
    assert ascii_text("Hồ sơ đã tiếp nhận, Đồng Nai") == "Ho so da tiep nhan, Dong Nai"
