"""Deploying procedure packages as immutable versions; running dossiers stay on theirs."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpmn.package import ProcedurePackage, load_package, package_to_document
from bpmn.parser import parse_package
from bpmn.serializer import dump_spec
from bpmn.validation import validate_package
from engine.errors import InvalidInput
from engine.models import Procedure, ProcedureVersion, User
from engine.runtime import Runtime
from engine.specs import compile_version
from engine.studio.organisation import organisation_of


@dataclass(frozen=True)
class Deployment:
    slug: str
    version: int
    #: "deployed" (a new version), "unchanged" (already current) or "reinstated" (an earlier version is current again)
    outcome: str

    @property
    def is_new(self) -> bool:
        return self.outcome == "deployed"


def package_folders(path: Path) -> list[Path]:
    """A package folder itself, or every folder with a procedure.toml below a library root."""
    if (path / "procedure.toml").is_file():
        return [path]
    return sorted(p.parent for p in path.glob("*/procedure.toml"))


def deploy_package(rt: Runtime, session: Session, pkg: ProcedurePackage, *, actor: User | None,
                   now: dt.datetime) -> Deployment:
    """Store the package as a new version unless an identical one (same checksum) is deployed."""
    meta = pkg.meta
    procedure = session.scalars(select(Procedure).where(Procedure.slug == meta.slug)).first()
    if procedure is not None:
        same = session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_id == procedure.id,
                                                              ProcedureVersion.checksum == pkg.checksum)).first()
        if same is not None:
            # Deploying an earlier version's files again makes that version current again (a revert).
            outcome = "unchanged" if procedure.current_version == same.version else "reinstated"
            procedure.current_version = same.version
            session.flush()
            return Deployment(meta.slug, same.version, outcome)
    else:
        procedure = Procedure(slug=meta.slug, current_version=0)
        session.add(procedure)
    parsed = parse_package(pkg)
    procedure.code, procedure.local_code = meta.code, meta.local_code
    procedure.name_vi, procedure.name_en, procedure.level = meta.name_vi, meta.name_en, meta.level
    procedure.agency_kind = meta.agency_kind
    last = session.scalar(select(func.max(ProcedureVersion.version))
                          .where(ProcedureVersion.procedure_id == procedure.id)) if procedure.id else None
    number = (last or 0) + 1
    procedure.current_version = number
    version = ProcedureVersion(procedure=procedure, version=number, checksum=pkg.checksum,
                               package=package_to_document(pkg), spec=dump_spec(parsed.spec, parsed.subprocess_specs),
                               deployed_at=now, deployed_by_id=actor.id if actor else None)
    session.add(version)
    session.flush()
    rt.specs.put(compile_version(version.id, pkg.checksum, pkg, parsed.spec, parsed.subprocess_specs))
    return Deployment(meta.slug, version.version, "deployed")


def deploy_path(rt: Runtime, session: Session, path: Path, *, actor: User | None, now: dt.datetime) -> list[Deployment]:
    """Validate then deploy every package under `path`; any error refuses the whole deployment."""
    folders = package_folders(path)
    if not folders:
        raise InvalidInput(f"{path}: no procedure package (a folder with procedure.toml) found", {"path": [str(path)]})
    settings = rt.settings
    # a lane naming an agency kind that no agency of today has would strand dossiers
    organisation = organisation_of(session, now.astimezone(ZoneInfo(settings.timezone)).date())
    problems = [p for folder in folders
                for p in validate_package(folder, roles=settings.roles, agency_kinds=settings.agency_kinds,
                                          max_loop=settings.max_loop, organisation=organisation)
                if p.severity == "error"]
    if problems:
        raise InvalidInput(f"{len(problems)} error(s) in the BPMN packages; nothing was deployed",
                           {"problems": [str(p) for p in problems]})
    return [deploy_package(rt, session, load_package(folder), actor=actor, now=now) for folder in folders]
