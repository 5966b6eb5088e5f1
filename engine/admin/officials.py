"""Officials: accounts, roles per agency, deactivation and password resets, by administrators.

Rules every caller meets (pages, API, CLI, seed):
- an agency administrator manages only officials whose roles all lie in the agencies they administer
  (others are unknown to them: NotFound), grants roles only there, and never touches system administrators;
- nobody deactivates themself, and no change leaves the system without an active system administrator;
- a deactivated official's login sessions and personal tokens are revoked at once, and their open tasks
  go back to their group's inbox (the answer says how many);
- a new account and a reset password get a temporary password, shown once: the official chooses their own
  at the next sign-in (`User.must_change_password`).
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine import audit
from engine.accounts import set_password
from engine.admin.agencies import require_exists_now
from engine.admin.scope import ADMIN_ROLE, in_reach, reach, require_system_administrator
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import OPEN_TASK_STATES, Agency, ApiToken, Membership, Task, User

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,79}")
ROLE = re.compile(r"[a-z][a-z0-9_-]{0,39}")
#: the one-stop roles (README, "Roles") plus the agency administrator; a workflow's lanes may name others
KNOWN_ROLES = ("reception", "specialist", "head", "leader", "clerk", "supervisor", "designer", ADMIN_ROLE)


@dataclass(frozen=True)
class NewOfficial:
    user: User
    #: the temporary password, shown once (None when the caller set one, e.g. the demo seed)
    temporary_password: str | None


@dataclass(frozen=True)
class Deactivated:
    user: User
    #: open tasks of the official put back in their group's inbox
    tasks_returned: int
    #: login sessions and personal tokens revoked
    credentials_revoked: int


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


def _in_scope(user: User, scope: set[int] | None) -> bool:
    if scope is None:
        return True
    return not user.is_admin and bool(user.memberships) and all(m.agency_id in scope for m in user.memberships)


def list_officials(session: Session, actor) -> list[User]:
    """The officials the administrator manages, by username."""
    scope = reach(session, actor)
    users = session.scalars(select(User).order_by(User.username)).all()
    return [u for u in users if _in_scope(u, scope)]


def get_official(session: Session, actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not _in_scope(user, reach(session, actor)):
        raise NotFound(f"no official {user_id}")
    return user


def _check_grant(session: Session, scope, agency_id, role, now: dt.datetime, field: str = "roles") -> Agency:
    if not isinstance(role, str) or not ROLE.fullmatch(role):
        raise InvalidInput("the role is not valid", {f"{field}.role": ["a lower-case role code such as 'specialist'"]})
    agency = session.get(Agency, agency_id) if isinstance(agency_id, int) else None
    if agency is None:
        raise InvalidInput(f"no agency {agency_id}", {f"{field}.agency_id": [f"no agency {agency_id}"]})
    if not in_reach(scope, agency.id):
        raise Forbidden(f"agency {agency.code} is outside the agencies you administer")
    require_exists_now(agency, now.date())
    return agency


def _record(session, action, actor, now, user: User, **detail):
    audit.record(session, action, actor=actor, at=now, official_id=user.id, username=user.username,
                 agency_ids=sorted({m.agency_id for m in user.memberships}), **detail)


def create_official(session: Session, *, actor, now: dt.datetime, username: str, full_name: str,
                    email: str | None = None, roles: list[tuple[int, str]] = (), is_admin: bool = False,
                    password: str | None = None, hash_method: str | None = None) -> NewOfficial:
    """Open an account with its roles; without `password`, a temporary one the official must change."""
    scope = reach(session, actor)
    errors: dict[str, list[str]] = {}
    username = username.strip().lower() if isinstance(username, str) else ""
    if not USERNAME.fullmatch(username):
        errors["username"] = ["3 to 80 characters: lower-case letters, digits, '.', '_' or '-'"]
    elif session.scalar(select(User.id).where(func.lower(User.username) == username)) is not None:
        errors["username"] = [f"the username {username} is taken"]
    full_name = full_name.strip() if isinstance(full_name, str) else ""
    if not full_name or len(full_name) > 255:
        errors["full_name"] = ["required, at most 255 characters"]
    email = email.strip() if isinstance(email, str) and email.strip() else None
    if email is not None and (len(email) > 255 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
        errors["email"] = ["an e-mail address like name@example.vn"]
    if errors:
        raise InvalidInput("the official has invalid fields", errors)
    if is_admin:
        require_system_administrator(actor, "making a system administrator")
    if scope is not None and not roles:
        raise InvalidInput("give the official a role in an agency you administer",
                           {"roles": ["at least one role in an agency you administer"]})
    grants = {(int(a) if isinstance(a, int) else a, r) for a, r in roles}
    for agency_id, role in grants:
        _check_grant(session, scope, agency_id, role, now)
    secret = password or temporary_password()
    user = User(username=username, full_name=full_name, email=email, is_admin=bool(is_admin), is_active=True,
                must_change_password=password is None)
    if hash_method:
        user.password_hash = generate_password_hash(secret, method=hash_method)
    else:
        set_password(user, secret)
    session.add(user)
    session.flush()
    for agency_id, role in sorted(grants):
        session.add(Membership(user_id=user.id, agency_id=agency_id, role=role))
    session.flush()
    session.refresh(user)
    _record(session, "admin.official_created", actor, now, user, is_admin=user.is_admin,
            roles=[[a, r] for a, r in sorted(grants)])
    return NewOfficial(user, None if password else secret)


def grant_role(session: Session, user_id: int, agency_id: int, role: str, *, actor, now: dt.datetime) -> Membership:
    """Give the official a role in an agency (one the administrator administers); a repeat changes nothing."""
    user = get_official(session, actor, user_id)
    _check_grant(session, reach(session, actor), agency_id, role, now, field="grant")
    row = session.scalars(select(Membership).where(Membership.user_id == user.id, Membership.agency_id == agency_id,
                                                   Membership.role == role)).first()
    if row is not None:
        return row
    row = Membership(user_id=user.id, agency_id=agency_id, role=role)
    session.add(row)
    session.flush()
    session.refresh(user)
    _record(session, "admin.role_granted", actor, now, user, agency_id=agency_id, role=role)
    return row


def withdraw_role(session: Session, user_id: int, agency_id: int, role: str, *, actor, now: dt.datetime) -> int:
    """Take a role back; the official's open tasks of that role there return to the group. Returns how many."""
    user = get_official(session, actor, user_id)
    if not in_reach(reach(session, actor), agency_id):
        raise Forbidden(f"agency {agency_id} is outside the agencies you administer")
    row = session.scalars(select(Membership).where(Membership.user_id == user.id, Membership.agency_id == agency_id,
                                                   Membership.role == role)).first()
    if row is None:
        raise NotFound(f"{user.username} holds no role '{role}' in agency {agency_id}")
    if actor is not None and not actor.is_admin and user.id == actor.id and role == ADMIN_ROLE:
        raise Forbidden("you cannot withdraw your own administrator role")
    if actor is not None and not actor.is_admin and len(user.memberships) == 1:
        raise Conflict("this is the official's last role in your agencies: deactivate the account instead")
    session.delete(row)
    returned = _return_tasks(session, user, now, actor, agency_id=agency_id, role=role)
    session.flush()
    session.refresh(user)
    _record(session, "admin.role_withdrawn", actor, now, user, agency_id=agency_id, role=role,
            tasks_returned=returned)
    return returned


