"""Oversight for supervisors and leaders: the risk board, the Decision 766 indicators, the annual evaluation,
form II.06a as XLSX and PDF files, and the daily digest.

Who may (the engine checks, engine.oversight says why): the board, supervisors, leaders and heads of the
agency; indicators, evaluation, report files and digest, supervisors and leaders; admins everything.
401 anonymous, 403 wrong role or agency, 404 unknown agency, 422 bad input naming the field.
"""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api import context, oversight_files, printing
from api.auth import protect, require_actor
from api.errors import problems
from api.schemas.oversight import (
    BoardDossiersQuerySchema,
    BoardQuerySchema,
    BoardSchema,
    CountedDossierSchema,
    DigestLineSchema,
    DrillRowSchema,
    EvaluationQuerySchema,
    EvaluationSchema,
    IndicatorDossiersQuerySchema,
    IndicatorSetSchema,
    PeriodQuerySchema,
    RefreshResultSchema,
    RefreshSchema,
    ReportFileQuerySchema,
)
from engine import dossier_views, supervision
from engine.oversight import board, digest, evaluation, indicators

blp = protect(Blueprint("oversight", __name__, url_prefix="/api/v1/oversight",
                        description="Oversight: risk board, Decision 766 indicators, annual evaluation, II.06a files"))
FILE = {"type": "string", "format": "binary"}


def _attachment(body, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Cache-Control": "no-store"})


@blp.route("/board")
class RiskBoard(MethodView):
    @blp.arguments(BoardQuerySchema, location="query")
    @blp.response(200, BoardSchema)
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """Count the open dossiers you watch by agency, procedure or official: open, at risk, overdue, paused."""
        return board.risk_board(context.session(), actor=require_actor(), now=context.now(), **args)


@blp.route("/board/dossiers")
class RiskBoardDossiers(MethodView):
    @blp.arguments(BoardDossiersQuerySchema, location="query")
    @blp.response(200, DrillRowSchema(many=True))
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """List the dossiers behind one figure of the board, soonest due first."""
        return board.board_dossiers(context.session(), actor=require_actor(), now=context.now(),
                                    key=args.pop("key", None), **args)


@blp.route("/indicators")
class Indicators(MethodView):
    @blp.arguments(PeriodQuerySchema, location="query")
    @blp.response(200, IndicatorSetSchema)
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """Decision 766 indicators of one agency for a period: value and points, or what motcua lacks."""
        return indicators.indicators(context.runtime(), context.session(), actor=require_actor(), now=context.now(),
                                     **args)


@blp.route("/indicators/<code>/dossiers")
class IndicatorDossiers(MethodView):
    @blp.arguments(IndicatorDossiersQuerySchema, location="query")
    @blp.response(200, CountedDossierSchema(many=True))
    @problems(blp, 401, 403, 404, 422)
    def get(self, args, code):
        """List the dossiers an indicator counted (or that met it, or not), by id; next page: after_id."""
        return indicators.indicator_dossiers(context.runtime(), context.session(), actor=require_actor(),
                                             now=context.now(), code=code, **args)


@blp.route("/evaluation")
class Evaluation(MethodView):
    @blp.arguments(EvaluationQuerySchema, location="query")
    @blp.response(200, EvaluationSchema)
    @blp.alt_response(200, schema=FILE, content_type="text/csv", success=True, description="format=csv")
    @blp.alt_response(200, schema=FILE, content_type=oversight_files.XLSX, success=True, description="format=xlsx")
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """The annual evaluation of officials (as last computed: see computed_at), as JSON, CSV or XLSX."""
        result = evaluation.evaluation(context.session(), actor=require_actor(), year=args["year"],
                                       agency_id=args.get("agency_id"))
        name = f"danh-gia-can-bo-{args['year']}"
        if args["format"] == "csv":
            return _attachment(oversight_files.evaluation_csv(result), "text/csv", f"{name}.csv")
        if args["format"] == "xlsx":
            return _attachment(oversight_files.evaluation_xlsx(result), oversight_files.XLSX, f"{name}.xlsx")
        return result


@blp.route("/evaluation/refresh")
class EvaluationRefresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, RefreshResultSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def post(self, payload):
        """Compute a year's evaluation again from the dossiers (every agency's figures of that year)."""
        now = context.now()
        rows = evaluation.refresh(context.runtime(), context.session(), actor=require_actor(), now=now, **payload)
        context.commit()
        return {"year": payload["year"], "rows": rows, "computed_at": now}


def _report(args) -> supervision.PeriodReport:
    return supervision.period_report(context.runtime(), context.session(), actor=require_actor(),
                                     start=args["start"], end=args["end"], by=args["by"],
                                     agency_id=args.get("agency_id"), now=context.now())


def _file_name(args, ext: str) -> str:
    return f"bao-cao-II.06a-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}.{ext}"


@blp.route("/report.xlsx")
class ReportXlsx(MethodView):
    @blp.arguments(ReportFileQuerySchema, location="query")
    @blp.response(200, FILE, content_type=oversight_files.XLSX)
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """Form II.06a for a period as an XLSX workbook."""
        return _attachment(oversight_files.report_xlsx(_report(args)), oversight_files.XLSX, _file_name(args, "xlsx"))


@blp.route("/report.pdf")
class ReportPdf(MethodView):
    @blp.arguments(ReportFileQuerySchema, location="query")
    @blp.response(200, FILE, content_type=printing.PDF, description="A4 landscape")
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """Form II.06a for a period as a PDF."""
        rt = context.runtime()
        period = _report(args)
        names = sorted({row.agency_name for row in period.report.rows})
        title = names[0] if len(names) == 1 else "Các cơ quan được giám sát"
        local_now = context.now().astimezone(dossier_views.local_zone(rt)).replace(tzinfo=None)
        ctx = oversight_files.report_pdf_context(period, title_agency=title, printed_at=local_now)
        return _attachment(printing.render("report_06a", ctx, rt.settings.forms_file or None), printing.PDF,
                           _file_name(args, "pdf"))


@blp.route("/digest")
class Digest(MethodView):
    @blp.response(200, DigestLineSchema(many=True))
    @problems(blp, 401, 403)
    def get(self):
        """Today's digest: the overdue open dossiers of the agencies you lead or supervise."""
        return digest.digest(context.session(), actor=require_actor(), now=context.now())
