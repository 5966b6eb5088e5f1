"""Inboxes: the task rows an official may see, filtered, sorted and paged, in one indexed query a page.

Who sees what: an official sees the tasks of the roles they hold in their agencies and the tasks assigned
to them; a supervisor every task of their agency; an admin everything. Scopes narrow that down: `mine`
(assigned to me), `groups` (nobody's yet, in my groups) and `all` (everything I may see).

Pages are keyset-paged: the cursor carries the sort key of the last row, so a page costs the same at
row 10 and at row 100 000, and rows added meanwhile are neither skipped nor repeated. The scope is split
into arms (my tasks, each group, each supervised agency), each one range of a partial index on open tasks
in (due_at, id) order: every arm reads one page's worth of rows and stops, and the database merges them.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
from dataclasses import dataclass, field

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    column,
    false,
    func,
    literal,
    or_,
    select,
    table,
    text,
    true,
    tuple_,
    union,
)
from sqlalchemy.orm import Session, aliased

from engine import bounds
from engine.access import ASSIGNING_ROLES, roles_in
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import OPEN_TASK_STATES, Dossier, Procedure, ProcedureVersion, Task, User
from engine.runtime import Runtime
from engine.search import ESCAPE, contains_pattern, fold
from engine.time_left import TimeLeft, split_working_seconds

SCOPES = ("mine", "groups", "all")
SORTS = ("due_at", "-due_at", "created_at", "-created_at", "risk")
RISKS = ("on_track", "at_risk", "overdue")
#: the `risk` sort: the most urgent level first, each level by due time
RISK_ORDER = ("overdue", "at_risk", "on_track")
MAX_LIMIT = 200
#: open tasks, written as the predicate of the partial inbox indexes (ix_task_open_*)
OPEN_TASK = text("task.state IN ('ready', 'claimed')")
#: open dossiers, as the predicate of ix_dossier_open_search
_OPEN_DOSSIER = text("dossier.closed_at IS NULL")
#: a search reads its candidate dossiers first when there are at most this many
SEARCH_CANDIDATES = 500
#: SQLite: the FTS5 table of open dossiers' keys in trigrams (migration speed_3), which finds what has that many
#: characters or more
TRIGRAM = 3
_FTS = table("dossier_search", column("rowid", Integer), column("dossier_search", String))


@dataclass(frozen=True)
class InboxFilter:
    """What the caller asked for; `status` None means open (ready or claimed)."""

    scope: str = "all"
    procedure: str | None = None
    status: str | None = None
    risk: str | None = None
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None
    q: str | None = None
    sort: str = "due_at"


@dataclass(frozen=True)
class Keyset:
    """Where the previous page ended: its sort, and the last row's sort value and id."""

    sort: str
    value: dt.datetime | None
    id: int
    #: the `risk` sort: the level (index in RISK_ORDER) the previous page ended in
    rank: int = 0


@dataclass(frozen=True)
class InboxRow:
    id: int
    bpmn_id: str
    name: str
    role: str
    agency_id: int
    state: str
    budget: str | None
    created_at: dt.datetime
    claimed_at: dt.datetime | None
    due_at: dt.datetime | None
    #: working hours from now to due_at, negative when late; None when closed, paused or without due time
    working_hours_left: float | None
    risk: str
    dossier: dict
    procedure: dict
    assignee: dict | None
    procedure_version_id: int
    #: working_hours_left in working days, hours and minutes (engine.time_left), for the pages' wording
    time_left: TimeLeft | None = None


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxRow]
    next_cursor: str | None


@dataclass(frozen=True)
class TaskView:
    """One task with what a UI needs to render its form."""

    task: InboxRow
    form_name: str | None
    form: dict | None
    outcomes: tuple[str, ...]


# -- cursors ------------------------------------------------------------------------------------------------

