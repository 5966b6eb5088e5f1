"""Administration over HTTP: agencies, officials and their roles, calendar swaps, procedures per agency.

Each view calls one engine function (engine.admin), which decides who may do it: system administrators
everything, agency administrators their agencies' subtree.
"""
from __future__ import annotations

import datetime as dt

from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect, require_actor
from api.errors import problems
from api.schemas import admin as s
from engine.admin import agencies, calendar, history, officials, procedures
from engine.admin.scope import require_administrator

blp = protect(Blueprint("admin", __name__, url_prefix="/api/v1/admin",
                        description="Administration: agencies, officials, calendar, procedures per agency"))


def _actor():
    actor = require_actor()
    require_administrator(actor)
    return actor


def _done(value):
    context.commit()
    return value


def _with_password(made: officials.NewOfficial) -> dict:
    return _done({"official": made.user, "temporary_password": made.temporary_password})


@blp.route("/agencies")
class Agencies(MethodView):
    @blp.arguments(s.AgencyQuerySchema, location="query")
    @blp.response(200, s.AgencySchema(many=True))
    @problems(blp, 401, 403, 422)
    def get(self, args):
        """The agency tree the caller administers, in tree order; `as_of` keeps the agencies of that day."""
        return agencies.agency_tree(context.session(), _actor(), as_of=args.get("as_of"))

    @blp.arguments(s.AgencyCreateSchema)
    @blp.response(201, s.AgencySchema)
    @problems(blp, 400, 401, 403, 422)
    def post(self, payload):
        """Add an agency (an agency administrator: under one they administer)."""
        row = agencies.create_agency(context.session(), actor=_actor(), now=context.now(), **payload)
        return _done(agencies.node(row, 0))


