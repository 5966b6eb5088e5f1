"""A procedure deployed from a diagram with no drawing is still drawn: the dossier page's diagram and the
studio's draft get a laid-out one (bpmn.layout); the process itself is as deployed."""
from __future__ import annotations

from pathlib import Path

from support import receive, restore_library

from bpmn.package import load_package
from engine import dossier_views
from engine.deploy import deploy_package
from engine.versioning import drafts

SIMPLE = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "valid" / "simple-permit"


def test_an_undrawn_procedure_is_drawn_for_its_dossiers_and_its_draft(rt, session, users):
    package = load_package(SIMPLE)
    assert "BPMNShape" not in package.bpmn_text
    try:
        deploy_package(rt, session, package, actor=None, now=rt.clock.now())
        session.commit()
        d = receive(rt, session, users, procedure="simple-permit").dossier
        shown = dossier_views.diagram(rt, session, d.id, actor=users["tanlap.reception"])
        assert shown.current and all(f'bpmnElement="{step}"' in shown.bpmn_xml for step in shown.current)
        assert 'bpmnElement="examine"' in shown.bpmn_xml
        draft = drafts.start_draft(session, "simple-permit", actor=users["tinh.designer"], now=rt.clock.now())
        assert 'bpmnElement="examine"' in draft.bpmn_text
    finally:
        session.rollback()
        restore_library(rt)
