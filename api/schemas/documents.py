"""Schemas of the dossier's documents: slots, files, reuse, the electronic result."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import LocalDateTime


class SignatureSchema(Schema):
    verdict = fields.String(metadata={"description": "valid | invalid | not_trusted | modified"})
    signers = fields.List(fields.String())
    detail = fields.String()
    checked_at = fields.String(allow_none=True)


class DocumentSchema(Schema):
    id = fields.Integer()
    dossier_id = fields.Integer()
    kind = fields.String(metadata={"description": "component | result"})
    component = fields.Integer(attribute="slot", allow_none=True,
                               metadata={"description": "the slot: its number in the procedure's document list"})
    sha256 = fields.String()
    size = fields.Integer()
    media_type = fields.String()
    pages = fields.Integer()
    filename = fields.String()
    origin = fields.String(metadata={"description": "desk (digitised at the desk) | reused | issued (a result)"})
    stage = fields.String(metadata={"description": "reception | supplement | processing | result"})
    reused_from_id = fields.Integer(allow_none=True)
    attached_by_id = fields.Integer(allow_none=True)
    attached_at = LocalDateTime(dump_only=True)
    keep_until = LocalDateTime(dump_only=True, allow_none=True)
    removed_at = LocalDateTime(dump_only=True, allow_none=True)
    signature = fields.Nested(SignatureSchema, allow_none=True)


class SlotSchema(Schema):
    component = fields.Integer(attribute="index")
    name_vi = fields.String()
    copies = fields.Integer()
    required = fields.Boolean()
    copy_type = fields.String(metadata={"description": "original | certified_copy | copy"})
    missing = fields.Boolean(metadata={"description": "required and no file attached"})
    files = fields.List(fields.Nested(DocumentSchema))


class DossierFilesSchema(Schema):
    dossier_id = fields.Integer()
    slots = fields.List(fields.Nested(SlotSchema))
    results = fields.List(fields.Nested(DocumentSchema))


class UploadSchema(Schema):
    component = fields.Integer(required=True, validate=validate.Range(min=0, max=1000),
                               metadata={"description": "the slot: its number (from 0) in the procedure's document list"})


class UploadFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ReuseSchema(Schema):
    document_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    component = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))


class PublicResultArgs(Schema):
    secret = fields.String(required=True, validate=validate.Length(min=1, max=40))
