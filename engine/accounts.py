"""Officials' credentials: password check and personal API tokens (only their hashes are stored)."""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.errors import Forbidden, InvalidInput, NotFound, Throttled
from engine.models import Agency, ApiToken, Membership, User
from engine.ratelimit import TokenBucket

TOKEN_PREFIX = "mc_"
TOKEN_USE_RESOLUTION = dt.timedelta(minutes=10)
#: session.info key: authentication wrote last_used_at, to be committed even by a request that only reads
TOKEN_TOUCHED = "motcua.token_touched"
# A fixed hash to compare against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:1000")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.password_hash or not user.is_active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


class LoginThrottle:
    """Failed logins counted per username and, at a much higher limit, per client address.

    Per username, so that guessing one official's password stays slow from any number of addresses; per
    address only against spraying many usernames: a whole office behind one NAT or proxy shares an address,
    and a stranger's failures must not lock its officials out. Buckets live in this process's memory (each
    app process counts on its own). Asked before the password is checked: while throttled, no guess is
    tried, right or wrong.
    """

    def __init__(self, per_account: int, per_address: int, period: float):
        self.accounts = TokenBucket(per_account, period)
        self.addresses = TokenBucket(per_address, period)

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().casefold()

    def check(self, username: str, address: str, now: dt.datetime) -> None:
        at = now.timestamp()
        wait = max(self.accounts.wait(self._key(username), at), self.addresses.wait(address, at))
        if wait:
            raise Throttled("too many failed logins for this account or from your address; wait and try again",
                            retry_after=max(1, math.ceil(wait)))

    def failed(self, username: str, address: str, now: dt.datetime) -> None:
        at = now.timestamp()
        self.accounts.take(self._key(username), at)
        self.addresses.take(address, at)


def log_in(session: Session, throttle: LoginThrottle, username: str, password: str, address: str,
           now: dt.datetime) -> User | None:
    """The user these credentials name, or None; raise Throttled after too many failures (LoginThrottle)."""
    throttle.check(username, address, now)
    user = authenticate(session, username, password)
    if user is None:
        throttle.failed(username, address, now)
    return user


def set_password(user: User, password: str) -> None:
    if not isinstance(password, str) or len(password) < 10:
        raise InvalidInput("the password is too short", {"password": ["at least 10 characters"]})
    user.password_hash = generate_password_hash(password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str, now: dt.datetime, kind: str = "token",
                 lifetime: dt.timedelta | None = None,
                 max_lifetime: dt.timedelta | None = None) -> tuple[ApiToken, str]:
    """Create a personal token (or a login session); the clear token is returned once and never stored.

    A personal token lives `lifetime` (at most `max_lifetime`); one cannot be made by a caller that is itself
    authenticated by a personal token: a leaked token must not be able to outlive its own expiry.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("a token needs a name", {"name": ["required"]})
    if kind == "token" and getattr(user, "via", None) == "token":
        raise Forbidden("a personal token cannot create tokens: log in to create one")
    if lifetime is not None and (lifetime <= dt.timedelta(0) or (max_lifetime is not None and lifetime > max_lifetime)):
        most = f"at most {max_lifetime.days} days" if max_lifetime is not None else "positive"
        raise InvalidInput("the token's lifetime is out of range", {"expires_in_days": [most]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip()[:120], kind=kind, token_hash=_digest(token),
                   created_at=now, last_used_at=now if kind == "session" else None,
                   expires_at=now + lifetime if lifetime is not None and kind == "token" else None)
    session.add(row)
    session.flush()
    return row, token


def open_session(session: Session, user: User, now: dt.datetime) -> str:
    """Open a login session: a token the cookie carries, so that logging out really ends it."""
    return create_token(session, user, "login session", now, kind="session")[1]


def close_session(session: Session, token: str, now: dt.datetime) -> None:
    """End a login session (logout); an unknown or already closed one is left as it is."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token),
                                                 ApiToken.kind == "session")).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.flush()


@dataclass(frozen=True)
class Grant:
    """One role of an official in one agency."""

    agency_id: int
    role: str


@dataclass(frozen=True)
class Principal:
    """The official a request acts as: what the access checks read, as authentication found it.

    Every engine use case takes it where it takes a User (the same attributes); it is no ORM object, so
    authenticating a request costs one plain query instead of loading two entities and a collection.
    """

    id: int
    username: str
    full_name: str
    is_admin: bool
    memberships: tuple[Grant, ...]
    #: how the request was authenticated: "session" (login cookie) or "token" (personal Bearer token)
    via: str = "session"
    #: an administrator set a temporary password: the official chooses their own before anything else
    must_change_password: bool = False


# Every request runs it: built once; the token, its owner and the owner's roles in one statement.
_TOKEN_OWNER = (
    select(ApiToken.id.label("token_id"), ApiToken.kind, ApiToken.revoked_at, ApiToken.last_used_at,
           ApiToken.expires_at, User.id,
           User.username, User.full_name, User.is_admin, User.is_active, User.must_change_password,
           Membership.agency_id, Membership.role)
    .join(User, User.id == ApiToken.user_id).outerjoin(Membership, Membership.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"))
)
_TOKEN_USED = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("at"))


