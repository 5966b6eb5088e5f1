"""The escalation inbox: the rungs of the deadline ladder addressed to the caller, and what they do about them.

An escalation is addressed to one official (the assignee of a claimed step) or to a role in an agency (its
holders). Only its recipients list it and act on it; admins are no recipients. An unknown id is a 404; an
escalation addressed to someone else is a 403, as for tasks (`/tasks/<id>`). Read and acknowledged are
shared by the holders of a role: the first one's time stays.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect, require_actor
from api.errors import problems
from api.schemas.supervision import (
    AcknowledgeSchema,
    EscalationPageSchema,
    EscalationQuerySchema,
    EscalationSchema,
    ReassignResultSchema,
    ReassignSchema,
)
from engine import escalation

blp = protect(Blueprint("escalations", __name__, url_prefix="/api/v1/escalations",
                        description="The escalation inbox: deadline warnings to officials, supervisors, leaders"))


@blp.route("")
class Escalations(MethodView):
    @blp.arguments(EscalationQuerySchema, location="query")
    @blp.response(200, EscalationPageSchema)
    @problems(blp, 401, 422)
    def get(self, args):
        """List the escalations addressed to you or to your roles, newest first, one page at a time."""
        return escalation.page_for_user(context.session(), require_actor(), **args)


@blp.route("/<int:escalation_id>/read")
class EscalationRead(MethodView):
    @blp.response(200, EscalationSchema)
    @problems(blp, 401, 403, 404)
    def post(self, escalation_id):
        """Mark an escalation read (the first reader's time stays)."""
        actor = require_actor()
        escalation.mark_read(context.session(), escalation_id, user=actor, now=context.now())
        context.commit()
        return escalation.get_item(context.session(), escalation_id, user=actor)


@blp.route("/<int:escalation_id>/acknowledge")
class EscalationAcknowledge(MethodView):
    @blp.arguments(AcknowledgeSchema)
    @blp.response(200, EscalationSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def post(self, payload, escalation_id):
        """Acknowledge an escalation, optionally saying what will be done."""
        actor = require_actor()
        escalation.acknowledge(context.session(), escalation_id, user=actor, now=context.now(),
                               comment=payload.get("comment"))
        context.commit()
        return escalation.get_item(context.session(), escalation_id, user=actor)


@blp.route("/<int:escalation_id>/reassign")
class EscalationReassign(MethodView):
    @blp.arguments(ReassignSchema)
    @blp.response(200, ReassignResultSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, escalation_id):
        """Hand the escalated step to another official of its role, and acknowledge the escalation.

        Heads, leaders and supervisors of the step's agency may; 422 when the escalation is about a dossier.
        """
        actor = require_actor()
        task = escalation.reassign(context.runtime(), context.session(), escalation_id, payload["assignee_id"],
                                   user=actor, now=context.now(), comment=payload.get("comment"))
        context.commit()
        return {"escalation": escalation.get_item(context.session(), escalation_id, user=actor), "task": task}
