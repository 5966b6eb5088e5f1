"""The procedure catalog as officials read it: each procedure's latest deployed version and its catalog entry."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, defer

from bpmn.package import ProcedureMeta
from engine.errors import Forbidden, NotFound
from engine.models import Procedure, ProcedureVersion, User
from engine.runtime import Runtime

#: who may see every deployed version of a procedure (the catalog's maintainers) besides admins
VERSION_READERS = frozenset({"designer"})


@dataclass(frozen=True)
class CatalogEntry:
    """One procedure as the catalog shows it: the latest version's procedure.toml, typed."""

    slug: str
    version: int
    deployed_at: dt.datetime
    meta: ProcedureMeta
    #: form file name -> JSON Schema; only filled for a single procedure's page
    forms: Mapping[str, dict] | None = None


@dataclass(frozen=True)
class VersionInfo:
    version: int
    checksum: str
    deployed_at: dt.datetime
    deployed_by: str | None
    is_current: bool


def _current_versions(session: Session, slug: str | None = None) -> list[ProcedureVersion]:
    stmt = (select(ProcedureVersion).join(Procedure)
            .where(ProcedureVersion.version == Procedure.current_version).order_by(Procedure.slug)
            # the big columns load only on a spec-cache miss
            .options(defer(ProcedureVersion.spec), defer(ProcedureVersion.package)))
    if slug is not None:
        stmt = stmt.where(Procedure.slug == slug)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class ProcedureName:
    slug: str
    name_vi: str
    name_en: str | None


def procedure_names(session: Session) -> list[ProcedureName]:
    """Every deployed procedure's slug and names, by slug: a filter's list of procedures (one light query;
    list_procedures reads each catalog entry whole)."""
    rows = session.execute(select(Procedure.slug, Procedure.name_vi, Procedure.name_en)
                           .join(ProcedureVersion, and_(ProcedureVersion.procedure_id == Procedure.id,
                                                        ProcedureVersion.version == Procedure.current_version))
                           .order_by(Procedure.slug))
    return [ProcedureName(*r) for r in rows]


def list_procedures(rt: Runtime, session: Session) -> list[CatalogEntry]:
    """Every deployed procedure with its latest catalog entry, by slug."""
    entries = []
    for version in _current_versions(session):
        # The spec cache holds the parsed package; after the first request this costs no parsing.
        meta = rt.specs.get(version).meta
        entries.append(CatalogEntry(meta.slug, version.version, version.deployed_at, meta))
    return entries


def get_procedure(rt: Runtime, session: Session, slug: str) -> CatalogEntry:
    """One procedure's latest catalog entry with its forms."""
    found = _current_versions(session, slug)
    if not found:
        raise NotFound(f"no deployed procedure '{slug}'")
    version = found[0]
    package = rt.specs.get(version).package
    return CatalogEntry(slug, version.version, version.deployed_at, package.meta, dict(package.forms))


def list_versions(session: Session, slug: str, *, actor: User) -> list[VersionInfo]:
    """Every deployed version of a procedure, newest first (designers and admins)."""
    if not (actor.is_admin or any(m.role in VERSION_READERS for m in actor.memberships)):
        raise Forbidden("the version history is for the procedure catalog's designers and admins")
    procedure = session.scalars(select(Procedure).where(Procedure.slug == slug)).first()
    if procedure is None:
        raise NotFound(f"no deployed procedure '{slug}'")
    rows = session.execute(
        select(ProcedureVersion.version, ProcedureVersion.checksum, ProcedureVersion.deployed_at, User.full_name)
        .outerjoin(User, User.id == ProcedureVersion.deployed_by_id)
        .where(ProcedureVersion.procedure_id == procedure.id).order_by(ProcedureVersion.version.desc())
    ).all()
    return [VersionInfo(v, c, at, who, v == procedure.current_version) for v, c, at, who in rows]
