"""Payloads of oversight: the risk board, the Decision 766 indicators, the annual evaluation, the digest."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import Day, Instant
from engine.oversight import board, evaluation, indicators
from engine.supervision import REPORT_GROUPS

ID = validate.Range(min=1, max=2**31 - 1)


class BoardQuerySchema(Schema):
    by = fields.String(load_default="agency", validate=validate.OneOf(board.GROUPS))
    agency_id = fields.Integer(validate=ID, metadata={"description": "default: every agency you watch"})


class BoardRowSchema(Schema):
    key = fields.Integer(metadata={"description": "agency id, procedure id, or official id (0: unassigned)"})
    label = fields.String()
    code = fields.String()
    open = fields.Integer()
    at_risk = fields.Integer()
    overdue = fields.Integer()
    paused = fields.Integer()


class BoardSchema(Schema):
    by = fields.String()
    rows = fields.List(fields.Nested(BoardRowSchema))
    total = fields.Nested(BoardRowSchema)
    as_of = Instant()


class BoardDossiersQuerySchema(BoardQuerySchema):
    key = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1),
                         metadata={"description": "a row's key; absent: the total line"})
    level = fields.String(load_default="open", validate=validate.OneOf(board.LEVELS))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=board.MAX_DRILL))


class DrillRowSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    agency_name = fields.String()
    procedure_name = fields.String()
    status = fields.String()
    due_at = Instant()
    level = fields.String()
    paused = fields.Boolean()


class PeriodQuerySchema(Schema):
    agency_id = fields.Integer(required=True, validate=ID)
    start = Day(required=True, data_key="from", metadata={"description": "first local day, YYYY-MM-DD"})
    end = Day(required=True, data_key="to", metadata={"description": "last local day, included"})


class IndicatorSchema(Schema):
    code = fields.String()
    group = fields.String()
    group_points = fields.Integer()
    name_vi = fields.String()
    name_en = fields.String()
    max_points = fields.Integer(allow_none=True)
    formula_vi = fields.String()
    formula_en = fields.String()
    certainty = fields.String(metadata={"description": "sure | unsure: whether the formula was read in the text"})
    source = fields.String()
    target = fields.Float(allow_none=True)
    available = fields.Boolean(metadata={"description": "false: motcua lacks the data; no number is given"})
    missing_vi = fields.String()
    missing_en = fields.String()
    numerator = fields.Integer(allow_none=True)
    denominator = fields.Integer(allow_none=True)
    value = fields.Float(allow_none=True, metadata={"description": "a share 0..1, or days for 2.2"})
    unit = fields.String()
    points = fields.Float(allow_none=True)


class IndicatorSetSchema(Schema):
    agency_id = fields.Integer()
    agency_name = fields.String()
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    as_of = Instant()
    indicators = fields.List(fields.Nested(IndicatorSchema))


class IndicatorDossiersQuerySchema(PeriodQuerySchema):
    part = fields.String(load_default="counted", validate=validate.OneOf(indicators.PARTS))
    after_id = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=indicators.MAX_DRILL))


class CountedDossierSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    channel = fields.String()
    status = fields.String()
    received_at = Instant()
    legal_due_at = Instant()
    finished_at = Instant(allow_none=True)
    met = fields.Boolean()


class EvaluationQuerySchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=evaluation.FIRST_YEAR, max=evaluation.LAST_YEAR))
    agency_id = fields.Integer(validate=ID, metadata={"description": "this agency and those below it"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


class RefreshSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=evaluation.FIRST_YEAR, max=evaluation.LAST_YEAR))
    agency_id = fields.Integer(validate=ID)


class RefreshResultSchema(Schema):
    year = fields.Integer()
    rows = fields.Integer()
    computed_at = Instant()


class EvaluationRowSchema(Schema):
    user_id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    agency_id = fields.Integer()
    agency_code = fields.String()
    agency_name = fields.String()
    handled = fields.Integer(metadata={"description": "dossiers in which the official completed a step"})
    on_time = fields.Integer(metadata={"description": "steps completed by their due time"})
    late = fields.Integer(metadata={"description": "steps completed after their due time"})
    sent_back = fields.Integer()
    supplements = fields.Integer(metadata={"description": "forms 02 at the desk and pauses for a supplement"})
    escalations = fields.Integer()


class EvaluationSchema(Schema):
    year = fields.Integer()
    agency_ids = fields.List(fields.Integer())
    rows = fields.List(fields.Nested(EvaluationRowSchema))
    computed_at = Instant(allow_none=True, metadata={"description": "when the figures were computed"})


class ReportFileQuerySchema(Schema):
    start = Day(required=True, data_key="from")
    end = Day(required=True, data_key="to")
    by = fields.String(load_default="procedure", validate=validate.OneOf(REPORT_GROUPS))
    agency_id = fields.Integer(validate=ID)


class DigestLineSchema(Schema):
    dossier_id = fields.Integer()
    code = fields.String()
    agency_name = fields.String()
    procedure_name = fields.String()
    due_at = Instant()
