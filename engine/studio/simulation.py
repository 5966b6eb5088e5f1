"""Deadline simulation: does every path of a procedure fit its legal deadline?

Each path from the start event to an end event (loops taken once, a parallel split's branches as separate
paths, a boundary timer as the path that leaves its step when it fires) is summed in working time: a user
task its budget (a clock-pausing wait counts nothing), a timer its duration, a subprocess or a call of a
process of the same file its longest path. The sum is compared with the legal deadline, and with the
deadline plus the extension the procedure's law allows. With recorded history (completed steps of the
procedure, any version), each path is also sampled: each step's duration drawn from its recorded
durations (its budget when it has fewer than `min_samples`), giving the share of dossiers expected on time.
"""
from __future__ import annotations

import ast
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bpmn.durations import Duration, parse_duration
from bpmn.extensions import parse_flag
from bpmn.package import ProcedurePackage
from bpmn.parser import NS, Diagram, index_diagram, longest_path, read_xml
from bpmn.validation import deadline_seconds, describe_seconds
from engine.models import Dossier, Procedure, ProcedureVersion, Task
from engine.studio.lint import working_day_seconds

MAX_PATHS = 200  # a diagram with more start-to-end paths is summarised by its first 200 (and says so)
_QUOTED = re.compile(r"""^\s*["']([^"']+)["']\s*$""")


@dataclass(frozen=True)
class Step:
    """One element on a path and the working seconds it takes."""

    element_id: str
    name: str
    kind: str  # "task", "timer", "subprocess", "call"
    seconds: int
    note: str | None = None  # e.g. how a timer's duration was read


@dataclass(frozen=True)
class PathResult:
    """A start-to-end path with its budget, compared with the deadline (and the legal extension)."""

    steps: tuple[Step, ...]
    end_id: str
    end_status: str
    seconds: int
    fits: bool  # within the legal deadline
    fits_extended: bool  # within the legal deadline plus the extension its law allows
    on_time_share: float | None = None  # with history: sampled share within the legal deadline
    sampled_steps: int = 0  # steps whose duration was drawn from history (the others took their budget)

    @property
    def label(self) -> str:
        return " → ".join(s.element_id for s in self.steps) + f" → {self.end_id}" if self.steps else self.end_id


@dataclass(frozen=True)
class Simulation:
    """The paths of one procedure against its deadline; `ok` when every path fits (with the extension)."""

    slug: str
    deadline: str  # as the law says it, e.g. "3 working_days"
    deadline_seconds: int
    extension_seconds: int
    working_day_seconds: int
    paths: tuple[PathResult, ...]
    truncated: bool = False
    runs: int = 0  # samples per path when history was used
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(p.fits_extended for p in self.paths)

    def describe(self, seconds: int) -> str:
        return describe_seconds(seconds, self.working_day_seconds)

    def to_dict(self) -> dict:
        """JSON-able, for the studio's panel."""
        out = asdict(self)
        out["ok"] = self.ok
        for path, result in zip(out["paths"], self.paths, strict=True):
            path["label"] = result.label
        return out


def timer_seconds(expression: str | None, wds: int) -> tuple[int, str]:
    """Working seconds a timer waits, read from its expression, and how it was read.

    `after_working_time("P2D")` and `add_working_time(x, "P2D")` are working time; a quoted duration is
    clock time (days counted as 5/7 working days, hours as they are); anything else cannot be read (0)."""
    text_ = (expression or "").strip()
    try:
        tree = ast.parse(text_, mode="eval").body
    except SyntaxError:
        return 0, "not readable"
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.args \
            and tree.func.id in ("after_working_time", "add_working_time"):
        arg = tree.args[-1]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            try:
                d = parse_duration(arg.value)
            except ValueError:
                return 0, "not readable"
            return d.days * wds + d.seconds, "working time"
    if isinstance(tree, ast.Constant) and isinstance(tree.value, str) and tree.value.upper().startswith("P"):
        try:
            d = parse_duration(tree.value)
        except ValueError:
            return 0, "not readable"
        return math.ceil(d.days * 5 / 7) * wds + d.seconds, "clock time, counted as working time"
    return 0, "not readable"


