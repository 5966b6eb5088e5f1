"""The due-time question of the reception desk (the same parameters as `motcua calendar due`)."""
from __future__ import annotations

from marshmallow import Schema, fields, pre_dump

from api.schemas import LocalDateTime

# Raw strings on purpose: the engine parses them (engine.deadline_query), so the CLI and the API give the
# same messages for the same text.


class DueQuerySchema(Schema):
    start = fields.String(metadata={"description": "reception instant, ISO 8601; without an offset: local time"})
    duration = fields.String(metadata={"description": "working time: P3D (end of the 3rd working day), PT4H"})
    same_day = fields.Boolean(load_default=False, metadata={"description": "the same-day rule (15:00 cutoff)"})
    calendar_days = fields.String(metadata={"description": "N calendar days (Civil Code art. 148)"})


class DueAnswerSchema(Schema):
    due = LocalDateTime(metadata={"description": "in the calendar's zone (+07:00)"})
    start = LocalDateTime()
    rule = fields.String(metadata={"description": "duration | same_day | calendar_days"})
    duration = fields.String(allow_none=True)
    calendar_days = fields.Integer(allow_none=True)

    @pre_dump
    def _flatten(self, answer, **kwargs):
        q = answer.query
        return {"due": answer.due, "start": q.start.astimezone(answer.due.tzinfo), "rule": q.rule,
                "duration": q.duration.isoformat() if q.duration else None, "calendar_days": q.calendar_days}
