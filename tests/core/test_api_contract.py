"""The API keeps its OpenAPI contract (issue 16, finding 10): schemathesis generates requests for every operation of
the live document — valid ones and, as often, invalid ones — sends them with a token to the Django WSGI
application, and checks each answer: no server error, a status the document lists, a body of the documented schema
and content type. A bounded, deterministic pass (a fixed seed, few examples per operation) runs in ``make test``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.core.api_world import model_of, one_of_each

#: examples per operation and pass (hypothesis derandomized: the same requests every run); ~130 operations stay
#: within about a minute. A deeper pass: TONGXIN_API_CONTRACT_EXAMPLES=30 pytest tests/core/test_api_contract.py
EXAMPLES = int(os.environ.get("TONGXIN_API_CONTRACT_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = {
    "generation": {
        "with-security-parameters": False,  # the test's token, not generated credentials
    },
}


@pytest.fixture
def api_schema(world):
    """The live OpenAPI document of the WSGI application.

    Django's request signals close a connection that is inside a transaction; the test client disconnects them
    while it serves a request, and so does this fixture while schemathesis calls the application directly."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        config = schemathesis.Config.from_dict(CONFIG)
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler(), config=config)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def run_operation(
    operation: Any, mode: GenerationMode, headers: dict[str, str], examples: int = EXAMPLES, **fixed: Any
) -> Iterator[Any]:
    """Send up to ``examples`` generated requests of ``mode`` to one operation (``fixed``: e.g. the path's id),
    checking each answer; yields the responses, or the failures of the checks as ``Failure``."""
    results: list[Any] = []

    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def send(case: Any) -> None:
        try:
            results.append(case.call_and_validate(headers=headers, checks=CHECKS))
        except (AssertionError, FailureGroup) as exc:  # one failed check, or several
            results.append(Failure(f"{operation.label} [{mode.value}]: {_describe(exc)}"))

    try:
        send()
    except hypothesis.errors.Unsatisfiable:  # nothing invalid to send: an operation without parameters or body
        assert mode is GenerationMode.NEGATIVE, operation.label
    yield from results


class Failure(str):
    """A failed check, described."""


def _describe(exc: BaseException) -> str:
    """The messages of a failed check, or of each of several."""
    if isinstance(exc, FailureGroup):
        return "\n".join(str(sub) for sub in exc.exceptions)
    return str(exc)


def test_every_operation_keeps_its_documented_contract(api_schema: Any, world: Any) -> None:
    """Per operation: valid requests for a row that exists (so that the 200 bodies are checked against their
    schemas), valid ones for random ids, invalid ones; all with the administrator's token."""
    made = one_of_each(world)
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    failures, answered, operations = [], set(), 0
    # deletes last, so that the other operations find the rows
    every = sorted((result.ok() for result in api_schema.get_all_operations()), key=lambda op: op.method == "delete")
    for operation in every:
        operations += 1
        passes = [(GenerationMode.POSITIVE, EXAMPLES, {}), (GenerationMode.NEGATIVE, EXAMPLES, {})]
        model = model_of(operation.path)
        if "{pk}" in operation.path and model in made:  # mostly the row that exists, a few random ids
            existing = {"path_parameters": {"pk": made[model].pk}}
            passes[0:1] = [(GenerationMode.POSITIVE, EXAMPLES, existing), (GenerationMode.POSITIVE, 2, {})]
        for mode, examples, fixed in passes:
            for outcome in run_operation(operation, mode, headers, examples, **fixed):
                if isinstance(outcome, Failure):
                    failures.append(outcome)
                elif outcome.status_code < 300:
                    answered.add(operation.label)
    assert operations >= 100, operations
    assert len(answered) >= 75, f"only {len(answered)} operations answered a request successfully: {answered}"
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures)