def _timer_of(el) -> str | None:
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        found = el.find(f"bpmn:timerEventDefinition/bpmn:{tag}", NS)
        if found is not None:
            return found.text
    return None


def _budget(node, wds: int) -> int:
    try:
        if parse_flag(node.properties.get("pause")) or node.properties.get("budget") is None:
            return 0
        b = parse_duration(node.properties["budget"])
    except ValueError:
        return 0
    return b.days * wds + b.seconds


def _paths(d: Diagram, container: str, wds: int, limit: int,
           used: Mapping[str, Diagram] | None = None) -> tuple[list[tuple[list[Step], str]], bool]:
    nodes = {n.id: n for n in d.nodes.values() if n.container == container}
    boundaries: dict[str, list] = {}
    for n in nodes.values():
        if n.tag == "boundaryEvent" and n.element.get("attachedToRef") in nodes:
            boundaries.setdefault(n.element.get("attachedToRef"), []).append(n)
    out: list[tuple[list[Step], str]] = []
    truncated = False

    def weight(node) -> list[Step]:
        if node.tag == "userTask":
            return [Step(node.id, node.name or node.id, "task", _budget(node, wds))]
        if node.tag in ("subProcess", "transaction"):
            return [Step(node.id, node.name or node.id, "subprocess", longest_path(d, node.id, wds)[0])]
        if node.tag == "callActivity":
            called = node.element.get("calledElement")
            if called in d.processes:
                return [Step(node.id, node.name or node.id, "call", longest_path(d, called, wds)[0])]
            if called in (used or {}):  # a process of a package this one uses: its longest path
                return [Step(node.id, node.name or node.id, "call", longest_path(used[called], called, wds)[0])]
            return [Step(node.id, node.name or node.id, "call", 0, f"calls {called!r}, not in this file: counted 0")]
        if node.tag == "intermediateCatchEvent" and node.element.find("bpmn:timerEventDefinition", NS) is not None:
            seconds, how = timer_seconds(_timer_of(node.element), wds)
            return [Step(node.id, node.name or node.id, "timer", seconds, how)]
        return []

    def walk(nid: str, on_path: frozenset[str], steps: list[Step]) -> None:
        nonlocal truncated
        if len(out) >= limit:
            truncated = True
            return
        node = nodes.get(nid)
        if node is None or nid in on_path:
            return
        on_path = on_path | {nid}
        if node.tag == "endEvent":
            out.append((steps, nid))
            return
        mine = weight(node)
        for flow in d.outgoing.get(nid, []):
            walk(flow.target, on_path, steps + mine)
        for boundary in boundaries.get(nid, []):  # the path on which the boundary event fires
            seconds, how = (timer_seconds(_timer_of(boundary.element), wds)
                            if boundary.element.find("bpmn:timerEventDefinition", NS) is not None
                            else (sum(s.seconds for s in mine), "not a timer: the step's budget"))
            if mine and mine[0].kind == "task":
                fired = [Step(nid, node.name or nid, "task", 0),
                         Step(boundary.id, boundary.name or boundary.id, "timer", seconds, how)]
            else:
                fired = [Step(boundary.id, boundary.name or boundary.id, "timer", seconds, how)]
            for flow in d.outgoing.get(boundary.id, []):
                walk(flow.target, on_path | {boundary.id}, steps + fired)

    for start in (n.id for n in nodes.values() if n.tag == "startEvent"):
        walk(start, frozenset(), [])
    return out, truncated


