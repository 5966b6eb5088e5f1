"""Risk of open tasks and dossiers: on_track, at_risk, overdue — kept on the rows by the deadline scan.

A task is *at risk* once its warning time has passed (`Task.warn_at`: the threshold share of its budget
used, set when the task is created) or when the expected remaining work on its path no longer fits in
the dossier's remaining legal time; it is *overdue* once its due time has passed. The path rule is
applied once, when the scan first sees a task: it can only move `warn_at` earlier (see `path_warn_at`).

A dossier is *overdue* once its legal due time has passed, and *at risk* in its last working day (the
form 04 rule: the apology must go out no later than one working day before the due date) or while one of
its open steps is at risk. Procedures of at most one working day have no "day before": for them the last
working day is replaced by the threshold share of their legal time. A dossier waiting for the citizen
(paused) and its tasks are on track while the clock stands still; so is a dossier whose result is ready.

Every query below reads only rows that are due, through partial indexes whose predicates are repeated
here as literal SQL: SQLite uses a partial index only when the query contains its predicate verbatim.
"""
from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bpmn.durations import Duration
from engine import bulk, whole_minutes
from engine.models import Dossier, Lease, Pause, ProcedureVersion, Task
from engine.tasks import budget_seconds
from engine.workcalendar import WorkCalendar

RISKS = ("on_track", "at_risk", "overdue")
RANK = {level: i for i, level in enumerate(RISKS)}
#: a dossier whose result is ready waits for the citizen, not for the agency
RESULT_READY = ("processed",)

OPEN_TASK = text("task.state IN ('ready', 'claimed')")
RISKY_TASK = text("task.state IN ('ready', 'claimed') AND task.risk <> 'on_track'")
OPEN_DOSSIER = text("dossier.closed_at IS NULL")
RISKY_DOSSIER = text("dossier.closed_at IS NULL AND dossier.risk <> 'on_track'")

WATERMARK = "scan_deadlines"
#: tasks created this long before the last one seen are looked at again (transactions committing late)
SEEN_MARGIN = dt.timedelta(minutes=10)
#: on the very first scan, tasks older than this are left to their budget-share warning
FIRST_LOOKBACK = dt.timedelta(days=1)
HISTORY_TTL = 600.0  # seconds a version's step durations are reused before being read again
CHUNK = bulk.CHUNK


# -- levels: pure functions ----------------------------------------------------------------------------


def task_level(now: dt.datetime, warn_at: dt.datetime | None, due_at: dt.datetime | None, *,
               paused: bool = False) -> str:
    """Return a task's risk at `now` from its warning and due times."""
    if paused or warn_at is None:
        return "on_track"
    if due_at is not None and now > due_at:
        return "overdue"
    return "at_risk" if now >= warn_at else "on_track"


def last_day_starts(calendar: WorkCalendar, clock_started_at: dt.datetime, due_at: dt.datetime,
                    threshold: float, pauses: Sequence[tuple[dt.datetime, dt.datetime]] = ()) -> dt.datetime:
    """Return when a dossier enters its last working day (one working day of working time left).

    For a legal time of at most one working day, the instant the threshold share of it is used instead.
    """
    day = dt.timedelta(seconds=calendar.working_day_seconds)
    total = calendar.between(clock_started_at, due_at, pauses)
    used = total - day if total > day else total * threshold
    return calendar.add(clock_started_at, Duration(seconds=max(int(used.total_seconds()), 0)), pauses)


def dossier_level(now: dt.datetime, due_at: dt.datetime, last_day_at: dt.datetime, *, paused: bool = False,
                  result_ready: bool = False) -> str:
    """Return a dossier's own level at `now`: overdue, at_risk (its last working day) or on_track."""
    if paused or result_ready:
        return "on_track"
    if now > due_at:
        return "overdue"
    return "at_risk" if now >= last_day_at else "on_track"


