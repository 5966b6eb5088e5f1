"""What an official sees around a task: why it came back, the data it comes back with, the earlier steps'
data (the draft a leader signs), and the colleagues it may be handed to.

Read from the dossier's audit events (a completion records its form data, a send-back its reason); the
access check is engine.inbox.get_task's.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import inbox
from engine.access import may_assign
from engine.accounts import Colleague, holders_of_role
from engine.models import AuditEvent, ProcedureVersion, Task, User
from engine.runtime import Runtime


@dataclass(frozen=True)
class SentBack:
    reason: str
    at: dt.datetime
    by: str | None
    from_step_name: str


@dataclass(frozen=True)
class EarlierStep:
    step: str
    name: str
    completed_at: dt.datetime
    by: str | None
    outcome: str | None
    data: dict
    #: the step's form (JSON Schema): its titles and x-ui labels name the data
    form: dict | None


@dataclass(frozen=True)
class TaskContext:
    view: inbox.TaskView
    sent_back: SentBack | None
    #: the data this step was completed with before it was sent back (pre-fills the form)
    prefill: dict | None
    earlier: list[EarlierStep]
    may_assign: bool
    #: holders of the task's role in its agency (only when the caller may assign)
    colleagues: list[Colleague]


def task_context(rt: Runtime, session: Session, task_id: int, *, actor, now: dt.datetime) -> TaskContext:
    view = inbox.get_task(rt, session, task_id, actor=actor, now=now)
    row = view.task
    dossier_id = row.dossier["id"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier_id,
                                                      AuditEvent.action.in_(("completed", "sent_back")))
                             .order_by(AuditEvent.at, AuditEvent.id)).all()
    names = dict(session.execute(select(User.id, User.full_name)
                                 .where(User.id.in_({e.actor_id for e in events if e.actor_id}))).all())
    step_names = dict(session.execute(select(Task.bpmn_id, Task.name).where(Task.dossier_id == dossier_id)).all())
    compiled = rt.specs.get_by_id(row.procedure_version_id) or rt.specs.get(
        session.get(ProcedureVersion, row.procedure_version_id))

    def form_of(step: str) -> dict | None:
        info = compiled.user_tasks.get(step)
        return compiled.package.forms.get(info.form) if info and info.form else None

    completions = [e for e in events if e.action == "completed" and (e.detail or {}).get("step")]
    own = [e for e in completions if e.detail["step"] == row.bpmn_id and e.at <= row.created_at]
    returned = [e for e in events if e.action == "sent_back" and (e.detail or {}).get("to_step") == row.bpmn_id
                and e.at <= row.created_at]
    sent_back = prefill = None
    # Sent back to this step after its last completion: this task is that step again. Either by the
    # engine's send-back, or by a later step's own "send_back" outcome in the diagram (with its reason).
    by_outcome = [e for e in completions if e.detail.get("outcome") == "send_back" and e.at <= row.created_at
                  and own and e.at >= own[-1].at]
    if returned and (not own or returned[-1].at >= own[-1].at):
        event = returned[-1]
        sent_back = SentBack(event.detail.get("reason", ""), event.at, names.get(event.actor_id),
                             step_names.get(event.detail.get("step"), event.detail.get("step", "")))
    elif by_outcome:
        event = by_outcome[-1]
        sent_back = SentBack(str((event.detail.get("data") or {}).get("reason", "")), event.at,
                             names.get(event.actor_id), step_names.get(event.detail["step"], event.detail["step"]))
    if sent_back is not None and own:
        prefill = {k: v for k, v in (own[-1].detail.get("data") or {}).items() if k != "outcome"}
    earlier = [EarlierStep(e.detail["step"], step_names.get(e.detail["step"], e.detail["step"]), e.at,
                           names.get(e.actor_id), e.detail.get("outcome"), e.detail.get("data") or {},
                           form_of(e.detail["step"]))
               for e in completions if e.at <= now]
    assigning = may_assign(actor, row.agency_id)
    return TaskContext(view, sent_back, prefill, earlier, assigning,
                       holders_of_role(session, row.agency_id, row.role) if assigning else [])