def simulate(package: ProcedurePackage, *, working_day_seconds: int = 8 * 3600,
             extension: Duration | None = None, history: Mapping[str, Sequence[int]] | None = None,
             min_samples: int = 5, runs: int = 1000, seed: int = 0, max_paths: int = MAX_PATHS) -> Simulation:
    """Simulate a package's paths against its deadline; `extension` (else the package's [extension]) is the
    legal extension; `history` maps a step's BPMN id to its recorded working seconds."""
    wds = working_day_seconds
    meta = package.meta
    d = index_diagram(read_xml(package.bpmn_text, package.bpmn_filename), package.bpmn_filename)
    legal = deadline_seconds(meta.deadline, wds)
    if extension is None and meta.extension is not None:
        extension = meta.extension.max
    extra = extension.days * wds + extension.seconds if extension is not None else 0
    used = {c["process_id"]: index_diagram(read_xml(c["bpmn_text"], c["bpmn_filename"]), c["bpmn_filename"])
            for c in package.called.values()}
    raw, truncated = _paths(d, meta.process_id, wds, max_paths, used)
    rng = random.Random(seed)
    results = []
    for steps, end_id in raw:
        total = sum(s.seconds for s in steps)
        end = d.nodes[end_id]
        share, sampled = None, 0
        if history is not None:
            pools = [history.get(s.element_id) if s.kind == "task" and s.seconds else None for s in steps]
            pools = [p if p is not None and len(p) >= min_samples else None for p in pools]
            sampled = sum(p is not None for p in pools)
            fixed = sum(s.seconds for s, p in zip(steps, pools, strict=True) if p is None)
            drawn = [list(p) for p in pools if p is not None]
            on_time = sum(fixed + sum(rng.choice(p) for p in drawn) <= legal for _ in range(runs)) if drawn \
                else (runs if fixed <= legal else 0)
            share = on_time / runs
        results.append(PathResult(tuple(steps), end_id, (end.properties.get("status") or "returned").strip(),
                                  total, total <= legal, total <= legal + extra, share, sampled))
    results.sort(key=lambda r: -r.seconds)
    notes = tuple(sorted({f"{s.element_id}: {s.note}" for p in results for s in p.steps
                          if s.note and s.note != "working time"}))
    return Simulation(meta.slug, f"{meta.deadline.value} {meta.deadline.unit}" if meta.deadline.unit != "same_day"
                      else "same_day", legal, extra, wds, tuple(results), truncated,
                      runs if history is not None else 0, notes)


def recorded_durations(session: Session, calendar, slug: str, *, limit: int = 200) -> dict[str, list[int]]:
    """Working seconds of the latest completed steps of a procedure (every version), by BPMN id; the time a
    step stayed open, pauses inside it included (as engine.deadlines.expected_durations counts them)."""
    rows = session.execute(
        select(Task.bpmn_id, Task.created_at, Task.completed_at)
        .join(Dossier, Dossier.id == Task.dossier_id)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .where(Procedure.slug == slug, text("task.state = 'completed'"), Task.completed_at.is_not(None))
        .order_by(Task.completed_at.desc())
    ).all()
    out: dict[str, list[int]] = {}
    for bpmn_id, created, completed in rows:
        samples = out.setdefault(bpmn_id, [])
        if len(samples) < limit:
            samples.append(int(calendar.between(created, completed).total_seconds()))
    return out


def simulate_procedure(rt, session: Session | None, package: ProcedurePackage, *, with_history: bool = False,
                       runs: int = 1000, seed: int = 0) -> Simulation:
    """Simulate with the configured working day and extension; with_history samples the recorded step
    durations of the procedure in the database (needs `session`). The studio's panel calls this."""
    calendar = rt.calendars.get(session) if session is not None else None
    wds = calendar.working_day_seconds if calendar is not None else working_day_seconds(rt.settings)
    extension = configured_extension(rt.settings, package)
    history = recorded_durations(session, calendar, package.meta.slug,
                                 limit=rt.settings.history_max_samples) if with_history else None
    return simulate(package, working_day_seconds=wds, extension=extension, history=history,
                    min_samples=rt.settings.history_min_samples, runs=runs, seed=seed)



def configured_extension(settings, package: ProcedurePackage) -> Duration | None:
    """The extension the package's [extension] allows, else the configured [deadlines.extensions] entry."""
    if package.meta.extension is not None:
        return package.meta.extension.max
    configured = settings.extensions.get(package.meta.slug)
    return parse_duration(configured) if configured else None