def path_warn_at(calendar: WorkCalendar, start: dt.datetime, due_at: dt.datetime, expected_here: int,
                 expected_after: int) -> dt.datetime:
    """Return when a task started at `start` stops fitting its dossier's remaining legal time.

    While the task runs within its expected duration e, the expected finish of the dossier is start + e +
    the rest of the path, a constant: either it fits (then nothing changes until the task outlives e) or
    it does not (at risk from the start). Past e, only the rest of the path is left, and it stops fitting
    when the remaining legal time falls to it.
    """
    available = int(calendar.between(start, due_at).total_seconds())
    if expected_here + expected_after > available:
        return start
    return calendar.add(start, Duration(seconds=available - expected_after))


# -- the remaining path of a step ------------------------------------------------------------------------

_graphs: dict[int, dict[str, frozenset[str]]] = {}
_graphs_lock = threading.Lock()


def _forward_outputs(start) -> dict[str, list]:
    """Return each task spec's outputs minus the back edges of a depth-first walk from the start.

    A back edge returns to a step still on the walk's stack: a loop (send back, supplement). What is left
    is the forward flow of the diagram, a graph without cycles.
    """
    forward: dict[str, list] = {}
    on_stack: set[str] = set()

    def visit(ts) -> None:
        forward[ts.name] = []
        on_stack.add(ts.name)
        for out in ts.outputs:
            if out.name in on_stack:
                continue
            forward[ts.name].append(out)
            if out.name not in forward:
                visit(out)
        on_stack.discard(ts.name)

    visit(start)
    return forward


def successor_graph(version_id: int, specs: Iterable) -> dict[str, frozenset[str]]:
    """Return, per user task, the user tasks that can directly follow it in the forward flow.

    Gateways and events in between are passed through; loops back to earlier steps are left out. Computed
    once per procedure version (its specs never change).
    """
    graph = _graphs.get(version_id)
    if graph is not None:
        return graph
    graph = {}
    for spec in specs:
        forward = _forward_outputs(spec.start)
        by_name = {ts.name: ts for ts in spec.task_specs.values()}
        for name in forward:
            ts = by_name[name]
            if not (getattr(ts, "manual", False) and ts.bpmn_id):
                continue
            found, seen, stack = set(), set(), list(forward[name])
            while stack:
                nxt = stack.pop()
                if nxt.name in seen:
                    continue
                seen.add(nxt.name)
                if getattr(nxt, "manual", False) and nxt.bpmn_id:
                    found.add(nxt.bpmn_id)
                else:
                    stack.extend(forward.get(nxt.name, ()))
            graph[ts.bpmn_id] = frozenset(found)
    with _graphs_lock:
        return _graphs.setdefault(version_id, graph)


def longest_after(graph: Mapping[str, frozenset[str]], durations: Mapping[str, int], step: str) -> int:
    """Return the expected working seconds of the longest path of user tasks after `step` (no loops)."""
    memo: dict[tuple[str, frozenset[str]], int] = {}

    def walk(node: str, visited: frozenset[str]) -> int:
        key = (node, visited)
        if key not in memo:
            # The graph has no loops; the visited set also guards hand-made ones: each step counts once.
            memo[key] = max((durations.get(n, 0) + walk(n, visited | {n})
                             for n in graph.get(node, ()) if n not in visited), default=0)
        return memo[key]

    return walk(step, frozenset({step}))


# -- expected step durations -----------------------------------------------------------------------------

_history: dict[tuple[str, int, str], tuple[float, int | None]] = {}


def clear_history_cache() -> None:
    """Forget the step durations read from history (tests; a process reads them again after HISTORY_TTL)."""
    _history.clear()


