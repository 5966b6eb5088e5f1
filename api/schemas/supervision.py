"""Payloads of the escalation inbox and of supervision: open dossiers by risk, form II.06a, forms 04, extensions."""
from __future__ import annotations

from marshmallow import Schema, fields, post_load, pre_dump, validate

from api.schemas import CursorField, Day, Instant, LocalDateTime
from api.schemas.tasks import TaskBriefSchema
from engine.deadlines import RISKS
from engine.escalation import RUNG_LABELS
from engine.supervision import MAX_LIMIT, REPORT_GROUPS, decode_cursor

# --- the escalation inbox ----------------------------------------------------------------------------------


class EscalationQuerySchema(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only those nobody has read yet"})
    open = fields.Boolean(load_default=False, metadata={"description": "only those not acknowledged yet"})
    rung = fields.Integer(validate=validate.Range(min=1, max=4), metadata={
        "description": "; ".join(f"{n}: {label}" for n, label in RUNG_LABELS.items())})
    before_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "next_before_id of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))

    @post_load
    def _to_arguments(self, data, **kwargs):
        return {"unread_only": data.pop("unread"), "open_only": data.pop("open"), **data}


class EscalationDossierSchema(Schema):
    id = fields.Integer()
    code = fields.String()


class EscalationTaskSchema(Schema):
    id = fields.Integer()
    name = fields.String(metadata={"description": "the step's name"})


class AgencyRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class EscalationSchema(Schema):
    id = fields.Integer()
    rung = fields.Integer(metadata={"description": "1 step at risk, 2 step overdue, 3 dossier in its last working "
                                                   "day (form 04 due), 4 dossier overdue"})
    rung_name = fields.String(metadata={"description": "at_risk | step_overdue | will_be_late | dossier_overdue"})
    rung_label = fields.String(metadata={"description": "the rung in Vietnamese"})
    dossier = fields.Nested(EscalationDossierSchema)
    task = fields.Nested(EscalationTaskSchema, allow_none=True, metadata={
        "description": "the step (rungs 1-2); null for rungs 3-4, about the dossier"})
    agency = fields.Nested(AgencyRefSchema, metadata={"description": "the agency of the step or of the dossier"})
    recipient_id = fields.Integer(allow_none=True, metadata={"description": "one official, or null: a role"})
    recipient_role = fields.String(allow_none=True, metadata={"description": "the role whose holders receive it"})
    created_at = LocalDateTime()
    message = fields.String()
    late = fields.Boolean(metadata={"description": "recorded after its moment had passed (a scan that ran late): "
                                                   "a warning reached only once the step or dossier was overdue"})
    is_read = fields.Boolean()
    read_at = LocalDateTime(allow_none=True, metadata={"description": "the first reader's time (role-wide)"})
    is_acknowledged = fields.Boolean()
    acknowledged_at = LocalDateTime(allow_none=True)
    comment = fields.String(allow_none=True)

    @pre_dump
    def _nest(self, item, **kwargs):
        return {**vars(item), "dossier": {"id": item.dossier_id, "code": item.dossier_code},
                "task": {"id": item.task_id, "name": item.task_name} if item.task_id is not None else None,
                "agency": {"id": item.agency_id, "code": item.agency_code, "name": item.agency_name},
                "is_read": item.read_at is not None, "is_acknowledged": item.acknowledged_at is not None}


class EscalationPageSchema(Schema):
    items = fields.List(fields.Nested(EscalationSchema))
    next_before_id = fields.Integer(allow_none=True, metadata={"description": "null on the last page"})


class AcknowledgeSchema(Schema):
    comment = fields.String(validate=validate.Length(min=1, max=2000), metadata={
        "description": "what will be done"})


class ReassignSchema(Schema):
    assignee_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "an official holding the step's role in its agency"})
    comment = fields.String(validate=validate.Length(min=1, max=2000))


class ReassignResultSchema(Schema):
    escalation = fields.Nested(EscalationSchema, metadata={"description": "acknowledged"})
    task = fields.Nested(TaskBriefSchema, metadata={"description": "the step, now claimed by the assignee"})


# --- open dossiers by risk ---------------------------------------------------------------------------------


class WatchQuerySchema(Schema):
    risk = fields.String(validate=validate.OneOf(RISKS), metadata={"description": "default: every level"})
    agency_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "default: every agency you supervise (admins: all)"})
    cursor = CursorField(decode_cursor, metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))

    @post_load
    def _to_arguments(self, data, **kwargs):
        data["after"] = data.pop("cursor", None)
        return data


