"""Domain errors with a stable code; the API maps them to HTTP, the CLI to exit status."""
from __future__ import annotations


class EngineError(Exception):
    """Base of the engine's refusals. `code` is stable for clients; `detail` is for people."""

    code = "engine_error"

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(EngineError):
    code = "not_found"


class Forbidden(EngineError):
    code = "forbidden"


class Conflict(EngineError):
    """Someone else changed the dossier first (optimistic lock) or the state no longer allows the action."""

    code = "conflict"


class InvalidInput(EngineError):
    """Input that names what is wrong: `errors` maps a field (or element id) to its messages."""

    code = "invalid_input"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None, **extra):
        super().__init__(detail, **extra)
        self.errors = errors or {}


class WorkflowError(EngineError):
    """A diagram failed at run time (bad expression, refused script); the dossier is left unchanged."""

    code = "workflow_error"


class Throttled(EngineError):
    """Too many attempts (failed logins): try again after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int, **extra):
        super().__init__(detail, **extra)
        self.retry_after = retry_after