def encode_cursor(keyset: Keyset) -> str:
    raw = json.dumps([keyset.sort, keyset.value.isoformat() if keyset.value else None, keyset.id, keyset.rank])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Keyset:
    """Read a cursor made by encode_cursor; raise ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        sort, value, row_id, rank = json.loads(raw)
        at = dt.datetime.fromisoformat(value) if value is not None else None
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError("not a cursor returned by this endpoint") from None
    if sort not in SORTS or not bounds.is_id(row_id) or (at is not None and not bounds.is_instant(at)) \
            or (at is None and sort.lstrip("-") == "created_at") \
            or not (isinstance(rank, int) and 0 <= rank < len(RISK_ORDER)):
        raise ValueError("not a cursor returned by this endpoint")
    return Keyset(sort, at, row_id, rank)


# -- who sees what -------------------------------------------------------------------------------------------

def may_see(actor: User, agency_id: int, role: str, assignee_id: int | None) -> bool:
    """The inbox query's rule for one task, and those who may hand it to a colleague (head and above of
    its agency: assign_task lets them, so they may open what they assign)."""
    if actor.is_admin or assignee_id == actor.id:
        return True
    held = roles_in(actor, agency_id)
    return role in held or bool(held & ASSIGNING_ROLES)


@dataclass(frozen=True)
class _Arm:
    """A part of a scope that one range of an inbox index holds, so it is read in sort order."""

    kind: str  #: mine | group (an agency's role) | agency (supervised) | everything (admin) | nothing
    #: unassigned tasks only (the `groups` scope)
    nobody: bool = False


def _arms(actor: User, scope: str) -> tuple[tuple[_Arm, ...], dict]:
    """The caller's scope as arms, and their parameters (agency_<i>, role_<i>, me).

    The arms are disjoint but for `mine`: a task assigned to me in my group is in two (the page's UNION
    keeps it once). Leaving my tasks out of the group arm instead would make that arm read past all of
    them, however many, before it finds another's.
    """
    params: dict = {"me": actor.id}
    if scope == "mine":
        return (_Arm("mine"),), params
    if actor.is_admin:
        return (_Arm("everything", nobody=scope == "groups"),), params
    by_agency: dict[int, set[str]] = {}
    for m in actor.memberships:
        by_agency.setdefault(m.agency_id, set()).add(m.role)
    arms = [_Arm("mine")] if scope == "all" else []
    for agency, roles in sorted(by_agency.items()):
        for role in [None] if "supervisor" in roles else sorted(roles):
            params[f"agency_{len(arms)}"] = agency
            if role is not None:
                params[f"role_{len(arms)}"] = role
            arms.append(_Arm("agency" if role is None else "group", nobody=scope == "groups"))
    return tuple(arms) or (_Arm("nothing"),), params


def _arm_clause(i: int, arm: _Arm, prefix: str = ""):
    me = bindparam("me", type_=Integer)
    where = {"mine": lambda: Task.assignee_id == me,
             "group": lambda: and_(Task.agency_id == bindparam(f"{prefix}agency_{i}", type_=Integer),
                                   Task.role == bindparam(f"{prefix}role_{i}", type_=String)),
             "agency": lambda: Task.agency_id == bindparam(f"{prefix}agency_{i}", type_=Integer),
             "everything": true, "nothing": false}[arm.kind]()
    return and_(where, Task.assignee_id.is_(None)) if arm.nobody else where


# -- the query ------------------------------------------------------------------------------------------------

def _risk_expr(now, task=Task):
    """Risk as of now, by engine.deadlines.task_level's rule, with the scan's path verdict kept.

    The scan stores a level every few minutes; for a running task the clock alone tells overdue and the
    warning time, so the inbox is right between two scans too. Its `at_risk` from the path still ahead is
    kept; a stored `overdue` whose due time has moved (a pause ended) is stale. Closed and paused tasks keep
    what the scan stored.
    """
    running = and_(task.state.in_(OPEN_TASK_STATES), Dossier.paused_at.is_(None))
    return case(
        (~running, task.risk),
        (task.due_at < now, literal("overdue")),
        (or_(task.warn_at <= now, task.risk == "at_risk"), literal("at_risk")),
        else_=literal("on_track"),
    )


def _parts(sort: str, after: str | None, hidden: bool = False) -> list[tuple[object, list]]:
    """(where, order by) of each part of an arm that an index returns in sort order, beyond the cursor.

    `after` is None (first page), "value" (after_value, after_id) or "undated" (after_id among the rows
    without a due time). Those rows come last in both directions; SQLite puts NULL first in an index and
    PostgreSQL last, so the rows with and without a value are two parts, merged afterwards, and each part
    is a plain range scan on both.
    """
    column = Task.due_at if sort.lstrip("-") in ("due_at", "risk") else Task.created_at
    descending = sort.startswith("-")
    key = (column, Task.id)
    order = [c.desc() for c in key] if descending else [c.asc() for c in key]
    after_id = bindparam("after_id", type_=Integer)
    later_id = Task.id < after_id if descending else Task.id > after_id
    # created_at is never NULL: one part
    undated = [(column.is_(None), [Task.id.desc() if descending else Task.id.asc()])] if column is Task.due_at else []
    if after is None:
        return [(column.isnot(None), order), *undated]
    if after == "undated":
        return [(and_(where, later_id), order_by) for where, order_by in undated]
    # One row comparison: both databases read it as a range of (due_at, id) in the arm's index. (A redundant
    # `due_at >= ?` beside it would make PostgreSQL count that selectivity twice and misjudge the arm.)
    value = bindparam("after_value", type_=column.type)
    # hidden: as a one-row subquery, planned without its value (see _risk_parts)
    bound = tuple_(select(value).scalar_subquery() if hidden else value, after_id)
    return [(tuple_(*key) < bound if descending else tuple_(*key) > bound, order), *undated]


#: what an inbox page reads of the task rows themselves (the rest is joined to the page's rows only)
_PAGE_COLUMNS = ("id", "bpmn_id", "name", "role", "agency_id", "state", "budget", "assignee_id", "created_at",
                 "claimed_at", "due_at", "warn_at", "risk", "dossier_id")


def _statement(now, source=Task):
    """Inbox rows: task columns (of the table, or of a page of it), with dossier, procedure and assignee."""
    task = source if source is Task else source.c
    risk = _risk_expr(now, task).label("effective_risk")
    # Columns, not entities: the dossier row carries the workflow state, which an inbox never needs.
    stmt = (
        select(task.id, task.bpmn_id, task.name, task.role, task.agency_id, task.state, task.budget,
               task.assignee_id, task.created_at, task.claimed_at, task.due_at,
               Dossier.id.label("dossier_id"), Dossier.code, Dossier.applicant_name, Dossier.paused_at,
               Dossier.procedure_version_id, Procedure.slug, Procedure.name_vi, Procedure.name_en,
               User.full_name.label("assignee_name"), risk)
        .select_from(source)
        .join(Dossier, Dossier.id == task.dossier_id)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .outerjoin(User, User.id == task.assignee_id)
    )
    return stmt, risk


def _row(r, hours_left, left: TimeLeft | None, show_name: bool) -> InboxRow:
    return InboxRow(
        id=r.id, bpmn_id=r.bpmn_id, name=r.name, role=r.role, agency_id=r.agency_id, state=r.state,
        budget=r.budget, created_at=r.created_at, claimed_at=r.claimed_at, due_at=r.due_at,
        working_hours_left=hours_left, risk=r.effective_risk,
        dossier={"id": r.dossier_id, "code": r.code, "applicant_name": r.applicant_name if show_name else None},
        procedure={"slug": r.slug, "name_vi": r.name_vi, "name_en": r.name_en},
        assignee={"id": r.assignee_id, "full_name": r.assignee_name} if r.assignee_id else None,
        procedure_version_id=r.procedure_version_id, time_left=left,
    )


def _rows(rt: Runtime, session: Session, result, now: dt.datetime, actor: User) -> list[InboxRow]:
    # Admins keep the system running and do not handle dossiers: the applicant's name is for the officials
    # of the task's agency (or its assignee) only, as in the dossier views.
    mine = {m.agency_id for m in actor.memberships}
    calendar = None
    out = []
    for r in result:
        hours = left = None
        if r.due_at is not None and r.state in OPEN_TASK_STATES and r.paused_at is None:
            calendar = calendar or rt.calendars.get(session)  # cached; re-read at most once a minute
            seconds = calendar.between(now, r.due_at).total_seconds()  # once: both figures are of it
            hours = round(seconds / 3600, 2)
            left = split_working_seconds(seconds, calendar.working_day_seconds)
        out.append(_row(r, hours, left, not actor.is_admin or r.agency_id in mine or r.assignee_id == actor.id))
    return out


@functools.lru_cache(maxsize=256)
def _page_statement(arms: tuple[_Arm, ...], sort: str, after: str | tuple | None, given: frozenset[str]):
    """The page's statement for one shape of query; the values are parameters (built once: it is not cheap).

    Each arm of the scope and each part of the sort is read in index order and stops after a page; the
    database merges those few rows. One OR over the arms would read and sort the whole group instead.
    """
    now = bindparam("now", type_=Task.due_at.type)
    stmt = select(*(getattr(Task, name) for name in _PAGE_COLUMNS))
    # Open tasks: the very predicate of the partial inbox indexes (literal, so both planners match it).
    stmt = stmt.where(Task.state == bindparam("status", type_=String) if "status" in given else OPEN_TASK)
    # The dossier is joined in the arms only when a filter asks about it: each join is planned once per arm.
    # the risk of a task reads its dossier's pause (the risk sort reads the paused dossiers apart)
    if given & {"procedure", "risk"} or (sort == "risk" and "status" in given):
        stmt = stmt.join(Dossier, Dossier.id == Task.dossier_id)
    if "procedure" in given:
        stmt = (stmt.join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
                .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
                .where(Procedure.slug == bindparam("procedure", type_=String)))
    if "risk" in given:
        stmt = stmt.where(_risk_expr(now) == bindparam("risk", type_=String))
    if "due_before" in given:
        stmt = stmt.where(Task.due_at < bindparam("due_before", type_=Task.due_at.type))
    if "due_after" in given:
        stmt = stmt.where(Task.due_at >= bindparam("due_after", type_=Task.due_at.type))
    if "dossier_ids" in given:
        # a search's few candidate dossiers (list_tasks found them first): their tasks by ix_task_dossier_id
        stmt = stmt.where(Task.dossier_id.in_(bindparam("dossier_ids", expanding=True)))
    if "dossier_id_array" in given:
        # PostgreSQL: the same, as one array parameter. An IN list of n values is a new statement text for
        # each n, planned afresh every time (4 of a search page's 5 ms there); one text is prepared and its
        # plan kept.
        stmt = stmt.where(Task.dossier_id == any_(bindparam("dossier_id_array", type_=ARRAY(Integer))))
    if given & {"q", "q_code"}:
        # Asked of each task's dossier as the arm is read in sort order (a correlated subquery, not a join):
        # PostgreSQL, taking a search for selective, would otherwise start from a scan of every dossier.
        # An official's search looks in the folded code and name (engine.search: no diacritics needed);
        # an admin's (q_code) at codes only: names are not theirs to find dossiers by.
        q, dossier = bindparam("q", type_=String), aliased(Dossier)
        if "q" in given:
            match = dossier.search_key.like(q, escape=ESCAPE)
        else:
            match = dossier.code.icontains(q, escape="/")
        stmt = stmt.where(select(match).where(dossier.id == Task.dossier_id).correlate(Task).scalar_subquery())
    # the page size in the SQL text: PostgreSQL's generic plan of a prepared statement then knows it
    limit = bindparam("limit", type_=Integer, literal_execute=True)
    if sort == "risk":
        # One more split: one level a statement (list_tasks asks for the next level only while the page is
        # not full), each read in due order on its own; the cursor's level from the cursor.
        (after, rank) = after
        branches = [select(stmt.add_columns(literal(rank).label("risk_rank")).where(
                        _arm_clause(i, arm), where).order_by(*order).limit(limit).subquery())
                    for i, arm in enumerate(arms)
                    for where, order in _risk_parts(now, rank, after, "status" in given)]
    else:
        branches = [select(stmt.where(_arm_clause(i, arm), where).order_by(*order).limit(limit).subquery())
                    for i, arm in enumerate(arms) for where, order in _parts(sort, after)]
    merged = (branches[0] if len(branches) == 1 else union(*branches)).subquery("merged")
    page = select(merged).order_by(*_page_order(merged, sort)).limit(limit).subquery("page")
    rows, _ = _statement(now, page)
    return rows.order_by(*_page_order(page, sort))


def _running_level(now, rank: int):
    """_risk_expr's level `RISK_ORDER[rank]` for a running task (open, its dossier not paused) on the side of
    now that level lies on (before now overdue, the others from now on or undated), in plain comparisons of
    the task's own columns: the planners then read each part in index order and stop after a page (a CASE
    over the dossier's pause hides how many rows match, and PostgreSQL read them all)."""
    level = RISK_ORDER[rank]
    if level == "overdue":
        return true()
    if level == "at_risk":
        return or_(Task.warn_at <= now, Task.risk == "at_risk")
    return and_(or_(Task.warn_at > now, Task.warn_at.is_(None)), Task.risk != "at_risk")


