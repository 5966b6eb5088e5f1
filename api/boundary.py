"""Reception regardless of administrative boundary: receive for another agency of the province, forward,
confirm, and each agency's list (engine.boundary; the receiving point never opens the dossier itself)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect, require_actor
from api.errors import problems
from api.schemas.boundary import (
    ForwardingArgs,
    ForwardingSchema,
    ReceiveElsewhereResponseSchema,
    ReceiveElsewhereSchema,
)
from engine import boundary
from engine.models import Dossier

blp = protect(Blueprint("boundary", __name__, url_prefix="/api/v1",
                        description="Receive a dossier for another agency of the province and forward it"))


def _one(dossier_id: int, agency_id: int):
    actor = require_actor()
    return next(f for f in boundary.forwardings(context.session(), agency_id, actor=actor, now=context.now())
                if f.dossier_id == dossier_id)


@blp.route("/forwardings")
class Forwardings(MethodView):
    @blp.arguments(ForwardingArgs, location="query")
    @blp.response(200, ForwardingSchema(many=True))
    @problems(blp, 401, 403, 404, 422)
    def get(self, args):
        """The dossiers the agency received for others and those others received for it, newest first."""
        return boundary.forwardings(context.session(), args["agency_id"], actor=require_actor(), now=context.now())

    @blp.arguments(ReceiveElsewhereSchema)
    @blp.response(201, ReceiveElsewhereResponseSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def post(self, payload):
        """Receive at your service point a dossier handled by another agency of the province (receipt, form 01)."""
        receipt, row = boundary.receive_elsewhere(context.runtime(), context.session(), actor=require_actor(),
                                                  now=context.now(), **payload)
        context.commit()
        return {"dossier": receipt.row, "receipt": receipt, "forwarding": _one(row.dossier_id, row.receiving_agency_id)}


@blp.route("/forwardings/<int:dossier_id>/forward")
class Forward(MethodView):
    @blp.response(200, ForwardingSchema)
    @problems(blp, 401, 403, 404, 409)
    def post(self, dossier_id):
        """The receiving point records that it sent the dossier to the competent agency."""
        row = boundary.forward(context.session(), dossier_id, actor=require_actor(), now=context.now())
        context.commit()
        return _one(dossier_id, row.receiving_agency_id)


@blp.route("/forwardings/<int:dossier_id>/accept")
class Accept(MethodView):
    @blp.response(200, ForwardingSchema)
    @problems(blp, 401, 403, 404, 409)
    def post(self, dossier_id):
        """The competent agency's reception confirms it got the forwarded dossier."""
        boundary.accept(context.session(), dossier_id, actor=require_actor(), now=context.now())
        context.commit()
        return _one(dossier_id, context.session().get(Dossier, dossier_id).agency_id)
