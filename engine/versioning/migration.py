"""Moving running dossiers of a procedure to another of its versions (SpiffWorkflow's diff_workflow and
migrate_workflow), with a dry-run report first.

Each dossier is migrated in memory and its new state read back with the new version's spec; only then is
anything written. An open step keeps its task row, its assignee and its due time (so its remaining working
time), and the dossier its dates (received, appointment, due). A dossier whose workflow holds a step the new
version no longer has is refused with that reason, unless the designer maps the step to one of the new
version (`mapping`: old BPMN id -> new BPMN id). A concurrent change of the dossier makes the migration of
that dossier a Conflict (the dossier's version column): one winner.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from bpmn.serializer import _serializer, dump_state, load_state
from engine import access, audit, runtime, writes
from engine.errors import InvalidInput
from engine.models import OPEN_TASK_STATES, Dossier, Procedure, ProcedureVersion, Task, User
from engine.runtime import Runtime
from engine.versioning.drafts import get_version


@dataclass
class DossierMigration:
    code: str
    from_version: int
    steps: list[str]
    ok: bool
    reason: str | None = None
    mapped: dict[str, str] = field(default_factory=dict)


@dataclass
class MigrationReport:
    slug: str
    to_version: int
    dry_run: bool
    dossiers: list[DossierMigration]

    @property
    def migrated(self) -> int:
        return sum(1 for d in self.dossiers if d.ok)

    @property
    def refused(self) -> int:
        return sum(1 for d in self.dossiers if not d.ok)


class _Refused(Exception):
    pass


def _migrate_workflow(rt: Runtime, old, new, dossier: Dossier, mapping: dict[str, str]):
    """The dossier's workflow moved onto `new` (in memory), and the steps mapped; _Refused says why not."""
    workflow = load_state(dossier.workflow_state, old.spec, old.subprocess_specs, rt.script_engine)
    registry = _serializer().registry
    top, subs = diff_workflow(registry, workflow, new.spec, new.subprocess_specs)
    mapped: dict[str, str] = {}
    # SpiffWorkflow also aligns a renamed element by its neighbours: a guess, so only the designer's map moves
    # a step to an element of another id
    guessed = [t for t, spec in top.alignment.items() if spec is not None and spec.name != t.task_spec.name]
    for task in [*top.removed, *guessed]:
        old_id = task.task_spec.name
        target = mapping.get(old_id)
        if target is None:
            what = "the open step" if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED) \
                else "the step" if task.state == TaskState.COMPLETED else None
            if what is None:
                continue  # a predicted task below an open one: dropped when that one is re-predicted
            raise _Refused(f"{what} '{old_id}' ({task.task_spec.bpmn_name or old_id}) does not exist in version "
                           f"{new.package.meta.slug} v-new; map it to a step of the new version")
        if target not in new.spec.task_specs:
            raise _Refused(f"mapping {old_id} -> {target}: the new version has no element '{target}'")
        top.alignment[task] = new.spec.task_specs[target]
        mapped[old_id] = target
    for sub in subs.values():
        if sub is None or sub.removed:
            raise _Refused("a running sub-process changed or was removed in the new version")
    # READY steps are re-predicted on the new spec; WAITING ones (timers, messages) keep their state and start
    migrate_workflow(top, workflow, new.spec, reset_mask=TaskState.READY)
    for sp_id, sub in subs.items():
        sp = workflow.subprocesses[sp_id]
        migrate_workflow(sub, sp, new.subprocess_specs[sp.spec.name], reset_mask=TaskState.READY)
    state = dump_state(workflow)
    try:  # read back with the new spec, as every later action will
        workflow = load_state(state, new.spec, new.subprocess_specs, rt.script_engine)
    except Exception as exc:  # noqa: BLE001 - any failure to restore means the move is not safe
        raise _Refused(f"the moved workflow does not load on the new version: {type(exc).__name__}: {exc}") from None
    return workflow, state, mapped


def migrate(rt: Runtime, session: Session, slug: str, to_version: int, *, dry_run: bool, actor: User | None,
            now: dt.datetime, mapping: dict[str, str] | None = None) -> MigrationReport:
    """Move the open dossiers of `slug` on other versions to `to_version`; with dry_run, only report."""
    if actor is not None:  # the CLI runs as the operator (actor None); the studio as a designer
        access.require_designer(actor)
    mapping = dict(mapping or {})
    target = get_version(session, slug, to_version)
    new = rt.compiled_version(session, target.id)
    rows = session.execute(
        select(Dossier, ProcedureVersion.version).join(ProcedureVersion, Dossier.procedure_version_id == ProcedureVersion.id)
        .join(Procedure).where(Procedure.slug == slug, Dossier.closed_at.is_(None),
                               Dossier.procedure_version_id != target.id).order_by(Dossier.id)).all()
    report = MigrationReport(slug, to_version, dry_run, [])
    for dossier, from_version in rows:
        open_rows = list(session.scalars(select(Task).where(Task.dossier_id == dossier.id,
                                                            Task.state.in_(OPEN_TASK_STATES))))
        line = DossierMigration(dossier.code, from_version, [t.bpmn_id for t in open_rows], ok=True)
        report.dossiers.append(line)
        old = rt.compiled_version(session, dossier.procedure_version_id)
        try:
            workflow, state, line.mapped = _migrate_workflow(rt, old, new, dossier, mapping)
            ready = {str(t.id): t for t in runtime.ready_human_tasks(workflow)}
            for row in open_rows:
                task = ready.get(row.spiff_task_id)
                if task is None:
                    raise _Refused(f"the open step '{row.bpmn_id}' is no longer waiting after the move")
                info = new.user_tasks.get(task.task_spec.bpmn_id)
                if info is None:
                    raise _Refused(f"'{task.task_spec.bpmn_id}' is not a person's step in the new version")
            extra = set(ready) - {r.spiff_task_id for r in open_rows}
            if extra:
                raise _Refused("the move would open steps the dossier is not at: "
                               + ", ".join(sorted(ready[i].task_spec.bpmn_id for i in extra)))
        except _Refused as exc:
            line.ok, line.reason = False, str(exc).replace("v-new", f"v{to_version}")
            continue
        if dry_run:
            continue
        rt.live.take(dossier.id, dossier.version)  # a cached workflow of the old version is not used again
        for row in open_rows:
            info = new.user_tasks[ready[row.spiff_task_id].task_spec.bpmn_id]
            row.bpmn_id, row.name = info.bpmn_id, info.name or info.bpmn_id  # due time and budget stay
            if info.role and info.role != row.role:
                row.role = info.role
        dossier.procedure_version_id = target.id
        runtime.save(rt, session, dossier, workflow)
        audit.record(session, "dossier.migrated", actor=actor, at=now, dossier=dossier, procedure=slug,
                     from_version=from_version, to_version=to_version, mapped=line.mapped or None)
        writes.flush(session)  # a concurrent change of this dossier is a Conflict here: one winner
    if not dry_run:
        audit.record(session, "studio.migration", actor=actor, at=now, procedure=slug, to_version=to_version,
                     migrated=report.migrated, refused=report.refused)
    return report


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """`old=new` pairs (CLI --map, the studio's form) as a dict; InvalidInput names a bad pair."""
    mapping = {}
    for item in items or []:
        old, sep, new = (item or "").partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InvalidInput(f"map: {item!r} is not OLD_STEP=NEW_STEP", {"map": [f"{item!r}: expected OLD=NEW"]})
        mapping[old.strip()] = new.strip()
    return mapping
