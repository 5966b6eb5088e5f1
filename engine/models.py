"""The tables. Workflow state is one document per dossier; what we query (tasks, pauses, audit) are rows."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime

#: Dossier statuses, synchronised with the national portal's milestones.
DOSSIER_STATUSES = (
    "received", "processing", "supplement_requested", "awaiting_payment", "processed",
    "returned", "refused", "withdrawn", "stopped",
)
CLOSED_STATUSES = ("returned", "refused", "withdrawn", "stopped")
OPEN_TASK_STATES = ("ready", "claimed")
TASK_STATES = ("ready", "claimed", "completed", "cancelled")
CHANNELS = ("counter", "online", "postal")


class Agency(Base):
    """A node of the agency tree; `level` is a label (province, commune, ministry, older: district)."""

    __tablename__ = "agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the agency code used in dossier codes (Circular 01/2018/TT-VPCP art. 19), e.g. 000.00.31.H26
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(40))
    #: what the agency is, matched against BPMN lanes `kind:role` and procedures' `agency_kind`
    kind: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    parent: Mapped[Agency | None] = relationship(remote_side=[id])
    #: the first and the last day the agency existed (both included; null: open-ended). The 2025 mergers
    #: and the two-tier local government ended many agencies and began others (engine.admin.agencies)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: set when an administrator created the account or reset its password: a new one at next sign-in
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", lazy="selectin")


class Membership(Base):
    """A role a user holds in an agency (one row per role)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "agency_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    role: Mapped[str] = mapped_column(String(40))
    user: Mapped[User] = relationship(back_populates="memberships")


class Procedure(Base):
    """A catalog entry; its diagrams are versions."""

    __tablename__ = "procedure"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: national code, e.g. 1.001193; local_code carries a province suffix, e.g. 1.000948.H38
    code: Mapped[str] = mapped_column(String(40))
    local_code: Mapped[str | None] = mapped_column(String(40))
    name_vi: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str | None] = mapped_column(String(500))
    level: Mapped[str] = mapped_column(String(40))
    agency_kind: Mapped[str] = mapped_column(String(40))
    #: the version new dossiers start on: the last deployed, or an earlier one deployed again
    current_version: Mapped[int] = mapped_column(Integer, default=0)


class ProcedureVersion(Base):
    """One deployed version: its package (BPMN, catalog entry, forms) and its serialized spec, never changed."""

    __tablename__ = "procedure_version"
    __table_args__ = (UniqueConstraint("procedure_id", "version"), UniqueConstraint("procedure_id", "checksum"))
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    #: bpmn.package.package_to_document(): procedure.toml, BPMN text and forms
    package: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    #: bpmn.serializer.dump_spec(): restored on a cache miss instead of re-parsing
    spec: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    procedure: Mapped[Procedure] = relationship(lazy="joined")


