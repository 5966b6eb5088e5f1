"""marshmallow schemas of the REST API, one module per resource; the fields they share."""
from __future__ import annotations

from collections.abc import Callable

from marshmallow import ValidationError, fields


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
