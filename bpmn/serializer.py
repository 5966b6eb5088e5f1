"""Workflow state without its spec, and specs serialized once per procedure version.

SpiffWorkflow embeds the whole spec in every serialized workflow (~7 KB). We store the spec once on the
procedure version and each dossier's state by reference to it: `dump_state` leaves `spec` and
`subprocess_specs` out, and `load_state` takes the already-parsed (cached) spec objects.
"""
from __future__ import annotations

import json
import threading
import zlib
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

STATE_FORMAT = "motcua-state/1"  # bump when the stored layout changes


class _SpecByReferenceConverter(BpmnWorkflowConverter):
    """A BpmnWorkflow converter that writes no spec and restores onto a given one."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpecByReferenceConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


# The serializer's registry keeps a mode flag while encoding: one serializer per thread.
_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    ser = getattr(_local, "serializer", None)
    if ser is None:
        ser = _local.serializer = _make_serializer()
    return ser


def _encode(ser: BpmnWorkflowSerializer, obj) -> str:
    ser.registry._encoder_mode = True
    try:
        return json.dumps(ser.to_dict(obj), cls=ser._encoder_cls, ensure_ascii=False, separators=(",", ":"))
    finally:
        ser.registry._encoder_mode = False


def dump_state(workflow: BpmnWorkflow) -> bytes:
    """Serialize a workflow without its spec, compressed (the state column)."""
    ser = _serializer()
    text = _encode(ser, workflow)
    return zlib.compress(f'{{"format":"{STATE_FORMAT}","spiff":"{ser.VERSION}","state":{text}}}'.encode(), 1)


def load_state(blob: bytes, spec, subprocess_specs, script_engine=None) -> BpmnWorkflow:
    """Restore a workflow from `dump_state` output onto its cached spec; attach the script engine."""
    doc = json.loads(zlib.decompress(blob))
    if doc.get("format") != STATE_FORMAT:
        raise ValueError(f"unknown workflow state format {doc.get('format')!r}")
    ser = _serializer()
    workflow = ser.from_dict(doc["state"], spec=spec, subprocess_specs=subprocess_specs)
    if script_engine is not None:
        # A restored workflow gets SpiffWorkflow's default (unrestricted) engine unless we set ours.
        workflow.script_engine = script_engine
        for sub in workflow.subprocesses.values():
            sub.script_engine = script_engine
    return workflow


def dump_spec(spec, subprocess_specs) -> str:
    """Serialize a parsed process spec and its subprocess specs once (the version row)."""
    ser = _serializer()
    return json.dumps(
        {"spiff": ser.VERSION, "spec": json.loads(_encode(ser, spec)),
         "subprocess_specs": {k: json.loads(_encode(ser, v)) for k, v in subprocess_specs.items()}},
        ensure_ascii=False, separators=(",", ":"),
    )


def load_spec(text: str):
    """Restore (spec, subprocess_specs) from `dump_spec` output without re-parsing the BPMN."""
    doc = json.loads(text)
    ser = _serializer()
    spec = ser.from_dict(doc["spec"])
    return spec, {k: ser.from_dict(v) for k, v in doc["subprocess_specs"].items()}
