"""Drafts of a procedure package: saved by designers, linted by the same validator as `motcua validate`,
approved by an approver (another person) into a new procedure version through engine.deploy."""
from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpmn.layout import with_drawing
from bpmn.package import (
    FORMS_DIR,
    TOML_NAME,
    PackageError,
    load_package,
    meta_to_table,
    package_from_document,
)
from engine import access, audit
from engine.deploy import Deployment, deploy_package
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import Dossier, Procedure, ProcedureDraft, ProcedureVersion, User
from engine.runtime import Runtime
from engine.studio.lint import validate_draft
from engine.studio.simulation import simulate_procedure

#: the largest diagram or form a draft takes (a diagram of hundreds of elements is well under 1 MB)
MAX_TEXT_BYTES = 5 * 1024 * 1024
_FORM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.json$")
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


@dataclass(frozen=True)
class LintMessage:
    """One validator finding, located by element id (for a marker on the diagram) and file."""

    file: str
    element: str | None
    line: int | None
    message: str
    severity: str

    def as_dict(self) -> dict:
        return {"file": self.file, "element": self.element, "line": self.line, "message": self.message,
                "severity": self.severity}


# --- the procedure.toml text of a stored version -------------------------------------------------------------

def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def toml_text(table: dict) -> str:
    """procedure.toml for a catalog table (bpmn.package.meta_to_table): scalars, tables, arrays of tables."""
    lines, tables = [], []
    for key, value in table.items():
        if isinstance(value, dict):
            tables.append(f"\n[{key}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in value.items()))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.extend(f"\n[[{key}]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in item.items())
                          for item in value)
        else:
            lines.append(f"{key} = {_toml_value(value)}\n")
    return "".join(lines) + "".join(tables)


# --- checks of what a designer sends ---------------------------------------------------------------------------

def check_xml(text: str, field: str = "bpmn") -> None:
    """Refuse an oversized diagram, a DTD (entity expansion: the XML bomb) or XML that does not parse."""
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise InvalidInput(f"{field}: {size // (1024 * 1024)} MB is larger than the {MAX_TEXT_BYTES // (1024 * 1024)} MB "
                           f"a diagram may be", {field: [f"at most {MAX_TEXT_BYTES} bytes"]})
    if re.search(r"<!DOCTYPE|<!ENTITY", text[:65536], re.IGNORECASE):
        raise InvalidInput(f"{field}: a diagram may not declare a DOCTYPE or entities (refused: entity expansion)",
                           {field: ["DOCTYPE and ENTITY declarations are refused"]})
    try:
        etree.fromstring(text.encode("utf-8"), _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"{field}: not well-formed XML: {exc}", {field: [str(exc)]}) from None


