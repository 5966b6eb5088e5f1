"""Bodies and answers of the studio's API (api/studio.py)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import LocalDateTime


class DraftSchema(Schema):
    slug = fields.String()
    revision = fields.Integer()
    base_version = fields.Integer(allow_none=True)
    toml = fields.String(attribute="toml_text")
    bpmn_filename = fields.String()
    bpmn = fields.String(attribute="bpmn_text")
    forms = fields.Dict(keys=fields.String(), values=fields.Dict())
    updated_at = LocalDateTime()


class DraftSaveSchema(Schema):
    revision = fields.Integer(required=True, metadata={"description": "the revision the change was made on"})
    bpmn = fields.String(metadata={"description": "the diagram (BPMN 2.0 XML)"})
    forms = fields.Dict(keys=fields.String(), values=fields.Dict(),
                        metadata={"description": "form file name -> JSON Schema"})
    toml = fields.String(metadata={"description": "procedure.toml"})


class LintInSchema(Schema):
    bpmn = fields.String(metadata={"description": "a diagram to check with the draft's forms and procedure.toml; "
                                                  "the draft's own diagram when absent"})
    forms = fields.Dict(keys=fields.String(), values=fields.Dict(),
                        metadata={"description": "form file name -> JSON Schema; the draft's forms when absent"})
    toml = fields.String(metadata={"description": "procedure.toml to check; the draft's own when absent"})


class LintMessageSchema(Schema):
    file = fields.String()
    element = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    message = fields.String()
    severity = fields.String()


class LintSchema(Schema):
    messages = fields.List(fields.Nested(LintMessageSchema))


class ApproveSchema(Schema):
    revision = fields.Integer(required=True)


class DeploymentSchema(Schema):
    slug = fields.String()
    version = fields.Integer()
    outcome = fields.String()


class StudioVersionSchema(Schema):
    version = fields.Integer()
    current = fields.Boolean()
    deployed_at = LocalDateTime()
    deployed_by = fields.String(allow_none=True)
    designed_by = fields.String(allow_none=True)
    dossiers = fields.Integer()
    open_dossiers = fields.Integer()


class DiffArgs(Schema):
    a = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    b = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class ChangeSchema(Schema):
    element = fields.String()
    kind = fields.String()
    name = fields.String()
    what = fields.List(fields.String())


class MigrationInSchema(Schema):
    to = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    dry_run = fields.Boolean(load_default=True)
    map = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                      metadata={"description": "old step BPMN id -> new step BPMN id"})


class DossierMigrationSchema(Schema):
    code = fields.String()
    from_version = fields.Integer()
    steps = fields.List(fields.String())
    ok = fields.Boolean()
    reason = fields.String(allow_none=True)
    mapped = fields.Dict(keys=fields.String(), values=fields.String())


class MigrationReportSchema(Schema):
    slug = fields.String()
    to_version = fields.Integer()
    dry_run = fields.Boolean()
    migrated = fields.Integer()
    refused = fields.Integer()
    dossiers = fields.List(fields.Nested(DossierMigrationSchema))
