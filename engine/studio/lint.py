"""Live lint for the studio: the CLI's validator on the diagram being edited, with the package's context."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session

from bpmn.validation import lint_xml
from engine.studio.organisation import organisation_of


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
                    organisation=organisation_of(session))
