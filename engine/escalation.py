"""The escalation ladder: decide (a pure function) and apply (rows), the deadline scan, the escalation inbox.

Rungs, each reached once per task or dossier (unique key (rung, subject)):
1. a step at risk -> its assignee, or the holders of its role in its agency when unclaimed;
2. a step overdue -> the supervisor(s) of that agency;
3. a dossier in its last working day (form 04 rule) -> the competent agency's leader, with an apology
   letter drafted (engine.letters);
4. a dossier overdue -> recorded for the leader; the daily digest mails the list (engine.jobs).
A scan that runs late (the scheduler was stopped, the server down) finds a subject already past a rung's
moment: a step overdue before its at-risk warning (rung 1), a dossier overdue before its last-day warning
(rung 3). Those rungs are still recorded, once each, but as late (`late`), worded as what happened: the
due time has passed, not "one working day left".
Escalations are inserted with INSERT .. ON CONFLICT DO NOTHING: a repeated or concurrent scan is harmless,
and only the rows actually inserted (RETURNING) get e-mails and webhooks.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from engine import bulk, deadlines, letters, notify
from engine.access import roles_in
from engine.errors import InvalidInput, NotFound
from engine.models import Agency, Dossier, Escalation, Task, User

LADDER = {
    ("task", "at_risk"): (1,),
    ("task", "overdue"): (1, 2),
    ("dossier", "at_risk"): (3,),
    ("dossier", "overdue"): (3, 4),
}
RUNG_NAMES = {1: "at_risk", 2: "step_overdue", 3: "will_be_late", 4: "dossier_overdue"}
#: the rungs as officials read them
RUNG_LABELS = {1: "Cảnh báo sắp trễ hạn", 2: "Bước quá hạn", 3: "Hồ sơ sắp trễ hạn — cần thư xin lỗi",
               4: "Hồ sơ quá hạn"}


@dataclass(frozen=True, slots=True)
class Subject:
    """A task or dossier that reached a risk level, as plain values."""

    kind: str  # "task" | "dossier"
    id: int
    dossier_id: int
    agency_id: int
    role: str | None = None
    assignee_id: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One rung to record: who receives it (one official, or a role in an agency)."""

    rung: int
    subject: str
    dossier_id: int
    task_id: int | None
    agency_id: int
    recipient_id: int | None
    recipient_role: str | None
    #: the rung's moment has passed: a warning (rung 1 or 3) reached only once the subject was overdue
    late: bool = False


#: the warning rungs: their moment ends at the due time, after which they can only be recorded late
WARNING_RUNGS = frozenset({1, 3})


def decide(subject: Subject, level: str) -> tuple[Decision, ...]:
    """Return every rung that a subject at `level` has reached (already recorded ones included)."""
    out = []
    for rung in LADDER.get((subject.kind, level), ()):
        if rung == 1:
            recipient, role = (subject.assignee_id, None) if subject.assignee_id else (None, subject.role)
        else:
            recipient, role = None, "supervisor" if rung == 2 else "leader"
        out.append(Decision(rung, f"{subject.kind}:{subject.id}", subject.dossier_id,
                            subject.id if subject.kind == "task" else None, subject.agency_id, recipient, role,
                            late=level == "overdue" and rung in WARNING_RUNGS))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CreatedEscalation:
    """An escalation this scan recorded (not one that already existed)."""

    id: int
    rung: int
    subject: str
    dossier_id: int
    dossier_code: str
    task_id: int | None
    task_name: str | None
    agency_id: int
    recipient_id: int | None
    recipient_role: str | None
    message: str
    late: bool = False


@dataclass(frozen=True)
class ScanResult:
    """What one deadline scan did."""

    at: dt.datetime
    assessed: int  # tasks whose warning time the remaining-path rule moved earlier
    tasks_raised: int
    rows_lowered: int
    created: tuple[CreatedEscalation, ...]
    letters_drafted: int
    messages_queued: int


def _local(rt, at: dt.datetime | None) -> str:
    return at.astimezone(ZoneInfo(rt.settings.timezone)).strftime("%H:%M %d/%m/%Y") if at else "—"


