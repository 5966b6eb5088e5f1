"""The escalation inbox as a page shows it: a page of escalations, and for each step escalation the
colleagues the caller may hand the step to (holders of the step's role, when the caller may assign)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import escalation
from engine.access import may_assign
from engine.accounts import Colleague, holders_of_role
from engine.models import OPEN_TASK_STATES, Task, User


@dataclass(frozen=True)
class EscalationPage:
    page: escalation.InboxPage
    #: escalation id -> colleagues the step may go to (only open steps the caller may assign)
    reassign_to: dict[int, list[Colleague]]


def escalation_page(session: Session, *, actor: User, open_only: bool = False, before_id: int | None = None,
                    limit: int = 30) -> EscalationPage:
    page = escalation.page_for_user(session, actor, open_only=open_only, before_id=before_id, limit=limit)
    steps = {i.task_id for i in page.items if i.task_id is not None}
    tasks = {t.id: t for t in session.execute(select(Task.id, Task.agency_id, Task.role).where(
        Task.id.in_(steps), Task.state.in_(OPEN_TASK_STATES)))} if steps else {}
    holders: dict[tuple[int, str], list[Colleague]] = {}
    choices = {}
    for item in page.items:
        task = tasks.get(item.task_id)
        if task is None or not may_assign(actor, task.agency_id):
            continue
        key = (task.agency_id, task.role)
        if key not in holders:
            holders[key] = holders_of_role(session, task.agency_id, task.role)
        choices[item.id] = holders[key]
    return EscalationPage(page, choices)
