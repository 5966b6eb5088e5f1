"""Live lint for the studio: the CLI's validator on the diagram being edited, with the package's context."""
from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from bpmn.package import FORMS_DIR, TOML_NAME
from bpmn.validation import lint_xml, validate_package
from engine.studio.organisation import organisation_today

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def working_day_seconds(settings) -> int:
    """Length of a working day in seconds, from the configured working hours."""
    day = dt.date(2000, 1, 3)
    return sum(int((dt.datetime.combine(day, end) - dt.datetime.combine(day, start)).total_seconds())
               for start, end in settings.working_hours)


def live_lint(rt, session: Session, xml: str | bytes, *, meta=None, forms: Mapping[str, dict] | None = None,
              filename: str = "diagram.bpmn") -> list[dict]:
    """Lint a diagram as the designer edits it: [{"element_id", "line", "severity", "message", "file"}].

    `meta` (ProcedureMeta) and `forms` are the draft package's, when known; lanes are checked against the
    agencies and roles in the database. The same rules as `motcua validate` and deploy.
    """
    s = rt.settings
    return lint_xml(xml, filename=filename, meta=meta, forms=forms, roles=s.roles, agency_kinds=s.agency_kinds,
                    working_day_seconds=working_day_seconds(s), max_loop=s.max_loop,
                    organisation=organisation_today(rt, session))


def validate_draft(rt, session: Session, *, slug: str, toml_text: str, bpmn_text: str,
                   forms: Mapping[str, dict] | None = None, library: Path | None = None) -> list[dict]:
    """Validate a whole draft package held in memory (procedure.toml, diagram, forms) exactly as
    `motcua validate` and deploy do: [{"file", "element_id", "line", "severity", "message"}], "file" relative
    to the package ("procedure.toml", "<slug>.bpmn", "forms/x.json"). `library` (a workflows/ folder) is
    where the packages named by `uses` are found. An invalid draft can be saved, never approved."""
    if not _SLUG.match(slug or ""):
        return [{"file": TOML_NAME, "element_id": None, "line": None, "severity": "error",
                 "message": f"slug: {slug!r} must be lower-case words joined by '-'"}]
    s = rt.settings
    with tempfile.TemporaryDirectory(prefix="motcua-draft-") as tmp:
        root = Path(tmp)
        folder = root / slug
        (folder / FORMS_DIR).mkdir(parents=True)
        (folder / TOML_NAME).write_text(toml_text, encoding="utf-8")
        (folder / f"{slug}.bpmn").write_text(bpmn_text, encoding="utf-8")
        for name, schema in (forms or {}).items():
            if "/" in name or "\\" in name or name.startswith("."):
                continue  # not a file name: reported below as a missing form if a step names it
            (folder / FORMS_DIR / name).write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
        if library is not None:
            for used in Path(library).iterdir():
                if used.is_dir() and used.name != slug and (used / TOML_NAME).is_file():
                    (root / used.name).symlink_to(used.resolve(), target_is_directory=True)
        problems = validate_package(folder, roles=s.roles, agency_kinds=s.agency_kinds,
                                    working_day_seconds=working_day_seconds(s), max_loop=s.max_loop,
                                    organisation=organisation_today(rt, session))
        return [{"file": Path(p.file).relative_to(folder).as_posix() if Path(p.file).is_relative_to(folder)
                 else p.file, "element_id": p.element_id, "line": p.line, "severity": p.severity,
                 "message": p.message} for p in problems]
