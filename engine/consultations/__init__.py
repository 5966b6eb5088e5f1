"""Consultations: a step that asks another agency for its opinion, beside other agencies asked at once.

A procedure declares them in procedure.toml (`[[consultations]]`: the user task, `on_silence`, the legal
`basis` and whether it is `sure`); the diagram gives each consulted agency its own user task after a
parallel split, in a lane of that agency's kind (its own inbox), with its own `budget` (its deadline in
working time, the task's `due_at`) and its own `branch` (its answer kept under that name, so two agencies
answering at once never overwrite each other). bpmn.rules.consultation_steps checks both sides.

When a consulted agency has not answered by its step's due time, the scheduler (`apply_silence`, on the
injected clock) completes the step for it with `{"outcome": on_silence, "silent": true}`: the procedure's
rule, applied once (the step is then completed; a concurrent answer or a second scheduler makes one of the
two writes a Conflict, rolled back).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine import audit, dossiers, runtime
from engine.errors import Conflict, EngineError
from engine.models import OPEN_TASK_STATES, Agency, Dossier, Task
from engine.runtime import Runtime
from engine.writes import flush

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """One consulted agency's answer (or its silence) on a dossier."""

    step: str
    agency: str
    state: str  # open, answered, silent
    outcome: str | None
    due_at: dt.datetime | None
    answered_at: dt.datetime | None
    on_silence: str
    basis: str | None
    sure: bool


def rules_of(rt: Runtime, session: Session, dossier: Dossier) -> dict:
    """The dossier's procedure's consultations by step id."""
    return {c.task: c for c in rt.compiled(session, dossier).meta.consultations}


def answers(rt: Runtime, session: Session, dossier: Dossier) -> list[Answer]:
    """Each consultation step's latest task on the dossier: who was asked, by when, and what they said."""
    rules = rules_of(rt, session, dossier)
    if not rules:
        return []
    rows = session.execute(select(Task, Agency.name).join(Agency, Task.agency_id == Agency.id)
                           .where(Task.dossier_id == dossier.id, Task.bpmn_id.in_(list(rules)))
                           .order_by(Task.id)).all()
    latest = {task.bpmn_id: (task, name) for task, name in rows}
    data = dossiers_data(rt, session, dossier)
    out = []
    for step, (task, agency) in latest.items():
        rule = rules[step]
        kept = data.get(rt.compiled(session, dossier).user_tasks[step].branch or "", {})
        silent = isinstance(kept, dict) and kept.get("silent") is True and task.completed_by_id is None
        state = "open" if task.state in OPEN_TASK_STATES else ("silent" if silent else "answered")
        out.append(Answer(step, agency, state, task.outcome, task.due_at, task.completed_at, rule.on_silence,
                          rule.basis, rule.sure))
    return out


def dossiers_data(rt: Runtime, session: Session, dossier: Dossier) -> dict:
    """The workflow's data as its last finished step left it (the answers under their branch names)."""
    workflow = runtime.restore(rt, rt.compiled(session, dossier), dossier)
    return dict(workflow.last_task.data) if workflow.last_task is not None else {}


def silence_task(rt: Runtime, session: Session, task_id: int, now: dt.datetime) -> bool:
    """Apply the procedure's silence rule to one consultation step past its due time (flush only).

    Returns False (and changes nothing) when the task is no longer open, not yet due, or not a consultation.
    """
    task, dossier, others = dossiers._load_task_with_siblings(session, task_id)
    if task.state not in OPEN_TASK_STATES or task.due_at is None or task.due_at > now:
        return False
    compiled = rt.compiled(session, dossier)
    rule = {c.task: c for c in compiled.meta.consultations}.get(task.bpmn_id)
    if rule is None:
        return False
    answer = {"silent": True, "due_at": task.due_at.isoformat()}
    if rule.on_silence != "none":
        answer["outcome"] = rule.on_silence
    branch = compiled.user_tasks[task.bpmn_id].branch
    workflow = runtime.restore(rt, compiled, dossier)
    runtime.run_human_task(workflow, task.spiff_task_id, {branch: answer} if branch else answer, now)
    task.state, task.completed_at, task.completed_by_id = "completed", now, None
    task.outcome = answer.get("outcome")
    dossiers.after_step(rt, session, dossier, compiled, workflow, now, done=task, open_rows=others)
    audit.record(session, "consultation_silence", dossier=dossier, task_id=task.id, actor=None, at=now,
                 step=task.bpmn_id, outcome=task.outcome, basis=rule.basis, sure=rule.sure)
    flush(session)
    return True


DUE_OPEN_TASKS = text("task.state IN ('ready', 'claimed')")


def apply_silence(rt: Runtime, now: dt.datetime, limit: int = 100) -> int:
    """Scheduler job: every consultation step past its due time gets its procedure's silence rule, one
    dossier per transaction. Returns how many steps were completed this way."""
    with rt.sessions() as session:
        due = session.execute(select(Task.id, Task.bpmn_id, Dossier.procedure_version_id)
                              .join(Dossier, Task.dossier_id == Dossier.id)
                              .where(DUE_OPEN_TASKS, Task.due_at <= now).order_by(Task.due_at)).all()
        ids = [task_id for task_id, step, version_id in due
               if any(c.task == step for c in rt.compiled_version(session, version_id).meta.consultations)][:limit]
    done = 0
    for task_id in ids:
        with rt.sessions() as session:
            try:
                if silence_task(rt, session, task_id, now):
                    session.commit()
                    done += 1
            except EngineError as exc:  # an official's answer or another scheduler won: nothing to apply
                session.rollback()
                log.info("silence rule on task %s: %s", task_id, exc.detail if isinstance(exc, Conflict) else exc)
    return done
