"""The process designer's studio over HTTP: drafts (revision-checked saves), lint, approval into a new
version, versions with their dossiers, the element diff of two versions, migration of running dossiers.
Designers and approvers only (engine.access); the same engine functions as the /studio/ pages."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect, require_actor
from api.errors import problems
from api.schemas.studio import (
    ApproveSchema,
    ChangeSchema,
    DeploymentSchema,
    DiffArgs,
    DraftSaveSchema,
    DraftSchema,
    LintInSchema,
    LintSchema,
    MigrationInSchema,
    MigrationReportSchema,
    StudioVersionSchema,
)
from engine.versioning import compare, drafts, migration

blp = protect(Blueprint("studio", __name__, url_prefix="/api/v1/studio",
                        description="The process studio: drafts, lint, approval, versions, migration"))


@blp.route("/procedures/<slug>/draft")
class Draft(MethodView):
    @blp.response(200, DraftSchema)
    @problems(blp, 400, 401, 403, 404)
    def get(self, slug):
        """The procedure's open draft (designers and approvers)."""
        return drafts.get_draft(context.session(), slug, actor=require_actor())

    @blp.response(201, DraftSchema)
    @problems(blp, 400, 401, 403, 404)
    def post(self, slug):
        """Open a draft: a copy of the current version, or the draft already open."""
        draft = drafts.start_draft(context.session(), slug, actor=require_actor(), now=context.now())
        context.commit()
        return draft

    @blp.arguments(DraftSaveSchema)
    @blp.response(200, DraftSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def put(self, payload, slug):
        """Save a change made on `revision`; 409 when the draft was saved meanwhile (nothing is lost)."""
        draft = drafts.save_draft(context.session(), slug, revision=payload["revision"], actor=require_actor(),
                                  now=context.now(), bpmn_text=payload.get("bpmn"), forms=payload.get("forms"),
                                  toml=payload.get("toml"))
        context.commit()
        return draft


@blp.route("/procedures/<slug>/draft/lint")
class DraftLint(MethodView):
    @blp.arguments(LintInSchema)
    @blp.response(200, LintSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def post(self, payload, slug):
        """The validator's messages (as `motcua validate`) on the draft, or on the draft with another diagram,
        forms or procedure.toml (each the draft's own when absent)."""
        messages = drafts.lint_draft(context.runtime(), context.session(), slug, actor=require_actor(),
                                     bpmn_text=payload.get("bpmn"), forms=payload.get("forms"),
                                     toml=payload.get("toml"))
        return {"messages": [m.as_dict() for m in messages]}


@blp.route("/procedures/<slug>/draft/approve")
class DraftApprove(MethodView):
    @blp.arguments(ApproveSchema)
    @blp.response(200, DeploymentSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, slug):
        """Approve the draft (an approver other than its last designer): it is deployed as a new version."""
        deployment = drafts.approve_draft(context.runtime(), context.session(), slug, revision=payload["revision"],
                                          actor=require_actor(), now=context.now())
        context.commit()
        return deployment


@blp.route("/procedures/<slug>/versions")
class Versions(MethodView):
    @blp.response(200, StudioVersionSchema(many=True))
    @problems(blp, 400, 401, 403, 404)
    def get(self, slug):
        """Every version: who approved and designed it, when, and how many dossiers run on it."""
        return drafts.versions(context.session(), slug, actor=require_actor())


@blp.route("/procedures/<slug>/diff")
class Diff(MethodView):
    @blp.arguments(DiffArgs, location="query")
    @blp.response(200, ChangeSchema(many=True))
    @problems(blp, 400, 401, 403, 404, 422)
    def get(self, args, slug):
        """The elements removed, changed and added from version `a` to version `b`."""
        actor = require_actor()
        old = drafts.version_bpmn(context.session(), slug, args["a"], actor=actor)[1]
        new = drafts.version_bpmn(context.session(), slug, args["b"], actor=actor)[1]
        return compare.compare(old, new)


@blp.route("/procedures/<slug>/migrations")
class Migrations(MethodView):
    @blp.arguments(MigrationInSchema)
    @blp.response(200, MigrationReportSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, slug):
        """Move the running dossiers to version `to` (dry_run: only the report)."""
        session = context.session()
        report = migration.migrate(context.runtime(), session, slug, payload["to"], dry_run=payload["dry_run"],
                                   actor=require_actor(), now=context.now(), mapping=payload["map"])
        if payload["dry_run"]:
            session.rollback()
        else:
            context.commit()
        return report
