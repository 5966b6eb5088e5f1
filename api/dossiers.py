"""Dossiers for officials: reception (forms 01-03), the list, the detail, form 05, withdrawal, form 06."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect, require_actor
from api.errors import problems
from api.schemas.dossiers import (
    ControlSheetArgs,
    ControlSheetSchema,
    DossierDetailSchema,
    DossierListArgs,
    DossierPageSchema,
    DossierStateSchema,
    ReceiveResponseSchema,
    ReceiveSchema,
    RefusalSchema,
    SlipSchema,
    SupplementRequestSchema,
    TrackingBookArgs,
    TrackingBookSchema,
    WithdrawSchema,
)
from engine import dossier_views, dossiers, reception, tracking_book

# One blueprint for the reception desk's and the back office's view of dossiers: the paths share the prefix.
blp = protect(Blueprint("dossiers", __name__, url_prefix="/api/v1",
                        description="Receive dossiers, follow them, print forms 01, 02, 03, 05 and 06"))


@blp.route("/dossiers")
class Dossiers(MethodView):
    @blp.arguments(DossierListArgs, location="query")
    @blp.response(200, DossierPageSchema)
    @problems(blp, 401, 403, 422)
    def get(self, args):
        """List the dossiers of your agencies, newest first (filter by status, search code or applicant)."""
        return dossier_views.list_dossiers(context.session(), actor=require_actor(), agency_id=args.get("agency_id"),
                                           statuses=args.get("status") or (), q=args.get("q"), page=args["page"],
                                           page_size=args["page_size"])

    @blp.arguments(ReceiveSchema)
    @blp.response(201, ReceiveResponseSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def post(self, payload):
        """Receive a complete dossier and issue its receipt and appointment slip (form 01)."""
        receipt = reception.receive_with_receipt(context.runtime(), context.session(), actor=require_actor(),
                                                 now=context.now(), **payload)
        context.commit()
        return {"dossier": receipt.row, "receipt": receipt}


@blp.route("/dossiers/<int:dossier_id>")
class DossierItem(MethodView):
    @blp.response(200, DossierDetailSchema)
    @problems(blp, 401, 403, 404)
    def get(self, dossier_id):
        """Open a dossier: status, applicant, current steps, timeline, control sheet, documents, audit trail."""
        detail = dossier_views.dossier_detail(context.runtime(), context.session(), dossier_id,
                                              actor=require_actor(), now=context.now())
        context.commit()  # the "viewed" audit event: access to personal data is logged
        return detail


@blp.route("/dossiers/<int:dossier_id>/control-sheet")
class ControlSheet(MethodView):
    @blp.arguments(ControlSheetArgs, location="query")
    @blp.response(200, ControlSheetSchema)
    @blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True,
                      description="JSON; with format=csv a file for Excel: UTF-8 with a byte order mark")
    @problems(blp, 401, 403, 404, 422)
    def get(self, args, dossier_id):
        """Show the process control sheet (form 05): every handover and how each step finished; `format=csv`
        gives a file for Excel."""
        rt = context.runtime()
        sheet = dossier_views.control_sheet(rt, context.session(), dossier_id, actor=require_actor(),
                                            now=context.now())
        if args["format"] != "csv":
            return sheet
        return Response(dossier_views.control_sheet_csv(sheet, dossier_views.local_zone(rt)), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="phieu-kiem-soat-{sheet.code}.csv"'})


@blp.route("/dossiers/<int:dossier_id>/withdraw")
class Withdrawal(MethodView):
    @blp.arguments(WithdrawSchema)
    @blp.response(200, DossierStateSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, dossier_id):
        """Record the citizen's withdrawal of a dossier, with the reason (reception of the agency)."""
        result = dossiers.withdraw_dossier(context.runtime(), context.session(), dossier_id, payload["reason"],
                                           actor=require_actor(), now=context.now())
        context.commit()
        return result.dossier


@blp.route("/reception/supplement-requests")
class SupplementRequests(MethodView):
    @blp.arguments(SupplementRequestSchema)
    @blp.response(201, SlipSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def post(self, payload):
        """Issue a request to supplement an incomplete dossier at the desk (form 02); no workflow starts."""
        slip = reception.request_supplement(context.runtime(), context.session(), actor=require_actor(),
                                            now=context.now(), **payload)
        context.commit()
        return slip


@blp.route("/reception/refusals")
class Refusals(MethodView):
    @blp.arguments(RefusalSchema)
    @blp.response(201, SlipSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def post(self, payload):
        """Issue a refusal to receive a dossier at the desk, with its reason (form 03)."""
        slip = reception.refuse_at_desk(context.runtime(), context.session(), actor=require_actor(),
                                        now=context.now(), **payload)
        context.commit()
        return slip


@blp.route("/tracking-book")
class TrackingBook(MethodView):
    @blp.arguments(TrackingBookArgs, location="query")
    @blp.response(200, TrackingBookSchema)
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """Show the dossier tracking book (form 06) for a period; `format=csv` gives a file for Excel."""
        actor = require_actor()
        rt = context.runtime()
        book = tracking_book.tracking_book(rt, context.session(), agency_id=tracking_book.book_agency(
            actor, args.get("agency_id")), start=args["start"], end=args["end"], actor=actor)
        if args["format"] != "csv":
            return book
        name = f"so-theo-doi-ho-so-{book.agency_code}-{book.start:%Y%m%d}-{book.end:%Y%m%d}.csv"
        return Response(tracking_book.tracking_book_csv(book, dossier_views.local_zone(rt)),
                        mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
