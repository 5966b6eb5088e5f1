"""Form 04 as the supervision pages offer it: whether the caller may issue a dossier's drafted letter."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.access import roles_in
from engine.letters import SIGNING_ROLES, get_letter
from engine.models import Dossier, User


def may_issue(session: Session, actor: User, dossier_id: int) -> bool:
    """A drafted, not yet issued letter of an open dossier, and the caller leads its agency (or is an admin)."""
    dossier = session.get(Dossier, dossier_id)
    letter = get_letter(session, dossier_id) if dossier is not None else None
    if letter is None or letter.issued_at is not None or dossier.closed_at is not None:
        return False
    return actor.is_admin or bool(roles_in(actor, dossier.agency_id) & SIGNING_ROLES)
