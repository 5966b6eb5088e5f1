"""Reception regardless of administrative boundary: input and output (engine.boundary)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import LocalDateTime
from api.schemas.dossiers import ApplicantSchema, DocumentInSchema, DossierSummarySchema, ReceiptSchema
from engine.models import CHANNELS

_ID = validate.Range(min=1, max=2**31 - 1)


class ReceiveElsewhereSchema(Schema):
    receiving_agency_id = fields.Integer(required=True, validate=_ID,
                                         metadata={"description": "the service point at which the citizen files"})
    competent_agency_id = fields.Integer(required=True, validate=_ID,
                                         metadata={"description": "the agency of the same province that handles it"})
    procedure = fields.String(required=True, validate=validate.Length(min=1, max=80),
                              metadata={"description": "the procedure's slug"})
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    applicant = fields.Nested(ApplicantSchema, required=True)
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"description": "workflow data known at reception"})
    documents = fields.List(fields.Nested(DocumentInSchema), validate=validate.Length(max=100),
                            metadata={"description": "documents received; default: the catalog's required ones"})


class ForwardingSchema(Schema):
    dossier_id = fields.Integer()
    dossier_code = fields.String()
    procedure_name = fields.String()
    applicant_name = fields.String()
    receiving_agency_code = fields.String()
    receiving_agency_name = fields.String()
    competent_agency_code = fields.String()
    competent_agency_name = fields.String()
    received_at = LocalDateTime()
    forward_due_at = LocalDateTime()
    forwarded_at = LocalDateTime(allow_none=True)
    accepted_at = LocalDateTime(allow_none=True)
    state = fields.String(metadata={"description": "waiting, forwarded or confirmed"})
    late = fields.Boolean(metadata={"description": "forwarded after its due time, or still waiting past it"})
    received_here = fields.Boolean(metadata={"description": "the agency asked about is the receiving point"})


class ReceiveElsewhereResponseSchema(Schema):
    dossier = fields.Nested(DossierSummarySchema)
    receipt = fields.Nested(ReceiptSchema)
    forwarding = fields.Nested(ForwardingSchema)


class ForwardingArgs(Schema):
    agency_id = fields.Integer(required=True, validate=_ID)