class WatchProcedureSchema(Schema):
    slug = fields.String()
    code = fields.String(metadata={"description": "national procedure code"})
    name_vi = fields.String()


class AssigneeSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()


class WatchedStepSchema(Schema):
    task_id = fields.Integer()
    step = fields.String(metadata={"description": "the step's id in the diagram"})
    name = fields.String()
    role = fields.String()
    agency_id = fields.Integer()
    state = fields.String(metadata={"description": "ready | claimed"})
    assignee = fields.Nested(AssigneeSchema, allow_none=True)
    due_at = LocalDateTime(allow_none=True)
    risk = fields.String(metadata={"description": "on_track | at_risk | overdue, as of now"})


class WatchedDossierSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.String()
    status_vi = fields.String()
    channel = fields.String()
    agency = fields.Nested(AgencyRefSchema)
    procedure = fields.Nested(WatchProcedureSchema)
    applicant_name = fields.String(allow_none=True, metadata={
        "description": "null unless you are an official of the dossier's agency"})
    received_at = LocalDateTime()
    appointment_at = LocalDateTime(metadata={"description": "printed on the receipt; statistics score by it"})
    due_at = LocalDateTime(metadata={"description": "the legal due time now (pauses, a new date, extensions)"})
    working_hours_left = fields.Float(allow_none=True, metadata={
        "description": "working hours until due_at, negative when late; null while paused or once processed"})
    risk = fields.String(metadata={"description": "on_track | at_risk | overdue, as of now"})
    is_paused = fields.Boolean(metadata={"description": "waiting for the citizen: the clock stands still"})
    current_steps = fields.List(fields.Nested(WatchedStepSchema))


class RiskCountsSchema(Schema):
    on_track = fields.Integer()
    at_risk = fields.Integer()
    overdue = fields.Integer()
    total = fields.Integer()


class WatchPageSchema(Schema):
    items = fields.List(fields.Nested(WatchedDossierSchema))
    counts = fields.Nested(RiskCountsSchema, metadata={
        "description": "open dossiers per risk in the agencies asked for, whatever the risk filter"})
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


# --- the periodic report (form II.06a) --------------------------------------------------------------------


class ReportQuerySchema(Schema):
    start = Day(required=True, data_key="from", metadata={"description": "first local day, YYYY-MM-DD"})
    end = Day(required=True, data_key="to", metadata={"description": "last local day, included"})
    by = fields.String(load_default="procedure", validate=validate.OneOf(REPORT_GROUPS), metadata={
        "description": "agency: one row per agency; procedure: per agency and procedure; official: per official "
                       "who worked on a dossier (rows overlap; the total counts each dossier once)"})
    agency_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "default: every agency whose report you read (admins: all)"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class ReceivedSchema(Schema):
    total = fields.Integer()
    carried_over = fields.Integer(metadata={"description": "received before the period, not finished at its start"})
    new_online = fields.Integer()
    new_direct_or_postal = fields.Integer()


class ResolvedSchema(Schema):
    total = fields.Integer()
    early = fields.Integer()
    on_time = fields.Integer()
    late = fields.Integer(metadata={"description": "after the receipt's appointment, even when an apology set a "
                                                   "new date"})


class InProgressSchema(Schema):
    total = fields.Integer()
    within_deadline = fields.Integer()
    overdue = fields.Integer()


class PaymentsSchema(Schema):
    count = fields.Integer(metadata={"description": "fees and financial obligations paid in the period"})
    online = fields.Integer(metadata={"description": "of which paid online (a payment platform reference)"})
    amount = fields.Integer(metadata={"description": "VND"})


class FiguresSchema(Schema):
    received = fields.Nested(ReceivedSchema, metadata={
        "description": "total = resolved + in_progress + withdrawn + refused + stopped"})
    resolved = fields.Nested(ResolvedSchema)
    in_progress = fields.Nested(InProgressSchema, metadata={
        "description": "at the end of the period (as of now, for a running period)"})
    withdrawn = fields.Integer()
    refused = fields.Integer()
    stopped = fields.Integer()
    payments = fields.Nested(PaymentsSchema)

    @pre_dump
    def _group(self, f, **kwargs):
        return {
            "received": {"total": f.received, "carried_over": f.carried_over, "new_online": f.new_online,
                         "new_direct_or_postal": f.new_direct_or_postal},
            "resolved": {"total": f.resolved, "early": f.resolved_early, "on_time": f.resolved_on_time,
                         "late": f.resolved_late},
            "in_progress": {"total": f.in_progress, "within_deadline": f.in_progress_within,
                            "overdue": f.in_progress_overdue},
            "withdrawn": f.withdrawn, "refused": f.refused, "stopped": f.stopped,
            "payments": {"count": f.payments, "online": f.payments_online, "amount": f.paid_amount},
        }