def _message(rt, rung: int, code: str, name: str | None, due: dt.datetime | None, role: str | None,
             proposed: dt.datetime | None, late: bool = False) -> str:
    if late and rung == 1:
        return (f"Hồ sơ {code}: bước «{name}» đã quá hạn lúc {_local(rt, due)} mà chưa được cảnh báo kịp lúc "
                f"có nguy cơ trễ hạn (lần quét thời hạn chạy muộn).")
    if late and rung == 3:
        return (f"Hồ sơ {code}: hạn trả kết quả đã qua lúc {_local(rt, due)} mà chưa được báo kịp lúc còn một "
                f"ngày làm việc (lần quét thời hạn chạy muộn): gửi Phiếu xin lỗi và hẹn lại ngày trả kết quả "
                f"(Mẫu 04); dự thảo đề xuất ngày hẹn mới {_local(rt, proposed)}.")
    if rung == 1:
        return f"Hồ sơ {code}: bước «{name}» có nguy cơ trễ hạn (hạn của bước: {_local(rt, due)})."
    if rung == 2:
        return f"Hồ sơ {code}: bước «{name}» ({role}) đã quá hạn (hạn của bước: {_local(rt, due)})."
    if rung == 3:
        return (f"Hồ sơ {code} còn một ngày làm việc đến hạn trả kết quả ({_local(rt, due)}): gửi Phiếu xin lỗi "
                f"và hẹn lại ngày trả kết quả (Mẫu 04); dự thảo đề xuất ngày hẹn mới {_local(rt, proposed)}.")
    return f"Hồ sơ {code} đã quá hạn trả kết quả ({_local(rt, due)})."


def record(session: Session, decisions: list[tuple[Decision, str]], now: dt.datetime) -> dict[tuple[int, str], int]:
    """Insert the decided rungs once each; return {(rung, subject): id} of the rows actually inserted.

    One INSERT .. ON CONFLICT (rung, subject) DO NOTHING RETURNING for all of them (engine.bulk): a rung
    recorded before, by this scan's predecessor or by a concurrent one, is skipped, not an error.
    """
    rows = [dict(rung=d.rung, subject=d.subject, dossier_id=d.dossier_id, task_id=d.task_id,
                 agency_id=d.agency_id, recipient_role=d.recipient_role, recipient_id=d.recipient_id,
                 created_at=now, message=message, late=d.late) for d, message in decisions]
    inserted = bulk.insert_new(session, Escalation.__table__, rows, conflict=("rung", "subject"),
                               returning=("id", "rung", "subject"))
    return {(r.rung, r.subject): r.id for r in inserted}


def scan(rt, session: Session, now: dt.datetime) -> ScanResult:
    """Recompute risk, record the rungs reached, draft form 04 letters and queue messages; flush only.

    Set-based: a fixed number of statements whatever the number of rows met (on PostgreSQL; SQLite, in
    process, takes ids in chunks of its bound-parameter limit).
    """
    calendar = rt.calendars.get(session)
    paths = deadlines.VersionPaths(rt, session, calendar)
    earlier = deadlines.assess_new_tasks(session, paths, now)
    changes = deadlines.refresh_risk(session, calendar, now, rt.settings.risk_threshold, earlier)

    # subject -> (dossier code, task id, task name, due time, role)
    facts: dict[str, tuple[str, int | None, str | None, dt.datetime | None, str | None]] = {}
    decided: list[Decision] = []
    for t in changes.tasks:
        facts[f"task:{t.id}"] = (t.dossier_code, t.id, t.name, t.due_at, t.role)
        decided += decide(Subject("task", t.id, t.dossier_id, t.agency_id, t.role, t.assignee_id), t.level)
    dossiers_met = {x.id: x for x in changes.dossiers}
    for x in changes.dossiers:
        facts[f"dossier:{x.id}"] = (x.code, None, None, x.due_at, None)
        decided += decide(Subject("dossier", x.id, x.id, x.agency_id), x.level)
    decided = _not_yet_recorded(session, decided)
    # Proposals and messages only for the rungs still to record: a dossier met at every scan costs a read.
    proposals = _proposals(session, paths, calendar, now,
                           [dossiers_met[d.dossier_id] for d in decided if d.rung == 3])
    messages = []
    for d in decided:
        code, _, name, due, role = facts[d.subject]
        messages.append((d, _message(rt, d.rung, code, name, due, role, proposals.get(d.dossier_id), d.late)))
    inserted = record(session, messages, now)

    created = []
    for d, message in messages:
        key = (d.rung, d.subject)
        if key in inserted:
            code, task_id, name, _, _ = facts[d.subject]
            created.append(CreatedEscalation(inserted[key], d.rung, d.subject, d.dossier_id, code, task_id, name,
                                             d.agency_id, d.recipient_id, d.recipient_role, message, d.late))
    drafts = [(c.dossier_id, proposals[c.dossier_id]) for c in created if c.rung == 3]
    drafted = letters.draft_letters(session, drafts, now)
    queued = notify.queue_escalations(session, rt.settings, created, now)
    session.flush()
    return ScanResult(now, len(earlier), len(changes.tasks), changes.lowered_tasks + changes.lowered_dossiers,
                      tuple(created), drafted, queued)