def _risk_parts(now, rank: int, after: str | None, any_status: bool) -> list[tuple[object, list]]:
    """(where, order by) of the parts of one risk level, as _parts, each read in (due_at, id) order.

    A running task's level follows from its due time (overdue before now, the others from now on), so its
    rows at one level are one range of the arm's index that starts or stops at now: the overdue rows are not
    read again to find the first row on track. A paused dossier's tasks keep the level the scan stored,
    whatever their due time: they are read apart, from the few paused dossiers (ix_dossier_paused), and the
    running ones are those of the other dossiers (an anti-join on that short list, not a dossier read per
    row). With a status asked for (closed tasks are never running), each part is read whole as before.
    """
    parts = _parts("risk", after, hidden=not any_status)
    if any_status:
        level = _risk_expr(now) == literal(RISK_ORDER[rank])
        return [(and_(level, where), order) for where, order in parts]
    # Now as a one-row subquery: PostgreSQL then plans without its value. With it, the planner takes the
    # share of tasks due after now among all tasks (the completed ones were due long ago) for the share
    # among open tasks, judges an arm's range a few rows, and reads and sorts the whole arm.
    now = select(now).scalar_subquery()
    paused_dossier = aliased(Dossier)
    paused = select(paused_dossier.id).where(paused_dossier.paused_at.isnot(None))
    running = and_(_running_level(now, rank), Task.dossier_id.not_in(paused))
    kept = and_(Task.risk == literal(RISK_ORDER[rank]), Task.dossier_id.in_(paused))
    out = []
    for i, (where, order) in enumerate(parts):
        undated = i > 0 or after == "undated"
        # the rows with a due time: a level is one side of now (the undated are never overdue)
        bound = [] if undated else [Task.due_at < now if RISK_ORDER[rank] == "overdue" else Task.due_at >= now]
        if not (undated and RISK_ORDER[rank] == "overdue"):
            out.append((and_(where, running, *bound), order))
        out.append((and_(where, kept), order))
    return out