def expected_durations(session: Session, calendar: WorkCalendar, settings, version_id: int,
                       budgets: Mapping[str, Duration | None]) -> dict[str, int]:
    """Return the expected working seconds of each step of a version: history's median, else a budget share.

    The median is over the latest `history_max_samples` completions of the step in this version, once there
    are at least `history_min_samples`; pauses inside a completed step are not subtracted. A step that
    pauses the clock (no budget) is expected to take no legal time.
    """
    out = {}
    for step, budget in budgets.items():
        if budget is None:
            out[step] = 0
            continue
        key = (settings.database_url, version_id, step)
        cached = _history.get(key)
        if cached is None or time.monotonic() - cached[0] > HISTORY_TTL:
            rows = session.execute(
                select(Task.created_at, Task.completed_at).join(Dossier, Dossier.id == Task.dossier_id)
                .where(Task.bpmn_id == step, text("task.state = 'completed'"),
                       Dossier.procedure_version_id == version_id)
                .order_by(Task.completed_at.desc()).limit(settings.history_max_samples)
            ).all()
            median = None
            if len(rows) >= settings.history_min_samples:
                median = int(statistics.median(calendar.between(a, b).total_seconds() for a, b in rows if b))
            cached = _history[key] = (time.monotonic(), median)
        if cached[1] is not None:
            out[step] = cached[1]
        else:
            out[step] = int(budget_seconds(budget, calendar.working_day_seconds) * settings.expected_budget_share)
    return out


@dataclass
class VersionPaths:
    """Expected durations and successors of the versions met during one scan (read once per scan)."""

    rt: object
    session: Session
    calendar: WorkCalendar

    def __post_init__(self):
        self._seen: dict[int, tuple[dict[str, frozenset[str]], dict[str, int]]] = {}

    def of(self, version_id: int) -> tuple[dict[str, frozenset[str]], dict[str, int]]:
        if version_id not in self._seen:
            compiled = self.rt.specs.get_by_id(version_id) or self.rt.specs.get(
                self.session.get(ProcedureVersion, version_id))
            graph = successor_graph(version_id, (compiled.spec, *compiled.subprocess_specs.values()))
            budgets = {step: info.budget for step, info in compiled.user_tasks.items()}
            self._seen[version_id] = graph, expected_durations(self.session, self.calendar, self.rt.settings,
                                                                version_id, budgets)
        return self._seen[version_id]

    def remaining(self, version_id: int, step: str, worked: int) -> int:
        """Expected working seconds left for a dossier whose step `step` has run for `worked` seconds."""
        graph, durations = self.of(version_id)
        return max(durations.get(step, 0) - worked, 0) + longest_after(graph, durations, step)


# -- first sight: the remaining-path rule --------------------------------------------------------------


def assess_new_tasks(session: Session, paths: VersionPaths, now: dt.datetime) -> dict[int, dt.datetime]:
    """Return earlier warning times for the tasks created since the last scan whose path no longer fits.

    Moves the scan's watermark (the latest creation seen); writes no task row (the caller does, in bulk).
    """
    mark = session.get(Lease, WATERMARK)
    since = mark.watermark - SEEN_MARGIN if mark and mark.watermark else now - FIRST_LOOKBACK
    rows = session.execute(
        select(Task.id, Task.bpmn_id, Task.created_at, Task.warn_at, Dossier.procedure_version_id, Dossier.due_at)
        .join(Dossier, Dossier.id == Task.dossier_id)
        .where(OPEN_TASK, Task.created_at >= since, Task.warn_at.is_not(None), Dossier.paused_at.is_(None))
    ).all()
    earlier = {}
    for r in rows:
        graph, durations = paths.of(r.procedure_version_id)
        warn = path_warn_at(paths.calendar, r.created_at, r.due_at, durations.get(r.bpmn_id, 0),
                            longest_after(graph, durations, r.bpmn_id))
        if warn < r.warn_at:
            earlier[r.id] = warn
    # The mark follows the data, not the clock: a scan "as if" at another instant cannot skip tasks. With
    # nothing seen yet, it starts where this scan started looking.
    latest = max((r.created_at for r in rows), default=None) or since
    if mark is None or mark.watermark is None or latest > mark.watermark:
        _upsert_watermark(session, latest)
    return earlier


