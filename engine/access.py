"""Who may do what. The API asks the same questions; the engine enforces them for every caller.

An actor is a User or the accounts.Principal that authenticated a request: both carry `id`, `is_admin` and
`memberships` (agency_id, role), all these checks read.
"""
from __future__ import annotations

from engine.errors import Forbidden
from engine.models import Task, User

#: roles that may hand a task to a colleague (head and above, DOMAIN.md)
ASSIGNING_ROLES = frozenset({"head", "leader", "supervisor"})


def roles_in(actor: User, agency_id: int) -> set[str]:
    return {m.role for m in actor.memberships if m.agency_id == agency_id}


def may_work_on(actor: User | None, task: Task) -> bool:
    """The task's assignee, a holder of its role in its agency, or an admin."""
    if actor is None:
        return False
    if actor.is_admin or task.assignee_id == actor.id:
        return True
    return task.role in roles_in(actor, task.agency_id)


def require_work_on(actor: User | None, task: Task) -> None:
    if not may_work_on(actor, task):
        raise Forbidden(f"task {task.id} belongs to role '{task.role}' of another agency or official")


def require_role(actor: User | None, agency_id: int, roles: set[str] | frozenset[str], doing: str) -> None:
    if actor is None or not (actor.is_admin or roles_in(actor, agency_id) & set(roles)):
        raise Forbidden(f"{doing} needs one of the roles {', '.join(sorted(roles))} in this agency")


def may_assign(actor: User | None, agency_id: int) -> bool:
    """Whether the actor may hand the agency's tasks to colleagues (what assign_task requires)."""
    return actor is not None and (actor.is_admin or bool(roles_in(actor, agency_id) & ASSIGNING_ROLES))
