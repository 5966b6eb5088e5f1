"""Inbox and task payloads: the query of `GET /tasks`, task rows, actions and their results."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, pre_dump, validate, validates_schema

from api.schemas import CursorField, Instant, LocalDateTime
from engine.inbox import MAX_LIMIT, RISKS, SCOPES, SORTS, InboxFilter, decode_cursor
from engine.models import TASK_STATES


class InboxQuerySchema(Schema):
    scope = fields.String(load_default="all", validate=validate.OneOf(SCOPES), metadata={
        "description": "mine: assigned to me; groups: nobody's yet, of my roles in my agencies (a supervisor: "
                       "the whole agency); all: everything I may see"})
    procedure = fields.String(validate=validate.Length(min=1, max=80), metadata={"description": "procedure slug"})
    status = fields.String(validate=validate.OneOf(TASK_STATES),
                           metadata={"description": "default: open tasks (ready and claimed)"})
    risk = fields.String(validate=validate.OneOf(RISKS))
    due_before = Instant(format="iso", metadata={"description": "due_at < this instant (with offset)"})
    due_after = Instant(format="iso", metadata={"description": "due_at >= this instant (with offset)"})
    q = fields.String(validate=validate.Length(min=1, max=200),
                      metadata={"description": "part of the dossier code or the applicant's name, any case"})
    sort = fields.String(load_default="due_at", validate=validate.OneOf(SORTS),
                         metadata={"description": "risk: overdue first, then at risk, then on track, each by due "
                                                  "time; tasks without a due time come last in their group"})
    cursor = CursorField(decode_cursor, metadata={"description": "next_cursor of the previous page (same sort)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))

    @validates_schema
    def _cursor_matches_sort(self, data, **kwargs):
        if "cursor" in data and data["cursor"].sort != data["sort"]:
            raise ValidationError(f"this cursor pages sort={data['cursor'].sort}", "cursor")

    @post_load
    def _to_filter(self, data, **kwargs):
        after, limit = data.pop("cursor", None), data.pop("limit")
        return {"filters": InboxFilter(**data), "after": after, "limit": limit}


class TaskDossierSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    applicant_name = fields.String(allow_none=True, metadata={
        "description": "null for admins who do not handle the dossier (personal data)"})


class TaskProcedureSchema(Schema):
    slug = fields.String()
    name_vi = fields.String()
    name_en = fields.String(allow_none=True)


class TaskAssigneeSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()


class TaskRowSchema(Schema):
    id = fields.Integer()
    bpmn_id = fields.String(metadata={"description": "the step's id in the diagram"})
    name = fields.String(metadata={"description": "the step's name (Vietnamese, from the diagram)"})
    role = fields.String()
    agency_id = fields.Integer()
    state = fields.String(metadata={"description": "ready | claimed | completed | cancelled"})
    budget = fields.String(allow_none=True, metadata={"description": "ISO 8601 working time"})
    created_at = LocalDateTime()
    claimed_at = LocalDateTime(allow_none=True)
    due_at = LocalDateTime(allow_none=True)
    working_hours_left = fields.Float(allow_none=True, metadata={
        "description": "working hours until due_at, negative when late; null when closed, paused or undated"})
    risk = fields.String(metadata={"description": "on_track | at_risk | overdue, as of now"})
    dossier = fields.Nested(TaskDossierSchema)
    procedure = fields.Nested(TaskProcedureSchema)
    assignee = fields.Nested(TaskAssigneeSchema, allow_none=True)


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(TaskRowSchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


class TaskDetailSchema(TaskRowSchema):
    form_name = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True, metadata={"description": "the step's JSON Schema, with x-ui hints"})
    outcomes = fields.List(fields.String())

    @pre_dump
    def _flatten(self, view, **kwargs):
        return {**vars(view.task), "form_name": view.form_name, "form": view.form, "outcomes": list(view.outcomes)}


class AssignSchema(Schema):
    assignee_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class CompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(), required=True, metadata={"description": "the form's fields"})


class SendBackSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TaskBriefSchema(Schema):
    """A task row as an action left it."""

    id = fields.Integer()
    dossier_id = fields.Integer()
    bpmn_id = fields.String()
    name = fields.String()
    role = fields.String()
    agency_id = fields.Integer()
    state = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    claimed_at = LocalDateTime(allow_none=True)
    due_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)


class StepDossierSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.String()
    due_at = LocalDateTime()
    closed_at = LocalDateTime(allow_none=True)


class StepResultSchema(Schema):
    dossier = fields.Nested(StepDossierSchema)
    completed = fields.Nested(TaskBriefSchema, allow_none=True)
    created = fields.List(fields.Nested(TaskBriefSchema), metadata={"description": "the steps now open"})
    cancelled = fields.List(fields.Nested(TaskBriefSchema))