def _return_tasks(session: Session, user: User, now: dt.datetime, actor, agency_id: int | None = None,
                  role: str | None = None) -> int:
    query = select(Task).where(Task.assignee_id == user.id, Task.state.in_(OPEN_TASK_STATES))
    if agency_id is not None:
        query = query.where(Task.agency_id == agency_id, Task.role == role)
    tasks = session.scalars(query.order_by(Task.id)).all()
    for task in tasks:
        task.assignee_id, task.state, task.claimed_at = None, "ready", None
        audit.record(session, "returned_to_group", dossier_id=task.dossier_id, task_id=task.id, actor=actor, at=now,
                     official_id=user.id)
    return len(tasks)


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.is_admin.is_(True),
                                                                        User.is_active.is_(True)))


def _keep_an_administrator(session: Session, user: User) -> None:
    if user.is_admin and user.is_active and _active_admins(session) <= 1:
        raise Conflict(f"{user.username} is the last active system administrator: make another one first")


def _revoke(session: Session, user: User, now: dt.datetime, kinds=("session", "token")) -> int:
    return session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind.in_(kinds),
                                                  ApiToken.revoked_at.is_(None)).values(revoked_at=now)).rowcount


def deactivate(session: Session, user_id: int, *, actor, now: dt.datetime) -> Deactivated:
    """Close an account: its sessions and tokens stop now, its open tasks return to their groups."""
    user = get_official(session, actor, user_id)
    if actor is not None and user.id == actor.id:
        raise Forbidden("you cannot deactivate your own account")
    if not user.is_active:
        raise Conflict(f"{user.username} is already deactivated")
    _keep_an_administrator(session, user)
    user.is_active = False
    revoked = _revoke(session, user, now)
    returned = _return_tasks(session, user, now, actor)
    session.flush()
    _record(session, "admin.official_deactivated", actor, now, user, tasks_returned=returned,
            credentials_revoked=revoked)
    return Deactivated(user, returned, revoked)