def _upsert_watermark(session: Session, at: dt.datetime) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Lease).values(name=WATERMARK, holder="", expires_at=at, watermark=at)
    # concurrent scans: the later watermark wins
    session.execute(stmt.on_conflict_do_update(index_elements=[Lease.name], set_={"watermark": at},
                                               where=(Lease.watermark.is_(None) | (Lease.watermark < at))))


# -- the risk pass -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskRisk:
    """A task whose risk went up in this scan, with what the escalation needs to name it."""

    id: int
    dossier_id: int
    dossier_code: str
    agency_id: int
    role: str
    assignee_id: int | None
    name: str
    due_at: dt.datetime | None
    level: str


@dataclass(frozen=True, slots=True)
class DossierRisk:
    """A dossier in its last working day or overdue (its own level), met in this scan."""

    id: int
    code: str
    agency_id: int
    procedure_version_id: int
    due_at: dt.datetime
    level: str


@dataclass(frozen=True)
class RiskChanges:
    """What one risk pass changed: tasks raised, dossiers at their ladder's level, rows lowered."""

    tasks: tuple[TaskRisk, ...]
    dossiers: tuple[DossierRisk, ...]
    lowered_tasks: int
    lowered_dossiers: int


class _DossierRow(NamedTuple):
    """A dossier's columns as the risk pass reads them (from its own read or from one of its tasks)."""

    id: int
    code: str
    agency_id: int
    procedure_version_id: int
    due_at: dt.datetime
    clock_started_at: dt.datetime
    risk: str
    paused_at: dt.datetime | None
    status: str


