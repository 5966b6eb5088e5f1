"""The OpenAPI document against the app: schemathesis generates requests for every operation and checks answers.

Checks on every answer: no 5xx; its status is listed explicitly in the operation's responses (flask-smorest
adds a `default` response to every operation, which would make any status "documented", so it is ignored
here); its content type and body match what is documented for that status. Requests carry the Bearer token
of an admin and of an official of Tân Lập; half of the examples use real path parameters (a received
dossier, its open task, its code) so that calls reach the engine instead of stopping at 404. Both valid and
invalid data (positive and negative generation).

Bounded in time: a few derandomized examples per operation, mode and caller, no shrinking (about 20 s per
database on this machine); failures are collected over all operations and reported together.
"""
from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy import select

from engine.models import ApiToken

#: examples per operation, per generation mode and per caller
EXAMPLES = 8
CALLERS = ("admin", "tanlap.specialist")
V1 = "/api/v1"


def status_code_documented(ctx, response, case):
    """The status is one the operation lists explicitly, not only through `default`."""
    documented = {int(code) for code in case.operation.responses.status_codes if code.isdigit()}
    if response.status_code not in documented:
        raise AssertionError(f"undocumented status {response.status_code} (documented: {sorted(documented)})")


CHECKS = [not_a_server_error, status_code_documented, content_type_conformance, response_schema_conformance]


@pytest.fixture
def schema(app):
    app.config["PUBLIC_RATE_LIMIT"] = (100_000, 1.0)  # the fuzzer is one client; 429 is tested in test_public
    return schemathesis.openapi.from_wsgi(f"{V1}/openapi.json", app)


@pytest.fixture
def real_params(receive) -> dict:
    received = receive()
    return {"dossier_id": received.dossier.id, "task_id": received.created[0].id, "code": received.dossier.code,
            "slug": "household-business"}


def fuzz(operation, mode: GenerationMode, headers: dict, real: dict, keep_tokens: set[int]) -> list[str]:
    """Run the examples of one operation; return the failures found, one line each."""
    names = {p.name for p in operation.path_parameters}
    strategies = [operation.as_strategy(generation_mode=mode)]
    if names & real.keys():
        fixed = {name: real[name] for name in names & real.keys()}
        strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=fixed))

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def run(case):
        if operation.method.upper() == "DELETE" and (case.path_parameters or {}).get("token_id") in keep_tokens:
            return  # revoking the callers' own tokens would turn the rest of the run into 401s
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # one operation's failures; the others still run
        found = getattr(exc, "exceptions", None) or [exc]
        return [f"{operation.label} [{mode.value}]: {getattr(f, 'title', type(f).__name__)}: "
                + " ".join(str(getattr(f, "message", f)).split())[:300] for f in found]
    return []


def test_every_operation_answers_as_documented(schema, bearer, real_params, rt):
    tokens = {who: bearer(who) for who in CALLERS}
    with rt.sessions() as s:
        keep = set(s.scalars(select(ApiToken.id)))
    operations = [result.ok() for result in schema.get_all_operations()]
    failures = [line for headers in tokens.values() for operation in operations
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                for line in fuzz(operation, mode, headers, real_params, keep)]
    assert not failures, "\n".join(sorted(set(failures)))


def test_every_endpoint_is_in_the_document(app, schema):
    def openapi_path(rule: str) -> str:
        return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)

    served = {(method, openapi_path(rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(V1) and rule.endpoint.split(".")[0] != "api-docs"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())}
    assert served == documented
