"""Parsed procedure versions, cached by checksum: a dossier action never re-parses BPMN.

On a cache miss the spec is restored from the version row's serialized spec (no parsing), and the
catalog entry and forms from its stored package. The cache is only a cache: any process can rebuild it.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from jsonschema import Draft202012Validator

from bpmn.extensions import UserTaskInfo, end_status, user_task_info
from bpmn.package import ProcedureMeta, ProcedurePackage, package_from_document
from bpmn.serializer import load_spec
from engine import forms
from engine.models import ProcedureVersion


@dataclass(frozen=True)
class CompiledVersion:
    """Everything the runtime needs of one procedure version, built once per process."""

    version_id: int
    checksum: str
    package: ProcedurePackage
    spec: object
    subprocess_specs: dict
    user_tasks: Mapping[str, UserTaskInfo]
    end_statuses: Mapping[str, str]
    form_validators: Mapping[str, Draft202012Validator]

    @property
    def meta(self) -> ProcedureMeta:
        return self.package.meta


def compile_version(version_id: int, checksum: str, package: ProcedurePackage, spec, subprocess_specs) -> CompiledVersion:
    """Index a parsed spec: user tasks by BPMN id, end statuses, compiled form validators."""
    user_tasks: dict[str, UserTaskInfo] = {}
    end_statuses: dict[str, str] = {}
    for s in (spec, *subprocess_specs.values()):
        for ts in s.task_specs.values():
            if getattr(ts, "manual", False) and ts.bpmn_id:
                user_tasks[ts.bpmn_id] = user_task_info(ts)
            status = end_status(ts)
            if status:
                end_statuses[ts.bpmn_id] = status
    validators = {name: forms.checked_validator(schema) for name, schema in package.forms.items()}
    return CompiledVersion(version_id, checksum, package, spec, subprocess_specs, user_tasks, end_statuses,
                           validators)


class SpecCache:
    """Process-local cache of compiled versions, keyed by version id (a version never changes)."""

    def __init__(self):
        self._by_id: dict[int, CompiledVersion] = {}
        self._lock = threading.Lock()

    def get(self, version: ProcedureVersion) -> CompiledVersion:
        compiled = self._by_id.get(version.id)
        if compiled is None:
            spec, subs = load_spec(version.spec)
            compiled = compile_version(version.id, version.checksum, package_from_document(version.package),
                                       spec, subs)
            with self._lock:
                compiled = self._by_id.setdefault(version.id, compiled)
        return compiled

    def put(self, compiled: CompiledVersion) -> None:
        with self._lock:
            self._by_id[compiled.version_id] = compiled

    def get_by_id(self, version_id: int) -> CompiledVersion | None:
        return self._by_id.get(version_id)

    def clear(self) -> None:
        with self._lock:
            self._by_id.clear()
