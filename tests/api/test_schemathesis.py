"""Property-based tests of the running API against its own OpenAPI document (schemathesis).

The app is served on 127.0.0.1 by werkzeug and schemathesis's own runner drives it as an outside probe
would: every check (server errors, status codes, content types, response schemas and headers, schema-valid
data accepted, schema-violating data refused, authentication) in every phase (coverage, fuzzing,
stateful), with a fixed seed and bounded by examples per operation and a time budget. The exceptions it
allows are in tests/api/schemathesis.toml, each with its reason. It must report nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.api.conftest import build
from tests.support.case_data import deploy_routes
from tests.support.factories import start_demo

pytestmark = pytest.mark.slow
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = 25  # per operation and phase: enough to find 5xx and schema drift
BUDGET_SECONDS = 150  # the run stops generating when this is spent (never an assertion on speed)
SEED = 20260302


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


def test_schemathesis_finds_nothing_in_any_check_or_phase(served, tmp_path):
    base_url, headers = served
    command = [str(SCHEMATHESIS), "--no-color", "--config-file", str(CONFIG), "run", f"{base_url}/api/v1/openapi.json",
               "--header", f"Authorization: {headers['Authorization']}", "--checks", "all",
               "--max-examples", str(EXAMPLES), "--max-time", str(BUDGET_SECONDS), "--seed", str(SEED),
               "--workers", "1", "--suppress-health-check", "all", "--generation-database", "none"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=BUDGET_SECONDS * 4,
                         cwd=tmp_path)  # its cache folder goes there, not into the repository
    report = run.stdout[-12_000:] + run.stderr[-2_000:]
    selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", run.stdout)
    assert selected and len(set(selected.groups())) == 1 and int(selected[1]) >= 31, report  # every operation
    assert run.returncode == 0, report
    assert " failures" not in run.stdout.splitlines()[-1], report
