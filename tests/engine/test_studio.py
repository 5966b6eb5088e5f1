"""The studio's engine: drafts (conflicts, lint, approval by another person), versions, migration."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from support import APPLICANT, agency_id, open_task, restore_library

from engine import dossiers
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.models import AuditEvent, Dossier, Task, User
from engine.versioning import compare, drafts, migration

SLUG = "birth-registration"


@pytest.fixture
def studio(rt, session, users):
    yield users["tinh.designer"], users["tinh.approver"]
    session.rollback()
    restore_library(rt)


def _receive(rt, session, users):
    result = dossiers.receive_dossier(rt, session, procedure=SLUG, agency_id=agency_id(session), channel="counter",
                                      applicant=APPLICANT, actor=users["tanlap.reception"], now=rt.clock.now())
    session.commit()
    return result.dossier


def test_a_save_from_an_old_revision_is_a_conflict_and_nothing_is_lost(rt, session, studio):
    designer, _ = studio
    now = rt.clock.now()
    draft = drafts.start_draft(session, SLUG, actor=designer, now=now)
    first = draft.revision
    changed = draft.bpmn_text.replace('value="PT2H"', 'value="PT3H"')
    drafts.save_draft(session, SLUG, revision=first, bpmn_text=changed, actor=designer, now=now)
    with pytest.raises(Conflict):
        drafts.save_draft(session, SLUG, revision=first, bpmn_text=draft.bpmn_text, actor=designer, now=now)
    assert 'value="PT3H"' in drafts.open_draft(session, SLUG).bpmn_text


def test_an_xml_bomb_and_an_oversized_diagram_are_refused(rt, session, studio):
    designer, _ = studio
    draft = drafts.start_draft(session, SLUG, actor=designer, now=rt.clock.now())
    bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    with pytest.raises(InvalidInput, match="DOCTYPE"):
        drafts.save_draft(session, SLUG, revision=draft.revision, bpmn_text=bomb, actor=designer, now=rt.clock.now())
    with pytest.raises(InvalidInput, match="larger than"):
        drafts.save_draft(session, SLUG, revision=draft.revision, bpmn_text="<x>" + "a" * (50 << 20) + "</x>",
                          actor=designer, now=rt.clock.now())


def test_an_invalid_draft_is_saved_never_approved_and_the_designer_cannot_approve(rt, session, studio):
    designer, approver = studio
    now = rt.clock.now()
    draft = drafts.start_draft(session, SLUG, actor=designer, now=now)
    bad = draft.bpmn_text.replace('value="PT2H"', 'value="3 days"')
    draft = drafts.save_draft(session, SLUG, revision=draft.revision, bpmn_text=bad, actor=designer, now=now)
    messages = drafts.lint(rt, session, draft)
    assert any(m.element == "examine" and m.severity == "error" for m in messages), messages
    with pytest.raises(Forbidden):
        drafts.approve_draft(rt, session, SLUG, revision=draft.revision, actor=designer, now=now)
    with pytest.raises(InvalidInput, match="cannot be approved"):
        drafts.approve_draft(rt, session, SLUG, revision=draft.revision, actor=approver, now=now)
    assert [v.version for v in drafts.versions(session, SLUG, actor=designer)] == [1]


def test_approval_deploys_a_version_and_a_running_dossier_migrates_keeping_its_dates(rt, session, users, studio):
    designer, approver = studio
    now = rt.clock.now()
    dossier = _receive(rt, session, users)
    task = open_task(session, dossier.id)
    dates = (dossier.received_at, dossier.appointment_at, dossier.due_at, dossier.legal_due_at, task.due_at)
    draft = drafts.start_draft(session, SLUG, actor=designer, now=now)
    changed = draft.bpmn_text.replace('value="PT2H"', 'value="PT3H"')
    draft = drafts.save_draft(session, SLUG, revision=draft.revision, bpmn_text=changed, actor=designer, now=now)
    deployment = drafts.approve_draft(rt, session, SLUG, revision=draft.revision, actor=approver, now=now)
    session.commit()
    assert deployment.version == 2
    rows = drafts.versions(session, SLUG, actor=designer)
    assert [(r.version, r.open_dossiers, r.designed_by is not None) for r in rows] == [(2, 0, True), (1, 1, False)]
    old, new = (drafts.version_bpmn(session, SLUG, n, actor=designer)[1] for n in (1, 2))
    assert [(c.element, c.kind) for c in compare.compare(old, new)] == [("examine", "changed")]

    report = migration.migrate(rt, session, SLUG, 2, dry_run=True, actor=designer, now=now)
    assert [(d.code, d.ok) for d in report.dossiers] == [(dossier.code, True)]
    session.commit()
    assert session.get(Dossier, dossier.id).procedure_version_id != drafts.get_version(session, SLUG, 2).id
    report = migration.migrate(rt, session, SLUG, 2, dry_run=False, actor=designer, now=now)
    session.commit()
    session.expire_all()
    moved = session.get(Dossier, dossier.id)
    task = open_task(session, dossier.id)
    assert moved.procedure_version_id == drafts.get_version(session, SLUG, 2).id
    assert (moved.received_at, moved.appointment_at, moved.due_at, moved.legal_due_at, task.due_at) == dates
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.dossier_id == dossier.id,
                                                           AuditEvent.action == "dossier.migrated")).one()
    # it continues on the new version
    result = dossiers.complete_task(rt, session, task.id, {"outcome": "refuse", "reason": "Thiếu giấy tờ"},
                                    actor=users["tanlap.specialist"], now=now)
    session.commit()
    assert session.scalars(select(Task.bpmn_id).where(Task.dossier_id == dossier.id,
                                                      Task.state == "ready")).all() == ["sign_refusal"], result


def test_a_dossier_whose_step_was_removed_is_refused_unless_mapped(rt, session, users, studio):
    designer, approver = studio
    now = rt.clock.now()
    dossier = _receive(rt, session, users)
    draft = drafts.start_draft(session, SLUG, actor=designer, now=now)
    renamed = draft.bpmn_text.replace('"examine"', '"examine2"').replace(">examine<", ">examine2<")
    draft = drafts.save_draft(session, SLUG, revision=draft.revision, bpmn_text=renamed, actor=designer, now=now)
    assert not [m for m in drafts.lint(rt, session, draft) if m.severity == "error"]
    drafts.approve_draft(rt, session, SLUG, revision=draft.revision, actor=approver, now=now)
    session.commit()
    report = migration.migrate(rt, session, SLUG, 2, dry_run=False, actor=designer, now=now)
    assert not report.dossiers[0].ok and "examine" in report.dossiers[0].reason
    report = migration.migrate(rt, session, SLUG, 2, dry_run=False, actor=designer, now=now,
                               mapping={"examine": "examine2"})
    session.commit()
    assert report.dossiers[0].ok, report.dossiers[0].reason
    assert open_task(session, dossier.id).bpmn_id == "examine2"


def test_two_concurrent_migrations_of_a_dossier_have_one_winner(rt, session, users, studio, monkeypatch):
    designer, approver = studio
    now = rt.clock.now()
    dossier = _receive(rt, session, users)
    draft = drafts.start_draft(session, SLUG, actor=designer, now=now)
    draft = drafts.save_draft(session, SLUG, revision=draft.revision, actor=designer, now=now,
                              bpmn_text=draft.bpmn_text.replace('value="PT2H"', 'value="PT3H"'))
    drafts.approve_draft(rt, session, SLUG, revision=draft.revision, actor=approver, now=now)
    session.commit()
    moving = migration._migrate_workflow

    def meanwhile(*args):
        """The other migration reads the dossier, then the first one commits before it writes."""
        monkeypatch.setattr(migration, "_migrate_workflow", moving)
        result = moving(*args)
        with rt.sessions() as first:
            migration.migrate(rt, first, SLUG, 2, dry_run=False, actor=first.get(User, designer.id), now=now)
            first.commit()
        return result

    monkeypatch.setattr(migration, "_migrate_workflow", meanwhile)
    with pytest.raises(Conflict):
        migration.migrate(rt, session, SLUG, 2, dry_run=False, actor=designer, now=now)
    session.rollback()
    events = session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier.id,
                                                      AuditEvent.action == "dossier.migrated")).all()
    assert len(events) == 1


def test_the_simulation_panel_shows_every_path_against_the_legal_deadline(rt, session, studio):
    """simulate_draft runs engine.studio.simulation on the saved draft: one row a path with its budget, the
    deadline beside it; a budget longer than the deadline makes its path (and the answer) not fit."""
    designer, _ = studio
    draft = drafts.start_draft(session, SLUG, actor=designer, now=rt.clock.now())
    answer = drafts.simulate_draft(rt, session, SLUG, actor=designer)
    assert answer["available"] is True and "not available" not in answer["message"], answer
    assert answer["ok"] is True and answer["deadline_hours"] > 0, answer
    assert len(answer["paths"]) >= 2 and {p["status"] for p in answer["paths"]} >= {"returned"}, answer["paths"]
    for path in answer["paths"]:
        assert 0 < path["hours"] <= answer["deadline_hours"] and path["fits"] and path["budget"], path
    long = draft.bpmn_text.replace('value="PT2H"', 'value="P40D"')
    drafts.save_draft(session, SLUG, revision=draft.revision, bpmn_text=long, actor=designer, now=rt.clock.now())
    answer = drafts.simulate_draft(rt, session, SLUG, actor=designer)
    assert answer["ok"] is False and "a path does not fit" in answer["message"]
    late = [p for p in answer["paths"] if not p["fits_extended"]]
    assert late and all(p["hours"] > answer["extended_hours"] for p in late), answer


def test_lint_reads_the_organisation_and_the_unsaved_procedure_toml(rt, session, studio):
    """The studio lints through engine.studio.lint.validate_draft: a lane kind no agency has is an error (as at
    deploy), and an edited procedure.toml is checked before it is saved, naming the file and the field."""
    designer, _ = studio
    draft = drafts.start_draft(session, SLUG, actor=designer, now=rt.clock.now())
    assert drafts.lint(rt, session, draft) == []  # reception.json is reception's form, not an unused one
    foreign = draft.bpmn_text.replace('name="specialist"', 'name="customs:specialist"', 1)
    messages = drafts.lint(rt, session, draft, foreign)
    assert any(m.severity == "error" and "customs" in m.message for m in messages), messages
    toml = draft.toml_text.replace('agency_kind = "commune"', 'agency_kind = "nowhere"')
    messages = drafts.lint_draft(rt, session, SLUG, actor=designer, toml=toml)
    assert [m.file for m in messages if "agency_kind" in m.message] == ["procedure.toml"], messages
    assert drafts.open_draft(session, SLUG).toml_text == draft.toml_text  # linting saves nothing


def test_a_new_procedure_starts_as_a_draft_and_becomes_version_1(rt, session, studio):
    """From a name and a slug: a procedure.toml to fill in and a diagram with a start, an end and one lane;
    the lint names what procedure.toml still lacks; once filled, an approver deploys it as version 1."""
    designer, approver = studio
    now = rt.clock.now()
    with pytest.raises(InvalidInput, match="slug"):
        drafts.new_procedure_draft(session, slug="Bad Slug", name="X", actor=designer, now=now)
    with pytest.raises(Conflict):
        drafts.new_procedure_draft(session, slug=SLUG, name="X", actor=designer, now=now)
    draft = drafts.new_procedure_draft(session, slug="cap-phep-thu", name="Cấp phép <thử>", actor=designer, now=now)
    assert "lane_specialist" in draft.bpmn_text and "Cấp phép &lt;thử&gt;" in draft.bpmn_text
    errors = [m for m in drafts.lint(rt, session, draft) if m.severity == "error"]
    assert {m.file for m in errors} == {"procedure.toml"} and any("code" in m.message for m in errors), errors
    assert ("cap-phep-thu", 0) in [(r.slug, r.current_version) for r in drafts.procedures(session, actor=designer)]
    filled = (draft.toml_text.replace('code = ""', 'code = "9.000099"').replace('field = ""', 'field = "Thử"')
              .replace('name_en = ""', 'name_en = "Test permit"'))
    draft = drafts.save_draft(session, "cap-phep-thu", revision=draft.revision, toml=filled, actor=designer, now=now)
    assert not [m for m in drafts.lint(rt, session, draft) if m.severity == "error"]
    deployment = drafts.approve_draft(rt, session, "cap-phep-thu", revision=draft.revision, actor=approver, now=now)
    assert deployment.version == 1
    assert [r.version for r in drafts.versions(session, "cap-phep-thu", actor=designer)] == [1]