def _page_order(rows, sort: str) -> list:
    if sort == "risk":
        return [rows.c.risk_rank.asc(), rows.c.due_at.asc().nulls_last(), rows.c.id.asc()]
    column = rows.c.due_at if sort.lstrip("-") == "due_at" else rows.c.created_at
    if sort.startswith("-"):
        return [column.desc().nulls_last(), rows.c.id.desc()]
    return [column.asc().nulls_last(), rows.c.id.asc()]


def _candidates(session: Session, typed: str, pattern: str):
    """The open dossiers whose key holds what was typed (folded), at most SEARCH_CANDIDATES + 1 of them.

    On SQLite, 3 folded characters or more: from the trigram FTS5 table of the open dossiers' keys
    (migration speed_3), as a phrase (a substring of the key; the user's % and _ are characters there too),
    each found key checked again with the very LIKE of the other path. Otherwise the keys of every open
    dossier are read (SQLite: its partial index; PostgreSQL: its trigram index).
    """
    query = select(Dossier.id).where(_OPEN_DOSSIER, Dossier.search_key.like(pattern, escape=ESCAPE))
    folded = fold(typed)
    if session.get_bind().dialect.name == "sqlite" and len(folded) >= TRIGRAM:
        phrase = '"' + folded.replace('"', '""') + '"'
        query = query.join(_FTS, _FTS.c.rowid == Dossier.id).where(_FTS.c.dossier_search.match(phrase))
    return query.limit(SEARCH_CANDIDATES + 1)