def _check_forms(forms) -> dict[str, dict]:
    if not isinstance(forms, dict):
        raise InvalidInput("forms: an object of file name -> JSON Schema", {"forms": ["expected an object"]})
    errors = {}
    for name, schema in forms.items():
        if not _FORM_NAME.match(str(name)):
            errors[f"forms.{name}"] = ["a form file name is letters, digits, _ . - and ends with .json"]
        elif not isinstance(schema, dict):
            errors[f"forms.{name}"] = ["a form is a JSON Schema object"]
    if errors:
        raise InvalidInput("forms: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    if len(json.dumps(forms).encode("utf-8")) > MAX_TEXT_BYTES:
        raise InvalidInput("forms: larger than a draft may be", {"forms": [f"at most {MAX_TEXT_BYTES} bytes"]})
    return forms


# --- reading ---------------------------------------------------------------------------------------------------

def _procedure(session: Session, slug: str) -> Procedure:
    procedure = session.scalars(select(Procedure).where(Procedure.slug == slug)).first()
    if procedure is None:
        raise NotFound(f"no deployed procedure '{slug}'")
    return procedure


def get_version(session: Session, slug: str, number: int) -> ProcedureVersion:
    version = session.scalars(select(ProcedureVersion).join(Procedure).where(
        Procedure.slug == slug, ProcedureVersion.version == number)).first()
    if version is None:
        raise NotFound(f"procedure '{slug}' has no version {number}")
    return version


def open_draft(session: Session, slug: str) -> ProcedureDraft | None:
    return session.scalars(select(ProcedureDraft).where(ProcedureDraft.open_slug == slug)).first()


def get_draft(session: Session, slug: str, *, actor: User | None) -> ProcedureDraft:
    access.require_designer(actor)
    draft = open_draft(session, slug)
    if draft is None:
        raise NotFound(f"procedure '{slug}' has no open draft")
    return draft


def start_draft(session: Session, slug: str, *, actor: User | None, now: dt.datetime) -> ProcedureDraft:
    """The procedure's open draft, or a new one copied from its current version."""
    access.require_designer(actor)
    draft = open_draft(session, slug)
    if draft is not None:
        return draft
    procedure = _procedure(session, slug)
    pkg = package_from_document(get_version(session, slug, procedure.current_version).package)
    draft = ProcedureDraft(slug=slug, open_slug=slug, base_version=procedure.current_version,
                           toml_text=toml_text(meta_to_table(pkg.meta)), bpmn_filename=pkg.bpmn_filename,
                           bpmn_text=with_drawing(pkg.bpmn_text), forms=dict(pkg.forms), created_by_id=actor.id,
                           updated_by_id=actor.id, updated_at=now)
    session.add(draft)
    session.flush()
    audit.record(session, "studio.draft_started", actor=actor, at=now, procedure=slug,
                 base_version=procedure.current_version)
    return draft


def drawn(text: str, *, actor: User | None) -> str:
    """A diagram the designer opens from a file, with a drawing laid out when it has none (bpmn.layout), so
    the modeler shows its steps; checked as a saved diagram is."""
    access.require_designer(actor)
    check_xml(text)
    try:
        return with_drawing(text)
    except ValueError as exc:
        raise InvalidInput(f"bpmn: {exc}", {"bpmn": [str(exc)]}) from None


_NEW_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_NEW_TOML = """# A new procedure: fill in the catalogue code, level, field, agency kind, deadline, fees and documents.
slug = {slug}
code = ""
process_id = {process_id}
name_vi = {name}
name_en = ""
level = "commune"
field = ""
agency_kind = "commune"
pause_rule = "resume"
channels = ["counter"]
result_delivery = ["counter"]

[deadline]
unit = "working_days"
value = 1
"""

_NEW_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:di="http://www.omg.org/spec/DD/20100524/DI" \
xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_{pid}" targetNamespace="motcua">
  <bpmn:collaboration id="collab_{pid}">
    <bpmn:participant id="pool_{pid}" name="{name}" processRef="{pid}" />
  </bpmn:collaboration>
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:laneSet id="lanes_{pid}">
      <bpmn:lane id="lane_specialist" name="specialist">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>flow_start_end</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>flow_start_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start_end" sourceRef="start" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{pid}">
    <bpmndi:BPMNPlane id="plane_{pid}" bpmnElement="collab_{pid}">
      <bpmndi:BPMNShape id="pool_{pid}_di" bpmnElement="pool_{pid}" isHorizontal="true">
        <dc:Bounds x="120" y="80" width="600" height="200" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_specialist_di" bpmnElement="lane_specialist" isHorizontal="true">
        <dc:Bounds x="150" y="80" width="570" height="200" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="212" y="162" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="592" y="162" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_end_di" bpmnElement="flow_start_end">
        <di:waypoint x="248" y="180" /><di:waypoint x="592" y="180" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def new_procedure_draft(session: Session, *, slug: str, name: str, actor: User | None,
                        now: dt.datetime) -> ProcedureDraft:
    """A draft of a procedure that does not exist yet: a procedure.toml to fill in and a diagram with a start,
    an end and one lane (specialist). It becomes the procedure's version 1 when approved."""
    access.require_designer(actor)
    slug, name = (slug or "").strip(), (name or "").strip()
    if not _NEW_SLUG.match(slug) or len(slug) > 80:
        raise InvalidInput(f"slug: {slug!r} must be lower-case words joined by '-' (at most 80 characters)",
                           {"slug": ["lower-case words joined by '-'"]})
    if not name or len(name) > 300:
        raise InvalidInput("name: the procedure's Vietnamese name (1 to 300 characters)", {"name": ["required"]})
    if session.scalars(select(Procedure.id).where(Procedure.slug == slug)).first() is not None \
            or open_draft(session, slug) is not None:
        raise Conflict(f"slug: a procedure or a draft named '{slug}' already exists")
    pid = slug.replace("-", "_")
    draft = ProcedureDraft(slug=slug, open_slug=slug, base_version=None,
                           toml_text=_NEW_TOML.format(slug=json.dumps(slug), process_id=json.dumps(pid),
                                                      name=json.dumps(name, ensure_ascii=False)),
                           bpmn_filename=f"{slug}.bpmn",
                           bpmn_text=_NEW_BPMN.format(pid=pid, name=_xml_attr(name)),
                           forms={}, created_by_id=actor.id, updated_by_id=actor.id, updated_at=now)
    session.add(draft)
    session.flush()
    audit.record(session, "studio.draft_started", actor=actor, at=now, procedure=slug, base_version=None)
    return draft


def _xml_attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def save_draft(session: Session, slug: str, *, revision: int, actor: User | None, now: dt.datetime,
               bpmn_text: str | None = None, forms: dict | None = None, toml: str | None = None) -> ProcedureDraft:
    """Store a designer's change; `revision` is the one the change was made on (else Conflict: reload)."""
    draft = get_draft(session, slug, actor=actor)
    if revision != draft.revision:
        raise Conflict(f"the draft of '{slug}' was saved by someone else meanwhile (revision {draft.revision}, "
                       f"yours {revision}): reload it, your change was not saved", revision=draft.revision)
    if bpmn_text is not None:
        check_xml(bpmn_text)
        draft.bpmn_text = bpmn_text
    if forms is not None:
        draft.forms = _check_forms(forms)
    if toml is not None:
        draft.toml_text = _check_toml(toml)
    draft.updated_by_id, draft.updated_at = actor.id, now
    session.flush()  # the revision moves here; a concurrent save of the same revision fails its UPDATE
    audit.record(session, "studio.draft_saved", actor=actor, at=now, procedure=slug, revision=draft.revision)
    return draft


# --- lint ------------------------------------------------------------------------------------------------------

def _write_folder(root: Path, draft_slug: str, toml: str, bpmn_filename: str, bpmn_text: str, forms: dict) -> Path:
    folder = root / draft_slug
    (folder / FORMS_DIR).mkdir(parents=True)
    (folder / TOML_NAME).write_text(toml, encoding="utf-8")
    (folder / bpmn_filename).write_text(bpmn_text, encoding="utf-8")
    for name, schema in forms.items():
        (folder / FORMS_DIR / name).write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


def lint(rt: Runtime, session: Session, draft: ProcedureDraft, bpmn_text: str | None = None,
         forms: dict | None = None, toml: str | None = None) -> list[LintMessage]:
    """The validator's findings on the draft (or on the draft with the designer's unsaved diagram, forms and
    procedure.toml): engine.studio.lint.validate_draft, the rules of `motcua validate` and deploy, with the
    organisation's agency kinds and roles; files named relative to the package."""
    text = draft.bpmn_text if bpmn_text is None else bpmn_text
    check_xml(text)
    forms = draft.forms if forms is None else _check_forms(forms)
    toml_text = draft.toml_text if toml is None else _check_toml(toml)
    own_name = f"{draft.slug}.bpmn"
    return [LintMessage(draft.bpmn_filename if m["file"] == own_name else m["file"], m["element_id"], m["line"],
                        m["message"], m["severity"])
            for m in validate_draft(rt, session, slug=draft.slug, toml_text=toml_text, bpmn_text=text, forms=forms)]


def _check_toml(toml: str) -> str:
    if not isinstance(toml, str):
        raise InvalidInput("procedure.toml: text expected", {"toml": ["text expected"]})
    if len(toml.encode("utf-8")) > MAX_TEXT_BYTES:
        raise InvalidInput("procedure.toml: too large", {"toml": [f"at most {MAX_TEXT_BYTES} bytes"]})
    return toml


def lint_draft(rt: Runtime, session: Session, slug: str, *, actor: User | None,
               bpmn_text: str | None = None, forms: dict | None = None, toml: str | None = None) -> list[LintMessage]:
    return lint(rt, session, get_draft(session, slug, actor=actor), bpmn_text, forms, toml)


# --- approval --------------------------------------------------------------------------------------------------

def approve_draft(rt: Runtime, session: Session, slug: str, *, revision: int, actor: User | None,
                  now: dt.datetime) -> Deployment:
    """Deploy the draft as the procedure's new version: by an approver who did not make its last change, on
    the revision they looked at, only when the validator finds no error."""
    access.require_approver(actor)
    draft = open_draft(session, slug)
    if draft is None:
        raise NotFound(f"procedure '{slug}' has no open draft")
    if revision != draft.revision:
        raise Conflict(f"the draft of '{slug}' changed since you opened it (revision {draft.revision}): "
                       f"look at it again before approving", revision=draft.revision)
    if draft.updated_by_id == actor.id:
        raise Forbidden("a draft is approved by someone other than the designer who last changed it")
    errors = [m for m in lint(rt, session, draft) if m.severity == "error"]
    if errors:
        first = "; ".join(f"{m.element or m.file}: {m.message}" for m in errors[:3])
        raise InvalidInput(f"{len(errors)} error(s) in the draft: it cannot be approved ({first})",
                           {m.element or m.file: [m.message] for m in errors})
    with tempfile.TemporaryDirectory(prefix="motcua-draft-") as tmp:
        folder = _write_folder(Path(tmp), draft.slug, draft.toml_text, draft.bpmn_filename, draft.bpmn_text,
                               draft.forms)
        pkg = load_package(folder)
    if pkg.meta.slug != slug:
        raise InvalidInput(f"procedure.toml: slug {pkg.meta.slug!r} is not the draft's procedure {slug!r}",
                           {"toml": ["slug differs from the procedure"]})
    deployment = deploy_package(rt, session, pkg, actor=actor, now=now)
    draft.open_slug, draft.approved_by_id, draft.approved_at = None, actor.id, now
    draft.approved_version = deployment.version
    session.flush()
    audit.record(session, "studio.draft_approved", actor=actor, at=now, procedure=slug,
                 version=deployment.version, outcome=deployment.outcome, designer_id=draft.updated_by_id)
    return deployment


# --- versions --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VersionRow:
    version: int
    current: bool
    deployed_at: dt.datetime
    deployed_by: str | None
    designed_by: str | None
    dossiers: int
    open_dossiers: int


@dataclass(frozen=True)
class ProcedureRow:
    slug: str
    name: str
    current_version: int
    versions: int
    draft_revision: int | None


def procedures(session: Session, *, actor: User | None) -> list[ProcedureRow]:
    access.require_designer(actor)
    counts = dict(session.execute(select(ProcedureVersion.procedure_id, func.count())
                                  .group_by(ProcedureVersion.procedure_id)).all())
    drafts = dict(session.execute(select(ProcedureDraft.open_slug, ProcedureDraft.revision)
                                  .where(ProcedureDraft.open_slug.is_not(None))).all())
    rows = [ProcedureRow(p.slug, p.name_vi, p.current_version, counts.get(p.id, 0), drafts.pop(p.slug, None))
            for p in session.scalars(select(Procedure).order_by(Procedure.slug))]
    return rows + [ProcedureRow(slug, slug, 0, 0, revision) for slug, revision in sorted(drafts.items())]


def versions(session: Session, slug: str, *, actor: User | None) -> list[VersionRow]:
    """Every version of a procedure with who deployed (approved) it, who designed it, when, and its dossiers."""
    access.require_designer(actor)
    procedure = _procedure(session, slug)
    names = dict(session.execute(select(User.id, User.full_name)).all())
    designers = dict(session.execute(select(ProcedureDraft.approved_version, ProcedureDraft.updated_by_id)
                                     .where(ProcedureDraft.slug == slug,
                                            ProcedureDraft.approved_version.is_not(None))).all())
    rows = session.execute(
        select(ProcedureVersion.id, ProcedureVersion.version, ProcedureVersion.deployed_at,
               ProcedureVersion.deployed_by_id)
        .where(ProcedureVersion.procedure_id == procedure.id).order_by(ProcedureVersion.version.desc())).all()
    total = dict(session.execute(select(Dossier.procedure_version_id, func.count())
                                 .group_by(Dossier.procedure_version_id)).all())
    running = dict(session.execute(select(Dossier.procedure_version_id, func.count())
                                   .where(Dossier.closed_at.is_(None)).group_by(Dossier.procedure_version_id)).all())
    return [VersionRow(r.version, r.version == procedure.current_version, r.deployed_at,
                       names.get(r.deployed_by_id), names.get(designers.get(r.version)),
                       total.get(r.id, 0), running.get(r.id, 0)) for r in rows]


def version_bpmn(session: Session, slug: str, number: int, *, actor: User | None) -> tuple[str, str]:
    """(file name, BPMN text) of one version."""
    access.require_designer(actor)
    doc = get_version(session, slug, number).package
    return f"{slug}-v{number}.bpmn", doc["bpmn_text"]


# --- simulation ------------------------------------------------------------------------------------------------

def simulate_draft(rt: Runtime, session: Session, slug: str, *, actor: User | None) -> dict:
    """What the studio's simulation panel shows for the saved draft: engine.studio.simulation.simulate_procedure,
    each start-to-end path's working-time budget against the legal deadline (and deadline + legal extension),
    with the share on time sampled from recorded step durations when there are enough.

    Answer: {"available", "message", "deadline", "deadline_hours", "extended_hours", "ok", "paths": [{"end",
    "status", "label", "hours", "budget", "fits", "fits_extended", "on_time_share"}]}.
    """
    draft = get_draft(session, slug, actor=actor)
    with tempfile.TemporaryDirectory(prefix="motcua-draft-") as tmp:
        folder = _write_folder(Path(tmp), draft.slug, draft.toml_text, draft.bpmn_filename, draft.bpmn_text,
                               draft.forms)
        try:
            pkg = load_package(folder)
        except PackageError as exc:
            return {"available": True, "ok": False, "paths": [],
                    "message": f"the draft cannot be loaded: {exc.problems[0].message}"}
    result = simulate_procedure(rt, session, pkg, with_history=True)
    paths = [{"end": p.end_id, "status": p.end_status, "label": p.label, "hours": round(p.seconds / 3600, 2),
              "budget": result.describe(p.seconds), "fits": p.fits, "fits_extended": p.fits_extended,
              "on_time_share": p.on_time_share} for p in result.paths]
    worst = max((p["hours"] for p in paths), default=0)
    return {"available": True, "deadline": result.deadline, "ok": result.ok, "paths": paths,
            "deadline_hours": round(result.deadline_seconds / 3600, 2),
            "extended_hours": round((result.deadline_seconds + result.extension_seconds) / 3600, 2),
            "message": f"{len(paths)} path(s), the longest {worst} working hours; deadline {result.deadline} "
                       f"({result.describe(result.deadline_seconds)}): "
                       + ("every path fits" if result.ok else "a path does not fit")}