def user_for_token(session: Session, token: str, now: dt.datetime, kind: str = "token",
                   idle: dt.timedelta | None = None) -> Principal | None:
    """The active owner of a valid, unrevoked token (or login session) of this kind, used within `idle`."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        return None
    connection = session.connection()
    rows = connection.execute(_TOKEN_OWNER, {"digest": _digest(token)}).all()
    if not rows:
        return None
    row = rows[0]
    if row.revoked_at is not None or row.kind != kind or not row.is_active:
        return None
    if idle is not None and row.last_used_at is not None and now - row.last_used_at > idle:
        return None
    if row.expires_at is not None and now >= row.expires_at:
        return None
    # Recorded at most every ten minutes: a write per request would cost more than it tells.
    if row.last_used_at is None or now - row.last_used_at > TOKEN_USE_RESOLUTION:
        connection.execute(_TOKEN_USED, {"token_id": row.token_id, "at": now})
        session.info[TOKEN_TOUCHED] = True
    grants = tuple(Grant(r.agency_id, r.role) for r in rows if r.agency_id is not None)
    return Principal(row.id, row.username, row.full_name, row.is_admin, grants, via=kind,
                     must_change_password=bool(row.must_change_password))


def purge_sessions(session: Session, now: dt.datetime, idle: dt.timedelta) -> int:
    """Delete the login sessions that can no longer be used (logged out, or idle past `idle`); return how many."""
    ended = or_(ApiToken.revoked_at.is_not(None), ApiToken.last_used_at < now - idle)  # as user_for_token judges
    return session.execute(delete(ApiToken).where(ApiToken.kind == "session", ended)).rowcount


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind == "token")
                                .order_by(ApiToken.id)))


def revoke_token(session: Session, user: User, token_id: int, now: dt.datetime) -> ApiToken:
    """Revoke one of the user's tokens (admins may revoke anyone's)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row.user_id != user.id and not user.is_admin:
        raise NotFound(f"no token {token_id}")  # another user's: as if unknown
    if row.revoked_at is None:
        row.revoked_at = now
    session.flush()
    return row


def change_password(session: Session, user: User | Principal, current: str, new: str, now: dt.datetime,
                    keep_session: str | None = None) -> None:
    """Change one's own password: the current one must be right; other login sessions are ended.

    `keep_session` is the login session making the change (it stays open). Personal API tokens stay:
    they are revoked one by one, on purpose.
    """
    row = session.get(User, user.id)
    if row is None or not row.is_active:
        raise NotFound(f"no user {user.id}")
    if not row.password_hash or not check_password_hash(row.password_hash, current or ""):
        raise InvalidInput("the current password is wrong", {"current_password": ["wrong password"]})
    if new == current:
        raise InvalidInput("the new password is the current one", {"new_password": ["choose another password"]})
    try:
        set_password(row, new)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, {"new_password": exc.errors["password"]}) from None
    row.must_change_password = False
    ended = update(ApiToken).where(ApiToken.user_id == row.id, ApiToken.kind == "session",
                                   ApiToken.revoked_at.is_(None))
    if keep_session:
        ended = ended.where(ApiToken.token_hash != _digest(keep_session))
    session.execute(ended.values(revoked_at=now))
    session.flush()


@dataclass(frozen=True)
class AgencyRoles:
    """An agency an official works in, with the roles held there."""

    id: int
    code: str
    name: str
    name_en: str | None
    roles: tuple[str, ...]


def agencies_of(session: Session, actor: User | Principal) -> list[AgencyRoles]:
    """The agencies of the official's roles (for a page's header), by name."""
    by_agency: dict[int, list[str]] = {}
    for m in actor.memberships:
        by_agency.setdefault(m.agency_id, []).append(m.role)
    if not by_agency:
        return []
    rows = session.execute(select(Agency.id, Agency.code, Agency.name, Agency.name_en)
                           .where(Agency.id.in_(by_agency)).order_by(Agency.name)).all()
    return [AgencyRoles(r.id, r.code, r.name, r.name_en, tuple(sorted(by_agency[r.id]))) for r in rows]


@dataclass(frozen=True)
class Colleague:
    id: int
    username: str
    full_name: str


def holders_of_role(session: Session, agency_id: int, role: str) -> list[Colleague]:
    """The active officials holding `role` in the agency, by name: whom a task of that role may go to."""
    rows = session.execute(select(User.id, User.username, User.full_name).join(Membership, Membership.user_id == User.id)
                           .where(Membership.agency_id == agency_id, Membership.role == role, User.is_active.is_(True))
                           .order_by(User.full_name, User.id)).all()
    return [Colleague(r.id, r.username, r.full_name) for r in rows]