def list_tasks(rt: Runtime, session: Session, filters: InboxFilter, *, actor: User, now: dt.datetime,
               after: Keyset | None = None, limit: int = 50) -> InboxPage:
    """One page of the caller's inbox, in one SQL statement."""
    if after is not None and after.sort != filters.sort:
        raise InvalidInput("the cursor belongs to another sort order", {"cursor": [f"made for sort={after.sort}"]})
    limit = max(1, min(limit, MAX_LIMIT))
    arms, params = _arms(actor, filters.scope)
    params.update(now=now, limit=limit + 1)
    if after is not None:
        params.update(after_id=after.id, **({"after_value": after.value} if after.value is not None else {}))
    optional = {"procedure": filters.procedure, "risk": filters.risk, "due_before": filters.due_before,
                "due_after": filters.due_after, "status": filters.status,
                # a % or _ typed by the user is a character, not a wildcard
                "q": contains_pattern(filters.q) if filters.q else None}
    if actor.is_admin and optional["q"] is not None:
        optional["q_code"], optional["q"] = filters.q.replace("/", "//").replace("%", "/%").replace("_", "/_"), None
        params["q"] = optional["q_code"]
    if optional["q"] is not None and filters.status is None:
        # Open tasks belong to open dossiers: when few of those match, find them first (one pass over the
        # partial index of open dossiers' search keys) and read only their tasks. Many matches (a common
        # name) fill a page quickly the other way: each task's dossier checked as the arm is read.
        found = session.scalars(_candidates(session, filters.q, optional["q"])).all()
        if len(found) <= SEARCH_CANDIDATES:
            if not found:
                return InboxPage([], None)
            ids = "dossier_id_array" if session.get_bind().dialect.name == "postgresql" else "dossier_ids"
            optional["q"], optional[ids] = None, found
    params.update((name, value) for name, value in optional.items() if value is not None and name != "q_code")
    cursor = None if after is None else "value" if after.value is not None else "undated"
    given = frozenset(k for k, v in optional.items() if v is not None)
    if filters.sort == "risk":
        # The most urgent level first: a level is read only when the ones before it leave the page short
        # (a busy inbox's first pages are all overdue, and the other levels cost nothing then).
        result = []
        for rank in range(after.rank if after is not None else 0, len(RISK_ORDER)):
            start = cursor if after is not None and rank == after.rank else None
            result += session.execute(_page_statement(arms, "risk", (start, rank), given), params).all()
            if len(result) > limit:
                break
    else:
        result = session.execute(_page_statement(arms, filters.sort, cursor, given), params).all()
    rows = _rows(rt, session, result[:limit], now, actor)
    next_cursor = None
    if len(result) > limit:
        last = rows[-1]
        value = last.created_at if filters.sort.lstrip("-") == "created_at" else last.due_at
        rank = RISK_ORDER.index(last.risk) if filters.sort == "risk" else 0
        next_cursor = encode_cursor(Keyset(filters.sort, value, last.id, rank))
    return InboxPage(rows, next_cursor)