class ReportAgencySchema(Schema):
    code = fields.String()
    name = fields.String()


class ReportProcedureSchema(Schema):
    code = fields.String()
    name = fields.String()


class ReportRowSchema(Schema):
    agency = fields.Nested(ReportAgencySchema)
    procedure = fields.Nested(ReportProcedureSchema, allow_none=True, metadata={"description": "null when by=agency"})
    official = fields.String(allow_none=True, metadata={"description": "username; null unless by=official"})
    figures = fields.Nested(FiguresSchema)

    @pre_dump
    def _shape(self, row, **kwargs):
        procedure = {"code": row.procedure_code, "name": row.procedure_name} if row.procedure_code else None
        return {"agency": {"code": row.agency_code, "name": row.agency_name}, "procedure": procedure,
                "official": row.official, "figures": row.figures}


class ReportSchema(Schema):
    start = Day(data_key="from")
    end = Day(data_key="to")
    by = fields.String()
    rows = fields.List(fields.Nested(ReportRowSchema))
    total = fields.Nested(FiguresSchema)

    @pre_dump
    def _flatten(self, period, **kwargs):
        r = period.report
        return {"start": r.start, "end": r.end, "by": period.by, "rows": r.rows, "total": r.total}


# --- apology letters (form 04) and extensions -------------------------------------------------------------


class LettersQuerySchema(Schema):
    start = Day(required=True, data_key="from", metadata={"description": "first local day, YYYY-MM-DD"})
    end = Day(required=True, data_key="to", metadata={"description": "last local day, included"})
    agency_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    state = fields.String(validate=validate.OneOf(("drafted", "issued")), metadata={"description": "default: both"})


class LetterRowSchema(Schema):
    id = fields.Integer()
    dossier_id = fields.Integer()
    dossier_code = fields.String()
    agency = fields.Nested(AgencyRefSchema)
    procedure_name = fields.String()
    state = fields.String(metadata={"description": "drafted (by the deadline scan) | issued (signed, sent)"})
    drafted_at = LocalDateTime()
    proposed_at = LocalDateTime(metadata={"description": "the new date the draft proposes"})
    issued_at = LocalDateTime(allow_none=True)
    issued_by = fields.String(allow_none=True)
    new_appointment_at = LocalDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    appointment_at = LocalDateTime(metadata={"description": "the receipt's appointment"})
    due_at = LocalDateTime()
    dossier_status = fields.String()


class LetterSchema(Schema):
    id = fields.Integer()
    dossier_id = fields.Integer()
    dossier_code = fields.String()
    state = fields.String(metadata={"description": "drafted | issued"})
    drafted_at = LocalDateTime()
    proposed_at = LocalDateTime()
    issued_at = LocalDateTime(allow_none=True)
    issued_by_id = fields.Integer(allow_none=True)
    new_appointment_at = LocalDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    appointment_at = LocalDateTime()
    due_at = LocalDateTime()
    text = fields.String(allow_none=True, metadata={
        "description": "form 04 as plain text; null when you may not see the applicant's personal data"})
    personal_data_visible = fields.Boolean()


class IssueLetterSchema(Schema):
    new_appointment_at = Instant(required=True, format="iso", metadata={
        "description": "with an offset; after the current due time and after now"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "why the dossier is late"})


class ExtensionInSchema(Schema):
    duration = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={
        "description": "ISO 8601 working time, e.g. P2D; within the procedure's limit, all extensions together"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ExtensionSchema(Schema):
    id = fields.Integer()
    dossier_id = fields.Integer()
    dossier_code = fields.String()
    duration = fields.String()
    reason = fields.String()
    created_at = LocalDateTime()
    created_by_id = fields.Integer(allow_none=True)
    appointment_at = LocalDateTime(metadata={"description": "the receipt's appointment, unchanged"})
    due_at = LocalDateTime(metadata={"description": "the new legal due time"})
