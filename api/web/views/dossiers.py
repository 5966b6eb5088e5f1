"""A dossier (Hồ sơ): status and its three dates, timeline, control sheet (form 05) with each step early,
on time or late, the BPMN diagram with finished and current steps, the audit trail, the forms as PDF.

The diagram's XML comes from this blueprint after the same check as the page (engine.dossier_views); the
bpmn-js viewer is loaded by this page only.
"""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from api import context
from api.web import bp
from api.web.pages import actor
from engine import dossier_views, interagency, printouts
from engine.errors import Conflict
from engine.models import ApologyLetter

#: the printed forms of one dossier, as the API serves them (api/printing)
PDF_FORMS = (
    ("receipt", "receipt.pdf"),
    ("control_sheet", "control-sheet.pdf"),
    ("apology_letter", "apology-letter.pdf"),
    ("supplement_request", "supplement-request.pdf"),
)


@bp.get("/ho-so/<int:dossier_id>")
def dossier(dossier_id: int):
    rt, session = context.runtime(), context.session()
    view = dossier_views.dossier_detail(rt, session, dossier_id, actor=actor(), now=context.now())
    context.commit()  # opening a dossier is recorded in its audit trail
    current = [step.step for step in view.current_steps]
    finished = [h.to_step for h in view.control_sheet.handovers if h.state == "completed" and h.to_step not in current]
    # form 04 exists only once a letter was drafted (the API answers 404 before): no link to nothing
    has_letter = session.scalar(select(ApologyLetter.id).where(ApologyLetter.dossier_id == dossier_id)) is not None
    # form 02 only when a step asked for a supplement
    has_supplement = printouts.latest_supplement_request(session, dossier_id) is not None
    shown = {"apology_letter": has_letter, "supplement_request": has_supplement}
    pdf_forms = [(key, path) for key, path in PDF_FORMS if shown.get(key, True)]
    # inter-agency bundles: the hand-overs to the official's agencies still to confirm (their buttons)
    to_confirm = set(interagency.waiting_for(session, actor(), dossier_id))
    return render_template("dossier.html", section="inbox", view=view, sheet=view.control_sheet,
                           finished=finished, current=current, pdf_forms=pdf_forms, api_prefix="/api/v1",
                           to_confirm=to_confirm)


@bp.post("/ho-so/<int:dossier_id>/ban-giao/<int:handover_id>/xac-nhan")
def handover_confirmed(dossier_id: int, handover_id: int):
    try:
        interagency.confirm(context.session(), handover_id, actor=actor(), now=context.now())
        context.commit()
        flash(_("Hand-over confirmed: your agency's steps of this dossier may be taken."))
    except Conflict as exc:
        context.session().rollback()
        flash(exc.detail)
    return redirect(url_for("web.dossier", dossier_id=dossier_id))


@bp.get("/ho-so/<int:dossier_id>/quy-trinh.bpmn")
def dossier_diagram(dossier_id: int):
    shape = dossier_views.diagram(context.runtime(), context.session(), dossier_id, actor=actor())
    return Response(shape.bpmn_xml, mimetype="application/xml",
                    headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"})