def get_task(rt: Runtime, session: Session, task_id: int, *, actor: User, now: dt.datetime) -> TaskView:
    """One task as its inbox row, with its form's JSON Schema and outcomes."""
    stmt, _ = _statement(now)
    result = session.execute(stmt.where(Task.id == task_id)).all()
    if not result:
        raise NotFound(f"no task {task_id}")
    [r] = result
    if not may_see(actor, r.agency_id, r.role, r.assignee_id):
        if actor.is_admin or r.assignee_id == actor.id or r.agency_id in {m.agency_id for m in actor.memberships}:
            raise Forbidden(f"task {task_id} belongs to role '{r.role}' of another official")
        raise NotFound(f"no task {task_id}")  # outside the caller's agencies: as if unknown
    row = _rows(rt, session, result, now, actor)[0]
    compiled = rt.specs.get_by_id(row.procedure_version_id)
    if compiled is None:
        compiled = rt.specs.get(session.get(ProcedureVersion, row.procedure_version_id))
    info = compiled.user_tasks.get(row.bpmn_id)
    form_name = info.form if info else None
    return TaskView(row, form_name, compiled.package.forms.get(form_name) if form_name else None,
                    info.outcomes if info else ())


# -- counts -----------------------------------------------------------------------------------------------------

#: counts stop here ("99+"): a count reads its rows, and a larger number tells an official nothing more
COUNT_CAP = 99


