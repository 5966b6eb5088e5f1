"""marshmallow schemas of the REST API, one module per resource; the fields they share."""
from __future__ import annotations

from collections.abc import Callable

from marshmallow import ValidationError, fields

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
