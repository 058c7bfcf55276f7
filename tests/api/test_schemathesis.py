"""Property-based tests of the running API against its own OpenAPI document (schemathesis).

The app is served on 127.0.0.1 by werkzeug; every operation gets a bounded number of generated requests
with a valid token, and every response must be no 5xx and must match the documented schema.
"""

from __future__ import annotations

import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.serving import make_server

from tests.api.conftest import build
from tests.support.case_data import deploy_routes
from tests.support.factories import start_demo

pytestmark = pytest.mark.slow
EXAMPLES = 20  # per operation: enough to find 5xx and schema drift, bounded to keep CI quick


@pytest.fixture
def served(lite):
    """The API with routes, a team and a waiting case, served on a free port of 127.0.0.1."""
    deploy_routes(lite)
    app, tokens = build(lite)
    start_demo(lite)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", tokens["fd"]
    server.shutdown()
    thread.join()


def _check(operation, base_url: str, headers: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(base_url=base_url, headers=headers,
                               checks=[not_a_server_error, response_schema_conformance])
    run()


def test_every_operation_conforms_to_its_own_spec(served):
    base_url, headers = served
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        try:
            _check(operation, base_url, headers)
        except Exception as exc:  # collect them all, so one run shows every drift
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