def _not_yet_recorded(session: Session, decided: list[Decision]) -> list[Decision]:
    """Drop the rungs already recorded, so that a dossier met at every scan costs one indexed read."""
    if not decided:
        return []
    subjects = sorted({d.subject for d in decided})
    rungs = sorted({d.rung for d in decided})
    seen = set()
    for batch in bulk.batches(session, subjects):
        # rung first: the unique index (rung, subject) answers it
        seen.update(session.connection().execute(select(Escalation.rung, Escalation.subject).where(
            Escalation.rung.in_(rungs), bulk.any_of(session, Escalation.subject, batch))).all())
    return [d for d in decided if (d.rung, d.subject) not in seen]


def _proposals(session: Session, paths: deadlines.VersionPaths, calendar, now: dt.datetime,
               dossiers: list[deadlines.DossierRisk]) -> dict[int, dt.datetime]:
    """Propose a new appointment for each dossier: its due time plus the expected work left, day-rounded."""
    dossiers = list({d.id: d for d in dossiers}.values())
    if not dossiers:
        return {}
    left: dict[int, int] = {}
    versions = {d.id: d.procedure_version_id for d in dossiers}
    for batch in bulk.batches(session, versions):
        rows = session.connection().execute(select(Task.dossier_id, Task.bpmn_id, Task.created_at).where(
            deadlines.OPEN_TASK, bulk.any_of(session, Task.dossier_id, batch))).all()
        for r in rows:
            worked = int(calendar.between(r.created_at, now).total_seconds())
            left[r.dossier_id] = max(left.get(r.dossier_id, 0),
                                     paths.remaining(versions[r.dossier_id], r.bpmn_id, worked))
    return {d.id: letters.propose_date(calendar, d.due_at, left.get(d.id, 0)) for d in dossiers}


# -- the escalation inbox ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxItem:
    """An escalation as its recipient sees it."""

    id: int
    rung: int
    rung_name: str
    rung_label: str
    dossier_id: int
    dossier_code: str
    task_id: int | None
    task_name: str | None
    agency_id: int
    agency_code: str
    agency_name: str
    recipient_id: int | None
    recipient_role: str | None
    created_at: dt.datetime
    message: str
    read_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    comment: str | None
    late: bool = False


@dataclass(frozen=True)
class InboxPage:
    """One page of an escalation inbox; `next_before_id` asks for the next one (None on the last page)."""

    items: list[InboxItem]
    next_before_id: int | None


def _addressed_to(user: User):
    roles = [and_(Escalation.recipient_id.is_(None), Escalation.agency_id == m.agency_id,
                  Escalation.recipient_role == m.role) for m in user.memberships]
    return or_(Escalation.recipient_id == user.id, *roles) if roles else or_(Escalation.recipient_id == user.id,
                                                                             false())


def _items(session: Session, where: list, limit: int = 1) -> list[InboxItem]:
    """The escalations matching `where`, newest first, as inbox items."""
    query = (select(Escalation, Dossier.code, Task.name, Agency.code, Agency.name)
             .join(Dossier, Dossier.id == Escalation.dossier_id).join(Agency, Agency.id == Escalation.agency_id)
             .outerjoin(Task, Task.id == Escalation.task_id).where(*where)
             .order_by(Escalation.id.desc()).limit(limit))
    return [InboxItem(id=e.id, rung=e.rung, rung_name=RUNG_NAMES[e.rung], rung_label=RUNG_LABELS[e.rung],
                      dossier_id=e.dossier_id, dossier_code=code, task_id=e.task_id, task_name=name,
                      agency_id=e.agency_id, agency_code=agency_code, agency_name=agency_name,
                      recipient_id=e.recipient_id, recipient_role=e.recipient_role, created_at=e.created_at,
                      message=e.message, read_at=e.read_at, acknowledged_at=e.acknowledged_at, comment=e.comment,
                      late=e.late)
            for e, code, name, agency_code, agency_name in session.execute(query)]