def reactivate(session: Session, user_id: int, *, actor, now: dt.datetime) -> NewOfficial:
    """Open a closed account again, with a temporary password (its old sessions and tokens stay revoked)."""
    user = get_official(session, actor, user_id)
    if user.is_active:
        raise Conflict(f"{user.username} is active")
    user.is_active = True
    secret = temporary_password()
    set_password(user, secret)
    user.must_change_password = True
    session.flush()
    _record(session, "admin.official_reactivated", actor, now, user)
    return NewOfficial(user, secret)


def reset_password(session: Session, user_id: int, *, actor, now: dt.datetime) -> NewOfficial:
    """A temporary password, shown once; the official's login sessions end and they choose a new one at sign-in."""
    user = get_official(session, actor, user_id)
    if not user.is_active:
        raise Conflict(f"{user.username} is deactivated: reactivate the account instead")
    secret = temporary_password()
    set_password(user, secret)
    user.must_change_password = True
    _revoke(session, user, now, kinds=("session",))
    session.flush()
    _record(session, "admin.password_reset", actor, now, user)
    return NewOfficial(user, secret)


def update_official(session: Session, user_id: int, changes: dict, *, actor, now: dt.datetime) -> User:
    """Change an official's name, e-mail, or system administrator right (system administrators only)."""
    user = get_official(session, actor, user_id)
    unknown = set(changes) - {"full_name", "email", "is_admin"}
    if unknown:
        raise InvalidInput("unknown fields", {name: ["cannot be changed"] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    new = {}
    if "full_name" in changes:
        name = changes["full_name"].strip() if isinstance(changes["full_name"], str) else ""
        if not name or len(name) > 255:
            errors["full_name"] = ["required, at most 255 characters"]
        new["full_name"] = name
    if "email" in changes:
        email = changes["email"].strip() if isinstance(changes["email"], str) else ""
        if email and (len(email) > 255 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
            errors["email"] = ["an e-mail address like name@example.vn"]
        new["email"] = email or None
    if "is_admin" in changes:
        if not isinstance(changes["is_admin"], bool):
            errors["is_admin"] = ["true or false"]
        new["is_admin"] = changes["is_admin"]
    if errors:
        raise InvalidInput("the official has invalid fields", errors)
    if "is_admin" in new and new["is_admin"] != user.is_admin:
        require_system_administrator(actor, "changing who is a system administrator")
        if not new["is_admin"]:
            _keep_an_administrator(session, user)
    changed = {k: [getattr(user, k), v] for k, v in new.items() if getattr(user, k) != v}
    for name, (_, value) in changed.items():
        setattr(user, name, value)
    session.flush()
    if changed:
        _record(session, "admin.official_changed", actor, now, user, changes=changed)
    return user
