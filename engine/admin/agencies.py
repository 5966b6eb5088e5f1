"""The agency tree with levels, kinds and the dates each agency existed.

Since 1 July 2025 local government has two tiers (province, commune): the districts ended on 30 June 2025
and many communes were merged into new ones. An agency therefore carries `valid_from` and `valid_until`
(both days included, null for open-ended), and a report for a past period asks `agencies_as_of(day)` for
the tree as it was that day.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine import audit
from engine.admin.scope import children_map, in_reach, reach
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import Agency

#: levels and kinds are labels (DOMAIN: not an enum): lower-case words
LABEL = re.compile(r"[a-z][a-z0-9_-]{0,39}")
#: the agency code of dossier codes (Circular 01/2018/TT-VPCP art. 19), e.g. 000.01.31.H26
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,39}")
#: the levels and kinds the pages suggest (any label is accepted)
SUGGESTED_LEVELS = ("ministry", "province", "commune", "district")
SUGGESTED_KINDS = ("province", "commune", "police", "social-insurance", "tax", "land-registry", "department")


@dataclass(frozen=True)
class AgencyNode:
    """One agency in the tree, with its depth (0 at a root) for drawing it."""

    id: int
    code: str
    name: str
    name_en: str | None
    level: str
    kind: str
    parent_id: int | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    depth: int

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_until is None or
                                                                         day <= self.valid_until)


def node(a: Agency, depth: int) -> AgencyNode:
    return AgencyNode(a.id, a.code, a.name, a.name_en, a.level, a.kind, a.parent_id, a.valid_from, a.valid_until,
                      depth)


def _in_tree_order(rows: list[Agency]) -> list[AgencyNode]:
    ids = {a.id for a in rows}
    children: dict[int | None, list[Agency]] = {}
    for a in rows:
        children.setdefault(a.parent_id if a.parent_id in ids else None, []).append(a)
    out: list[AgencyNode] = []

    def walk(parent: int | None, depth: int) -> None:
        for a in sorted(children.get(parent, ()), key=lambda x: (x.name, x.id)):
            out.append(node(a, depth))
            walk(a.id, depth + 1)

    walk(None, 0)
    return out


def valid_on(day: dt.date):
    """The SQL condition "the agency existed on `day`" (for reports that join Agency)."""
    return and_(or_(Agency.valid_from.is_(None), Agency.valid_from <= day),
                or_(Agency.valid_until.is_(None), Agency.valid_until >= day))


def agencies_as_of(session: Session, day: dt.date) -> list[AgencyNode]:
    """The agency tree as it was on `day`, in tree order: the agencies that existed that day.

    For reports over a past period (e.g. a quarter of 2025 still has its districts): an agency whose parent
    did not exist that day is shown as a root. No permission is checked: the tree is no personal data.
    """
    return _in_tree_order(list(session.scalars(select(Agency).where(valid_on(day)))))


def agency_tree(session: Session, actor, as_of: dt.date | None = None) -> list[AgencyNode]:
    """The agencies the administrator administers, in tree order; only those existing on `as_of` if given."""
    scope = reach(session, actor)
    query = select(Agency)
    if as_of is not None:
        query = query.where(valid_on(as_of))
    return _in_tree_order([a for a in session.scalars(query) if in_reach(scope, a.id)])


def get_agency(session: Session, actor, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None or not in_reach(reach(session, actor), agency.id):
        raise NotFound(f"no agency {agency_id}")
    return agency


def _text(errors: dict, name: str, value, limit: int, required: bool = True) -> str | None:
    value = value.strip() if isinstance(value, str) else value
    if value in (None, ""):
        if required:
            errors[name] = ["required"]
        return None
    if not isinstance(value, str) or len(value) > limit:
        errors[name] = [f"at most {limit} characters"]
        return None
    return value


def _label(errors: dict, name: str, value) -> str | None:
    value = _text(errors, name, value, 40)
    if value is not None and not LABEL.fullmatch(value):
        errors[name] = ["a lower-case label such as 'commune' (letters, digits, '-' or '_')"]
    return value


def _check_dates(errors: dict, valid_from: dt.date | None, valid_until: dt.date | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = ["on or after valid_from"]


def _check_parent(session: Session, errors: dict, scope, parent_id: int | None, agency: Agency | None) -> None:
    if parent_id is None:
        if scope is not None:
            errors["parent_id"] = ["an agency administrator places agencies under one they administer"]
        return
    parent = session.get(Agency, parent_id)
    if parent is None or not in_reach(scope, parent_id):
        errors["parent_id"] = [f"no agency {parent_id} that you administer"]
    elif agency is not None and agency.id is not None:
        below = children_map(session)
        stack, seen = [agency.id], set()
        while stack:
            node = stack.pop()
            seen.add(node)
            stack.extend(below.get(node, ()))
        if parent_id in seen:
            errors["parent_id"] = ["an agency cannot be placed under itself or an agency below it"]


def create_agency(session: Session, *, actor, now: dt.datetime, code: str, name: str, level: str, kind: str,
                  parent_id: int | None = None, name_en: str | None = None, valid_from: dt.date | None = None,
                  valid_until: dt.date | None = None) -> Agency:
    """Add an agency under `parent_id` (an agency administrator: under one they administer)."""
    scope = reach(session, actor)
    errors: dict[str, list[str]] = {}
    code = _text(errors, "code", code, 40)
    if code is not None and not CODE.fullmatch(code):
        errors["code"] = ["letters, digits, '.' and '-' only, e.g. 000.01.31.H26"]
    elif code is not None and session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
        errors["code"] = [f"an agency with code {code} exists"]
    name = _text(errors, "name", name, 255)
    name_en = _text(errors, "name_en", name_en, 255, required=False)
    level, kind = _label(errors, "level", level), _label(errors, "kind", kind)
    _check_parent(session, errors, scope, parent_id, None)
    _check_dates(errors, valid_from, valid_until)
    if errors:
        raise InvalidInput("the agency has invalid fields", errors)
    agency = Agency(code=code, name=name, name_en=name_en, level=level, kind=kind, parent_id=parent_id,
                    valid_from=valid_from, valid_until=valid_until)
    session.add(agency)
    session.flush()
    audit.record(session, "admin.agency_created", actor=actor, at=now, agency_id=agency.id, code=code, name=name,
                 level=level, kind=kind, parent_id=parent_id, valid_from=_iso(valid_from),
                 valid_until=_iso(valid_until))
    return agency


EDITABLE = ("name", "name_en", "level", "kind", "parent_id", "valid_from", "valid_until")


def update_agency(session: Session, agency_id: int, changes: dict, *, actor, now: dt.datetime) -> Agency:
    """Change an agency's names, labels, parent or dates (its code stays: dossier codes carry it)."""
    agency = get_agency(session, actor, agency_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput("unknown fields", {name: ["cannot be changed"] for name in sorted(unknown)})
    scope = reach(session, actor)
    errors: dict[str, list[str]] = {}
    new = {name: getattr(agency, name) for name in EDITABLE} | changes
    if "name" in changes:
        new["name"] = _text(errors, "name", changes["name"], 255)
    if "name_en" in changes:
        new["name_en"] = _text(errors, "name_en", changes["name_en"], 255, required=False)
    for name in ("level", "kind"):
        if name in changes:
            new[name] = _label(errors, name, changes[name])
    if "parent_id" in changes and changes["parent_id"] != agency.parent_id:
        if scope is not None and agency.parent_id not in scope:  # the top of the administrator's subtree
            errors["parent_id"] = ["only a system administrator moves an agency you administer from the top"]
        else:
            _check_parent(session, errors, scope, changes["parent_id"], agency)
    _check_dates(errors, new["valid_from"], new["valid_until"])
    if errors:
        raise InvalidInput("the agency has invalid fields", errors)
    before = {name: getattr(agency, name) for name in EDITABLE}
    changed = {name: new[name] for name in EDITABLE if new[name] != before[name]}
    if not changed:
        return agency
    for name, value in changed.items():
        setattr(agency, name, value)
    session.flush()
    audit.record(session, "admin.agency_changed", actor=actor, at=now, agency_id=agency.id, code=agency.code,
                 changes={name: [_plain(before[name]), _plain(value)] for name, value in changed.items()})
    return agency


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def require_exists_now(agency: Agency, day: dt.date) -> None:
    """Conflict when the agency did not exist on `day` (roles are granted in agencies that exist)."""
    if not node(agency, 0).valid_on(day):
        raise Conflict(f"agency {agency.code} does not exist on {day.isoformat()} (valid "
                       f"{_iso(agency.valid_from) or '…'} – {_iso(agency.valid_until) or '…'})")