def list_for_user(session: Session, user: User, *, unread_only: bool = False, open_only: bool = False,
                  rung: int | None = None, limit: int = 50, before_id: int | None = None) -> list[InboxItem]:
    """List the escalations addressed to the user or to a role they hold in the agency, newest first."""
    where = [_addressed_to(user)]
    if unread_only:
        where.append(Escalation.read_at.is_(None))
    if open_only:
        where.append(Escalation.acknowledged_at.is_(None))
    if rung is not None:
        where.append(Escalation.rung == rung)
    if before_id is not None:
        where.append(Escalation.id < before_id)
    return _items(session, where, limit)


def page_for_user(session: Session, user: User, *, unread_only: bool = False, open_only: bool = False,
                  rung: int | None = None, limit: int = 50, before_id: int | None = None) -> InboxPage:
    """One page of the user's escalation inbox, newest first; the next page starts below its last id."""
    items = list_for_user(session, user, unread_only=unread_only, open_only=open_only, rung=rung,
                          limit=limit + 1, before_id=before_id)
    return InboxPage(items[:limit], items[limit - 1].id if len(items) > limit else None)


def get_item(session: Session, escalation_id: int, *, user: User) -> InboxItem:
    """One escalation as its recipient sees it (404 unknown, 403 addressed to someone else)."""
    _for_recipient(session, escalation_id, user)
    return _items(session, [Escalation.id == escalation_id])[0]


def _for_recipient(session: Session, escalation_id: int, user: User) -> Escalation:
    """The escalation if the user receives it: its official, or a holder of its role in its agency.

    Admins are no recipients: reading or acknowledging would hide the warning from those who must act.
    """
    esc = session.get(Escalation, escalation_id)
    if esc is None:
        raise NotFound(f"no escalation {escalation_id}")
    if not (esc.recipient_id == user.id
            or (esc.recipient_id is None and esc.recipient_role in roles_in(user, esc.agency_id))):
        raise NotFound(f"no escalation {escalation_id}")  # addressed to someone else: as if unknown
    return esc


def mark_read(session: Session, escalation_id: int, *, user: User, now: dt.datetime) -> Escalation:
    """Mark an escalation read (once: the first reader's time stays)."""
    esc = _for_recipient(session, escalation_id, user)
    esc.read_at = esc.read_at or now
    session.flush()
    return esc


def acknowledge(session: Session, escalation_id: int, *, user: User, now: dt.datetime,
                comment: str | None = None) -> Escalation:
    """Acknowledge an escalation, with an optional comment (what will be done); once: a repeat changes nothing."""
    esc = _for_recipient(session, escalation_id, user)
    if comment is not None and not comment.strip():
        raise InvalidInput("the comment is empty", {"comment": ["write something or leave it out"]})
    if esc.acknowledged_at is not None:
        return esc  # the first acknowledgement, its time and comment stand
    esc.read_at = esc.read_at or now
    esc.acknowledged_at, esc.acknowledged_by_id = now, user.id
    if comment:
        esc.comment = comment.strip()
    session.flush()
    return esc


def reassign(rt, session: Session, escalation_id: int, assignee_id: int, *, user: User, now: dt.datetime,
             comment: str | None = None) -> Task:
    """Hand the escalated step to another official (heads, leaders, supervisors) and acknowledge it."""
    from engine import dossiers  # dossiers imports the runtime; keep this module light to import

    esc = _for_recipient(session, escalation_id, user)
    if esc.task_id is None:
        raise InvalidInput("this escalation is about a dossier, not a step: there is no task to reassign",
                           {"escalation_id": ["not about a step"]})
    task = dossiers.assign_task(rt, session, esc.task_id, assignee_id, actor=user, now=now)
    acknowledge(session, escalation_id, user=user, now=now, comment=comment or f"giao lại cho người dùng {assignee_id}")
    return task
