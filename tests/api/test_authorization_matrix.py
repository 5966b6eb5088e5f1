"""Who may call what: every /api/v1 endpoint of the URL map, called by every kind of caller.

The table below has one row per (method, rule) of the app; a new endpoint without a row fails
`test_the_table_covers_every_endpoint`. Each row names the callers allowed and the status they get, and
builds its request on real objects: a dossier of Tân Lập with its open task, made fresh for every call
that changes something, so that each caller meets the same situation. Allowed callers get the row's status
(never 401/403); everyone else is denied: 401 when anonymous, 403 or 404 for an official without the right.
Authenticated callers send a Bearer token.
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pytest
from samples import HH_APPROVE, HH_ISSUE, RETURN_COUNTER, SIGN_APPROVE, examine_supplement
from sqlalchemy import select
from support import APPLICANT, T0, VN, keep_organisation

from engine import accounts, boundary, dossiers, escalation, reception
from engine.admin import calendar, officials
from engine.models import Agency, AgencyHandover, Escalation, User

TANLAP_STAFF = tuple(f"tanlap.{role}" for role in ("reception", "specialist", "head", "leader", "clerk",
                                                   "supervisor"))
OFFICIALS = (*TANLAP_STAFF, "hoabinh.specialist", "tinh.designer", "admin")
CALLERS = ("anonymous", *OFFICIALS)
EVERYONE = frozenset(CALLERS)
LOGGED_IN = frozenset(OFFICIALS)
DENIED = {403, 404}
#: Thursday 10:00 after reception on Monday 09:00 at T0: the examine step is overdue (rungs 1 and 2) and the
#: household dossier, due Thursday 17:00, is in its last working day (rung 3, form 04 drafted)
SCAN_AT = dt.datetime(2026, 3, 5, 10, 0, tzinfo=VN)


class World:
    """Real objects to put in paths and bodies; each `fresh_*` call makes a new one through the engine."""

    def __init__(self, rt, receive):
        self.rt, self._receive = rt, receive
        with rt.sessions() as s:
            self.user_ids = {u.username: u.id for u in s.scalars(select(User))}
            self.tanlap = s.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
        shared = receive()
        self.dossier_id, self.task_id = shared.dossier.id, shared.created[0].id
        self.code, self.secret = shared.dossier.code, shared.dossier.lookup_secret

    def _act(self, action, username: str, *args):
        with self.rt.sessions() as s:
            result = action(self.rt, s, *args, actor=s.get(User, self.user_ids[username]), now=self.rt.clock.now())
            s.commit()
            return result

    def fresh_dossier(self):
        return self._receive().dossier.id

    def fresh_task(self) -> int:
        """The specialist's `examine` step of a newly received dossier, in the group inbox."""
        return self._receive().created[0].id

    def claimed_task(self) -> int:
        task_id = self.fresh_task()
        self._act(dossiers.claim_task, "tanlap.specialist", task_id)
        return task_id

    def sign_task(self) -> int:
        """The leader's `sign` step (it has a previous step to send back to)."""
        result = self._act(dossiers.complete_task, "tanlap.specialist", self.fresh_task(), HH_APPROVE)
        return result.created[0].id

    def returned(self) -> tuple[str, str]:
        received = self._receive()
        task_id = received.created[0].id
        for role, data in (("specialist", HH_APPROVE), ("leader", SIGN_APPROVE), ("clerk", HH_ISSUE),
                           ("reception", RETURN_COUNTER)):
            result = self._act(dossiers.complete_task, f"tanlap.{role}", task_id, data)
            task_id = result.created[0].id if result.created else None
        return received.dossier.code, received.dossier.lookup_secret

    def specialists_token(self) -> int:
        with self.rt.sessions() as s:
            row, _ = accounts.create_token(s, s.get(User, self.user_ids["tanlap.specialist"]), "matrix", T0)
            s.commit()
            return row.id

    def scan(self) -> None:
        with self.rt.sessions() as s:
            escalation.scan(self.rt, s, SCAN_AT)
            s.commit()

    @cached_property
    def escalations(self) -> dict[int, int]:
        """{rung: escalation id} of the shared dossier, after one deadline scan."""
        self.scan()
        with self.rt.sessions() as s:
            return dict(s.execute(select(Escalation.rung, Escalation.id)
                                  .where(Escalation.dossier_id == self.dossier_id)).all())

    @cached_property
    def letter_dossier(self) -> int:
        """The shared dossier, with its apology letter (form 04) drafted by the scan."""
        assert 3 in self.escalations
        return self.dossier_id

    def fresh_letter_dossier(self) -> int:
        dossier_id = self.fresh_dossier()
        self.scan()
        return dossier_id

    def desk_input(self) -> dict:
        return {"procedure": "household-business", "agency_id": self.tanlap, "channel": "counter",
                "applicant": APPLICANT}

    @cached_property
    def supplement_request(self) -> str:
        """The number of a request to supplement (form 02) issued at Tân Lập's desk."""
        return self._act(lambda rt, s, **kw: reception.request_supplement(
            rt, s, **self.desk_input(), missing_documents=[{"name": "Bản sao căn cước"}], **kw),
            "tanlap.reception").record.number

    # administration: each call meets a new official, agency code or calendar day
    _serial = itertools.count(1)

    def agency_input(self) -> dict:
        return {"code": f"000.9{next(self._serial)}.31.H26", "name": "UBND xã Mới", "level": "commune",
                "kind": "commune", "parent_id": self.tanlap}

    def official_input(self) -> dict:
        return {"username": f"matrix.{next(self._serial)}", "full_name": "Cán bộ mới",
                "roles": [{"agency_id": self.tanlap, "role": "clerk"}]}

    def fresh_official(self, active: bool = True) -> int:
        with self.rt.sessions() as s:
            made = officials.create_official(s, actor=None, now=T0, **{
                **self.official_input(), "roles": [(self.tanlap, "reception")]})
            made.user.is_active = active
            s.commit()
            return made.user.id

    def fresh_day(self) -> str:
        day = dt.date(2027, 1, 1) + dt.timedelta(days=next(self._serial))
        with self.rt.sessions() as s:
            calendar.set_day(self.rt, s, day, is_working=False, name="Nghỉ bù", actor=None, now=T0)
            s.commit()
        return day.isoformat()

    @cached_property
    def supplement_dossier(self) -> int:
        """A dossier whose examination asked for a supplement (form 02 in process)."""
        received = self._receive()
        self._act(dossiers.complete_task, "tanlap.specialist", received.created[0].id, examine_supplement())
        return received.dossier.id
    def studio_revision(self) -> int:
        """The revision of household-business's open draft in the studio (opened by tinh.designer if none)."""
        from engine.versioning import drafts

        return self._act(lambda rt, s, **kw: drafts.start_draft(s, "household-business", **kw),
                         "tinh.designer").revision

    # reception regardless of administrative boundary (engine.boundary): Tân Lập <-> Hòa Bình, same province
    def hoabinh(self) -> int:
        with self.rt.sessions() as s:
            return s.scalars(select(Agency.id).where(Agency.code == "000.02.31.H26")).one()

    def elsewhere_input(self, receiving: int, competent: int) -> dict:
        return {"receiving_agency_id": receiving, "competent_agency_id": competent, "procedure": "household-business",
                "channel": "counter", "applicant": APPLICANT}

    def received_for_hoabinh(self) -> int:
        """A dossier Tân Lập's desk received for Hòa Bình, not forwarded yet."""
        receipt, _ = self._act(lambda rt, s, **kw: boundary.receive_elsewhere(
            rt, s, **self.elsewhere_input(self.tanlap, self.hoabinh()), **kw), "tanlap.reception")
        return receipt.dossier.id

    def forwarded_to_tanlap(self) -> int:
        """A dossier Hòa Bình's desk received for Tân Lập and forwarded, not confirmed yet."""
        receipt, _ = self._act(lambda rt, s, **kw: boundary.receive_elsewhere(
            rt, s, **self.elsewhere_input(self.hoabinh(), self.tanlap), **kw), "hoabinh.reception")
        self._act(lambda rt, s, **kw: boundary.forward(s, receipt.dossier.id, **kw), "hoabinh.reception")
        return receipt.dossier.id

    def handover_to_tanlap(self) -> int:
        """An unconfirmed inter-agency hand-over of a fresh dossier from Hòa Bình to Tân Lập."""
        dossier_id = self.fresh_dossier()
        with self.rt.sessions() as s:
            row = AgencyHandover(dossier_id=dossier_id, from_agency_id=self.hoabinh(), to_agency_id=self.tanlap,
                                 sent_at=self.rt.clock.now())
            s.add(row)
            s.commit()
            return row.id

    @cached_property
    def refusal(self) -> str:
        return self._act(lambda rt, s, **kw: reception.refuse_at_desk(
            rt, s, **self.desk_input(), reason="Không thuộc thẩm quyền.", **kw), "tanlap.reception").record.number


