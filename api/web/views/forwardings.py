"""Reception regardless of administrative boundary (engine.boundary): the dossiers the official's agencies
received for other agencies of the province, and those others received for them; the receiving point marks
one forwarded, the competent agency confirms it got it. The dossier itself opens only in the competent agency.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from api import context
from api.web import bp
from api.web.pages import actor
from engine import boundary
from engine.errors import Conflict


@bp.get("/chuyen-ho-so")
def forwardings():
    me, session, now = actor(), context.session(), context.now()
    rows, seen = [], set()
    for agency_id in sorted({m.agency_id for m in me.memberships}):
        for f in boundary.forwardings(session, agency_id, actor=me, now=now):
            if (f.dossier_id, f.received_here) not in seen:
                seen.add((f.dossier_id, f.received_here))
                rows.append(f)
    rows.sort(key=lambda f: f.received_at, reverse=True)
    return render_template("forwardings.html", title=_("Forwarding"), section="forwardings",
                           sent=[f for f in rows if f.received_here], got=[f for f in rows if not f.received_here])


def _act(action, dossier_id: int, done: str):
    try:
        action(context.session(), dossier_id, actor=actor(), now=context.now())
        context.commit()
        flash(done)
    except Conflict as exc:
        context.session().rollback()
        flash(exc.detail)
    return redirect(url_for("web.forwardings"))


@bp.post("/chuyen-ho-so/<int:dossier_id>/da-chuyen")
def forwarding_sent(dossier_id: int):
    return _act(boundary.forward, dossier_id, _("Recorded as forwarded to the competent agency."))


@bp.post("/chuyen-ho-so/<int:dossier_id>/da-nhan")
def forwarding_received(dossier_id: int):
    return _act(boundary.accept, dossier_id, _("Recorded as received from the receiving point."))
