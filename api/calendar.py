"""The working calendar over HTTP: the due time of a dossier received now or at any instant."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect
from api.errors import problems
from api.schemas.calendar import DueAnswerSchema, DueQuerySchema
from engine import deadline_query

blp = protect(Blueprint("calendar", __name__, url_prefix="/api/v1/calendar",
                        description="Working days, holidays and due times"))


@blp.route("/due")
class Due(MethodView):
    @blp.arguments(DueQuerySchema, location="query")
    @blp.response(200, DueAnswerSchema)
    @problems(blp, 401, 422)
    def get(self, args):
        """Compute a due time: start plus one of duration, same_day or calendar_days."""
        # The calendar in force: config plus the day swaps admins added (the CLI reads config only).
        calendar = context.runtime().calendars.get(context.session())
        return deadline_query.ask_due(calendar, args.get("start"), args.get("duration"), args["same_day"],
                                      args.get("calendar_days"))
