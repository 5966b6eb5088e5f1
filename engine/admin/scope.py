"""The reach of an administrator: every agency for a system administrator, a subtree for an agency's.

An agency administrator holds the role `admin` in an agency (a Membership row) and administers it and every
agency below it. Outside that reach an object is answered as unknown (NotFound) and a grant is refused.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.models import Agency

#: the role that makes an official the administrator of an agency's subtree
ADMIN_ROLE = "admin"


def is_administrator(actor) -> bool:
    """Whether the actor administers anything (a system administrator, or an agency's)."""
    return actor is not None and (actor.is_admin or any(m.role == ADMIN_ROLE for m in actor.memberships))


def require_administrator(actor) -> None:
    if not is_administrator(actor):
        raise Forbidden("only administrators may do this")


def require_system_administrator(actor, doing: str) -> None:
    if actor is not None and not actor.is_admin:  # None: the system itself (seed, CLI)
        raise Forbidden(f"{doing} is for system administrators")


def children_map(session: Session) -> dict[int | None, list[int]]:
    out: dict[int | None, list[int]] = {}
    for agency_id, parent_id in session.execute(select(Agency.id, Agency.parent_id)):
        out.setdefault(parent_id, []).append(agency_id)
    return out


def subtree(children: dict[int | None, list[int]], roots) -> set[int]:
    """The roots and every agency below them."""
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, ()))
    return seen


def reach(session: Session, actor) -> set[int] | None:
    """The agency ids the actor administers; None means all of them (system administrator, or the system)."""
    if actor is None or actor.is_admin:
        return None
    require_administrator(actor)
    return subtree(children_map(session), {m.agency_id for m in actor.memberships if m.role == ADMIN_ROLE})


def in_reach(scope: set[int] | None, agency_id: int | None) -> bool:
    return scope is None or (agency_id is not None and agency_id in scope)