@blp.route("/agencies/<int:agency_id>")
class AgencyItem(MethodView):
    @blp.arguments(s.AgencyUpdateSchema)
    @blp.response(200, s.AgencySchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def patch(self, payload, agency_id):
        """Change an agency's names, level, kind, parent or dates (e.g. end it on the day of a merger)."""
        row = agencies.update_agency(context.session(), agency_id, payload, actor=_actor(), now=context.now())
        return _done(agencies.node(row, 0))


@blp.route("/agencies/<int:agency_id>/procedures")
class AgencyProcedures(MethodView):
    @blp.response(200, s.OfferedSchema(many=True))
    @problems(blp, 401, 403, 404)
    def get(self, agency_id):
        """The catalog's procedures as this agency offers them."""
        return procedures.agency_procedures(context.session(), agency_id, actor=_actor())


@blp.route("/agencies/<int:agency_id>/procedures/<slug>")
class AgencyProcedureItem(MethodView):
    @blp.arguments(s.OfferedSetSchema)
    @blp.response(200, s.OfferedSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def put(self, payload, agency_id, slug):
        """Enable or disable the procedure in the agency; its local code and the receipt's contact line."""
        return _done(procedures.set_agency_procedure(context.session(), agency_id, slug, actor=_actor(),
                                                     now=context.now(), **payload))


@blp.route("/officials")
class Officials(MethodView):
    @blp.response(200, s.OfficialSchema(many=True))
    @problems(blp, 401, 403)
    def get(self):
        """The officials the caller administers."""
        return officials.list_officials(context.session(), _actor())

    @blp.arguments(s.OfficialCreateSchema)
    @blp.response(201, s.NewPasswordSchema)
    @problems(blp, 400, 401, 403, 409, 422)
    def post(self, payload):
        """Open an official's account with roles per agency; the answer holds a temporary password, once."""
        roles = [(g["agency_id"], g["role"]) for g in payload.pop("roles")]
        return _with_password(officials.create_official(context.session(), actor=_actor(), now=context.now(),
                                                        roles=roles, **payload))


@blp.route("/officials/<int:user_id>")
class OfficialItem(MethodView):
    @blp.response(200, s.OfficialSchema)
    @problems(blp, 401, 403, 404)
    def get(self, user_id):
        """One official the caller administers."""
        return officials.get_official(context.session(), _actor(), user_id)

    @blp.arguments(s.OfficialUpdateSchema)
    @blp.response(200, s.OfficialSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def patch(self, payload, user_id):
        """Change the name, e-mail or the system administrator right (never the last administrator's)."""
        return _done(officials.update_official(context.session(), user_id, payload, actor=_actor(), now=context.now()))


@blp.route("/officials/<int:user_id>/roles")
class OfficialRoles(MethodView):
    @blp.arguments(s.GrantSchema)
    @blp.response(201, s.OfficialSchema)
    @problems(blp, 400, 401, 403, 404, 409, 422)
    def post(self, payload, user_id):
        """Grant a role in an agency the caller administers."""
        session = context.session()
        officials.grant_role(session, user_id, payload["agency_id"], payload["role"], actor=_actor(), now=context.now())
        return _done(officials.get_official(session, require_actor(), user_id))


@blp.route("/officials/<int:user_id>/roles/<int:agency_id>/<role>")
class OfficialRoleItem(MethodView):
    @blp.response(200, s.WithdrawnSchema)
    @problems(blp, 401, 403, 404, 409)
    def delete(self, user_id, agency_id, role):
        """Withdraw a role; the official's open tasks of that role there return to the group."""
        returned = officials.withdraw_role(context.session(), user_id, agency_id, role, actor=_actor(),
                                           now=context.now())
        return _done({"tasks_returned": returned})


@blp.route("/officials/<int:user_id>/deactivate")
class Deactivate(MethodView):
    @blp.response(200, s.DeactivatedSchema)
    @problems(blp, 401, 403, 404, 409)
    def post(self, user_id):
        """Close the account: sessions and tokens stop now, open tasks return to their groups."""
        done = officials.deactivate(context.session(), user_id, actor=_actor(), now=context.now())
        return _done({"official": done.user, "tasks_returned": done.tasks_returned,
                      "credentials_revoked": done.credentials_revoked})


@blp.route("/officials/<int:user_id>/reactivate")
class Reactivate(MethodView):
    @blp.response(200, s.NewPasswordSchema)
    @problems(blp, 401, 403, 404, 409)
    def post(self, user_id):
        """Open a closed account again, with a temporary password."""
        return _with_password(officials.reactivate(context.session(), user_id, actor=_actor(), now=context.now()))


@blp.route("/officials/<int:user_id>/reset-password")
class ResetPassword(MethodView):
    @blp.response(200, s.NewPasswordSchema)
    @problems(blp, 401, 403, 404, 409)
    def post(self, user_id):
        """A temporary password, shown once; the official's sessions end and they choose a new one at sign-in."""
        return _with_password(officials.reset_password(context.session(), user_id, actor=_actor(),
                                                       now=context.now()))


@blp.route("/calendar")
class CalendarYear(MethodView):
    @blp.arguments(s.DayQuerySchema, location="query")
    @blp.response(200, s.CalendarYearSchema)
    @problems(blp, 401, 403, 422)
    def get(self, args):
        """The year's days off, make-up working days, recorded swaps and who changed them."""
        return calendar.calendar_year(context.runtime(), context.session(), args["year"], actor=_actor())


@blp.route("/calendar/days/<day>")
class CalendarDay(MethodView):
    @blp.arguments(s.DaySetSchema)
    @blp.response(200, s.OverrideSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    def put(self, payload, day):
        """Record a day off or a make-up working day (system administrators)."""
        row = calendar.set_day(context.runtime(), context.session(), _day(day), actor=_actor(), now=context.now(),
                               **payload)
        context.commit()
        return {"day": row.day, "is_working": row.is_working, "name": row.name, "changed_at": row.created_at,
                "changed_by": require_actor().username}

    @blp.response(204)
    @problems(blp, 401, 403, 404, 422)
    def delete(self, day):
        """Remove a recorded swap (system administrators)."""
        calendar.clear_day(context.runtime(), context.session(), _day(day), actor=_actor(), now=context.now())
        context.commit()


def _day(text: str) -> dt.date:
    from engine.errors import InvalidInput

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date like 2027-04-29", {"day": ["a date like 2027-04-29"]}) from None


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(s.HistoryQuerySchema, location="query")
    @blp.response(200, s.EventSchema(many=True))
    @problems(blp, 401, 403, 422)
    def get(self, args):
        """The latest administrative actions (an agency administrator: those about their agencies)."""
        return history.admin_history(context.session(), actor=_actor(), limit=args["limit"])
