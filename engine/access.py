"""Who may do what. The API asks the same questions; the engine enforces them for every caller.

An actor is a User or the accounts.Principal that authenticated a request: both carry `id`, `is_admin` and
`memberships` (agency_id, role), all these checks read.

An object (dossier, task) outside every agency of the caller is answered as if it did not exist (NotFound,
404): "forbidden" would tell that the id or code exists, and which agency handles it. Forbidden (403) is
left for what the caller can see but not do.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Forbidden, NotFound
from engine.models import Dossier, Task, User

#: roles that may hand a task to a colleague (head and above)
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


def require_task_in_scope(actor: User | None, task: Task) -> None:
    """NotFound unless the task is the caller's, of one of their agencies, or the caller is an admin."""
    if actor is None or not (actor.is_admin or task.assignee_id == actor.id
                             or any(m.agency_id == task.agency_id for m in actor.memberships)):
        raise NotFound(f"no task {task.id}")


def dossier_in_scope(session: Session, actor: User | None, dossier: Dossier) -> bool:
    """Whether the caller is an official of the dossier's agency or of an agency holding one of its tasks.

    Admins pass too (they keep the system running), but see no personal data: the answer is False for them
    unless they are such officials. Anyone else gets NotFound, as for an unknown dossier.
    """
    mine = {m.agency_id for m in actor.memberships} if actor is not None else set()
    if dossier.agency_id in mine or (mine and session.scalar(
            select(Task.id).where(Task.dossier_id == dossier.id, Task.agency_id.in_(mine)).limit(1)) is not None):
        return True
    if actor is not None and actor.is_admin:
        return False
    raise NotFound(f"no dossier {dossier.id}")


def require_work_on(actor: User | None, task: Task) -> None:
    require_task_in_scope(actor, task)
    if not may_work_on(actor, task):
        raise Forbidden(f"task {task.id} belongs to role '{task.role}' of another agency or official")


def require_role(actor: User | None, agency_id: int, roles: set[str] | frozenset[str], doing: str) -> None:
    if actor is None or not (actor.is_admin or roles_in(actor, agency_id) & set(roles)):
        raise Forbidden(f"{doing} needs one of the roles {', '.join(sorted(roles))} in this agency")


def may_assign(actor: User | None, agency_id: int) -> bool:
    """Whether the actor may hand the agency's tasks to colleagues (what assign_task requires)."""
    return actor is not None and (actor.is_admin or bool(roles_in(actor, agency_id) & ASSIGNING_ROLES))


#: the studio's roles: a designer edits drafts, an approver (another person) turns one into a version
DESIGNER_ROLE = "designer"
APPROVER_ROLE = "approver"


def holds_role(actor: User | None, role: str) -> bool:
    """Whether the actor holds `role` in any of their agencies (the studio's roles are not per agency)."""
    return actor is not None and any(m.role == role for m in actor.memberships)


def require_designer(actor: User | None) -> None:
    if not (holds_role(actor, DESIGNER_ROLE) or holds_role(actor, APPROVER_ROLE)):
        raise Forbidden("the studio is for the roles designer and approver")


def require_approver(actor: User | None) -> None:
    if not holds_role(actor, APPROVER_ROLE):
        raise Forbidden("approving a draft needs the role approver")
