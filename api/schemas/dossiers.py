"""Schemas of the catalog, dossiers, reception slips, the tracking book and the public look-up.

Instants are ISO 8601 in the local zone, whole seconds (api.schemas.LocalDateTime); the `*_local` fields
of the printed slips, from before every instant was local, repeat the same value for existing clients.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from api.links import public_lookup_url
from api.schemas import AuditDetail, Day, Instant, LocalDateTime
from engine.dossier_views import STATUS_VI
from engine.models import CHANNELS, DOSSIER_STATUSES
from engine.reception import COPY_TYPES


def _local(attribute: str) -> LocalDateTime:
    return LocalDateTime(attribute=attribute, dump_only=True)


# --- input -------------------------------------------------------------------------------------------------


class ApplicantSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    id_number = fields.String(validate=validate.Length(min=1, max=20),
                              metadata={"description": "citizen identity number (số định danh cá nhân)"})
    phone = fields.String(validate=validate.Length(min=1, max=20))
    email = fields.Email(validate=validate.Length(max=255))
    address = fields.String(validate=validate.Length(min=1, max=500))


class DocumentInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=500))
    copies = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))


class _DeskInputSchema(Schema):
    procedure = fields.String(required=True, validate=validate.Length(min=1, max=80),
                              metadata={"description": "the procedure's slug"})
    agency_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    applicant = fields.Nested(ApplicantSchema, required=True)


class ReceiveSchema(_DeskInputSchema):
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"description": "workflow data known at reception"})
    clock_started_at = Instant(
        metadata={"description": "postal: the postmark of arrival; online: when the dossier was recorded complete"})
    documents = fields.List(fields.Nested(DocumentInSchema), validate=validate.Length(max=100),
                            metadata={"description": "documents received; default: the catalog's required ones"})


class MissingDocumentSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=500))
    copy_type = fields.String(validate=validate.OneOf(COPY_TYPES))
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    note = fields.String(validate=validate.Length(max=1000))


class SupplementRequestSchema(_DeskInputSchema):
    missing_documents = fields.List(fields.Nested(MissingDocumentSchema), required=True,
                                    validate=validate.Length(min=1, max=100))
    reason = fields.String(validate=validate.Length(max=2000), metadata={"description": "guidance for the citizen"})


class RefusalSchema(_DeskInputSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class WithdrawSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DossierListArgs(Schema):
    agency_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    status = DelimitedList(fields.String(validate=validate.OneOf(DOSSIER_STATUSES)),
                           metadata={"description": "comma-separated statuses"})
    q = fields.String(validate=validate.Length(min=1, max=100),
                      metadata={"description": "part of the code or of the applicant's name"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=2**31 - 1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TrackingBookPeriod(Schema):
    start = Day(required=True, data_key="from")
    end = Day(required=True, data_key="to")
    agency_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class TrackingBookArgs(TrackingBookPeriod):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class ControlSheetArgs(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")),
                           metadata={"description": "csv: a file for Excel, one line per handover"})


class PublicLookupArgs(Schema):
    secret = fields.String(required=True, validate=validate.Length(min=1, max=64))


class RatingInSchema(Schema):
    secret = fields.String(required=True, validate=validate.Length(min=1, max=64))
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    criteria = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)),
                           values=fields.Integer(validate=validate.Range(min=1, max=5)),
                           metadata={"description": "optional scores 1-5 per criterion"})
    comment = fields.String(validate=validate.Length(max=2000))


# --- the catalog -------------------------------------------------------------------------------------------


class FeeSchema(Schema):
    name_vi = fields.String()
    name_en = fields.String(allow_none=True)
    amount = fields.Integer(metadata={"description": "VND"})


class RequiredDocumentSchema(Schema):
    name_vi = fields.String()
    name_en = fields.String(allow_none=True)
    copies = fields.Integer()
    required = fields.Boolean()


class DeadlineSchema(Schema):
    unit = fields.String(attribute="deadline.unit")
    value = fields.Integer(attribute="deadline.value")
    cutoff = fields.Time(attribute="same_day_cutoff", allow_none=True)
    text_vi = fields.Function(lambda meta: meta.deadline.describe_vi())


class ProcedureSchema(Schema):
    slug = fields.String()
    version = fields.Integer(metadata={"description": "the latest deployed version"})
    deployed_at = LocalDateTime()
    code = fields.String(attribute="meta.code")
    local_code = fields.String(attribute="meta.local_code", allow_none=True)
    name_vi = fields.String(attribute="meta.name_vi")
    name_en = fields.String(attribute="meta.name_en")
    level = fields.String(attribute="meta.level")
    field = fields.String(attribute="meta.field")
    agency_kind = fields.String(attribute="meta.agency_kind")
    deadline = fields.Nested(DeadlineSchema, attribute="meta")
    pause_rule = fields.String(attribute="meta.pause_rule")
    fees = fields.List(fields.Nested(FeeSchema), attribute="meta.fees")
    documents = fields.List(fields.Nested(RequiredDocumentSchema), attribute="meta.documents")
    channels = fields.List(fields.String(), attribute="meta.channels")
    result_delivery = fields.List(fields.String(), attribute="meta.result_delivery")


class ProcedureDetailSchema(ProcedureSchema):
    forms = fields.Dict(keys=fields.String(), values=fields.Dict(),
                        metadata={"description": "form file -> JSON Schema of a step's form"})


class ProcedureVersionSchema(Schema):
    version = fields.Integer()
    checksum = fields.String()
    deployed_at = LocalDateTime()
    deployed_by = fields.String(allow_none=True)
    is_current = fields.Boolean()


# --- dossiers ----------------------------------------------------------------------------------------------


class DossierSummarySchema(Schema):
    id = fields.Integer(attribute="dossier.id")
    code = fields.String(attribute="dossier.code")
    status = fields.String(attribute="dossier.status")
    status_vi = fields.String()
    channel = fields.String(attribute="dossier.channel")
    procedure_slug = fields.String()
    procedure_code = fields.String()
    procedure_name = fields.String()
    agency_id = fields.Integer(attribute="dossier.agency_id")
    agency_code = fields.String()
    agency_name = fields.String()
    applicant_name = fields.String(allow_none=True, metadata={"description": "null when hidden from the caller"})
    received_at = LocalDateTime(attribute="dossier.received_at")
    clock_started_at = LocalDateTime(attribute="dossier.clock_started_at")
    appointment_at = LocalDateTime(attribute="dossier.appointment_at")
    appointment_at_local = _local("dossier.appointment_at")
    due_at = LocalDateTime(attribute="dossier.due_at")
    paused_at = LocalDateTime(attribute="dossier.paused_at", allow_none=True)
    closed_at = LocalDateTime(attribute="dossier.closed_at", allow_none=True)
    risk = fields.String(attribute="dossier.risk")


class DossierPageSchema(Schema):
    items = fields.List(fields.Nested(DossierSummarySchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class DossierStateSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.String()
    closed_at = LocalDateTime(allow_none=True)


class ReceivedDocumentSchema(Schema):
    name = fields.String()
    copies = fields.Integer()


class ReceiptSchema(Schema):
    """Form 01 — giấy tiếp nhận hồ sơ và hẹn trả kết quả."""

    form = fields.Constant("01")
    code = fields.String(attribute="dossier.code")
    lookup_secret = fields.String(attribute="dossier.lookup_secret",
                                  metadata={"description": "printed on the receipt; opens the public look-up"})
    procedure_code = fields.String(attribute="meta.code")
    procedure_local_code = fields.String(attribute="meta.local_code", allow_none=True)
    procedure_name = fields.String(attribute="meta.name_vi")
    agency_code = fields.String(attribute="agency.code")
    agency_name = fields.String(attribute="agency.name")
    applicant = fields.Dict(attribute="dossier.applicant")
    channel = fields.String(attribute="dossier.channel")
    documents = fields.List(fields.Nested(ReceivedDocumentSchema))
    received_at = LocalDateTime(attribute="dossier.received_at")
    received_at_local = _local("dossier.received_at")
    clock_started_at = LocalDateTime(attribute="dossier.clock_started_at")
    appointment_at = LocalDateTime(attribute="dossier.appointment_at")
    appointment_at_local = _local("dossier.appointment_at")
    deadline_vi = fields.Function(lambda r: r.meta.deadline.describe_vi())
    fees = fields.List(fields.Nested(FeeSchema))
    fees_total = fields.Integer()
    official = fields.String(attribute="official.full_name", allow_none=True)
    lookup_url = fields.Function(lambda r: public_lookup_url(r.dossier.code, r.dossier.lookup_secret), metadata={
        "description": "the public look-up with code and secret filled in: what the receipt's QR code opens"})
    pdf = fields.Function(lambda r: f"/api/v1/dossiers/{r.dossier.id}/receipt.pdf",
                          metadata={"description": "the receipt as a PDF (A5), printable again at any time"})


class ReceiveResponseSchema(Schema):
    dossier = fields.Nested(DossierSummarySchema)
    receipt = fields.Nested(ReceiptSchema)


#: where each kind of slip is printed (api/dossiers.py)
SLIP_PATHS = {"supplement_request": "supplement-requests", "refusal": "refusals"}


class SlipSchema(Schema):
    """Form 02 (request to supplement) or form 03 (refusal to receive)."""

    form = fields.Function(lambda s: "02" if s.record.kind == "supplement_request" else "03")
    kind = fields.String(attribute="record.kind")
    number = fields.String(attribute="record.number")
    procedure_code = fields.String(attribute="meta.code")
    procedure_name = fields.String(attribute="meta.name_vi")
    agency_code = fields.String(attribute="agency.code")
    agency_name = fields.String(attribute="agency.name")
    channel = fields.String(attribute="record.channel")
    applicant = fields.Dict(attribute="record.applicant")
    missing_documents = fields.List(fields.Dict(), attribute="record.missing_documents", allow_none=True)
    reason = fields.String(attribute="record.reason")
    created_at = LocalDateTime(attribute="record.created_at")
    created_at_local = _local("record.created_at")
    official = fields.String(attribute="official.full_name", allow_none=True)
    pdf = fields.Function(lambda s: f"/api/v1/reception/{SLIP_PATHS[s.record.kind]}/{s.record.number}.pdf",
                          metadata={"description": "the slip as a PDF (A5)"})


class HandoverSchema(Schema):
    from_step = fields.String()
    from_step_name = fields.String()
    from_official = fields.String(allow_none=True)
    to_step = fields.String()
    to_step_name = fields.String()
    to_role = fields.String()
    to_agency = fields.String()
    to_official = fields.String(allow_none=True)
    handed_at = LocalDateTime()
    received_at = LocalDateTime(allow_none=True)
    due_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    state = fields.String()
    outcome = fields.String(allow_none=True)
    mark = fields.String(allow_none=True, metadata={"description": "early | on_time | late"})
    mark_vi = fields.String(allow_none=True)


class ShareSchema(Schema):
    """An inter-agency bundle's agency: its share of the time and the hand-over to it (engine.interagency)."""

    handover_id = fields.Integer()
    agency_id = fields.Integer()
    agency_name = fields.String()
    share_name = fields.String()
    budget = fields.String(allow_none=True, metadata={"description": "ISO 8601 working time"})
    started_at = LocalDateTime()
    due_at = LocalDateTime(allow_none=True)
    ended_at = LocalDateTime(allow_none=True)
    used_minutes = fields.Function(lambda s: int(s.used.total_seconds() // 60),
                                   metadata={"description": "working minutes used"})
    mark = fields.String(allow_none=True, metadata={"description": "early | on_time | late"})
    from_agency_name = fields.String(allow_none=True)
    sent_by = fields.String(allow_none=True)
    confirmed_at = LocalDateTime(allow_none=True)
    confirmed_by = fields.String(allow_none=True)


class ControlSheetSchema(Schema):
    """Form 05 — phiếu kiểm soát quá trình giải quyết hồ sơ."""

    form = fields.Constant("05")
    dossier_id = fields.Integer()
    code = fields.String()
    procedure_name = fields.String()
    agency_name = fields.String()
    received_at = LocalDateTime()
    received_at_local = _local("received_at")
    received_by = fields.String(allow_none=True)
    appointment_at = LocalDateTime()
    appointment_at_local = _local("appointment_at")
    due_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)
    status = fields.String()
    mark = fields.String(allow_none=True)
    mark_vi = fields.String(allow_none=True)
    handovers = fields.List(fields.Nested(HandoverSchema))
    shares = fields.List(fields.Nested(ShareSchema))


