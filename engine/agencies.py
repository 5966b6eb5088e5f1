"""The agency tree: levels and kinds are labels on the rows, never an enum in code."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.models import Agency


def ancestors(session: Session, agency: Agency) -> list[int]:
    """Ids from the agency up to the root."""
    chain, node = [], agency
    while node is not None:
        chain.append(node.id)
        node = session.get(Agency, node.parent_id) if node.parent_id else None
    return chain


def agency_of_kind(session: Session, base: Agency, kind: str | None) -> Agency:
    """The agency of `kind` nearest to `base` in the tree (base itself when it is of that kind).

    An inter-agency lane `police:specialist` of a commune dossier goes to the police unit sharing the
    closest ancestor with the commune.
    """
    if not kind or base.kind == kind:
        return base
    candidates = session.scalars(select(Agency).where(Agency.kind == kind)).all()
    if not candidates:
        raise InvalidInput(f"no agency of kind '{kind}' exists for this procedure's lanes",
                           {"agency_kind": [kind]})
    base_chain = ancestors(session, base)

    def distance(candidate: Agency) -> tuple[int, int]:
        chain = ancestors(session, candidate)
        common = next((i for i, a in enumerate(base_chain) if a in chain), len(base_chain))
        return (common, chain.index(base_chain[common]) if common < len(base_chain) else len(chain))

    return min(candidates, key=lambda c: (distance(c), c.id))
