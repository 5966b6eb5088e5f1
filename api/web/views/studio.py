"""The process designer's studio (/studio/): the modeler with motcua's properties and a form editor, live
lint by the server's validator, drafts saved with a revision check, approval by an approver, versions with
their dossiers, a visual diff between two versions, and migration of running dossiers.

Every rule and permission is the engine's (engine.versioning, engine.access); these views only translate.
"""
from __future__ import annotations

import json

from flask import Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api import context
from api.web import bp
from api.web.pages import actor
from engine import access
from engine.errors import Conflict, EngineError, InvalidInput
from engine.versioning import compare, drafts, migration

_STATUS = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid_input": 422}


def _json_error(exc: EngineError):
    body = {"code": exc.code, "detail": exc.detail, "errors": getattr(exc, "errors", {})}
    if "revision" in exc.extra:
        body["revision"] = exc.extra["revision"]
    return jsonify(body), _STATUS.get(exc.code, 400)


@bp.get("/studio/")
def studio_home():
    rows = drafts.procedures(context.session(), actor=actor())
    return render_template("studio/index.html", section="studio", rows=rows)


@bp.post("/studio/new-procedure")
def studio_new():
    """A draft of a new procedure (name, slug): a start, an end and one lane; version 1 once approved."""
    draft = drafts.new_procedure_draft(context.session(), slug=request.form.get("slug", ""),
                                       name=request.form.get("name", ""), actor=actor(), now=context.now())
    context.commit()
    return redirect(url_for("web.studio_edit", slug=draft.slug))


@bp.post("/studio/<slug>/draft")
def studio_start(slug: str):
    drafts.start_draft(context.session(), slug, actor=actor(), now=context.now())
    context.commit()
    return redirect(url_for("web.studio_edit", slug=slug))


@bp.get("/studio/<slug>")
def studio_edit(slug: str):
    session = context.session()
    access.require_designer(actor())
    draft = drafts.open_draft(session, slug)
    may_approve = access.holds_role(actor(), access.APPROVER_ROLE)
    return render_template("studio/edit.html", section="studio", slug=slug, draft=draft, may_approve=may_approve,
                           config_roles=context.runtime().settings.roles,
                           max_upload=context.runtime().settings.max_request_bytes)


@bp.get("/studio/<slug>/draft.json")
def studio_draft(slug: str):
    draft = drafts.get_draft(context.session(), slug, actor=actor())
    return jsonify({"revision": draft.revision, "bpmn": drafts.drawn(draft.bpmn_text, actor=actor()),
                    "forms": draft.forms, "toml": draft.toml_text})


@bp.post("/studio/<slug>/layout")
def studio_layout(slug: str):
    """A diagram opened from a file (the request body), with a drawing laid out when it has none."""
    try:
        drafts.get_draft(context.session(), slug, actor=actor())  # the designer of an open draft
        return Response(drafts.drawn(request.get_data(as_text=True), actor=actor()), mimetype="application/xml")
    except EngineError as exc:
        return _json_error(exc)


@bp.post("/studio/<slug>/lint")
def studio_lint(slug: str):
    """The validator's messages on the diagram the designer has now (the request body), as JSON."""
    body = request.get_json(silent=True) if request.is_json else {"bpmn": request.get_data(as_text=True)}
    if not isinstance(body, dict) or not isinstance(body.get("bpmn"), str):
        return _json_error(InvalidInput("bpmn: the diagram to check (XML)", {"bpmn": ["required"]}))
    try:
        messages = drafts.lint_draft(context.runtime(), context.session(), slug, actor=actor(),
                                     bpmn_text=body["bpmn"], forms=body.get("forms"),
                                     toml=body.get("toml"))
    except EngineError as exc:
        return _json_error(exc)
    return jsonify({"messages": [m.as_dict() for m in messages]})


@bp.post("/studio/<slug>/save")
def studio_save(slug: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("revision"), int):
        return _json_error(InvalidInput("a JSON object with revision, bpmn and forms", {"revision": ["required"]}))
    try:
        draft = drafts.save_draft(context.session(), slug, revision=body["revision"], actor=actor(),
                                  now=context.now(), bpmn_text=body.get("bpmn"), forms=body.get("forms"),
                                  toml=body.get("toml"))
        context.commit()
    except EngineError as exc:
        context.session().rollback()
        return _json_error(exc)
    return jsonify({"revision": draft.revision})


@bp.post("/studio/<slug>/approve")
def studio_approve(slug: str):
    try:
        revision = int(request.form.get("revision", ""))
    except ValueError:
        raise InvalidInput("revision: a number", {"revision": ["required"]}) from None
    deployment = drafts.approve_draft(context.runtime(), context.session(), slug, revision=revision,
                                      actor=actor(), now=context.now())
    context.commit()
    return redirect(url_for("web.studio_versions", slug=slug, deployed=deployment.version))


@bp.get("/studio/<slug>/versions")
def studio_versions(slug: str):
    session = context.session()
    rows = drafts.versions(session, slug, actor=actor())
    return render_template("studio/versions.html", section="studio", slug=slug, rows=rows, report=None)


@bp.get("/studio/<slug>/versions/<int:number>.bpmn")
def studio_version_bpmn(slug: str, number: int):
    name, text = drafts.version_bpmn(context.session(), slug, number, actor=actor())
    return Response(text, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Content-Type-Options": "nosniff"})


@bp.get("/studio/<slug>/diff")
def studio_diff(slug: str):
    session = context.session()
    rows = drafts.versions(session, slug, actor=actor())
    numbers = [r.version for r in rows]
    try:
        a = int(request.args.get("a", numbers[-1] if numbers else 1))
        b = int(request.args.get("b", numbers[0] if numbers else 1))
    except ValueError:
        raise InvalidInput("a and b: version numbers", {"a": ["a number"], "b": ["a number"]}) from None
    old = drafts.version_bpmn(session, slug, a, actor=actor())[1]
    new = drafts.version_bpmn(session, slug, b, actor=actor())[1]
    changes = compare.compare(old, new)
    marks = {"old": {c.element: c.kind for c in changes if c.kind != "added"},
             "new": {c.element: c.kind for c in changes if c.kind != "removed"}}
    return render_template("studio/diff.html", section="studio", slug=slug, a=a, b=b, numbers=numbers,
                           changes=changes, marks=json.dumps(marks))


@bp.post("/studio/<slug>/migrate")
def studio_migrate(slug: str):
    session = context.session()
    try:
        to = int(request.form.get("to", ""))
    except ValueError:
        raise InvalidInput("to: a version number", {"to": ["required"]}) from None
    dry_run = request.form.get("mode") != "apply"
    mapping = migration.parse_mapping([line for line in request.form.get("map", "").splitlines() if line.strip()])
    try:
        report = migration.migrate(context.runtime(), session, slug, to, dry_run=dry_run, actor=actor(),
                                   now=context.now(), mapping=mapping)
        if dry_run:
            session.rollback()
        else:
            context.commit()
    except Conflict:
        session.rollback()
        raise
    rows = drafts.versions(session, slug, actor=actor())
    return render_template("studio/versions.html", section="studio", slug=slug, rows=rows, report=report,
                           map_text=request.form.get("map", ""))


@bp.post("/studio/<slug>/simulate")
def studio_simulate(slug: str):
    """The simulation panel: engine.versioning.drafts.simulate_draft on the saved draft, as JSON."""
    try:
        result = drafts.simulate_draft(context.runtime(), context.session(), slug, actor=actor())
    except EngineError as exc:
        return _json_error(exc)
    return jsonify(result)


_ = _  # messages of this module are in its templates
