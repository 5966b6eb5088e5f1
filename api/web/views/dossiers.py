"""A dossier (Hồ sơ): status and dates, timeline, control sheet (form 05), the diagram, audit trail."""
from __future__ import annotations

from flask import render_template

from api import context
from api.web import bp
from api.web.pages import actor
from engine import dossier_views


@bp.get("/ho-so/<int:dossier_id>")
def dossier(dossier_id: int):
    view = dossier_views.dossier_detail(context.runtime(), context.session(), dossier_id, actor=actor(),
                                        now=context.now())
    context.commit()  # opening a dossier is recorded in its audit trail
    return render_template("dossier.html", view=view, section="inbox")
