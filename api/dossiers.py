"""Dossiers for officials: reception (forms 01-03), the list, the detail, form 05, withdrawal, form 06."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api import context, printing
from api.auth import protect, require_actor
from api.errors import problems
from api.printing import contexts
from api.schemas.dossiers import (
    ControlSheetArgs,
    ControlSheetSchema,
    DossierDetailSchema,
    DossierListArgs,
    DossierPageSchema,
    DossierStateSchema,
    PaymentInSchema,
    PaymentSchema,
    ReceiptSchema,
    ReceiveResponseSchema,
    ReceiveSchema,
    RefusalSchema,
    SlipSchema,
    SupplementRequestSchema,
    TrackingBookArgs,
    TrackingBookPeriod,
    TrackingBookSchema,
    WithdrawSchema,
)
from engine import dossier_views, dossiers, fees, printouts, reception, stops, tracking_book
from engine.documents import components
from engine.errors import InvalidInput

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


@blp.route("/dossiers/<int:dossier_id>/stop")
class Stop(MethodView):
    @blp.arguments(WithdrawSchema)
    @blp.response(200, DossierStateSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, dossier_id):
        """Stop the processing of a dossier with the written reason; the applicant is sent the notice (leader)."""
        notice = stops.stop_processing(context.runtime(), context.session(), dossier_id, payload["reason"],
                                       actor=require_actor(), now=context.now())
        context.commit()
        return notice.dossier


@blp.route("/dossiers/<int:dossier_id>/payments")
class Payments(MethodView):
    @blp.response(200, PaymentSchema(many=True))
    @problems(blp, 401, 403, 404)
    def get(self, dossier_id):
        """The fees and financial obligations paid for a dossier (officials of its agency)."""
        return fees.dossier_payments(context.session(), dossier_id, actor=require_actor())

    @blp.arguments(PaymentInSchema)
    @blp.response(201, PaymentSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, dossier_id):
        """Record a payment at the counter (receipt number) or online (the platform's reference) (reception)."""
        payment = fees.record_dossier_payment(
            context.session(), dossier_id, method=payload["method"], amount=payload["amount"],
            receipt_number=payload["receipt_number"], reference=payload.get("payment_reference"),
            paid_at=payload.get("paid_at"), actor=require_actor(), now=context.now())
        context.commit()
        return payment


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


# --- the printed forms: PDF files, and the receipt's data again for reprinting ---------------------------

PDF_ANSWER = {"type": "string", "format": "binary"}


def _pdf(form_key: str, ctx: dict, filename: str) -> Response:
    # no-store: the receipt carries the look-up secret, every form the applicant's personal data
    return Response(printing.render(form_key, ctx, context.runtime().settings.forms_file or None),
                    mimetype=printing.PDF, headers={"Content-Disposition": f'inline; filename="{filename}"',
                                                    "Cache-Control": "no-store"})


def _zone():
    return dossier_views.local_zone(context.runtime())


@blp.route("/dossiers/<int:dossier_id>/receipt")
class ReceiptAgain(MethodView):
    @blp.response(200, ReceiptSchema)
    @problems(blp, 401, 404)
    def get(self, dossier_id):
        """Show the receipt (form 01) as issued, with the look-up secret, to print it again."""
        receipt = printouts.receipt(context.runtime(), context.session(), dossier_id, actor=require_actor(),
                                    now=context.now())
        context.commit()  # the "printed" audit event
        return receipt


@blp.route("/dossiers/<int:dossier_id>/receipt.pdf")
class ReceiptPdf(MethodView):
    @blp.response(200, PDF_ANSWER, content_type=printing.PDF,
                  description="form 01 on A5, with the QR code of the public look-up (code and secret)")
    @problems(blp, 401, 404)
    def get(self, dossier_id):
        """Print the receipt and appointment slip (form 01) as a PDF, at reception or any time later."""
        rt = context.runtime()
        receipt = printouts.receipt(rt, context.session(), dossier_id, actor=require_actor(), now=context.now())
        missing = [slot.name_vi for slot in components.missing_required(rt, context.session(), receipt.dossier)]
        ctx = contexts.receipt_context(receipt, tz=_zone(), base_url=rt.settings.public_base_url,
                                       not_digitised=missing)
        answer = _pdf("receipt", ctx, f"giay-tiep-nhan-{receipt.dossier.code}.pdf")
        context.commit()  # the "printed" audit event, once the form is made
        return answer


@blp.route("/dossiers/<int:dossier_id>/control-sheet.pdf")
class ControlSheetPdf(MethodView):
    @blp.response(200, PDF_ANSWER, content_type=printing.PDF, description="form 05 on A5")
    @problems(blp, 401, 404)
    def get(self, dossier_id):
        """Print the process control sheet (form 05) as a PDF."""
        sheet = printouts.control_sheet_print(context.runtime(), context.session(), dossier_id,
                                              actor=require_actor(), now=context.now())
        answer = _pdf("control_sheet", contexts.control_sheet_context(sheet, tz=_zone()),
                      f"phieu-kiem-soat-{sheet.sheet.code}.pdf")
        context.commit()
        return answer


@blp.route("/dossiers/<int:dossier_id>/apology-letter.pdf")
class ApologyLetterPdf(MethodView):
    @blp.response(200, PDF_ANSWER, content_type=printing.PDF, description="form 04 on A5 (drafted or issued)")
    @problems(blp, 401, 404)
    def get(self, dossier_id):
        """Print the apology letter with its new appointment date (form 04) as a PDF; 404 when none was drafted."""
        letter = printouts.apology_letter(context.runtime(), context.session(), dossier_id, actor=require_actor(),
                                          now=context.now())
        answer = _pdf("apology_letter", contexts.letter_context(letter, tz=_zone()),
                      f"phieu-xin-loi-{letter.dossier.code}.pdf")
        context.commit()
        return answer


@blp.route("/dossiers/<int:dossier_id>/supplement-request.pdf")
class ProcessSupplementPdf(MethodView):
    @blp.response(200, PDF_ANSWER, content_type=printing.PDF,
                  description="form 02 on A5, for a supplement asked by a step while the dossier was handled")
    @problems(blp, 401, 404)
    def get(self, dossier_id):
        """Print the latest supplement request made while handling the dossier (form 02); 404 when none was."""
        rt = context.runtime()
        slip = printouts.supplement_request_in_process(rt, context.session(), dossier_id,
                                                       actor=require_actor(), now=context.now())
        missing = [slot.name_vi for slot in components.missing_required(rt, context.session(), slip.dossier)]
        answer = _pdf("supplement_request",
                      contexts.process_supplement_context(slip, tz=_zone(), not_digitised=missing),
                      f"phieu-yeu-cau-bo-sung-{slip.dossier.code}.pdf")
        context.commit()
        return answer


def _slip_pdf(kind: str, form_key: str, number: str, prefix: str) -> Response:
    rt = context.runtime()
    slip = printouts.desk_slip(rt, context.session(), kind, number, actor=require_actor())
    missing = ([slot.name_vi for slot in components.required_of_procedure(rt, slip.meta)]
               if kind == "supplement_request" else [])
    return _pdf(form_key, contexts.slip_context(slip, tz=_zone(), not_digitised=missing),
                f"{prefix}-{slip.record.number}.pdf")


@blp.route("/reception/supplement-requests/<number>.pdf")
class SupplementRequestPdf(MethodView):
    @blp.response(200, PDF_ANSWER, content_type=printing.PDF, description="form 02 on A5")
    @problems(blp, 401, 404)
    def get(self, number):
        """Print a request to supplement (form 02) by its number, for officials of its agency."""
        return _slip_pdf("supplement_request", "supplement_request", number, "phieu-yeu-cau-bo-sung")


@blp.route("/reception/refusals/<number>.pdf")
class RefusalPdf(MethodView):
    @blp.response(200, PDF_ANSWER, content_type=printing.PDF, description="form 03 on A5")
    @problems(blp, 401, 404)
    def get(self, number):
        """Print a refusal to receive (form 03) by its number, for officials of its agency."""
        return _slip_pdf("refusal", "refusal", number, "phieu-tu-choi")


@blp.route("/tracking-book.pdf")
class TrackingBookPdf(MethodView):
    @blp.arguments(TrackingBookPeriod, location="query")
    @blp.response(200, PDF_ANSWER, content_type=printing.PDF, description="form 06 on A4 landscape")
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """Print the dossier tracking book (form 06) for a period as a PDF."""
        actor = require_actor()
        book = tracking_book.tracking_book(context.runtime(), context.session(), agency_id=tracking_book.book_agency(
            actor, args.get("agency_id")), start=args["start"], end=args["end"], actor=actor)
        if len(book.lines) > printing.MAX_BOOK_LINES:
            raise InvalidInput("too many dossiers for one printed book", {"to": [
                f"{len(book.lines)} dossiers: at most {printing.MAX_BOOK_LINES} in one PDF; choose a shorter period "
                "(the CSV has no limit)"]})
        return _pdf("tracking_book", contexts.tracking_book_context(book, tz=_zone()),
                    f"so-theo-doi-ho-so-{book.agency_code}-{book.start:%Y%m%d}-{book.end:%Y%m%d}.pdf")
