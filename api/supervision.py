"""Supervision of deadlines: open dossiers by risk, the periodic report (II.06a), apology letters (form 04),
and the procedure-defined extensions of a dossier's legal time.

Who may (the engine checks; engine.supervision says why):
- open dossiers and the list of letters: supervisors, leaders and heads of the agency; admins all;
- the report: supervisors and leaders of the agency; admins all;
- a dossier's letter: whoever may open the dossier (its text only for those who may see the applicant);
- issuing a letter, recording an extension: the competent agency's leader (admins too).
401 anonymous, 403 wrong role or agency, 404 unknown dossier, agency or letter.
"""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect, require_actor
from api.errors import problems
from api.schemas.supervision import (
    ExtensionInSchema,
    ExtensionSchema,
    IssueLetterSchema,
    LetterRowSchema,
    LetterSchema,
    LettersQuerySchema,
    ReportQuerySchema,
    ReportSchema,
    WatchPageSchema,
    WatchQuerySchema,
)
from engine import letters, supervision

# The supervisor's pages and the dossier sub-resources of form 04 share the prefix, as in api/dossiers.py.
blp = protect(Blueprint("supervision", __name__, url_prefix="/api/v1",
                        description="Supervision: dossiers at risk, report II.06a, apology letters, extensions"))


@blp.route("/supervision/dossiers")
class WatchedDossiers(MethodView):
    @blp.arguments(WatchQuerySchema, location="query")
    @blp.response(200, WatchPageSchema)
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """List the open dossiers of the agencies you supervise, soonest due first, with counts per risk."""
        return supervision.open_dossiers(context.runtime(), context.session(), actor=require_actor(),
                                         now=context.now(), **args)


@blp.route("/supervision/report")
class HandlingReport(MethodView):
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportSchema)
    @blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True,
                      description="JSON; with format=csv a file: UTF-8 with a byte order mark, Vietnamese headers, a total line")
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """Form II.06a for a period: received, resolved, in progress, withdrawn and refused dossiers."""
        rt = context.runtime()
        report = supervision.period_report(rt, context.session(), actor=require_actor(), start=args["start"],
                                           end=args["end"], by=args["by"], agency_id=args.get("agency_id"),
                                           now=context.now())
        if args["format"] != "csv":
            return report
        name = f"bao-cao-II.06a-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}.csv"
        return Response(supervision.report_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/supervision/letters")
class Letters(MethodView):
    @blp.arguments(LettersQuerySchema, location="query")
    @blp.response(200, LetterRowSchema(many=True))
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """List the apology letters (form 04) drafted or issued in a period, of the agencies you supervise."""
        return supervision.letters_in_period(context.runtime(), context.session(), actor=require_actor(), **args)


@blp.route("/dossiers/<int:dossier_id>/apology-letter")
class DossierApologyLetter(MethodView):
    @blp.response(200, LetterSchema)
    @problems(blp, 401, 403, 404)
    def get(self, dossier_id):
        """Show a dossier's apology letter (form 04), drafted or issued, with its text."""
        return supervision.letter_of(context.runtime(), context.session(), dossier_id, actor=require_actor())


@blp.route("/dossiers/<int:dossier_id>/apology-letter/issue")
class ApologyLetterIssue(MethodView):
    @blp.arguments(IssueLetterSchema)
    @blp.response(200, LetterSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, dossier_id):
        """Issue the apology letter with a new appointment date; a new date may be set only once (409)."""
        actor, rt = require_actor(), context.runtime()
        letters.issue_letter(rt, context.session(), dossier_id, actor=actor, now=context.now(), **payload)
        context.commit()
        return supervision.letter_of(rt, context.session(), dossier_id, actor=actor)


@blp.route("/dossiers/<int:dossier_id>/extensions")
class Extensions(MethodView):
    @blp.arguments(ExtensionInSchema)
    @blp.response(201, ExtensionSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, dossier_id):
        """Extend a dossier's legal time as its procedure allows (409 when it allows none), with a reason."""
        extension = supervision.extend(context.runtime(), context.session(), dossier_id, actor=require_actor(),
                                       now=context.now(), **payload)
        context.commit()
        return extension
