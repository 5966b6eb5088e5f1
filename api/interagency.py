"""Inter-agency bundles: each agency's share of a dossier and the receiving agency's confirmation of a
hand-over (engine.interagency)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect, require_actor
from api.errors import problems
from api.schemas.dossiers import ShareSchema
from engine import dossier_views, interagency

blp = protect(Blueprint("interagency", __name__, url_prefix="/api/v1",
                        description="Inter-agency bundles: shares of the time and hand-overs between agencies"))


def _shares(dossier_id: int):
    return dossier_views.control_sheet(context.runtime(), context.session(), dossier_id, actor=require_actor(),
                                       now=context.now()).shares


@blp.route("/dossiers/<int:dossier_id>/shares")
class Shares(MethodView):
    @blp.response(200, ShareSchema(many=True))
    @problems(blp, 401, 403, 404)
    def get(self, dossier_id):
        """Each agency of a bundle dossier in turn: its share (budget, due, used, mark) and the hand-over to it."""
        return _shares(dossier_id)


@blp.route("/handovers/<int:handover_id>/confirm")
class Confirm(MethodView):
    @blp.response(200, ShareSchema)
    @problems(blp, 401, 403, 404, 409)
    def post(self, handover_id):
        """The receiving agency confirms it got the dossier; its officials may then take its steps (twice: 409)."""
        row = interagency.confirm(context.session(), handover_id, actor=require_actor(), now=context.now())
        context.commit()
        return next(s for s in _shares(row.dossier_id) if s.handover_id == row.id)
