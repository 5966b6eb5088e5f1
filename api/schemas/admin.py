"""Schemas of the administration API (api/admin.py)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class AgencySchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    level = fields.String()
    kind = fields.String()
    parent_id = fields.Integer(allow_none=True)
    valid_from = fields.Date(allow_none=True, metadata={"description": "first day the agency existed"})
    valid_until = fields.Date(allow_none=True, metadata={"description": "last day the agency existed"})
    depth = fields.Integer(metadata={"description": "0 at a root of the tree"})


class AgencyQuerySchema(Schema):
    as_of = fields.Date(metadata={"description": "only the agencies that existed on this day (YYYY-MM-DD)"})


class AgencyCreateSchema(Schema):
    code = fields.String(required=True, metadata={"description": "as in dossier codes, e.g. 000.01.31.H26"})
    name = fields.String(required=True)
    name_en = fields.String(allow_none=True)
    level = fields.String(required=True, metadata={"description": "a label: province, commune, ..."})
    kind = fields.String(required=True, metadata={"description": "matched by BPMN lanes kind:role"})
    parent_id = fields.Integer(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)


class AgencyUpdateSchema(Schema):
    name = fields.String()
    name_en = fields.String(allow_none=True)
    level = fields.String()
    kind = fields.String()
    parent_id = fields.Integer(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)


class GrantSchema(Schema):
    agency_id = fields.Integer(required=True)
    role = fields.String(required=True, validate=validate.Length(min=1, max=40))


class OfficialSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    is_admin = fields.Boolean()
    is_active = fields.Boolean()
    must_change_password = fields.Boolean()
    roles = fields.Method("_roles")

    def _roles(self, user):
        return [{"agency_id": m.agency_id, "role": m.role} for m in sorted(user.memberships,
                                                                            key=lambda m: (m.agency_id, m.role))]


class OfficialCreateSchema(Schema):
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    is_admin = fields.Boolean(load_default=False)
    roles = fields.List(fields.Nested(GrantSchema), load_default=list)


class OfficialUpdateSchema(Schema):
    full_name = fields.String()
    email = fields.String(allow_none=True)
    is_admin = fields.Boolean()


class NewPasswordSchema(Schema):
    official = fields.Nested(OfficialSchema)
    temporary_password = fields.String(metadata={"description": "shown once; the official changes it at sign-in"})


class DeactivatedSchema(Schema):
    official = fields.Nested(OfficialSchema)
    tasks_returned = fields.Integer(metadata={"description": "open tasks put back in their group's inbox"})
    credentials_revoked = fields.Integer()


class WithdrawnSchema(Schema):
    tasks_returned = fields.Integer()


class DayQuerySchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2999))


class DayNameSchema(Schema):
    day = fields.Date()
    name = fields.String()


class OverrideSchema(Schema):
    day = fields.Date()
    is_working = fields.Boolean()
    name = fields.String()
    changed_at = fields.DateTime()
    changed_by = fields.String(allow_none=True)


class EventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    actor = fields.String(allow_none=True)
    detail = fields.Dict()


class CalendarYearSchema(Schema):
    year = fields.Integer()
    days_off = fields.Method("_off")
    working_days = fields.Method("_working")
    overrides = fields.List(fields.Nested(OverrideSchema))
    history = fields.Method("_history")

    def _off(self, y):
        return [{"day": d.isoformat(), "name": n} for d, n in y.days_off]

    def _working(self, y):
        return [{"day": d.isoformat(), "name": n} for d, n in y.working_days]

    def _history(self, y):
        return [{"id": e.id, "at": e.at.isoformat(), "action": e.action, "actor_id": e.actor_id, "detail": e.detail}
                for e in y.history]


class DaySetSchema(Schema):
    is_working = fields.Boolean(required=True, metadata={"description": "true: a make-up working day"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))


class OfferedSchema(Schema):
    procedure_id = fields.Integer()
    slug = fields.String()
    code = fields.String()
    name_vi = fields.String()
    agency_kind = fields.String()
    enabled = fields.Boolean()
    local_code = fields.String(allow_none=True)
    contact = fields.String(allow_none=True, metadata={"description": "printed on the receipt (form 01)"})
    configured = fields.Boolean()


class OfferedSetSchema(Schema):
    enabled = fields.Boolean(required=True)
    local_code = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)


class HistoryQuerySchema(Schema):
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