def refresh_risk(session: Session, calendar: WorkCalendar, now: dt.datetime, threshold: float,
                 earlier: Mapping[int, dt.datetime] | None = None) -> RiskChanges:
    """Recompute the risk of the rows that can have changed and write it in bulk; flush nothing else.

    Reads: open tasks whose warning time has passed, tasks and dossiers flagged before (they may go back:
    a pause, a due time moved), open dossiers within a working day of their due time. Dossier rows are
    written before task rows, the order every use case writes them in.
    """
    earlier = earlier or {}
    conn = session.connection()  # Core: plain rows, no ORM loading for thousands of them

    def run(stmt):  # fetchall: one driver call, not one per row
        return conn.execute(stmt).all()

    # each task row carries its dossier's columns too: the dossiers of tasks just raised need no read
    dcols = (Dossier.id, Dossier.code, Dossier.agency_id, Dossier.procedure_version_id, Dossier.due_at,
             Dossier.clock_started_at, Dossier.risk, Dossier.paused_at, Dossier.status)
    cols = (Task.id, Task.dossier_id, Task.agency_id, Task.role, Task.assignee_id, Task.name, Task.warn_at,
            Task.due_at, Task.risk, Dossier.closed_at.label("d_closed_at"),
            *(c.label(f"d_{c.key}") for c in dcols))
    base = select(*cols).join(Dossier, Dossier.id == Task.dossier_id)
    rows = {r.id: r for r in run(base.where(OPEN_TASK, Task.warn_at <= now))}
    # The IN on risk lets SQLite (without statistics) pick the partial index of flagged tasks, not scan
    # every open task through the warning-time index; the rows the first read returned are not sent again.
    rows.update((r.id, r) for r in run(base.where(RISKY_TASK, Task.risk.in_(RISKS[1:]),
                                                  or_(Task.warn_at > now, Task.warn_at.is_(None)))))
    missing = [i for i, w in earlier.items() if w <= now and i not in rows]
    for ids in bulk.batches(session, missing):
        rows.update((r.id, r) for r in run(base.where(OPEN_TASK, bulk.any_of(session, Task.id, ids))))
    task_target = {}
    for r in rows.values():
        warn = min(r.warn_at, earlier[r.id]) if r.id in earlier else r.warn_at
        level = task_level(now, warn, r.due_at, paused=r.d_paused_at is not None)
        if level != r.risk:
            task_target[r.id] = level
    risky_dossiers = {r.dossier_id for r in rows.values() if task_target.get(r.id, r.risk) != "on_track"}

    # Dossiers: those within a working day of their due time (or past it), those flagged before, and those
    # of the tasks just raised. Past due times are only compared; the calendar runs for the rest.
    horizon = calendar.add(now, Duration(seconds=calendar.working_day_seconds)) + dt.timedelta(days=1)
    dbase = select(*dcols)
    drows = {r.id: r for r in run(dbase.where(OPEN_DOSSIER, Dossier.due_at <= horizon, Dossier.risk != "overdue"))}
    drows.update((r.id, r) for r in run(dbase.where(RISKY_DOSSIER, Dossier.risk.in_(RISKS[1:]),
                                                    or_(Dossier.due_at > horizon, Dossier.risk == "overdue"))))
    first = len(cols) - len(dcols)  # where a task row's dossier columns start
    for r in rows.values():
        if r.dossier_id in risky_dossiers and r.dossier_id not in drows and r.d_closed_at is None:
            drows[r.dossier_id] = _DossierRow._make(r[first:])
    pauses = _closed_pauses(session, [r.id for r in drows.values() if r.due_at <= horizon and r.due_at >= now])
    dossier_target, ladder = {}, []
    for r in drows.values():
        paused, ready = r.paused_at is not None, r.status in RESULT_READY
        if r.due_at < now or r.due_at > horizon or paused or ready:
            last_day = r.due_at  # only "overdue or not" matters here
        else:
            last_day = last_day_starts(calendar, r.clock_started_at, r.due_at, threshold, pauses.get(r.id, ()))
        own = dossier_level(now, r.due_at, last_day, paused=paused, result_ready=ready)
        if own != "on_track":
            ladder.append(DossierRisk(r.id, r.code, r.agency_id, r.procedure_version_id, r.due_at, own))
        target = own if own != "on_track" or paused else ("at_risk" if r.id in risky_dossiers else "on_track")
        if target != r.risk:
            dossier_target[r.id] = target

    lowered_dossiers = sum(1 for i, t in dossier_target.items() if RANK[t] < RANK[drows[i].risk])
    # Set-based writes (engine.bulk): one statement per table on PostgreSQL, whatever the number of rows.
    bulk.set_column(session, Dossier.__table__, "risk", dossier_target, where=OPEN_DOSSIER.text)
    bulk.set_column(session, Task.__table__, "warn_at", earlier, where=OPEN_TASK.text)
    # RETURNING: only rows still open and still different are escalated (a concurrent scan or a
    # completion got there first otherwise)
    done = bulk.set_column(session, Task.__table__, "risk", task_target, where=OPEN_TASK.text, changed_only=True)
    raised, lowered_tasks = [], 0
    for i in done:
        r, level = rows[i], task_target[i]
        if RANK[level] > RANK[r.risk]:
            raised.append(TaskRisk(r.id, r.dossier_id, r.d_code, r.agency_id, r.role, r.assignee_id, r.name,
                                   r.due_at, level))
        else:
            lowered_tasks += 1
    return RiskChanges(tuple(sorted(raised, key=lambda t: t.id)), tuple(sorted(ladder, key=lambda d: d.id)),
                       lowered_tasks, lowered_dossiers)


def _closed_pauses(session: Session, dossier_ids: Sequence[int]) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    out: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for ids in bulk.batches(session, dossier_ids):
        for p in session.execute(select(Pause.dossier_id, Pause.paused_at, Pause.resumed_at)
                                 .where(bulk.any_of(session, Pause.dossier_id, ids), Pause.resumed_at.is_not(None))
                                 .order_by(Pause.paused_at)):
            out.setdefault(p.dossier_id, []).append((p.paused_at, p.resumed_at))
    return {dossier_id: whole_minutes.pauses(spans) for dossier_id, spans in out.items()}