class TimelineEntrySchema(Schema):
    at = LocalDateTime()
    action = fields.String()
    label = fields.String()
    actor = fields.String(allow_none=True)
    step = fields.String(allow_none=True)
    step_name = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = LocalDateTime()
    action = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor = fields.String(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    detail = AuditDetail(allow_none=True)


class CurrentStepSchema(Schema):
    task_id = fields.Integer()
    step = fields.String()
    name = fields.String()
    role = fields.String()
    agency = fields.String()
    assignee = fields.String(allow_none=True)
    state = fields.String()
    due_at = LocalDateTime(allow_none=True)


class RatingSchema(Schema):
    score = fields.Integer()
    criteria = fields.Dict(allow_none=True)
    comment = fields.String(allow_none=True)
    created_at = LocalDateTime()


class DossierDetailSchema(Schema):
    dossier = fields.Nested(DossierSummarySchema, attribute="row")
    procedure_version = fields.Integer()
    received_by = fields.String(allow_none=True)
    received_at_local = _local("dossier.received_at")
    applicant = fields.Dict(allow_none=True, metadata={"description": "null unless you handle the dossier"})
    personal_data_visible = fields.Boolean()
    current_steps = fields.List(fields.Nested(CurrentStepSchema))
    documents = fields.List(fields.Nested(RequiredDocumentSchema))
    documents_received = fields.List(fields.Nested(ReceivedDocumentSchema), allow_none=True)
    result_delivery = fields.Dict(allow_none=True)
    rating = fields.Nested(RatingSchema, allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    control_sheet = fields.Nested(ControlSheetSchema)
    audit_trail = fields.List(fields.Nested(AuditEntrySchema))


class BookLineSchema(Schema):
    number = fields.Integer()
    dossier_id = fields.Integer()
    code = fields.String()
    procedure_code = fields.String()
    procedure_name = fields.String()
    applicant_name = fields.String(allow_none=True, metadata={
        "description": "null for admins who are no official of the agency (personal data)"})
    applicant_address = fields.String(allow_none=True)
    received_at = LocalDateTime()
    received_at_local = _local("received_at")
    appointment_at = LocalDateTime()
    appointment_at_local = _local("appointment_at")
    handed_to = fields.String(allow_none=True)
    handed_at = LocalDateTime(allow_none=True)
    result_at = LocalDateTime(allow_none=True)
    status = fields.String()
    status_vi = fields.String()
    signature = fields.String()


class TrackingBookSchema(Schema):
    """Form 06 — sổ theo dõi hồ sơ."""

    form = fields.Constant("06")
    agency_id = fields.Integer()
    agency_code = fields.String()
    agency_name = fields.String()
    start = Day(data_key="from")
    end = Day(data_key="to")
    lines = fields.List(fields.Nested(BookLineSchema))


# --- the public look-up ------------------------------------------------------------------------------------


class PublicStatusSchema(Schema):
    code = fields.String()
    procedure_code = fields.String()
    procedure_name = fields.String()
    agency_name = fields.String()
    status = fields.String()
    status_vi = fields.Function(lambda s: STATUS_VI.get(s.status, s.status))
    received_at = LocalDateTime()
    received_at_local = _local("received_at")
    appointment_at = LocalDateTime()
    appointment_at_local = _local("appointment_at")
    due_at = LocalDateTime()
    due_at_local = _local("due_at")
    closed_at = LocalDateTime(allow_none=True)
    is_paused = fields.Boolean()
    current_steps = fields.List(fields.String())
    may_rate = fields.Boolean()
    is_rated = fields.Boolean()
    channel = fields.String(metadata={"description": "how the dossier came in: counter, postal or online"})
    missing_documents = fields.List(fields.Dict(), metadata={
        "description": "while a supplement is awaited: the documents listed on form 02 (name, copy_type, "
                       "quantity, note)"})
    delivery = fields.String(allow_none=True, metadata={"description": "once returned: counter, postal or online"})
    postal_tracking = fields.String(allow_none=True, metadata={"description": "the post's tracking number"})


class PaymentInSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(("counter", "online")))
    amount = fields.Integer(required=True, validate=validate.Range(min=0, max=10**12), metadata={"description": "VND"})
    receipt_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    payment_reference = fields.String(validate=validate.Length(min=1, max=128), metadata={
        "description": "the payment platform's reference; required online; a reference used once is refused"})
    paid_at = Instant(metadata={"description": "default: now"})


class PaymentSchema(Schema):
    id = fields.Integer()
    method = fields.String()
    amount = fields.Integer()
    receipt_number = fields.String()
    reference = fields.String(allow_none=True)
    paid_at = LocalDateTime()
    recorded_at = LocalDateTime()