@dataclass(frozen=True)
class InboxCounts:
    """Open tasks in the caller's own inbox and in their groups' (nobody's yet), each capped at COUNT_CAP,
    and how many visible open tasks arrived after task `since_id` (for the "new work" notice)."""

    mine: int
    groups: int
    new: int
    #: the newest task's id when counted (latest_task_id): the mark for the next "new work" question; a mark,
    #: not a count, so left out of comparisons
    latest_id: int = field(default=0, compare=False)


@functools.lru_cache(maxsize=256)
def _count_statement(mine: tuple[_Arm, ...], groups: tuple[_Arm, ...]):
    """Both counters and the newest task id in one statement (one round trip), built once per shape."""
    def capped(scope: str, arms: tuple[_Arm, ...]):
        # Nobody's open tasks are the ready ones (claiming or assigning makes a task claimed): saying so lets
        # the index on (agency, role, state) start at them instead of reading every claimed task first.
        ready = [Task.state == "ready"] if scope == "groups" else []
        # each arm a subquery (SQLite takes no LIMIT inside a bare UNION member); the parameters of the
        # `groups` arms are named g_agency_<i>, g_role_<i> (both scopes number their arms from 0)
        branches = [select(select(Task.id).where(OPEN_TASK, _arm_clause(i, arm, "g_" if scope == "groups" else ""),
                                                 *ready).limit(COUNT_CAP).subquery())
                    for i, arm in enumerate(arms)]
        ids = (branches[0] if len(branches) == 1 else union(*branches)).subquery()
        return select(func.count()).select_from(select(ids.c.id).limit(COUNT_CAP).subquery()).scalar_subquery()

    return select(capped("mine", mine).label("mine"), capped("groups", groups).label("groups"),
                  select(func.max(Task.id)).scalar_subquery().label("latest"))


def _in_scope(actor: User, agency_id: int, role: str, assignee_id: int | None) -> bool:
    """The `all` scope's rule (its arms), for one row."""
    if actor.is_admin or assignee_id == actor.id:
        return True
    held = roles_in(actor, agency_id)
    return role in held or "supervisor" in held


def counts(session: Session, *, actor: User, since_id: int | None = None) -> InboxCounts:
    """The inbox's counters: a few index ranges, each read up to COUNT_CAP rows."""
    new = 0
    if since_id is not None:
        # Task ids grow: the tasks after `since_id` are one short range of the primary key, read in id
        # order and judged here (an arm's index would read the whole group to find them).
        recent = session.execute(select(Task.agency_id, Task.role, Task.assignee_id).where(
            Task.id > since_id, Task.state.in_(OPEN_TASK_STATES)).order_by(Task.id).limit(COUNT_CAP * 10)).all()
        new = min(COUNT_CAP, sum(1 for r in recent if _in_scope(actor, r.agency_id, r.role, r.assignee_id)))
    mine, params = _arms(actor, "mine")
    groups, group_params = _arms(actor, "groups")
    params.update((f"g_{k}", v) for k, v in group_params.items() if k != "me")
    row = session.execute(_count_statement(mine, groups), params).one()
    return InboxCounts(row.mine, row.groups, new, row.latest or 0)


def latest_task_id(session: Session) -> int:
    """The newest task's id (0 when none): the mark after which `counts` finds new work."""
    return session.execute(select(func.max(Task.id))).scalar_one() or 0
