"""marshmallow schemas of the REST API, one module per resource; the fields they share."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields

from api import context
from engine import bounds


class CursorField(fields.String):
    """The opaque `next_cursor` of the previous page, read by the resource's own decoder."""

    def __init__(self, decode: Callable[[str], object], **kwargs):
        super().__init__(**kwargs)
        self.decode = decode

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.decode(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Instant(fields.AwareDateTime):
    """An ISO 8601 instant with its offset, within the range the engine accepts (engine.bounds)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "iso")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        at = super()._deserialize(value, attr, data, **kwargs)
        if not bounds.is_instant(at):
            raise ValidationError(f"must lie between {bounds.EARLIEST.year} and {bounds.LATEST.year - 1}")
        return at


class Day(fields.Date):
    """A calendar day YYYY-MM-DD within the range the engine accepts (engine.bounds)."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not bounds.is_day(day):
            raise ValidationError(f"must lie between {bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}")
        return day
class LocalDateTime(fields.DateTime):
    """Every instant the API answers with: in the configured zone with its offset, whole seconds
    (2026-03-05T17:00:00+07:00). Officials read times in local time; microseconds are noise to them.

    Seconds are cut, not rounded, so a time never moves past the moment it records.
    """

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(ZoneInfo(context.runtime().settings.timezone)).replace(microsecond=0).isoformat()


class AuditDetail(fields.Dict):
    """An audit event's detail, its recorded instants (`*_at` keys, stored as UTC ISO text) written as
    LocalDateTime writes them; what a form held (`data`) is shown as typed."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        out = dict(value)
        for key, text in value.items():
            if key.endswith("_at") and isinstance(text, str):
                try:
                    at = dt.datetime.fromisoformat(text)
                except ValueError:
                    continue
                if at.tzinfo is not None:
                    out[key] = LocalDateTime()._serialize(at, key, obj)
        return out