Request = Callable[[World], tuple[str, dict]]


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    status: int
    #: the path and the test client's keyword arguments (json=, query_string=), built on real objects
    request: Request = field(default=lambda w: ("", {}))


def row(allowed, status: int, request: Request | str) -> Row:
    build = (lambda w: (request, {})) if isinstance(request, str) else request
    return Row(frozenset(allowed), status, build)


V1 = "/api/v1"
MATRIX: dict[tuple[str, str], Row] = {
    # documentation
    ("GET", f"{V1}/openapi.json"): row(EVERYONE, 200, f"{V1}/openapi.json"),
    ("GET", f"{V1}/docs"): row(EVERYONE, 200, f"{V1}/docs"),
    # auth
    ("POST", f"{V1}/auth/login"): row(EVERYONE, 200, lambda w: (f"{V1}/auth/login", {"json": {
        "username": "tanlap.clerk", "password": "demo-pass-123"}})),
    ("POST", f"{V1}/auth/logout"): row(EVERYONE, 204, f"{V1}/auth/logout"),
    ("GET", f"{V1}/auth/me"): row(LOGGED_IN, 200, f"{V1}/auth/me"),
    ("GET", f"{V1}/auth/tokens"): row(LOGGED_IN, 200, f"{V1}/auth/tokens"),
    # callers here send Bearer tokens, and a token cannot create tokens (test_auth: a logged-in session can)
    ("POST", f"{V1}/auth/tokens"): row(set(), 201, lambda w: (f"{V1}/auth/tokens", {"json": {"name": "x"}})),
    ("DELETE", f"{V1}/auth/tokens/<int:token_id>"): row(
        {"tanlap.specialist", "admin"}, 200, lambda w: (f"{V1}/auth/tokens/{w.specialists_token()}", {})),
    # the catalog
    ("GET", f"{V1}/procedures"): row(LOGGED_IN, 200, f"{V1}/procedures"),
    ("GET", f"{V1}/procedures/<slug>"): row(LOGGED_IN, 200, f"{V1}/procedures/household-business"),
    ("GET", f"{V1}/procedures/<slug>/versions"): row(
        {"tinh.designer", "admin"}, 200, f"{V1}/procedures/household-business/versions"),
    # dossiers and the desk
    ("GET", f"{V1}/dossiers"): row(LOGGED_IN, 200, f"{V1}/dossiers"),
    ("POST", f"{V1}/dossiers"): row(
        {"tanlap.reception", "admin"}, 201, lambda w: (f"{V1}/dossiers", {"json": w.desk_input()})),
    ("GET", f"{V1}/dossiers/<int:dossier_id>"): row(
        {*TANLAP_STAFF, "admin"}, 200, lambda w: (f"{V1}/dossiers/{w.dossier_id}", {})),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/control-sheet"): row(
        {*TANLAP_STAFF, "admin"}, 200, lambda w: (f"{V1}/dossiers/{w.dossier_id}/control-sheet", {})),
    ("POST", f"{V1}/dossiers/<int:dossier_id>/withdraw"): row(
        {"tanlap.reception", "admin"}, 200,
        lambda w: (f"{V1}/dossiers/{w.fresh_dossier()}/withdraw", {"json": {"reason": "Công dân rút hồ sơ."}})),
    ("POST", f"{V1}/dossiers/<int:dossier_id>/stop"): row(
        {"tanlap.leader", "admin"}, 200,
        lambda w: (f"{V1}/dossiers/{w.fresh_dossier()}/stop", {"json": {"reason": "Cơ quan có thẩm quyền dừng."}})),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/payments"): row(
        {*TANLAP_STAFF, "admin"}, 200, lambda w: (f"{V1}/dossiers/{w.dossier_id}/payments", {})),
    ("POST", f"{V1}/dossiers/<int:dossier_id>/payments"): row(
        {"tanlap.reception", "admin"}, 201, lambda w: (f"{V1}/dossiers/{w.fresh_dossier()}/payments", {"json": {
            "method": "counter", "amount": 100000, "receipt_number": "BL-0001"}})),
    ("POST", f"{V1}/reception/supplement-requests"): row(
        {"tanlap.reception", "admin"}, 201, lambda w: (f"{V1}/reception/supplement-requests", {"json": {
            **w.desk_input(), "missing_documents": [{"name": "Bản sao căn cước"}]}})),
    ("POST", f"{V1}/reception/refusals"): row(
        {"tanlap.reception", "admin"}, 201, lambda w: (f"{V1}/reception/refusals", {"json": {
            **w.desk_input(), "reason": "Không thuộc thẩm quyền."}})),
    ("GET", f"{V1}/tracking-book"): row(
        {"tanlap.reception", "tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/tracking-book", {"query_string": {
            "from": "2026-03-01", "to": "2026-03-31", "agency_id": w.tanlap}})),
    # the printed forms: personal data (and the receipt's secret) for the officials handling the dossier only
    ("GET", f"{V1}/dossiers/<int:dossier_id>/receipt"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/dossiers/{w.dossier_id}/receipt", {})),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/receipt.pdf"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/dossiers/{w.dossier_id}/receipt.pdf", {})),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/shares"): row(
        {*TANLAP_STAFF, "admin"}, 200, lambda w: (f"{V1}/dossiers/{w.dossier_id}/shares", {})),
    ("POST", f"{V1}/handovers/<int:handover_id>/confirm"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/handovers/{w.handover_to_tanlap()}/confirm", {})),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/control-sheet.pdf"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/dossiers/{w.dossier_id}/control-sheet.pdf", {})),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/apology-letter.pdf"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/dossiers/{w.letter_dossier}/apology-letter.pdf", {})),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/supplement-request.pdf"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/dossiers/{w.supplement_dossier}/supplement-request.pdf", {})),
    ("GET", f"{V1}/reception/supplement-requests/<number>.pdf"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/reception/supplement-requests/{w.supplement_request}.pdf", {})),
    ("GET", f"{V1}/reception/refusals/<number>.pdf"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/reception/refusals/{w.refusal}.pdf", {})),
    ("GET", f"{V1}/tracking-book.pdf"): row(
        {"tanlap.reception", "tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/tracking-book.pdf", {"query_string": {
            "from": "2026-03-01", "to": "2026-03-31", "agency_id": w.tanlap}})),
    # the citizen
    ("GET", f"{V1}/public/dossiers/<code>"): row(
        EVERYONE, 200, lambda w: (f"{V1}/public/dossiers/{w.code}", {"query_string": {"secret": w.secret}})),
    ("POST", f"{V1}/public/dossiers/<code>/rating"): row(EVERYONE, 201, lambda w: (lambda code, secret: (
        f"{V1}/public/dossiers/{code}/rating", {"json": {"secret": secret, "score": 4}}))(*w.returned())),
    # tasks
    ("GET", f"{V1}/tasks"): row(LOGGED_IN, 200, f"{V1}/tasks"),
    ("GET", f"{V1}/tasks/<int:task_id>"): row(  # head and leader: they may assign it (engine.inbox.may_see)
        {"tanlap.specialist", "tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"}, 200, lambda w: (f"{V1}/tasks/{w.task_id}", {})),
    ("POST", f"{V1}/tasks/<int:task_id>/claim"): row(
        {"tanlap.specialist", "admin"}, 200, lambda w: (f"{V1}/tasks/{w.fresh_task()}/claim", {})),
    ("POST", f"{V1}/tasks/<int:task_id>/unclaim"): row(
        {"tanlap.specialist", "tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/tasks/{w.claimed_task()}/unclaim", {})),
    ("POST", f"{V1}/tasks/<int:task_id>/assign"): row(
        {"tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/tasks/{w.fresh_task()}/assign", {"json": {
            "assignee_id": w.user_ids["tanlap.specialist"]}})),
    ("POST", f"{V1}/tasks/<int:task_id>/complete"): row(
        {"tanlap.specialist", "admin"}, 200,
        lambda w: (f"{V1}/tasks/{w.fresh_task()}/complete", {"json": {"data": HH_APPROVE}})),
    ("POST", f"{V1}/tasks/<int:task_id>/send-back"): row(
        {"tanlap.leader", "admin"}, 200,
        lambda w: (f"{V1}/tasks/{w.sign_task()}/send-back", {"json": {"reason": "Dự thảo chưa khớp hồ sơ."}})),
    # escalations: rung 1 goes to the step's role (the specialists), rung 2 to the agency's supervisors;
    # admins are no recipients
    ("GET", f"{V1}/escalations"): row(LOGGED_IN, 200, f"{V1}/escalations"),
    ("POST", f"{V1}/escalations/<int:escalation_id>/read"): row(
        {"tanlap.specialist"}, 200, lambda w: (f"{V1}/escalations/{w.escalations[1]}/read", {})),
    ("POST", f"{V1}/escalations/<int:escalation_id>/acknowledge"): row(
        {"tanlap.specialist"}, 200, lambda w: (f"{V1}/escalations/{w.escalations[1]}/acknowledge", {
            "json": {"comment": "Đang xử lý."}})),
    ("POST", f"{V1}/escalations/<int:escalation_id>/reassign"): row(
        {"tanlap.supervisor"}, 200, lambda w: (f"{V1}/escalations/{w.escalations[2]}/reassign", {
            "json": {"assignee_id": w.user_ids["tanlap.specialist"]}})),
    # supervision
    ("GET", f"{V1}/supervision/dossiers"): row(
        {"tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"}, 200, f"{V1}/supervision/dossiers"),
    ("GET", f"{V1}/supervision/report"): row(
        {"tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/supervision/report", {"query_string": {"from": "2026-03-01", "to": "2026-03-31"}})),
    ("GET", f"{V1}/supervision/letters"): row(
        {"tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/supervision/letters", {"query_string": {"from": "2026-03-01", "to": "2026-03-31"}})),
    # oversight: the board for watchers (heads too), the rest for supervisors and leaders
    ("GET", f"{V1}/oversight/board"): row(
        {"tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"}, 200, f"{V1}/oversight/board?by=official"),
    ("GET", f"{V1}/oversight/board/dossiers"): row(
        {"tanlap.head", "tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/oversight/board/dossiers", {"query_string": {"by": "agency", "key": w.tanlap}})),
    ("GET", f"{V1}/oversight/indicators"): row(
        {"tanlap.leader", "tanlap.supervisor", "admin"}, 200, lambda w: (f"{V1}/oversight/indicators", {
            "query_string": {"from": "2026-03-01", "to": "2026-03-31", "agency_id": w.tanlap}})),
    ("GET", f"{V1}/oversight/indicators/<code>/dossiers"): row(
        {"tanlap.leader", "tanlap.supervisor", "admin"}, 200, lambda w: (f"{V1}/oversight/indicators/2.1/dossiers", {
            "query_string": {"from": "2026-03-01", "to": "2026-03-31", "agency_id": w.tanlap}})),
    ("GET", f"{V1}/oversight/evaluation"): row(
        {"tanlap.leader", "tanlap.supervisor", "admin"}, 200, f"{V1}/oversight/evaluation?year=2026&format=xlsx"),
    ("POST", f"{V1}/oversight/evaluation/refresh"): row(
        {"tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/oversight/evaluation/refresh", {"json": {"year": 2026}})),
    ("GET", f"{V1}/oversight/report.xlsx"): row(
        {"tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/oversight/report.xlsx", {"query_string": {"from": "2026-03-01", "to": "2026-03-31"}})),
    ("GET", f"{V1}/oversight/report.pdf"): row(
        {"tanlap.leader", "tanlap.supervisor", "admin"}, 200,
        lambda w: (f"{V1}/oversight/report.pdf", {"query_string": {"from": "2026-03-01", "to": "2026-03-31"}})),
    ("GET", f"{V1}/oversight/digest"): row({"tanlap.leader", "tanlap.supervisor", "admin"}, 200,
                                            f"{V1}/oversight/digest"),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/apology-letter"): row(
        {*TANLAP_STAFF, "admin"}, 200, lambda w: (f"{V1}/dossiers/{w.letter_dossier}/apology-letter", {})),
    ("POST", f"{V1}/dossiers/<int:dossier_id>/apology-letter/issue"): row(
        {"tanlap.leader", "admin"}, 200, lambda w: (f"{V1}/dossiers/{w.fresh_letter_dossier()}/apology-letter/issue",
                                                    {"json": {"new_appointment_at": "2026-03-10T17:00:00+07:00",
                                                              "reason": "Cần xác minh thêm."}})),
    # the procedure allows no extension (config: [deadlines.extensions] is empty): 409 once allowed
    ("POST", f"{V1}/dossiers/<int:dossier_id>/extensions"): row(
        {"tanlap.leader", "admin"}, 409, lambda w: (f"{V1}/dossiers/{w.dossier_id}/extensions", {
            "json": {"duration": "P2D", "reason": "Chờ kết quả xác minh."}})),
    # the process studio: designers (and approvers; approval needs an approver who did not design the change)
    ("GET", f"{V1}/studio/procedures/<slug>/draft"): row({"tinh.designer"}, 200, lambda w: (
        w.studio_revision() and f"{V1}/studio/procedures/household-business/draft", {})),
    ("POST", f"{V1}/studio/procedures/<slug>/draft"): row(
        {"tinh.designer"}, 201, f"{V1}/studio/procedures/household-business/draft"),
    ("PUT", f"{V1}/studio/procedures/<slug>/draft"): row({"tinh.designer"}, 200, lambda w: (
        f"{V1}/studio/procedures/household-business/draft", {"json": {"revision": w.studio_revision()}})),
    ("POST", f"{V1}/studio/procedures/<slug>/draft/lint"): row({"tinh.designer"}, 200, lambda w: (
        w.studio_revision() and f"{V1}/studio/procedures/household-business/draft/lint", {"json": {}})),
    ("POST", f"{V1}/studio/procedures/<slug>/draft/approve"): row(set(), 200, lambda w: (
        f"{V1}/studio/procedures/household-business/draft/approve", {"json": {"revision": w.studio_revision()}})),
    ("GET", f"{V1}/studio/procedures/<slug>/versions"): row(
        {"tinh.designer"}, 200, f"{V1}/studio/procedures/household-business/versions"),
    ("GET", f"{V1}/studio/procedures/<slug>/diff"): row({"tinh.designer"}, 200, lambda w: (
        f"{V1}/studio/procedures/household-business/diff", {"query_string": {"a": 1, "b": 1}})),
    ("POST", f"{V1}/studio/procedures/<slug>/migrations"): row({"tinh.designer"}, 200, lambda w: (
        f"{V1}/studio/procedures/household-business/migrations", {"json": {"to": 1, "dry_run": True}})),
    # the working calendar
    ("GET", f"{V1}/calendar/due"): row(LOGGED_IN, 200, lambda w: (f"{V1}/calendar/due", {"query_string": {
        "start": "2026-03-02T09:00:00+07:00", "duration": "P3D"}})),
    # one's own password: the current one is checked (wrong here: 422 for everyone signed in)
    ("POST", f"{V1}/auth/password"): row(LOGGED_IN, 422, lambda w: (f"{V1}/auth/password", {"json": {
        "current_password": "wrong-password", "new_password": "a-new-password"}})),
    # administration: system administrators (agency administrators: tests/api/test_admin_api.py)
    ("GET", f"{V1}/admin/agencies"): row({"admin"}, 200, f"{V1}/admin/agencies"),
    ("POST", f"{V1}/admin/agencies"): row({"admin"}, 201, lambda w: (f"{V1}/admin/agencies",
                                                                     {"json": w.agency_input()})),
    ("PATCH", f"{V1}/admin/agencies/<int:agency_id>"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/agencies/{w.tanlap}", {"json": {"name_en": "Tan Lap Commune"}})),
    ("GET", f"{V1}/admin/agencies/<int:agency_id>/procedures"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/agencies/{w.tanlap}/procedures", {})),
    ("PUT", f"{V1}/admin/agencies/<int:agency_id>/procedures/<slug>"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/agencies/{w.tanlap}/procedures/household-business", {
            "json": {"enabled": True, "local_code": "1.001612.H26", "contact": "Bộ phận Một cửa xã Tân Lập"}})),
    ("GET", f"{V1}/admin/officials"): row({"admin"}, 200, f"{V1}/admin/officials"),
    ("POST", f"{V1}/admin/officials"): row({"admin"}, 201, lambda w: (f"{V1}/admin/officials",
                                                                      {"json": w.official_input()})),
    ("GET", f"{V1}/admin/officials/<int:user_id>"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/officials/{w.fresh_official()}", {})),
    ("PATCH", f"{V1}/admin/officials/<int:user_id>"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/officials/{w.fresh_official()}", {"json": {"full_name": "Tên mới"}})),
    ("POST", f"{V1}/admin/officials/<int:user_id>/roles"): row(
        {"admin"}, 201, lambda w: (f"{V1}/admin/officials/{w.fresh_official()}/roles", {
            "json": {"agency_id": w.tanlap, "role": "clerk"}})),
    ("DELETE", f"{V1}/admin/officials/<int:user_id>/roles/<int:agency_id>/<role>"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/officials/{w.fresh_official()}/roles/{w.tanlap}/reception", {})),
    ("POST", f"{V1}/admin/officials/<int:user_id>/deactivate"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/officials/{w.fresh_official()}/deactivate", {})),
    ("POST", f"{V1}/admin/officials/<int:user_id>/reactivate"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/officials/{w.fresh_official(active=False)}/reactivate", {})),
    ("POST", f"{V1}/admin/officials/<int:user_id>/reset-password"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/officials/{w.fresh_official()}/reset-password", {})),
    ("GET", f"{V1}/admin/calendar"): row({"admin"}, 200, lambda w: (f"{V1}/admin/calendar",
                                                                    {"query_string": {"year": 2026}})),
    ("PUT", f"{V1}/admin/calendar/days/<day>"): row(
        {"admin"}, 200, lambda w: (f"{V1}/admin/calendar/days/2027-05-03", {"json": {
            "is_working": False, "name": "Nghỉ bù"}})),
    ("DELETE", f"{V1}/admin/calendar/days/<day>"): row(
        {"admin"}, 204, lambda w: (f"{V1}/admin/calendar/days/{w.fresh_day()}", {})),
    ("GET", f"{V1}/admin/audit"): row({"admin"}, 200, f"{V1}/admin/audit"),
    # the dossier's documents (tests/api/test_documents_api.py has their own matrix, with files and results;
    # here no signing certificate is configured: no dossier has an electronic result)
    ("GET", f"{V1}/dossiers/<int:dossier_id>/documents"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/dossiers/{w.dossier_id}/documents", {})),
    ("POST", f"{V1}/dossiers/<int:dossier_id>/documents"): row(
        {"tanlap.reception"}, 201, lambda w: (f"{V1}/dossiers/{w.dossier_id}/documents", {
            "content_type": "multipart/form-data",
            "data": {"component": "0", "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 17
                                                           + b"\0\0\0\0IEND\xaeB`\x82"), "scan.png")}})),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/documents/reuse"): row(
        TANLAP_STAFF, 200, lambda w: (f"{V1}/dossiers/{w.dossier_id}/documents/reuse", {})),
    ("POST", f"{V1}/dossiers/<int:dossier_id>/documents/reuse"): row(  # no earlier file of this applicant
        {"tanlap.reception"}, 422, lambda w: (f"{V1}/dossiers/{w.dossier_id}/documents/reuse", {
            "json": {"document_id": 1, "component": 0}})),
    ("GET", f"{V1}/documents/<int:document_id>/content"): row(set(), 200, f"{V1}/documents/2147483647/content"),
    ("GET", f"{V1}/dossiers/<int:dossier_id>/result"): row(
        TANLAP_STAFF, 404, lambda w: (f"{V1}/dossiers/{w.dossier_id}/result", {})),
    ("GET", f"{V1}/public/dossiers/<code>/result"): row(
        EVERYONE, 404, lambda w: (f"{V1}/public/dossiers/{w.code}/result", {"query_string": {"secret": w.secret}})),
    # reception regardless of administrative boundary
    ("GET", f"{V1}/forwardings"): row(
        {*TANLAP_STAFF, "admin"}, 200, lambda w: (f"{V1}/forwardings", {"query_string": {"agency_id": w.tanlap}})),
    ("POST", f"{V1}/forwardings"): row(
        {"tanlap.reception", "admin"}, 201, lambda w: (f"{V1}/forwardings", {
            "json": w.elsewhere_input(w.tanlap, w.hoabinh())})),
    ("POST", f"{V1}/forwardings/<int:dossier_id>/forward"): row(
        {"tanlap.reception", "admin"}, 200, lambda w: (f"{V1}/forwardings/{w.received_for_hoabinh()}/forward", {})),
    ("POST", f"{V1}/forwardings/<int:dossier_id>/accept"): row(
        {"tanlap.reception", "admin"}, 200, lambda w: (f"{V1}/forwardings/{w.forwarded_to_tanlap()}/accept", {})),
}


def api_endpoints(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith(V1)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_the_table_covers_every_endpoint(app):
    endpoints = api_endpoints(app)
    assert not endpoints - MATRIX.keys(), "endpoints without a row in MATRIX"
    assert not MATRIX.keys() - endpoints, "rows of MATRIX for endpoints the app no longer has"


@pytest.fixture(autouse=True)
def _organisation(rt):
    """Administration rows create officials and agencies: the seeded organisation is put back after."""
    with keep_organisation(rt):
        yield


@pytest.fixture
def callers(app, token_client):
    app.config["PUBLIC_RATE_LIMIT"] = (10_000, 1.0)  # one address calls the public endpoints many times
    return {"anonymous": app.test_client(), **{who: token_client(who) for who in OFFICIALS}}


@pytest.mark.parametrize(("method", "rule"), sorted(MATRIX), ids=[f"{m} {r[len(V1):]}" for m, r in sorted(MATRIX)])
def test_each_caller_is_allowed_or_denied(method, rule, rt, receive, callers):
    expected = MATRIX[(method, rule)]
    world = World(rt, receive)
    wrong = []
    for who in CALLERS:
        path, kwargs = expected.request(world)
        response = callers[who].open(path, method=method, **kwargs)
        if who in expected.allowed:
            ok = response.status_code == expected.status
        elif who == "anonymous":
            ok = response.status_code == 401
        else:
            ok = response.status_code in DENIED
        if not ok:
            body = response.get_data(as_text=True)[:200]
            wrong.append(f"{who}: {response.status_code} {body}")
    assert not wrong, f"{method} {rule}:\n" + "\n".join(wrong)


def test_denied_answers_are_problems(callers, rt, receive):
    """A denial says why, in the one error shape (RFC 7807), for an anonymous caller and an outsider."""
    world = World(rt, receive)
    for who, status in (("anonymous", 401), ("hoabinh.specialist", 404)):  # another agency's task: as if unknown
        response = callers[who].post(f"{V1}/tasks/{world.task_id}/claim")
        assert response.status_code == status and response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == status and response.get_json()["detail"]
