"""Demo agencies and officials (config/demo.toml), for `motcua demo` and the tests."""
from __future__ import annotations

import datetime as dt
import secrets
import tomllib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Agency, Membership, User

DEMO_FILE = Path(__file__).resolve().parent.parent / "config" / "demo.toml"

ROLE_TITLES = {
    "admin": "Quản trị đơn vị", "reception": "Cán bộ tiếp nhận", "specialist": "Chuyên viên", "head": "Lãnh đạo phòng",
    "leader": "Lãnh đạo cơ quan", "clerk": "Văn thư", "supervisor": "Giám sát",
    "designer": "Cán bộ kiểm soát TTHC",
    "approver": "Người phê duyệt quy trình",
}


def seed_demo(session: Session, password: str | None = None, path: Path = DEMO_FILE,
              hash_method: str = "scrypt", now: dt.datetime | None = None) -> dict[str, str]:
    """Create the demo organisation if absent; return {username: password} for the users created.

    Through the administration's functions (engine.admin), as the system (no actor): audited like any
    administrator's change. Each user gets a fresh random password unless `password` is given (tests).
    """
    from engine.admin import agencies, officials

    now = now or dt.datetime.now(dt.UTC)
    with path.open("rb") as fh:
        demo = tomllib.load(fh)
    by_code = {a.code: a for a in session.scalars(select(Agency))}
    for spec in demo["agencies"]:
        if spec["code"] not in by_code:
            parent = by_code.get(spec.get("parent", ""))
            by_code[spec["code"]] = agencies.create_agency(
                session, actor=None, now=now, code=spec["code"], name=spec["name"], name_en=spec.get("name_en"),
                level=spec["level"], kind=spec["kind"], parent_id=parent.id if parent else None,
                valid_from=spec.get("valid_from"), valid_until=spec.get("valid_until"))
    existing = set(session.scalars(select(User.username)))
    created: dict[str, str] = {}

    def add_user(username: str, full_name: str, roles=(), is_admin: bool = False) -> None:
        if username in existing:
            return
        secret = password or secrets.token_urlsafe(9)
        officials.create_official(session, actor=None, now=now, username=username, full_name=full_name,
                                  email=f"{username}@motcua.local", roles=roles, is_admin=is_admin,
                                  password=secret, hash_method=hash_method)
        created[username] = secret

    for staff in demo["staff"]:
        agency = by_code[staff["agency"]]
        for role in staff["roles"]:
            add_user(f"{staff['prefix']}.{role}", f"{ROLE_TITLES.get(role, role)} — {agency.name}",
                     roles=[(agency.id, role)])
    for admin in demo.get("admins", []):
        add_user(admin["username"], admin["full_name"], is_admin=True)
    session.flush()
    return created


DEMO_APPLICANTS = (
    ("household-business", {"name": "Trần Thị Bình", "phone": "0912345678", "email": "binh@example.vn"}),
    ("birth-registration", {"name": "Phạm Văn Minh", "phone": "0987654321"}),
    ("household-business", {"name": "Lê Văn Cường", "phone": "0901234567"}),
)


def seed_demo_dossiers(rt, session: Session, now, agency_code: str = "000.01.31.H26") -> list[tuple[str, str]]:
    """Receive a few dossiers at a commune's desk so the inboxes have work; return (code, secret) pairs."""
    from engine.dossiers import receive_dossier

    agency = session.scalars(select(Agency).where(Agency.code == agency_code)).one()
    reception = session.scalars(select(User).join(Membership).where(
        Membership.agency_id == agency.id, Membership.role == "reception")).first()
    out = []
    for procedure, applicant in DEMO_APPLICANTS:
        result = receive_dossier(rt, session, procedure=procedure, agency_id=agency.id, channel="counter",
                                 applicant=applicant, actor=reception, now=now)
        out.append((result.dossier.code, result.dossier.lookup_secret))
    return out