class Dossier(Base):
    """A citizen's dossier (hồ sơ) and its workflow; `version` guards every write (optimistic locking)."""

    __tablename__ = "dossier"
    __table_args__ = (
        # the deadline scan reads open dossiers near or past their due time, and revisits those at risk;
        # literal predicates, repeated verbatim in engine.deadlines, so SQLite can use them too
        Index("ix_dossier_open_due", "due_at", postgresql_where=text("closed_at IS NULL"),
              sqlite_where=text("closed_at IS NULL")),
        Index("ix_dossier_open_risky", "risk", postgresql_where=text("closed_at IS NULL AND risk <> 'on_track'"),
              sqlite_where=text("closed_at IS NULL AND risk <> 'on_track'")),
        # a search without diacritics reads the open dossiers' keys here, not the table (engine.inbox); with
        # closed_at (always NULL here) so that SQLite reads the index alone
        Index("ix_dossier_open_search", "search_key", "id", "closed_at", postgresql_where=text("closed_at IS NULL"),
              sqlite_where=text("closed_at IS NULL")),
        # the few paused dossiers, whose tasks the inbox's risk sort reads apart (engine.inbox._risk_parts)
        Index("ix_dossier_paused", "id", postgresql_where=text("paused_at IS NOT NULL"),
              sqlite_where=text("paused_at IS NOT NULL")),
        # PostgreSQL only (migrations speed_1, speed_3): trigrams of the open dossiers' keys, for LIKE '%...%',
        # written at once (no pending list for every search to read through); SQLite: the FTS5 table
        # dossier_search (speed_3, engine.inbox)
        Index("ix_dossier_open_search_trgm", "search_key", postgresql_using="gin",
              postgresql_ops={"search_key": "gin_trgm_ops"}, postgresql_with={"fastupdate": "off"},
              postgresql_where=text("closed_at IS NULL")).ddl_if(dialect="postgresql"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    #: <agency code>-<YYMMDD>-<4-digit sequence of the day> (Circular 01/2018/TT-VPCP art. 19)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: printed on the receipt; with the code it opens the public look-up
    lookup_secret: Mapped[str] = mapped_column(String(32))
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_version.id"))
    #: the competent agency handling the dossier
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    applicant_name: Mapped[str] = mapped_column(String(255))
    #: the code and applicant name folded for search without diacritics (engine.search.dossier_key)
    search_key: Mapped[str] = mapped_column(String(330), default="")
    #: identity and contact of the applicant (personal data: never on public pages)
    applicant: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: when the legal clock started (counter: reception; postal: postmark; online: recorded complete)
    clock_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: the appointment printed on the receipt (form 01); statistics score against it
    appointment_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: the due time officials work to: the legal due time, or a later date promised by an apology (form 04)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    #: the legal due time: the appointment moved by paused working time and by the extensions its law
    #: allows, never by an apology; statistics and form 05 score against it
    legal_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: on_track | at_risk (one working day left, or a step at risk) | overdue; kept by engine.deadlines
    risk: Mapped[str] = mapped_column(String(16), default="on_track")
    #: while the clock is paused (waiting for the citizen), since when
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    result_delivery: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: SpiffWorkflow state without its spec (bpmn.serializer.dump_state)
    workflow_state: Mapped[bytes] = mapped_column(LargeBinary)
    #: the earliest waiting BPMN timer (engine.timers.next_timer_at); the timer job polls this column
    next_timer_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    procedure_version: Mapped[ProcedureVersion] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class DaySequence(Base):
    """The last dossier sequence number used by an agency on a day (codes unique under concurrency)."""

    __tablename__ = "day_sequence"
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Pause(Base):
    """A stretch of time the legal clock stood still (waiting for the citizen's supplement)."""

    __tablename__ = "pause"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    paused_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    resumed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    dossier: Mapped[Dossier] = relationship(lazy="raise")


class Task(Base):
    """A human task of a dossier, kept in step with the workflow: inboxes and scans query these rows."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_inbox", "agency_id", "role", "state", "due_at"),
        Index("ix_task_assignee", "assignee_id", "state", "due_at"),
        # the open inboxes in their sort order (due_at, id), one range per arm: a group (agency, role), the
        # caller's own tasks, a supervised agency; a page reads its rows and stops (engine.inbox)
        Index("ix_task_open_group", "agency_id", "role", "due_at", "id",
              postgresql_where=text("state IN ('ready', 'claimed')"), sqlite_where=text("state IN ('ready', 'claimed')")),
        # (assigned only: `assignee_id IS NULL` of a groups page must not look like a range of this one).
        # PostgreSQL also has statistics st_task_state_assignee (mcv) ON state, assignee_id, made by the
        # migration (SQLAlchemy does not model them): they tell the planner that open tasks are mostly nobody's.
        Index("ix_task_open_assignee", "assignee_id", "due_at", "id",
              postgresql_where=text("state IN ('ready', 'claimed') AND assignee_id IS NOT NULL"),
              sqlite_where=text("state IN ('ready', 'claimed') AND assignee_id IS NOT NULL")),
        Index("ix_task_open_agency", "agency_id", "due_at", "id",
              postgresql_where=text("state IN ('ready', 'claimed')"), sqlite_where=text("state IN ('ready', 'claimed')")),
        # the deadline scan reads only open tasks whose warning time has come
        Index("ix_task_open_warn", "warn_at", postgresql_where=text("state IN ('ready', 'claimed')"),
              sqlite_where=text("state IN ('ready', 'claimed')")),
        # tasks the deadline scan has not seen yet (the remaining-path rule), and those it flagged
        Index("ix_task_open_created", "created_at", postgresql_where=text("state IN ('ready', 'claimed')"),
              sqlite_where=text("state IN ('ready', 'claimed')")),
        Index("ix_task_open_risky", "risk",
              postgresql_where=text("state IN ('ready', 'claimed') AND risk <> 'on_track'"),
              sqlite_where=text("state IN ('ready', 'claimed') AND risk <> 'on_track'")),
        # expected step durations: the latest completions of a step
        Index("ix_task_done_step", "bpmn_id", "completed_at", postgresql_where=text("state = 'completed'"),
              sqlite_where=text("state = 'completed'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(40))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    state: Mapped[str] = mapped_column(String(16))
    #: the step's time budget (ISO 8601 working time) from the diagram
    budget: Mapped[str | None] = mapped_column(String(32))
    #: the legal clock is paused while this task is open
    pauses_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when the task turns "at risk" (a share of its budget used); the scan polls this column
    warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: on_track | at_risk (warn_at passed) | overdue (due_at passed); kept by engine.deadlines
    risk: Mapped[str] = mapped_column(String(16), default="on_track")
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str | None] = mapped_column(String(40))
    #: guards claims and completions against concurrent writers
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    dossier: Mapped[Dossier] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class SavedFilter(Base):
    """An inbox filter an official saved under a name (engine.saved_filters)."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    #: the inbox's query parameters (scope, procedure, status, risk, due range, q, sort)
    query: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Who did what to a dossier and when; the control sheet (form 05) is derived from these and tasks."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dossier: Mapped[Dossier | None] = relationship(lazy="raise")


class CalendarOverride(Base):
    """A day swap decided after the `holidays` release: a day off, or a make-up working day."""

    __tablename__ = "calendar_override"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ApiToken(Base):
    """A personal Bearer token for scripts, or a browser's login session; only its hash is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: token (personal, listed and revoked by its owner) | session (a login, revoked at logout or when idle)
    kind: Mapped[str] = mapped_column(String(16), default="token")
    #: sha256 of the token; the token itself is shown once, at creation
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: a personal token stops working at this instant (server.token_lifetime_days); sessions: null (idle time)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Rating(Base):
    """The citizen's rating of the service (đánh giá mức độ hài lòng), once per dossier."""

    __tablename__ = "rating"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Escalation(Base):
    """One rung of the escalation ladder reached by one task or dossier; the unique key makes it happen once.

    rung 1 at_risk (the assignee or group is warned), 2 step_overdue (the role's supervisor), 3 will_be_late
    (the competent agency's leader; form 04 drafted), 4 dossier_overdue (recorded; daily digest).
    """

    __tablename__ = "escalation"
    __table_args__ = (UniqueConstraint("rung", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rung: Mapped[int] = mapped_column(Integer)
    #: "task:<id>" or "dossier:<id>"
    subject: Mapped[str] = mapped_column(String(40))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: the role whose holders in the agency receive it (when no single recipient)
    recipient_role: Mapped[str | None] = mapped_column(String(40))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    #: recorded after its moment had passed (a scan that ran late): the warning came after what it warns of
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Outbox(Base):
    """A message to send after the commit that created it (e-mail, webhook), retried with back-off."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "next_attempt_at", postgresql_where=text("sent_at IS NULL"),
              sqlite_where=text("sent_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook | sms
    recipient: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalation.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: makes a message once-only across processes (e.g. "digest:2026-03-02:user:7"); a unique index, not a
    #: constraint, so that it can be added to an existing SQLite table
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, index=True)


class ApologyLetter(Base):
    """Form 04 — phiếu xin lỗi và hẹn lại ngày trả kết quả. One per dossier: a new date is set only once."""

    __tablename__ = "apology_letter"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    drafted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    new_appointment_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Extension(Base):
    """A procedure-defined extension of the legal time (e.g. +2 working days for certified copies)."""

    __tablename__ = "extension"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    duration: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Lease(Base):
    """Who runs a periodic job now (SQLite; PostgreSQL uses an advisory lock)."""

    __tablename__ = "lease"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: how far the job got (the deadline scan: the latest task creation it has assessed)
    watermark: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DeskRecord(Base):
    """A reception-desk outcome that starts no workflow: a supplement request (form 02) or a refusal (form 03)."""

    __tablename__ = "desk_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: "supplement_request" (phiếu yêu cầu bổ sung, hoàn thiện hồ sơ) or "refusal" (phiếu từ chối tiếp nhận)
    kind: Mapped[str] = mapped_column(String(24))
    #: printed on the slip: <agency code>-<YYMMDD>-<kind letter><sequence>
    number: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"))
    channel: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(255))
    applicant: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: what is missing (form 02) — everything, at once
    missing_documents: Mapped[list[Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class AgencyProcedure(Base):
    """A procedure as one agency offers it: enabled or not, its local code, the contact printed on the receipt."""

    __tablename__ = "agency_procedure"
    __table_args__ = (UniqueConstraint("agency_id", "procedure_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the province's code of the procedure, e.g. 1.000948.H26
    local_code: Mapped[str | None] = mapped_column(String(40))
    #: where and how the citizen reaches the agency about this procedure (address, phone), printed on form 01
    contact: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


# -- oversight (engine.oversight) ---------------------------------------------------------------------------

#: the 766 indicators and form II.06a read one agency's dossiers of a period
Index("ix_dossier_agency_received", Dossier.agency_id, Dossier.received_at)


class OversightOfficialYear(Base):
    """The annual evaluation of one official in one agency (engine.oversight.evaluation), pre-aggregated."""

    __tablename__ = "oversight_official_year"
    __table_args__ = (UniqueConstraint("year", "agency_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    handled: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)
    sent_back: Mapped[int] = mapped_column(Integer, default=0)
    supplements: Mapped[int] = mapped_column(Integer, default=0)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class OversightRefresh(Base):
    """When a year's evaluation was last computed, and how many rows it stored."""

    __tablename__ = "oversight_refresh"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """A file of a dossier (engine.documents): a scanned component in a slot of the procedure's document list,
    or the electronic result. The bytes live in the content-addressed store under `sha256`; the row keeps the
    hash, size and audit facts even after retention removed the bytes (`removed_at`).
    """

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_dossier", "dossier_id", "kind", "slot"),
                      Index("ix_document_sha256", "sha256"),
                      Index("ix_document_applicant", "applicant_id_number"))
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    #: component (thành phần hồ sơ, in a slot) | result (kết quả giải quyết, electronic)
    kind: Mapped[str] = mapped_column(String(16))
    #: the index of the slot in the procedure's document list (components only)
    slot: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    #: desk (digitised at the desk) | reused (from an earlier dossier of the same applicant) | issued (a result)
    origin: Mapped[str] = mapped_column(String(16))
    #: reception | supplement | processing | result: when in the dossier's life the file came
    stage: Mapped[str] = mapped_column(String(16))
    reused_from_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    #: the applicant's identity number, copied at attachment so that reuse finds earlier files by it
    applicant_id_number: Mapped[str | None] = mapped_column(String(40))
    #: the signature check of a PDF (engine.documents.signatures): verdict, signer, checked_at
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attached_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    attached_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: the bytes may be removed after this instant (the procedure's retention period)
    keep_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when retention removed the bytes (the row, hash and audit stay)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ProcedureDraft(Base):
    """A designer's working copy of a procedure package (the studio); approving it deploys a new version.

    `revision` is the draft's etag: a save names the revision it started from, and a save from an older one
    is a conflict, never a lost change. `open_slug` is the slug while the draft is open and NULL once
    approved, so that a procedure has at most one open draft (NULLs never collide in a unique index).
    """

    __tablename__ = "procedure_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), index=True)
    open_slug: Mapped[str | None] = mapped_column(String(80), unique=True)
    #: the version the draft started from (None for a new procedure)
    base_version: Mapped[int | None] = mapped_column(Integer)
    toml_text: Mapped[str] = mapped_column(Text)
    bpmn_filename: Mapped[str] = mapped_column(String(200))
    bpmn_text: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the procedure version its approval deployed
    approved_version: Mapped[int | None] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": revision}


class Payment(Base):
    """A fee or financial obligation paid for a dossier: at the counter with a receipt, or online with the
    payment platform's reference, which is unique (a reference used twice is refused)."""

    __tablename__ = "payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # counter | online
    amount: Mapped[int] = mapped_column(Integer)  # VND
    receipt_number: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(128), unique=True)
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class PortalDossier(Base):
    """A dossier taken in from the national public service portal: the portal's dossier id is taken once.

    The unique `portal_code` makes intake idempotent: the same dossier sent twice is one dossier.
    """

    __tablename__ = "portal_dossier"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the portal's dossier id (MaHoSo as the portal sent it)
    portal_code: Mapped[str] = mapped_column(String(64), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: sha256 of the message taken in: a later copy that differs is reported, not applied
    digest: Mapped[str] = mapped_column(String(64))


class PortalRejected(Base):
    """A portal message refused (malformed, unknown procedure or agency): kept whole for inspection."""

    __tablename__ = "portal_rejected"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: dossier | rating
    kind: Mapped[str] = mapped_column(String(16))
    portal_code: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    #: the field errors, {field: [messages]}
    errors: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: the message as received (JSON when it parsed, else {"raw": text})
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class BoundaryReception(Base):
    """A dossier received at a service point other than its competent agency (Decree 118/2025, reception
    regardless of administrative boundary): where it was received, and its timed forwarding.

    Dossier.agency_id stays the competent agency (it handles and is scored on the dossier); this row keeps
    the receiving point, which counts the reception.
    """

    __tablename__ = "boundary_reception"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    receiving_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: the receiving point forwards the dossier (electronic copy, paper by courier) by this time
    forward_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    forwarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: the competent agency's reception confirms it got the dossier (paper parts included)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class AgencyHandover(Base):
    """Inter-agency bundles (liên thông): the dossier handed from one agency to the next, and the share of the
    legal time this opens for the receiving agency (engine.interagency).

    The first row of a bundle dossier is the lead agency's share, opened at reception (no sender agency,
    confirmed at once). Each later row is a hand-over: the receiving agency confirms it got the dossier
    before its officials may take its steps; its share runs from the sending (a slow confirmation is the
    receiver's time) to the hand-over out of it, or the end of the dossier.
    """

    __tablename__ = "agency_handover"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    from_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: the receiving agency's share ([[shares]] budget, working time), its due time and its end
    share_budget: Mapped[str | None] = mapped_column(String(32))
    share_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    share_ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
